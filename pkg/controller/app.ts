/**
 * @module
 * The composition root of `controller run`: builds each component with the narrow port it needs and
 * declares them, in start order, to the Manager (manager.ts), which stops them in reverse:
 *
 *   every replica     Kubernetes connections, EC2 client, event recorder, ConfigMap cache,
 *                     admission webhooks (with --cert-dir), health probes, metrics
 *   the leader only   event flush, IPAM reconcilers (after the takeover delay, with the leader's fence)
 *
 * On stop or a lost Lease the reconcilers stop and drain, events flush, and only then is the Lease
 * released; then the servers close, the cache stops, events flush, and connections close.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { buildInfo, runtimeName } from '../support/build-info.ts';
import { CONTROLLER_NAME, RESOURCE_NAME, POD_IP_ANNOTATION, NODE_STATUS_ANNOTATION } from '../core/contract.ts';
import { createEc2Adapter } from '../adapters/ec2/sdk-adapter.ts';
import { closeSharedConnections, createKubeClients, loadKubeConfig } from '../adapters/kube/client.ts';
import { WRITE_CONNECTIONS, WRITE_KEEP_ALIVE_MS } from '../adapters/kube/connections.ts';
import { createEventRecorder } from '../adapters/kube/events.ts';
import { runLeaderElection } from '../adapters/kube/leader-election.ts';
import { createLogger, type LogLevel, type Logger } from '../support/log.ts';
import { patchNodeAnnotations, patchNodeCapacity, setPodAnnotationOnce } from '../adapters/kube/patches.ts';
import { createRegistry } from '../support/metrics-registry.ts';
import { registerProcessMetrics } from '../support/process-metrics.ts';
import { guardPodAnnotation, mutatePod, MUTATE_POD_PATH, startAdmissionServer, VALIDATE_POD_PATH } from '../adapters/http/admission.ts';
import { systemClock } from '../support/clock.ts';
import { releaseCompileCache } from '../support/compile-cache.ts';
import { processIdleCompactor } from '../support/idle-compactor.ts';
import { YieldGate } from '../support/yield-gate.ts';
import { startClusterConfigSource, type ConfigMapRef } from '../adapters/kube/config-source.ts';
import { runIpamController } from './ipam-controller.ts';
import { createControllerMetrics } from './metrics.ts';
import type { NodeWrites, Timings } from './ports.ts';
import { whoAmI } from '../adapters/kube/whoami.ts';
import type { BindAddress } from '../support/bind-address.ts';
import { startHealthListener, startMetricsListener, type MetricsListen } from './listeners.ts';
import { Manager, onStop, serving, type RunEnd } from './manager.ts';
import { warmWriteConnections } from './warm-write-connections.ts';

export interface RunOptions {
  kubeconfig: string | undefined;
  configMap: ConfigMapRef;
  clusterName: string;
  region: string | undefined;
  ec2Endpoint: string | undefined;
  ec2Qps: number;
  ec2Burst: number;
  ec2TimeoutMs: number;
  kubeQps: number;
  kubeBurst: number;
  /** Events and status annotation writes per second, on their own budget. */
  kubeBackgroundQps: number;
  /** HTTP/1.1 write connections the leader keeps open between bursts (warm-write-connections.ts). */
  warmWriteConnections: number;
  leaderElect: boolean;
  leaderElection: { namespace: string; name: string; leaseDurationMs: number; renewDeadlineMs: number; retryPeriodMs: number };
  /** Without a cert dir no webhook server is started (useful for dry runs without TLS material). */
  certDir: string | undefined;
  webhookHost: string;
  webhookPort: number;
  /** /metrics: where, whether callers must authenticate, HTTPS or not. */
  metrics: MetricsListen;
  /** /healthz and /readyz; undefined: not served. */
  health: BindAddress | undefined;
  logLevel: LogLevel;
  identity: string | undefined;
  /** Extra usernames allowed to write the IP annotation (besides our own, found with SelfSubjectReview). */
  controllerUsernames: string[];
  timings: Timings;
  concurrency: number;
  /** Mean time between periodic reads of every managed ENI; 0 turns them off. */
  ec2ResyncPeriodMs: number;
}

/**
 * Background writes wait for 50 ms without a pod annotation in flight (the next pod of a burst usually
 * comes sooner), 2 s at most, so under sustained load they still go at --kube-background-qps.
 */
const BACKGROUND_YIELD = { quietMs: 50, maxWaitMs: 2_000 } as const;

/** A round of warm-write-connections.ts goes out before the write pool would close a connection it kept. */
const WARM_WRITE_CONNECTIONS_EVERY_MS = (WRITE_KEEP_ALIVE_MS * 3) / 4;
/** A burst's count of write connections is kept this long after it: the quiet minutes between deployments. */
const WARM_WRITE_CONNECTIONS_HOLD_MS = 5 * 60_000;

export type { RunEnd } from './manager.ts';

export async function runController(o: RunOptions, signal: AbortSignal, logOverride?: Logger): Promise<RunEnd> {
  const log = logOverride ?? createLogger({ level: o.logLevel });
  const clock = systemClock;
  const identity = o.identity ?? `${process.env.POD_NAME ?? hostname()}_${randomBytes(4).toString('hex')}`;
  log.info('starting', { identity, configMap: `${o.configMap.namespace}/${o.configMap.name}`, clusterName: o.clusterName, region: o.region ?? null, ec2Endpoint: o.ec2Endpoint ?? null, leaderElect: o.leaderElect, version: buildInfo().version, commit: buildInfo().commit, runtime: runtimeName() });

  const kc = loadKubeConfig({ ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}) });
  const electionKc = loadKubeConfig({ ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}) });
  const registry = createRegistry();
  registerProcessMetrics(registry);
  const metrics = createControllerMetrics(registry);
  let leading = false;
  const manager = new Manager({
    log,
    clock,
    elect: o.leaderElect
      ? (hooks) =>
          runLeaderElection({
            // Lease renewals get their own client without the QPS limiter, and their own connection (a
            // KubeConfig of their own has its own pool): queued behind a burst of pod patches, or behind
            // the streams of the shared HTTP/2 connection, they would miss the renew deadline and cost us
            // leadership exactly when busiest.
            clients: createKubeClients(electionKc, { userAgent: `${CONTROLLER_NAME}/${identity}/leader-election` }),
            namespace: o.leaderElection.namespace,
            name: o.leaderElection.name,
            identity,
            leaseDurationMs: o.leaderElection.leaseDurationMs,
            renewDeadlineMs: o.leaderElection.renewDeadlineMs,
            retryPeriodMs: o.leaderElection.retryPeriodMs,
            log,
            clock,
            releaseOnCancel: true,
            ...hooks,
          })
      : undefined,
    takeoverDelayMs: takeoverDelayMs(o),
    onLeadership: (now) => {
      leading = now;
      metrics.leader(now);
    },
  });
  // Until this replica leads, its writes are refused at the client (Kubernetes) and per attempt (EC2).
  const onRequest = (method: string) => metrics.kubeRequest(method);
  const clients = createKubeClients(kc, { qps: o.kubeQps, burst: o.kubeBurst, userAgent: `${CONTROLLER_NAME}/${identity}`, fence: manager.fence, onRequest });
  // Events and the status annotation have their own rate limit, so a burst of them never queues ahead of
  // a pod's annotation patch (they share the connection, not the budget), and they stand aside while pod
  // annotations are in flight, so they do not take the API server's time from them either.
  const urgency = new YieldGate({ clock, ...BACKGROUND_YIELD });
  const background = createKubeClients(kc, { qps: o.kubeBackgroundQps, burst: Math.max(1, Math.ceil(o.kubeBackgroundQps * 2)), userAgent: `${CONTROLLER_NAME}/${identity}`, fence: manager.fence, onRequest, waitBeforeSend: () => urgency.yielded() });
  const ec2 = createEc2Adapter({
    ...(o.region ? { region: o.region } : {}),
    ...(o.ec2Endpoint ? { endpoint: o.ec2Endpoint } : {}),
    requestTimeoutMs: o.ec2TimeoutMs,
    rateLimit: { ratePerSecond: o.ec2Qps, burst: o.ec2Burst },
    onCall: (action, ms, err) => metrics.ec2Call(action, ms, err),
    fence: manager.fence,
    clock,
  });
  const events = createEventRecorder({ clients: background, component: CONTROLLER_NAME, instance: identity, log, clock });
  const config = startClusterConfigSource({ kc, core: clients.core, ref: o.configMap, log, clock });
  const writes: NodeWrites = {
    annotatePod: (pod, value) => urgency.urgent(() => setPodAnnotationOnce(clients, { ...pod, key: POD_IP_ANNOTATION, value })),
    setCapacity: (node, value) => urgency.urgent(() => patchNodeCapacity(clients, node, RESOURCE_NAME, value)),
    setStatusAnnotation: (node, value) => patchNodeAnnotations(background, node, { [NODE_STATUS_ANNOTATION]: value }),
  };

  manager
    .add(onStop('kubernetes connections', () => Promise.all([closeSharedConnections(kc), closeSharedConnections(electionKc)]).then(() => {}, () => {})))
    .add(onStop('ec2 client', () => ec2.destroy()))
    .add(onStop('event recorder', () => events.flush()))
    .add(onStop('configmap cache', () => config.stop()))
    .add(
      serving('admission webhooks', async () => {
        if (!o.certDir) {
          log.info('no --cert-dir: this replica serves no admission webhooks (right where the API server runs the admission policies from `controller manifests`)');
          return undefined;
        }
        const self = await whoAmI(kc).catch((err: unknown) => {
          log.warn('could not learn our own username (SelfSubjectReview); the annotation guard allows only --controller-username', { error: err });
          return undefined;
        });
        const usernames = [...new Set([...(self ? [self] : []), ...o.controllerUsernames])];
        const server = await startAdmissionServer({
          host: o.webhookHost,
          port: o.webhookPort,
          certDir: o.certDir,
          log,
          clock,
          handlers: {
            [MUTATE_POD_PATH]: (review) => mutatePod(review, { ipamEnabled: () => config.current().config.ipamEnabled }),
            // Until the ConfigMap is known the guard stays on: it must never let a write through for not knowing yet.
            [VALIDATE_POD_PATH]: (review) => guardPodAnnotation(review, { controllerUsernames: usernames, enabled: () => !config.synced() || config.current().config.ipamEnabled }),
          },
        });
        log.info('admission webhooks serving', { port: server.port, controllerUsernames: usernames });
        return server;
      }),
    )
    .add(
      serving('health probes', () =>
        startHealthListener({
          bind: o.health,
          log,
          ready: () =>
            // The probes start only once the webhooks serve (the Manager's declared order), so the ConfigMap decides.
            config.synced()
              ? { status: 200, body: `ready${leading ? ' (leader)' : ''}\n` }
              : { status: 503, body: 'waiting for the ConfigMap cache\n' },
        }),
      ),
    )
    .add(serving('metrics', () => startMetricsListener({ listen: o.metrics, registry, clients, now: () => clock.now(), log })))
    .add(
      serving('idle compactor', async () => {
        const compactor = processIdleCompactor({
          clock,
          onCompacted: (r) => {
            metrics.heapCompacted(r);
            const fields = { pauseMs: Math.round(r.pauseMs), rssMiBBefore: Math.round(r.rssBefore / 1048576), rssMiBAfter: Math.round(r.rssAfter / 1048576), liveHeapMiB: Math.round(r.heapUsedAfter / 104857.6) / 10 };
            // The start-up's few collections are routine; one after a burst is worth a line.
            if (r.reason === 'settle') log.debug('heap settled after start-up', fields);
            else log.info('heap compacted at rest', fields);
          },
        });
        compactor?.start();
        return compactor && { close: async () => compactor.stop() };
      }),
    )
    // Started before the reconcilers, so the first pods a new leader annotates find connections open.
    .add(
      serving(
        'warm write connections',
        async () => {
          if (o.warmWriteConnections <= 0) return undefined;
          const warm = warmWriteConnections({
            warm: (n) => clients.warmWriteConnections(n),
            used: () => clients.writeConnectionsUsed(),
            least: o.warmWriteConnections,
            // Twice the floor at most: after a 500-pod burst the pool's 32 would be 64 GETs a minute at rest for 5 minutes.
            most: Math.min(WRITE_CONNECTIONS, 2 * o.warmWriteConnections),
            everyMs: WARM_WRITE_CONNECTIONS_EVERY_MS,
            holdMs: WARM_WRITE_CONNECTIONS_HOLD_MS,
            clock,
            log,
          });
          return { close: async () => warm.stop() };
        },
        { needsLeaderElection: true },
      ),
    )
    // The leader's components stop in reverse: the reconcilers drain their EC2 calls and writes (bounded by
    // timings.drainMs), then the events they emitted are flushed, and only then is the Lease released.
    .add(onStop('event flush', () => events.flush(), { needsLeaderElection: true }))
    .add({
      name: 'ipam controller',
      needsLeaderElection: true,
      async start(stop, ctx) {
        ctx.up();
        await runIpamController(
          { kc, core: clients.core, writes, ec2, config, events, metrics, log, clock, timings: o.timings, concurrency: o.concurrency, fence: ctx.fence, ec2ResyncPeriodMs: o.ec2ResyncPeriodMs },
          stop,
        );
      },
    });

  // The bundle is one module, compiled (from the code cache where there was one) before any of this ran.
  releaseCompileCache();
  try {
    return await manager.run(signal);
  } finally {
    log.info('stopped');
  }
}

/**
 * How long a new leader waits before its first action: the old leader starts no EC2 call after its
 * renew deadline, and one it started can land up to --ec2-timeout later, while this replica took the
 * Lease at least --lease-duration after the old leader's last renewal (docs/controller.md, "Leadership").
 */
export function takeoverDelayMs(o: Pick<RunOptions, 'leaderElect' | 'leaderElection' | 'ec2TimeoutMs'>): number {
  if (!o.leaderElect) return 0;
  return Math.max(0, o.leaderElection.renewDeadlineMs + o.ec2TimeoutMs - o.leaderElection.leaseDurationMs);
}
