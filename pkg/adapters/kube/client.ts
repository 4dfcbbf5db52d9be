/**
 * @module
 * The Kubernetes clients the controller and the plugin use: loading the kubeconfig, one shared
 * connection pool, a client-side rate limit and a per-request timeout. This is the one module
 * that constructs client-node API objects.
 */
import {
  AuthenticationV1Api,
  AuthorizationV1Api,
  CoordinationV1Api,
  CoreV1Api,
  EventsV1Api,
  KubeConfig,
  ServerConfiguration,
  createConfiguration,
  type Middleware,
  type RequestContext,
  type ResponseContext,
  VersionApi,
} from '@kubernetes/client-node';
import { connectionSettings } from './kubeconfig.ts';
import { markWriteConnections, shareConnections, writeConnectionsUsedSinceMark, writeDispatcherFor } from './connections.ts';
import { fencedDispatcher } from './fenced-dispatcher.ts';
import { undiciHttpLibrary } from './http-library.ts';
import { TokenBucket } from '../../support/token-bucket.ts';
import type { WriteFence } from '../../support/fence.ts';

export { loadKubeConfig, mergeKubeConfigs, currentNamespace, KubeConfigError, type KubeConnectionOptions } from './kubeconfig.ts';
export { shareConnections, closeSharedConnections } from './connections.ts';
export { KubeApiError, isNotFound, isConflict, isForbidden, isAlreadyExists, isGone, type MissingPermission } from './errors.ts';

export interface KubeClients {
  core: CoreV1Api;
  coordination: CoordinationV1Api;
  events: EventsV1Api;
  /** TokenReview (who is this bearer token?), for /metrics callers. */
  authentication: AuthenticationV1Api;
  /** SubjectAccessReview (may this user do that?), for /metrics callers. */
  authorization: AuthorizationV1Api;
  /** GET /version (what `controller manifests --admission auto` chooses by). */
  version: VersionApi;
  kc: KubeConfig;
  /**
   * Sends `count` GET /version at once over the HTTP/1.1 write connections (connections.ts), so that many are
   * open, and kept open another keep-alive period, for the next burst of writes; resolves to how many were
   * answered. Counted, rate-limited and timed like any other call. pkg/controller/warm-write-connections.ts says why.
   */
  warmWriteConnections(count: number): Promise<number>;
  /**
   * How many write connections carried a request since the last {@link warmWriteConnections} round ended: about
   * as many as were busy at once at the busiest moment. 0 where writes have no pool of their own (plain HTTP, a proxy).
   */
  writeConnectionsUsed(): number;
}

export interface CreateKubeClientsOptions {
  /** Sustained API calls per second (watches are not counted). Default: loadKubeConfig's qps; no limit when neither is set. */
  qps?: number;
  /** Calls allowed in a burst above qps; default: loadKubeConfig's burst, else ceil(qps). */
  burst?: number;
  /** Per-request timeout; defaults to the kubeconfig's `requestTimeoutMs` from loadKubeConfig. */
  requestTimeoutMs?: number;
  userAgent?: string;
  /**
   * Checked after the rate limiter and again as a write (any method but GET) goes onto the socket: a
   * replica that may no longer lead sends nothing, however long the request waited (fenced-dispatcher.ts).
   */
  fence?: WriteFence;
  /** Awaited before each request takes its rate-limit token: background clients stand aside here (YieldGate). */
  waitBeforeSend?: () => Promise<void>;
  /** Called once per API request (watches excluded), with its HTTP method: for a requests metric. */
  onRequest?: (method: string) => void;
}

export function createKubeClients(kc: KubeConfig, o: CreateKubeClientsOptions = {}): KubeClients {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error(`the kubeconfig's current context "${kc.getCurrentContext()}" names no cluster: pass --context or --cluster`);
  shareConnections(kc);
  const middleware: Middleware[] = [];
  middleware.push(passThrough(async (ctx) => {
    ctx.setHeaderParam('User-Agent', o.userAgent ?? 'winprefix');
    return ctx;
  }));
  const waitBeforeSend = o.waitBeforeSend;
  if (waitBeforeSend) {
    middleware.push(passThrough(async (ctx) => {
      await waitBeforeSend();
      return ctx;
    }));
  }
  const fromLoad = connectionSettings(kc);
  const qps = o.qps ?? fromLoad.qps;
  const burst = o.burst ?? fromLoad.burst;
  if (qps !== undefined && qps > 0) {
    // A whole burst: the bucket (shared with the EC2 adapter) rejects fractional ones.
    const bucket = new TokenBucket({ ratePerSecond: qps, burst: Math.max(1, Math.ceil(burst ?? qps)) });
    middleware.push(passThrough(async (ctx) => {
      await bucket.take();
      return ctx;
    }));
  }
  const onRequest = o.onRequest;
  if (onRequest) {
    middleware.push(passThrough(async (ctx) => {
      onRequest(ctx.getHttpMethod());
      return ctx;
    }));
  }
  const fence = o.fence;
  if (fence) {
    middleware.push(passThrough(async (ctx) => {
      if (ctx.getHttpMethod() !== 'GET') {
        fence.check(`${ctx.getHttpMethod()} ${new URL(ctx.getUrl()).pathname}`);
        // Checked again as the request goes onto the socket: fetch and a wait for a free connection lie between.
        ctx.setDispatcher(fencedDispatcher(ctx.getDispatcher(), fence));
      }
      return ctx;
    }));
  }
  const timeoutMs = o.requestTimeoutMs ?? fromLoad.requestTimeoutMs;
  if (timeoutMs !== undefined && timeoutMs > 0) {
    middleware.push(passThrough(async (ctx) => {
      if (!ctx.getSignal()) ctx.setSignal(AbortSignal.timeout(timeoutMs));
      return ctx;
    }));
  }
  const configWith = (promiseMiddleware: Middleware[]) =>
    createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: kc },
      httpApi: undiciHttpLibrary,
      promiseMiddleware,
    });
  const config = configWith(middleware);
  const overWriteConnections = new VersionApi(
    configWith([
      ...middleware,
      passThrough(async (ctx) => {
        const writes = writeDispatcherFor(ctx.getDispatcher());
        if (writes) ctx.setDispatcher(writes);
        return ctx;
      }),
    ]),
  );
  return {
    core: new CoreV1Api(config),
    coordination: new CoordinationV1Api(config),
    events: new EventsV1Api(config),
    authentication: new AuthenticationV1Api(config),
    authorization: new AuthorizationV1Api(config),
    version: new VersionApi(config),
    kc,
    warmWriteConnections: async (count) => {
      const answers = await Promise.allSettled(Array.from({ length: count }, () => overWriteConnections.getCode()));
      // What this round sent is not demand: only what writes send from here on counts as used.
      markWriteConnections(kc);
      return answers.filter((a) => a.status === 'fulfilled').length;
    },
    writeConnectionsUsed: () => writeConnectionsUsedSinceMark(kc),
  };
}

function passThrough(pre: (ctx: RequestContext) => Promise<RequestContext>): Middleware {
  return { pre, post: async (r: ResponseContext) => r };
}
