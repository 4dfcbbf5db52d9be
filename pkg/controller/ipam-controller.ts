/**
 * @module
 * The leader's half of the controller: caches of nodes, pods and foreign-controller notices, one
 * keyed queue of node names, and the node reconciler behind it. Runs while this replica leads;
 * a new leader starts it fresh and rebuilds every pool from the cluster and EC2.
 *
 * Watch callbacks only decide which node to look at again; all IPAM work happens in the node's
 * reconcile, so events for one node are serialised and nothing is done twice at once.
 */
import type { CoreV1Api, CoreV1Event, KubeConfig, KubernetesObject, V1Node, V1Pod } from '@kubernetes/client-node';
import { EventReasons } from '../core/contract.ts';
import type { Logger } from '../support/log.ts';
import { continueFrom, podKey, toPodView, type PodView } from '../core/views/pod-view.ts';
import { startReflector, type Reflector, type ReflectorOptions } from '../adapters/kube/reflector.ts';
import { recordedClaimant } from '../core/status/node-status.ts';
import type { Clock } from '../support/clock.ts';
import type { ClusterConfigSource, ConfigSnapshot } from '../adapters/kube/config-source.ts';
import { CLAIM_EVENT_FIELD_SELECTOR, ForeignClaims, toClaimEvent, type ClaimEvent } from '../core/decisions/foreign-claims.ts';
import { AddressClaims } from '../core/decisions/address-claims.ts';
import { podUpdateWakesNode } from '../core/decisions/pod-plan.ts';
import { runEc2Resync } from './ec2-resync.ts';
import { bothFences, fenceOf, fenceWrites, isNotLeading, type WriteFence } from './fenced-writes.ts';
import type { ControllerMetrics } from './metrics.ts';
import { NodeReconciler } from './node-reconciler.ts';
import { toNodeView, type NodeView } from '../core/views/node-view.ts';
import { PodIndex } from './pod-index.ts';
import type { EventSink, NodeEc2Port, NodeWrites, Timings } from './ports.ts';
import { KeyedQueue } from './work-queue.ts';

export type ControllerListClients = Pick<CoreV1Api, 'listNode' | 'listPodForAllNamespaces' | 'listEventForAllNamespaces'>;

export interface IpamControllerOptions {
  kc: KubeConfig;
  core: ControllerListClients;
  writes: NodeWrites;
  ec2: NodeEc2Port;
  config: ClusterConfigSource;
  events: EventSink;
  metrics: ControllerMetrics;
  log: Logger;
  clock: Clock;
  timings: Timings;
  /** Nodes reconciled in parallel. */
  concurrency: number;
  /** The leader election's fence: writes only while the Lease is valid by this process's clock. */
  fence: WriteFence;
  /** Mean time between periodic reads of every managed ENI; 0 turns them off. */
  ec2ResyncPeriodMs: number;
}

/** The periodic EC2 read is spread by this much either way around its period. */
const RESYNC_JITTER = 0.2;

/** Unscheduled pods do not concern IPAM; the scheduler's binding brings them in. */
const POD_FIELD_SELECTOR = 'spec.nodeName!=';

/** Runs until `signal` aborts; resolves once everything has stopped. */
export async function runIpamController(o: IpamControllerOptions, signal: AbortSignal): Promise<void> {
  const log = o.log.child({ component: 'ipam-controller' });
  const pods = new PodIndex();
  const addressClaims = new AddressClaims();
  // Stops writing the moment we stop leading, even in the middle of a run, and whenever the Lease may have lapsed.
  const fence = bothFences(o.fence, fenceOf(() => !signal.aborted));
  const claims = new ForeignClaims();
  let ready = false;
  const wake = (node: string | undefined) => {
    if (node && ready) queue.add(node);
  };

  const reconciler = new NodeReconciler({
    reads: {
      node: (name) => nodes.get(name),
      podsOn: (name) => pods.onNode(name),
      cluster: () => o.config.current(),
      foreignController: (name) => claims.claimant(name),
    },
    writes: fenceWrites(o.writes, fence),
    ec2: o.ec2,
    claims: addressClaims,
    fence,
    events: o.events,
    metrics: o.metrics,
    clock: o.clock,
    log,
    timings: o.timings,
    wake: (name) => wake(name),
  });

  o.metrics.collectPools(() => reconciler.poolGauges());
  const queue = new KeyedQueue<string>({
    reconcile: (name) => reconciler.reconcile(name),
    concurrency: o.concurrency,
    clock: o.clock,
    retry: { baseMs: 200, maxMs: 60_000 },
    onError: (name, err, retryInMs) => {
      // A write refused because we stopped leading is the run ending, not a failure; the queue stops next.
      if (isNotLeading(err)) return;
      log.warn('node reconcile failed; will retry', { node: name, retryInMs, error: err });
    },
    onRun: (_name, result, ms) => {
      o.metrics.reconciled(result, ms);
      o.metrics.queueDepth(queue.depth);
    },
  });

  /** A cache of the leader's: reflectors share the connection, the log and the clock. */
  const cache = <T extends KubernetesObject, S>(r: Omit<ReflectorOptions<T, S>, 'kc' | 'log' | 'clock'>): Reflector<S> => startReflector({ ...r, kc: o.kc, log, clock: o.clock });

  const nodes: Reflector<NodeView> = cache<V1Node, NodeView>({
    path: '/api/v1/nodes',
    list: () => o.core.listNode({}),
    transform: toNodeView,
    key: (n) => n.name,
    onUpsert: (n, old) => {
      // Our own capacity and status writes come back as updates; they need no new look. A recorded
      // refusal removed (or set) by hand does: it hands the node over (or takes it away).
      const claimChanged = old !== undefined && old.statusAnnotation !== n.statusAnnotation && recordedClaimant(old.statusAnnotation) !== recordedClaimant(n.statusAnnotation);
      if (!old || old.os !== n.os || old.computeType !== n.computeType || old.providerID !== n.providerID || old.uid !== n.uid || claimChanged) wake(n.name);
    },
    onDelete: (n) => {
      queue.forget(n.name);
      wake(n.name);
    },
  });

  const podReflector: Reflector<PodView> = cache<V1Pod, PodView>({
    path: '/api/v1/pods',
    fieldSelector: POD_FIELD_SELECTOR,
    list: () => o.core.listPodForAllNamespaces({ fieldSelector: POD_FIELD_SELECTOR }),
    // A pod's node name is the node cache's own string, so the pods of a node share it.
    transform: (raw) => toPodView(raw, (nodeName) => nodes.get(nodeName)?.name ?? nodeName),
    key: podKey,
    onUpsert: (p, old) => {
      continueFrom(p, old, o.clock.now());
      const touched = pods.upsert(p, old);
      const ownAnnotationSeen = addressClaims.setPod(p, p.annotation, !p.terminal);
      log.debug('pod seen', { pod: podKey(p), uid: p.uid, node: p.nodeName, phase: p.phase, annotated: p.annotation !== undefined, isNew: old === undefined });
      if (!old || podUpdateWakesNode(old, p, ownAnnotationSeen)) for (const n of touched) wake(n);
    },
    onDelete: (p) => {
      addressClaims.removePod(p.uid);
      wake(pods.remove(p));
    },
  });

  const claimReflector: Reflector<ClaimEvent> = cache<CoreV1Event, ClaimEvent>({
    path: '/api/v1/events',
    fieldSelector: CLAIM_EVENT_FIELD_SELECTOR,
    list: () => o.core.listEventForAllNamespaces({ fieldSelector: CLAIM_EVENT_FIELD_SELECTOR }),
    transform: toClaimEvent,
    key: (e) => `${e.namespace}/${e.name}`,
    onUpsert: (e) => wake(claims.upsert(e)),
    onDelete: (e) => wake(claims.remove(e)),
  });

  let lastProblems = '';
  const onConfig = (s: ConfigSnapshot) => {
    o.metrics.ipamEnabled(s.config.ipamEnabled);
    const problems = JSON.stringify(s.config.problems);
    if (problems !== lastProblems) {
      lastProblems = problems;
      if (s.config.problems.length > 0 && s.uid) {
        const [namespace, name] = s.ref.split('/') as [string, string];
        o.events.emit(
          { kind: 'ConfigMap', namespace, name, uid: s.uid },
          {
            type: 'Warning',
            reason: EventReasons.invalidConfig,
            message: `Invalid Windows IPAM settings, defaults used instead: ${s.config.problems.map((p) => `${p.key}=${JSON.stringify(p.value)}: ${p.message}`).join('; ')}. Fix the values in ConfigMap ${s.ref}.`,
          },
        );
      }
    }
    for (const n of nodes.list()) wake(n.name);
  };
  const unsubscribe = o.config.subscribe(onConfig);

  const stopped = new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });

  // Pools are rebuilt from running pods: reconciling before the pod cache is complete would
  // treat every not-yet-listed pod's address as free.
  const synced = await waitUntil(() => nodes.synced() && podReflector.synced() && claimReflector.synced() && o.config.synced(), 50, o.clock, signal);
  let resync: Promise<void> | undefined;
  if (synced) {
    ready = true;
    log.info('caches synced; reconciling', { nodes: nodes.list().length, pods: pods.size });
    onConfig(o.config.current());
    if (o.ec2ResyncPeriodMs > 0) {
      resync = runEc2Resync({ reconciler, ec2: o.ec2, periodMs: o.ec2ResyncPeriodMs, jitter: RESYNC_JITTER, clock: o.clock, log, metrics: o.metrics }, signal);
    }
    await stopped;
  }
  ready = false;
  unsubscribe();
  await queue.stop();
  await resync;
  // EC2 calls and writes already on their way are let finish (bounded) before the caller gives the
  // Lease up, so a new leader never acts while one of ours can still land (docs/controller.md).
  const drained = await reconciler.drain(o.timings.drainMs);
  if (!drained) log.warn('EC2 calls or writes were still in flight when the drain time ran out', { inFlight: reconciler.inFlight, drainMs: o.timings.drainMs });
  await Promise.all([nodes.stop(), podReflector.stop(), claimReflector.stop()]);
  o.metrics.collectPools(undefined);
  log.info('ipam controller stopped', { managedNodes: reconciler.managedNodes().length });
}

/** True once `check` holds; false if `signal` aborts first. */
async function waitUntil(check: () => boolean, intervalMs: number, clock: Clock, signal: AbortSignal): Promise<boolean> {
  while (!signal.aborted) {
    if (check()) return true;
    await clock.sleep(intervalMs, signal);
  }
  return false;
}
