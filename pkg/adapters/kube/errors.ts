/**
 * @module
 * Kubernetes API failures as one typed error. client-node throws `ApiException` whose message
 * is a dump of code, body and headers; callers need the HTTP status, the API `reason`
 * (NotFound, Conflict, Forbidden, ...) and, for 403, which permission is missing, so that the
 * message can tell an operator which RBAC rule to add.
 */

/**
 * client-node's ApiException, recognised by shape: importing the class would load all of client-node
 * (1.3 MB) into every user of this module, the plugin's lean reader included (plugin/kube/rest.ts).
 */
function isApiException(err: unknown): err is { code: unknown; body: unknown; headers: unknown } {
  return err instanceof Error && 'code' in err && 'body' in err && 'headers' in err;
}

const BRAND = Symbol.for('winprefix.KubeApiError');

/** The `reason` field of a Kubernetes `Status`, or our own label when there is no Status body. */
export type KubeErrorReason =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Forbidden'
  | 'Unauthorized'
  | 'Gone'
  | 'Expired'
  | 'Invalid'
  | 'BadRequest'
  | 'TooManyRequests'
  | 'Timeout'
  | 'ServerTimeout'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'UnsupportedMediaType'
  | 'MethodNotAllowed'
  | 'RequestEntityTooLarge'
  | 'Unknown';

export interface StatusCause {
  field?: string;
  reason?: string;
  message?: string;
}

export interface MissingPermission {
  verb: string;
  resource: string;
  /** API group ("" for core). */
  group: string;
  namespace?: string;
  /** The identity the API server saw. */
  user?: string;
}

export class KubeApiError extends Error {
  /** HTTP status (0 when the server never answered). */
  readonly status: number;
  readonly reason: KubeErrorReason;
  /** Stable code for programmatic checks: `KUBE_` + reason in upper snake case. */
  readonly code: string;
  /** For 403: what RBAC rule is missing, parsed from the API server's message. */
  readonly permission: MissingPermission | undefined;
  /** The API server's own message, unmodified. */
  readonly serverMessage: string;
  /** Status details.causes: which fields a 422 Invalid is about. */
  readonly causes: StatusCause[];

  constructor(o: { status: number; reason: KubeErrorReason; serverMessage: string; permission?: MissingPermission; causes?: StatusCause[]; message?: string; cause?: unknown }) {
    super(o.message ?? describe(o.status, o.reason, o.serverMessage, o.permission), o.cause === undefined ? undefined : { cause: o.cause });
    this.name = 'KubeApiError';
    this.status = o.status;
    this.reason = o.reason;
    this.code = 'KUBE_' + o.reason.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
    this.permission = o.permission;
    this.serverMessage = o.serverMessage;
    this.causes = o.causes ?? [];
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
  get [BRAND](): boolean {
    return true;
  }

  /**
   * Converts whatever client-node (or a watch) threw into a KubeApiError when it carries an
   * HTTP status; anything else (network errors, bugs) is returned unchanged.
   */
  static from(err: unknown): unknown {
    if (err instanceof KubeApiError) return err;
    if (isApiException(err)) {
      const status = typeof err.code === 'number' ? err.code : 0;
      return fromStatusAndBody(status, err.body, err);
    }
    const statusCode = (err as { statusCode?: unknown } | null)?.statusCode;
    if (typeof statusCode === 'number') return fromStatusAndBody(statusCode, undefined, err);
    return err;
  }
}

/** Builds the error from an HTTP status and a response body (a Status object, JSON text, or nothing). */
export function fromStatusAndBody(status: number, body: unknown, cause?: unknown): KubeApiError {
  const st = parseStatus(body);
  const reason = isKnownReason(st?.reason) ? st.reason : reasonFromHttp(status);
  const serverMessage = st?.message ?? (typeof body === 'string' ? body.slice(0, 500) : '');
  const permission = status === 403 ? parseForbidden(serverMessage) : undefined;
  return new KubeApiError({ status, reason, serverMessage, ...(permission ? { permission } : {}), ...(st?.causes ? { causes: st.causes } : {}), cause });
}

export function isNotFound(err: unknown): boolean {
  return reasonOf(err) === 'NotFound';
}
export function isConflict(err: unknown): boolean {
  return reasonOf(err) === 'Conflict';
}
export function isForbidden(err: unknown): boolean {
  return reasonOf(err) === 'Forbidden';
}
export function isAlreadyExists(err: unknown): boolean {
  return reasonOf(err) === 'AlreadyExists';
}
/** 410 Gone / Expired: a watch or list continue token is too old; relist. */
export function isGone(err: unknown): boolean {
  const r = reasonOf(err);
  return r === 'Gone' || r === 'Expired';
}

function reasonOf(err: unknown): KubeErrorReason | undefined {
  const k = KubeApiError.from(err);
  return k instanceof KubeApiError ? k.reason : undefined;
}

interface StatusBody {
  reason?: string;
  message?: string;
  causes?: StatusCause[];
}

function parseStatus(body: unknown): StatusBody | undefined {
  let obj = body;
  if (typeof body === 'string') {
    try {
      obj = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  if (typeof obj !== 'object' || obj === null) return undefined;
  const { reason, message, details } = obj as Record<string, unknown>;
  const causes = (details as { causes?: unknown } | undefined)?.causes;
  return {
    ...(typeof reason === 'string' ? { reason } : {}),
    ...(typeof message === 'string' ? { message } : {}),
    ...(Array.isArray(causes) ? { causes: causes.filter((c): c is StatusCause => typeof c === 'object' && c !== null) } : {}),
  };
}

const KNOWN: ReadonlySet<string> = new Set<KubeErrorReason>([
  'NotFound', 'AlreadyExists', 'Conflict', 'Forbidden', 'Unauthorized', 'Gone', 'Expired', 'Invalid', 'BadRequest',
  'TooManyRequests', 'Timeout', 'ServerTimeout', 'InternalError', 'ServiceUnavailable', 'UnsupportedMediaType',
  'MethodNotAllowed', 'RequestEntityTooLarge',
]);

function isKnownReason(r: string | undefined): r is KubeErrorReason {
  return r !== undefined && KNOWN.has(r);
}

function reasonFromHttp(status: number): KubeErrorReason {
  switch (status) {
    case 400: return 'BadRequest';
    case 401: return 'Unauthorized';
    case 403: return 'Forbidden';
    case 404: return 'NotFound';
    case 405: return 'MethodNotAllowed';
    case 409: return 'Conflict';
    case 410: return 'Gone';
    case 413: return 'RequestEntityTooLarge';
    case 415: return 'UnsupportedMediaType';
    case 422: return 'Invalid';
    case 429: return 'TooManyRequests';
    case 500: return 'InternalError';
    case 503: return 'ServiceUnavailable';
    case 504: return 'Timeout';
    default: return 'Unknown';
  }
}

/**
 * The API server's RBAC denial has a fixed shape:
 *   pods "p" is forbidden: User "u" cannot patch resource "pods" in API group "" in the namespace "ns"
 * (plus `/status` style subresources as `resource "nodes/status"`).
 */
export function parseForbidden(message: string): MissingPermission | undefined {
  const m = /User "([^"]*)" cannot (\S+) resource "([^"]+)"(?: in API group "([^"]*)")?(?: in the namespace "([^"]*)")?/.exec(message);
  if (!m) return undefined;
  return {
    user: m[1]!,
    verb: m[2]!,
    resource: m[3]!,
    group: m[4] ?? '',
    ...(m[5] !== undefined ? { namespace: m[5] } : {}),
  };
}

function describe(status: number, reason: KubeErrorReason, serverMessage: string, p: MissingPermission | undefined): string {
  if (p) {
    const group = p.group === '' ? 'core ("")' : `"${p.group}"`;
    const where = p.namespace ? ` in namespace "${p.namespace}"` : ' (cluster-wide)';
    return `Kubernetes denied "${p.verb}" on "${p.resource}" in API group ${group}${where} to ${p.user ? `"${p.user}"` : 'this identity'}: ` +
      `grant the verb "${p.verb}" on resource "${p.resource}" in a Role/ClusterRole bound to it`;
  }
  if (status === 401) return `Kubernetes rejected the credentials (401 Unauthorized): check the kubeconfig user or service-account token${serverMessage ? `; server said: ${serverMessage}` : ''}`;
  return `Kubernetes API error ${status} ${reason}${serverMessage ? `: ${serverMessage}` : ''}`;
}
