/**
 * @module
 * The composition root of `controller run`: builds each component with the narrow port it needs,
 * starts what every replica serves (webhooks, probes, metrics, the ConfigMap cache), and runs the
 * IPAM reconcilers only while this replica holds the Lease. Shutdown runs in reverse: stop the
 * reconcilers, release the Lease, close the servers, flush events, close connections.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { buildInfo, runtimeName } from '../build-info.ts';
import { CONTROLLER_NAME, RESOURCE_NAME, POD_IP_ANNOTATION, NODE_STATUS_ANNOTATION } from '../contract.ts';
import { createEc2Adapter } from '../ec2/sdk-adapter.ts';
import { startProbeServer } from '../httpserver/probes.ts';
import { closeSharedConnections, createKubeClients, loadKubeConfig } from '../kube/client.ts';
import { createEventRecorder } from '../kube/events.ts';
import { runLeaderElection } from '../kube/leader-election.ts';
import { createLogger, type LogLevel, type Logger } from '../kube/logger.ts';
import { annotatePod, patchNodeAnnotations, patchNodeCapacity } from '../kube/patches.ts';
import { createRegistry, PROMETHEUS_CONTENT_TYPE } from '../metrics/registry.ts';
import { guardPodAnnotation, mutatePod, MUTATE_POD_PATH, startAdmissionServer, VALIDATE_POD_PATH, type RunningServer } from '../webhook/index.ts';
import { systemClock } from './clock.ts';
import { startClusterConfigSource, type ConfigMapRef } from './config-source.ts';
import { runIpamController } from './ipam-controller.ts';
import { createControllerMetrics } from './metrics.ts';
import type { NodeWrites, Timings } from './ports.ts';
import { whoAmI } from './whoami.ts';

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
  leaderElect: boolean;
  leaderElection: { namespace: string; name: string; leaseDurationMs: number; renewDeadlineMs: number; retryPeriodMs: number };
  /** Without a cert dir no webhook server is started (useful for dry runs without TLS material). */
  certDir: string | undefined;
  webhookHost: string;
  webhookPort: number;
  metricsHost: string;
  metricsPort: number;
  healthPort: number;
  logLevel: LogLevel;
  identity: string | undefined;
  /** Extra usernames allowed to write the IP annotation (besides our own, found with SelfSubjectReview). */
  controllerUsernames: string[];
  timings: Timings;
  concurrency: number;
}

/** Why `runController` returned. */
export type RunEnd = 'stopped' | 'lost-leadership';

export async function runController(o: RunOptions, signal: AbortSignal, logOverride?: Logger): Promise<RunEnd> {
  const log = logOverride ?? createLogger({ level: o.logLevel });
  const identity = o.identity ?? `${process.env.POD_NAME ?? hostname()}_${randomBytes(4).toString('hex')}`;
  log.info('starting', { identity, configMap: `${o.configMap.namespace}/${o.configMap.name}`, clusterName: o.clusterName, region: o.region ?? null, ec2Endpoint: o.ec2Endpoint ?? null, leaderElect: o.leaderElect, version: buildInfo().version, commit: buildInfo().commit, runtime: runtimeName() });

  const kc = loadKubeConfig({ ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}) });
  const clients = createKubeClients(kc, { qps: o.kubeQps, burst: o.kubeBurst, userAgent: `${CONTROLLER_NAME}/${identity}` });
  const registry = createRegistry();
  const metrics = createControllerMetrics(registry);
  const ec2 = createEc2Adapter({
    ...(o.region ? { region: o.region } : {}),
    ...(o.ec2Endpoint ? { endpoint: o.ec2Endpoint } : {}),
    requestTimeoutMs: o.ec2TimeoutMs,
    rateLimit: { ratePerSecond: o.ec2Qps, burst: o.ec2Burst },
    onCall: (action, ms, err) => metrics.ec2Call(action, ms, err),
  });
  const events = createEventRecorder({ clients, component: CONTROLLER_NAME, instance: identity, log });
  const config = startClusterConfigSource({ kc, core: clients.core, ref: o.configMap, log });
  const writes: NodeWrites = {
    annotatePod: (pod, value) => annotatePod(clients, { ...pod, annotations: { [POD_IP_ANNOTATION]: value } }),
    setCapacity: (node, value) => patchNodeCapacity(clients, node, RESOURCE_NAME, value),
    setStatusAnnotation: (node, value) => patchNodeAnnotations(clients, node, { [NODE_STATUS_ANNOTATION]: value }),
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
          [VALIDATE_POD_PATH]: (review) => guardPodAnnotation(review, { controllerUsernames: usernames, enabled: () => config.current().config.ipamEnabled }),
        },
      });
      closers.push(() => admission!.close());
    } else {
      log.warn('no --cert-dir: admission webhooks are not served by this replica');
    }
    let leading = false;
    const health = await startProbeServer({
      host: o.metricsHost,
      port: o.healthPort,
      routes: {
        '/healthz': () => ({ status: 200, body: 'ok\n' }),
        '/readyz': () =>
          config.synced() && (admission !== undefined || !o.certDir)
            ? { status: 200, body: `ready${leading ? ' (leader)' : ''}\n` }
            : { status: 503, body: 'waiting for the ConfigMap cache\n' },
      },
    });
    closers.push(() => health.close());
    const metricsServer = await startProbeServer({
      host: o.metricsHost,
      port: o.metricsPort,
      routes: { '/metrics': () => ({ status: 200, body: registry.render(), contentType: PROMETHEUS_CONTENT_TYPE }) },
    });
    closers.push(() => metricsServer.close());
    log.info('serving', { webhookPort: admission?.port ?? null, healthPort: health.port, metricsPort: metricsServer.port, controllerUsernames: usernames });

    // The reconcilers stop before the Lease is released, so two leaders never overlap.
    const reconcilersStop = new AbortController();
    signal.addEventListener('abort', () => reconcilersStop.abort(), { once: true });
    let running: Promise<void> | undefined;
    const lead = (leaderSignal: AbortSignal) => {
      leading = true;
      metrics.leader(true);
      const both = AbortSignal.any([leaderSignal, reconcilersStop.signal]);
      running = runIpamController(
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
        },
        both,
      ).catch((err: unknown) => log.error('ipam controller crashed', { error: err }));
    };

    if (!o.leaderElect) {
      lead(new AbortController().signal);
      await new Promise<void>((r) => (signal.aborted ? r() : signal.addEventListener('abort', () => r(), { once: true })));
      await running;
      return 'stopped';
    }
    const election = new AbortController();
    signal.addEventListener('abort', () => {
      // Let the reconcilers finish their current work, then give the Lease up.
      void Promise.resolve(running).then(() => election.abort());
    }, { once: true });
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
      onStartedLeading: (s) => lead(s),
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
