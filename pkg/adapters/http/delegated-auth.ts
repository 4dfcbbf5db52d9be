/**
 * @module
 * Authentication and authorization delegated to the Kubernetes API server, as controller-runtime's
 * metrics filter (`filters.WithAuthenticationAndAuthorization`) does: the caller's bearer token is
 * checked with a TokenReview, then the user it names is checked with a SubjectAccessReview for the
 * non-resource URL and verb (`get /metrics`). No token or a bad one: 401; a user RBAC does not allow:
 * 403; the API server unreachable: 503 (never cached, never an answer on the user's behalf).
 *
 * Results are cached briefly and in bounded memory, so a Prometheus scraping every 15 s costs one
 * TokenReview and one SubjectAccessReview a minute, and a flood of made-up tokens cannot grow the
 * cache or be turned into one API call per request (denials are cached too, for less time, so a
 * fresh RoleBinding takes effect quickly).
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../../support/log.ts';
import { TtlCache } from '../../support/ttl-cache.ts';

/** The user a TokenReview names, passed on unchanged to the SubjectAccessReview. */
export interface ReviewedUser {
  username: string;
  uid?: string;
  groups: string[];
  extra: Record<string, string[]>;
}

export type TokenReviewOutcome = { authenticated: true; user: ReviewedUser } | { authenticated: false; reason: string };
export type AccessReviewOutcome = { allowed: boolean; reason: string };

/** The two API calls, as a port (pkg/adapters/kube/access-review.ts makes them with client-node). */
export interface AccessReviewer {
  reviewToken(token: string): Promise<TokenReviewOutcome>;
  reviewAccess(user: ReviewedUser, request: { verb: string; path: string }): Promise<AccessReviewOutcome>;
}

export type AuthDecision =
  | { ok: true; user: string }
  | { ok: false; status: 401 | 403 | 503; body: string; headers?: Record<string, string> };

export interface DelegatedAuthOptions {
  reviewer: AccessReviewer;
  now: () => number;
  log: Logger;
  /** How long an accepted token or an allowed request is trusted. Default 60 s. */
  allowTtlMs?: number;
  /** How long a rejected token or a denied request stays rejected without asking again. Default 10 s. */
  denyTtlMs?: number;
  /** Per cache (tokens, decisions). Default 1024. */
  maxEntries?: number;
  /** Named in 401 and 403 answers: what the caller should bind to. */
  readerRole: string;
}

/** Real tokens are a few KiB at most; a longer one is refused without asking the API server. */
export const MAX_TOKEN_LENGTH = 16 * 1024;

export interface DelegatedAuth {
  check(request: { method: string; path: string; authorization: string | undefined }): Promise<AuthDecision>;
}

export function createDelegatedAuth(o: DelegatedAuthOptions): DelegatedAuth {
  const allowTtl = o.allowTtlMs ?? 60_000;
  const denyTtl = o.denyTtlMs ?? 10_000;
  const maxEntries = o.maxEntries ?? 1024;
  const tokens = new TtlCache<string, TokenReviewOutcome>({ maxEntries, now: o.now });
  const decisions = new TtlCache<string, AccessReviewOutcome>({ maxEntries, now: o.now });
  // Concurrent requests with the same token share one review instead of each making a call.
  const tokensInFlight = new Map<string, Promise<TokenReviewOutcome>>();
  const decisionsInFlight = new Map<string, Promise<AccessReviewOutcome>>();
  const log = o.log.child({ component: 'metrics-auth' });

  const unauthorized = (why: string): AuthDecision => ({
    ok: false,
    status: 401,
    body: `Unauthorized: ${why}. Send "Authorization: Bearer TOKEN" with the token of a service account bound to ClusterRole ${o.readerRole} (see docs/controller.md, "Metrics").\n`,
    headers: { 'www-authenticate': 'Bearer realm="winprefix-metrics"' },
  });
  const unavailable = (call: string, err: unknown): AuthDecision => {
    const message = err instanceof Error ? err.message : String(err);
    log.warn(`${call} failed; answering 503`, { error: message });
    return { ok: false, status: 503, body: `cannot check this request with the Kubernetes API (${call} failed: ${message}); try again shortly\n` };
  };

  async function cached<T>(cache: TtlCache<string, T>, inFlight: Map<string, Promise<T>>, key: string, ask: () => Promise<T>, ttl: (v: T) => number): Promise<T> {
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    let pending = inFlight.get(key);
    if (!pending) {
      pending = ask().then(
        (v) => {
          cache.set(key, v, ttl(v));
          return v;
        },
      ).finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
    }
    return pending;
  }

  return {
    async check(request) {
      const token = bearerToken(request.authorization);
      if (token === undefined) return unauthorized('no bearer token');
      if (token.length > MAX_TOKEN_LENGTH) return unauthorized(`the bearer token is longer than ${MAX_TOKEN_LENGTH} characters`);
      // Keyed by a digest, so the cache never holds a usable credential.
      const tokenKey = createHash('sha256').update(token).digest('hex');
      let identity: TokenReviewOutcome;
      try {
        identity = await cached(tokens, tokensInFlight, tokenKey, () => o.reviewer.reviewToken(token), (v) => (v.authenticated ? allowTtl : denyTtl));
      } catch (err) {
        return unavailable('TokenReview', err);
      }
      if (!identity.authenticated) {
        log.debug('token rejected', { reason: identity.reason });
        return unauthorized(`the API server did not accept the bearer token${identity.reason ? ` (${identity.reason})` : ''}`);
      }
      // HEAD is GET without the body; RBAC rules name `get`.
      const verb = request.method.toUpperCase() === 'HEAD' ? 'get' : request.method.toLowerCase();
      const user = identity.user;
      const decisionKey = JSON.stringify([user.username, user.uid ?? '', [...user.groups].sort(), sortedExtra(user.extra), verb, request.path]);
      let access: AccessReviewOutcome;
      try {
        access = await cached(decisions, decisionsInFlight, decisionKey, () => o.reviewer.reviewAccess(user, { verb, path: request.path }), (v) => (v.allowed ? allowTtl : denyTtl));
      } catch (err) {
        return unavailable('SubjectAccessReview', err);
      }
      if (!access.allowed) {
        log.debug('request denied', { user: user.username, verb, path: request.path, reason: access.reason });
        return {
          ok: false,
          status: 403,
          body: `Forbidden: user "${user.username}" may not ${verb} ${request.path}${access.reason ? ` (${access.reason})` : ''}; bind it to ClusterRole ${o.readerRole}.\n`,
        };
      }
      return { ok: true, user: user.username };
    },
  };
}

/** The token of an `Authorization: Bearer TOKEN` header (scheme case-insensitive, RFC 6750), else undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}

function sortedExtra(extra: Record<string, string[]>): Array<[string, string[]]> {
  return Object.keys(extra)
    .sort()
    .map((k) => [k, [...(extra[k] ?? [])].sort()]);
}
