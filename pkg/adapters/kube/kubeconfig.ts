/**
 * @module
 * Finding and loading a kubeconfig the way kubectl does, with errors that name the file or
 * context that is missing. client-node's own `loadFromDefault` throws "Duplicate cluster" when
 * two KUBECONFIG files share a name, whereas kubectl lets the first file win per name; users
 * with merged kubeconfigs (EKS plus a local cluster) hit that, so merging is done here.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig, type Cluster, type Context, type User } from '@kubernetes/client-node';

export interface KubeConnectionOptions {
  /** One path or several, merged like kubectl (first file wins per name). */
  kubeconfig?: string | string[];
  context?: string;
  cluster?: string;
  user?: string;
  namespace?: string;
  /** Timeout for each non-watch API request. */
  requestTimeoutMs?: number;
  qps?: number;
  burst?: number;
}

const BRAND = Symbol.for('winprefix.KubeConfigError');

export type KubeConfigErrorCode = 'KUBECONFIG_NOT_FOUND' | 'KUBECONFIG_INVALID' | 'CONTEXT_NOT_FOUND' | 'CLUSTER_NOT_FOUND' | 'USER_NOT_FOUND' | 'NO_CURRENT_CONTEXT';

export class KubeConfigError extends Error {
  readonly code: KubeConfigErrorCode;
  constructor(code: KubeConfigErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KubeConfigError';
    this.code = code;
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
  get [BRAND](): boolean {
    return true;
  }
}

/** Where the configuration came from, for logs and error messages. */
export type KubeConfigSource = { kind: 'files'; files: string[] } | { kind: 'in-cluster' };

/** Per-KubeConfig settings that client-node has no place for; read by createKubeClients. */
interface ConnectionSettings {
  requestTimeoutMs?: number;
  qps?: number;
  burst?: number;
  source?: KubeConfigSource;
}
const settings = new WeakMap<KubeConfig, ConnectionSettings>();

export function connectionSettings(kc: KubeConfig): ConnectionSettings {
  return settings.get(kc) ?? {};
}

export interface LoadEnv {
  /** Environment to read KUBECONFIG / KUBERNETES_SERVICE_HOST from (tests pass their own). */
  env?: Record<string, string | undefined>;
  home?: string;
}

/**
 * Order: explicit paths; else $KUBECONFIG (list, merged); else in-cluster when
 * KUBERNETES_SERVICE_HOST is set; else ~/.kube/config. Then --context, --cluster, --user and
 * --namespace overrides. Exec credential plugins (aws eks get-token) are left to client-node.
 */
export function loadKubeConfig(o: KubeConnectionOptions, where: LoadEnv = {}): KubeConfig {
  const env = where.env ?? process.env;
  let kc: KubeConfig;
  let source: KubeConfigSource;
  const explicit = o.kubeconfig === undefined ? [] : (Array.isArray(o.kubeconfig) ? o.kubeconfig : [o.kubeconfig]).filter((p) => p !== '');
  if (explicit.length > 0) {
    kc = loadFiles(explicit, '--kubeconfig');
    source = { kind: 'files', files: explicit };
  } else if (env.KUBECONFIG) {
    const files = env.KUBECONFIG.split(delimiter).filter((f) => f !== '');
    // kubectl ignores missing entries in KUBECONFIG as long as one exists.
    const present = files.filter((f) => existsSync(f));
    if (present.length === 0) {
      throw new KubeConfigError('KUBECONFIG_NOT_FOUND', `none of the files in KUBECONFIG exist (${files.join(delimiter)}): fix KUBECONFIG or pass --kubeconfig`);
    }
    kc = loadFiles(present, 'KUBECONFIG');
    source = { kind: 'files', files: present };
  } else if (env.KUBERNETES_SERVICE_HOST) {
    kc = new KubeConfig();
    kc.loadFromCluster();
    source = { kind: 'in-cluster' };
  } else {
    const file = join(where.home ?? homedir(), '.kube', 'config');
    if (!existsSync(file)) {
      throw new KubeConfigError('KUBECONFIG_NOT_FOUND', `no kubeconfig: ${file} does not exist, KUBECONFIG is not set and this is not a pod (KUBERNETES_SERVICE_HOST unset); pass --kubeconfig PATH`);
    }
    kc = loadFiles([file], 'default path');
    source = { kind: 'files', files: [file] };
  }
  applyOverrides(kc, o, source);
  settings.set(kc, {
    ...(o.requestTimeoutMs !== undefined ? { requestTimeoutMs: o.requestTimeoutMs } : {}),
    ...(o.qps !== undefined ? { qps: o.qps } : {}),
    ...(o.burst !== undefined ? { burst: o.burst } : {}),
    source,
  });
  return kc;
}

function loadFiles(files: string[], via: string): KubeConfig {
  const parts = files.map((file) => {
    if (!existsSync(file)) throw new KubeConfigError('KUBECONFIG_NOT_FOUND', `kubeconfig file ${file} (from ${via}) does not exist`);
    const one = new KubeConfig();
    try {
      one.loadFromFile(file);
    } catch (err) {
      throw new KubeConfigError('KUBECONFIG_INVALID', `kubeconfig file ${file} cannot be read: ${(err as Error).message}`, { cause: err });
    }
    return one;
  });
  return mergeKubeConfigs(parts);
}

/** kubectl's merge: the first occurrence of each cluster, user and context name wins, and so does the first current-context. */
export function mergeKubeConfigs(parts: KubeConfig[]): KubeConfig {
  const clusters = new Map<string, Cluster>();
  const users = new Map<string, User>();
  const contexts = new Map<string, Context>();
  let currentContext = '';
  for (const p of parts) {
    for (const c of p.getClusters()) if (!clusters.has(c.name)) clusters.set(c.name, c);
    for (const u of p.getUsers()) if (!users.has(u.name)) users.set(u.name, u);
    for (const c of p.getContexts()) if (!contexts.has(c.name)) contexts.set(c.name, c);
    if (!currentContext && p.getCurrentContext()) currentContext = p.getCurrentContext();
  }
  const kc = new KubeConfig();
  kc.loadFromOptions({ clusters: [...clusters.values()], users: [...users.values()], contexts: [...contexts.values()], currentContext });
  return kc;
}

function applyOverrides(kc: KubeConfig, o: KubeConnectionOptions, source: KubeConfigSource): void {
  const from = source.kind === 'files' ? source.files.join(delimiter) : 'the in-cluster configuration';
  if (o.context) {
    if (!kc.getContextObject(o.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new KubeConfigError('CONTEXT_NOT_FOUND', `context "${o.context}" is not in ${from}; known contexts: ${known.length > 0 ? known.join(', ') : '(none)'}`);
    }
    kc.setCurrentContext(o.context);
  }
  if (!o.cluster && !o.user && !o.namespace) {
    if (!kc.getCurrentContext() || !kc.getContextObject(kc.getCurrentContext())) {
      throw new KubeConfigError('NO_CURRENT_CONTEXT', `${from} has no current-context${kc.getCurrentContext() ? ` (it names "${kc.getCurrentContext()}", which is not defined)` : ''}: pass --context`);
    }
    return;
  }
  const base = kc.getContextObject(kc.getCurrentContext());
  if (o.cluster && !kc.getCluster(o.cluster)) {
    throw new KubeConfigError('CLUSTER_NOT_FOUND', `cluster "${o.cluster}" is not in ${from}; known clusters: ${kc.getClusters().map((c) => c.name).join(', ') || '(none)'}`);
  }
  if (o.user && !kc.getUser(o.user)) {
    throw new KubeConfigError('USER_NOT_FOUND', `user "${o.user}" is not in ${from}; known users: ${kc.getUsers().map((u) => u.name).join(', ') || '(none)'}`);
  }
  const cluster = o.cluster ?? base?.cluster;
  const user = o.user ?? base?.user;
  if (!cluster || !user) {
    throw new KubeConfigError('NO_CURRENT_CONTEXT', `${from} has no current-context to take the ${cluster ? 'user' : 'cluster'} from: pass --context or both --cluster and --user`);
  }
  const namespace = o.namespace ?? base?.namespace;
  // A synthetic context, so the user's named contexts stay as they are in the file.
  const ctx: Context = { name: `${base?.name ?? 'override'}+overrides`, cluster, user, ...(namespace ? { namespace } : {}) };
  kc.loadFromOptions({
    clusters: kc.getClusters(),
    users: kc.getUsers(),
    contexts: [...kc.getContexts().filter((c) => c.name !== ctx.name), ctx],
    currentContext: ctx.name,
  });
}

/** The namespace of the current context, or "default" (kubectl's rule). */
export function currentNamespace(kc: KubeConfig): string {
  return kc.getContextObject(kc.getCurrentContext())?.namespace || 'default';
}
