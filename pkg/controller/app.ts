/**
 * @module
 * The composition root of `controller run`: builds each component with the narrow port it needs,
 * starts what every replica serves (webhooks, probes, metrics, the ConfigMap cache), and runs the
 * IPAM reconcilers only while this replica holds the Lease. Shutdown runs in reverse: stop the
 * reconcilers, release the Lease, close the servers, flush events, close connections.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { buildInfo, runtimeName } from '../support/build-info.ts';
import { CONTROLLER_NAME, RESOURCE_NAME, POD_IP_ANNOTATION, NODE_STATUS_ANNOTATION } from '../core/contract.ts';
import { createEc2Adapter } from '../adapters/ec2/sdk-adapter.ts';
import { closeSharedConnections, createKubeClients, loadKubeConfig } from '../adapters/kube/client.ts';
import { createEventRecorder } from '../adapters/kube/events.ts';
import { runLeaderElection } from '../adapters/kube/leader-election.ts';
import { createLogger, type LogLevel, type Logger } from '../support/log.ts';
import { patchNodeAnnotations, patchNodeCapacity, setPodAnnotationOnce } from '../adapters/kube/patches.ts';
import { createRegistry } from '../support/metrics-registry.ts';
import { registerProcessMetrics } from '../support/process-metrics.ts';
import { guardPodAnnotation, mutatePod, MUTATE_POD_PATH, startAdmissionServer, VALIDATE_POD_PATH, type RunningServer } from '../adapters/http/admission.ts';
import { systemClock } from '../support/clock.ts';
import { YieldGate } from '../support/yield-gate.ts';
import { ALWAYS_ALLOWED, fenceOf, type WriteFence } from '../support/fence.ts';
import { startClusterConfigSource, type ConfigMapRef } from '../adapters/kube/config-source.ts';
import { runIpamController } from './ipam-controller.ts';
import { createControllerMetrics } from './metrics.ts';
import type { NodeWrites, Timings } from './ports.ts';
import { whoAmI } from '../adapters/kube/whoami.ts';
import type { BindAddress } from '../support/bind-address.ts';
import { startHealthListener, startMetricsListener, type MetricsListen } from './listeners.ts';

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

/** Why `runController` returned. */
export type RunEnd = 'stopped' | 'lost-leadership';

export async function runController(o: RunOptions, signal: AbortSignal, logOverride?: Logger): Promise<RunEnd> {
  const log = logOverride ?? createLogger({ level: o.logLevel });
  const identity = o.identity ?? `${process.env.POD_NAME ?? hostname()}_${randomBytes(4).toString('hex')}`;
  log.info('starting', { identity, configMap: `${o.configMap.namespace}/${o.configMap.name}`, clusterName: o.clusterName, region: o.region ?? null, ec2Endpoint: o.ec2Endpoint ?? null, leaderElect: o.leaderElect, version: buildInfo().version, commit: buildInfo().commit, runtime: runtimeName() });

  const kc = loadKubeConfig({ ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}) });
  // Set by leader election; until this replica leads, its writes are refused at the client.
  let leaderFence: WriteFence = o.leaderElect ? fenceOf(() => false) : ALWAYS_ALLOWED;
  const fence = fenceOf(() => leaderFence.allowed());
  const onRequest = (method: string) => metrics.kubeRequest(method);
  const clients = createKubeClients(kc, { qps: o.kubeQps, burst: o.kubeBurst, userAgent: `${CONTROLLER_NAME}/${identity}`, fence, onRequest });
  // Events and the status annotation have their own rate limit, so a burst of them never queues ahead of
  // a pod's annotation patch (they share the connection, not the budget), and they stand aside while pod
  // annotations are in flight, so they do not take the API server's time from them either.
  const urgency = new YieldGate({ clock: systemClock, ...BACKGROUND_YIELD });
  const background = createKubeClients(kc, { qps: o.kubeBackgroundQps, burst: Math.max(1, Math.ceil(o.kubeBackgroundQps * 2)), userAgent: `${CONTROLLER_NAME}/${identity}`, fence, onRequest, waitBeforeSend: () => urgency.yielded() });
  const registry = createRegistry();
  registerProcessMetrics(registry);
  const metrics = createControllerMetrics(registry);
  const ec2 = createEc2Adapter({
    ...(o.region ? { region: o.region } : {}),
    ...(o.ec2Endpoint ? { endpoint: o.ec2Endpoint } : {}),
    requestTimeoutMs: o.ec2TimeoutMs,
    rateLimit: { ratePerSecond: o.ec2Qps, burst: o.ec2Burst },
    onCall: (action, ms, err) => metrics.ec2Call(action, ms, err),
    fence,
  });
  const events = createEventRecorder({ clients: background, component: CONTROLLER_NAME, instance: identity, log });
  const config = startClusterConfigSource({ kc, core: clients.core, ref: o.configMap, log });
  const writes: NodeWrites = {
    annotatePod: (pod, value) => urgency.urgent(() => setPodAnnotationOnce(clients, { ...pod, key: POD_IP_ANNOTATION, value })),
    setCapacity: (node, value) => urgency.urgent(() => patchNodeCapacity(clients, node, RESOURCE_NAME, value)),
    setStatusAnnotation: (node, value) => patchNodeAnnotations(background, node, { [NODE_STATUS_ANNOTATION]: value }),
  };

  const closers: Array<() => Promise<void>> = [];
  let admission: RunningServer | undefined;
  try {
    const self = await whoAmI(kc).catch((err: unknown) => {
      log.warn('could not learn our own username (SelfSubjectReview); the annotation guard allows only --controller-username', { error: err });
      return undefined;
    });
    const usernames = [...new Set([...(self ? [self] : []), ...o.controllerUsernames])];
    if (o.certDir) {
      admission = await startAdmissionServer({
        host: o.webhookHost,
        port: o.webhookPort,
        certDir: o.certDir,
        log,
        handlers: {
          [MUTATE_POD_PATH]: (review) => mutatePod(review, { ipamEnabled: () => config.current().config.ipamEnabled }),
          // Until the ConfigMap is known the guard stays on: it must never let a write through for not knowing yet.
          [VALIDATE_POD_PATH]: (review) => guardPodAnnotation(review, { controllerUsernames: usernames, enabled: () => !config.synced() || config.current().config.ipamEnabled }),
        },
      });
      closers.push(() => admission!.close());
    } else {
      log.info('no --cert-dir: this replica serves no admission webhooks (right where the API server runs the admission policies from `controller manifests`)');
    }
    let leading = false;
    const health = await startHealthListener({
      bind: o.health,
      log,
      ready: () =>
        config.synced() && (admission !== undefined || !o.certDir)
          ? { status: 200, body: `ready${leading ? ' (leader)' : ''}\n` }
          : { status: 503, body: 'waiting for the ConfigMap cache\n' },
    });
    if (health) closers.push(() => health.close());
    const metricsServer = await startMetricsListener({ listen: o.metrics, registry, clients, now: () => systemClock.now(), log });
    if (metricsServer) closers.push(() => metricsServer.close());
    log.info('serving', { webhookPort: admission?.port ?? null, healthPort: health?.port ?? null, metricsPort: metricsServer?.port ?? null, controllerUsernames: usernames });

    // The reconcilers stop before the Lease is released, so two leaders never overlap.
    const reconcilersStop = new AbortController();
    signal.addEventListener('abort', () => reconcilersStop.abort(), { once: true });
    let running: Promise<void> | undefined;
    const lead = (leaderSignal: AbortSignal, granted: WriteFence) => {
      leading = true;
      leaderFence = granted;
      metrics.leader(true);
      const both = AbortSignal.any([leaderSignal, reconcilersStop.signal]);
      const delay = takeoverDelayMs(o);
      if (delay > 0) log.info('waiting before acting, so no EC2 call of the previous leader can still land', { ms: delay });
      running = Promise.resolve(delay > 0 ? systemClock.sleep(delay, both) : undefined).then(() => both.aborted ? undefined : runIpamController(
        {
          kc,
          core: clients.core,
          writes,
          ec2,
          config,
          events,
          metrics,
          log,
          clock: systemClock,
          timings: o.timings,
          concurrency: o.concurrency,
          fence: granted,
          ec2ResyncPeriodMs: o.ec2ResyncPeriodMs,
        },
        both,
      )).catch((err: unknown) => log.error('ipam controller crashed', { error: err }));
    };

    if (!o.leaderElect) {
      lead(new AbortController().signal, ALWAYS_ALLOWED);
      await new Promise<void>((r) => (signal.aborted ? r() : signal.addEventListener('abort', () => r(), { once: true })));
      await running;
      return 'stopped';
    }
    const election = new AbortController();
    signal.addEventListener('abort', () => election.abort(), { once: true });
    // Lease renewals get their own client without the QPS limiter: queued behind a burst of pod
    // patches they would miss the renew deadline and cost us leadership exactly when busiest.
    const electionClients = createKubeClients(kc, { userAgent: `${CONTROLLER_NAME}/${identity}/leader-election` });
    await runLeaderElection({
      clients: electionClients,
      namespace: o.leaderElection.namespace,
      name: o.leaderElection.name,
      identity,
      leaseDurationMs: o.leaderElection.leaseDurationMs,
      renewDeadlineMs: o.leaderElection.renewDeadlineMs,
      retryPeriodMs: o.leaderElection.retryPeriodMs,
      log,
      signal: election.signal,
      releaseOnCancel: true,
      onStartedLeading: (s, granted) => lead(s, granted),
      // The reconcilers stop on the leadership signal and drain their EC2 calls and writes (bounded by
      // timings.drainMs); the Lease is released only after that.
      beforeRelease: async () => {
        await running;
        await events.flush();
      },
      onStoppedLeading: () => {
        leading = false;
        metrics.leader(false);
      },
    });
    await running;
    return signal.aborted ? 'stopped' : 'lost-leadership';
  } finally {
    for (const close of closers.reverse()) await close().catch((err: unknown) => log.warn('close failed', { error: err }));
    await config.stop();
    await events.flush();
    ec2.destroy();
    await closeSharedConnections(kc).catch(() => {});
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
