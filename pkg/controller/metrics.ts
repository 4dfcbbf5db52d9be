/**
 * @module
 * The controller's Prometheus metrics, declared once: per-node pool gauges, EC2 calls and errors
 * by action, pod creation-to-annotation latency, queue depth and reconcile outcomes. Built on a
 * registry the composition root creates; this module only names and feeds the series.
 */
import type { Ec2Error } from '../core/ec2/errors.ts';
import type { PoolGauges } from '../core/ipam/types.ts';
import type { Compaction } from '../support/idle-compactor.ts';
import { LATENCY_BUCKETS_SECONDS, type MetricsRegistry } from '../support/metrics-registry.ts';
import type { NodeMetrics } from './ports.ts';
import type { RunResult } from './work-queue.ts';

export interface ControllerMetrics extends NodeMetrics {
  ec2Call(action: string, durationMs: number, error?: Ec2Error): void;
  queueDepth(depth: number): void;
  reconciled(result: RunResult, durationMs: number): void;
  leader(isLeader: boolean): void;
  ipamEnabled(enabled: boolean): void;
  /** One periodic pass reading every managed ENI took this long. */
  resyncPass(durationMs: number): void;
  /** One Kubernetes API request sent (watches excluded). */
  kubeRequest(method: string): void;
  /**
   * Where the per-node pool series come from, read at each scrape (counting is not free, and a burst runs
   * each node once per pod event); undefined when no reconciler runs.
   */
  collectPools(source: (() => Iterable<readonly [string, PoolGauges]>) | undefined): void;
  /** The idle compactor collected (pkg/support/idle-compactor.ts). */
  heapCompacted(c: Compaction): void;
}

const POD_LATENCY_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120, 300];

export function createControllerMetrics(r: MetricsRegistry): ControllerMetrics {
  const addresses = r.gauge({ name: 'winprefix_node_addresses', help: 'Pod addresses on a managed node by state (used, free, cooling)', labelNames: ['node', 'state'] });
  const prefixes = r.gauge({ name: 'winprefix_node_prefixes_attached', help: '/28 prefixes attached to the node primary ENI', labelNames: ['node'] });
  const secondaries = r.gauge({ name: 'winprefix_node_secondary_ips_attached', help: 'Secondary IPs attached to the node primary ENI', labelNames: ['node'] });
  const capacity = r.gauge({ name: 'winprefix_node_capacity', help: 'Pod addresses the node can hold: nominal for its mode, and deliverable (advertised)', labelNames: ['node', 'kind'] });
  const pendingEc2 = r.gauge({ name: 'winprefix_node_pending_ec2_requests', help: 'EC2 requests in flight for the node', labelNames: ['node'] });
  const ec2Calls = r.counter({ name: 'winprefix_ec2_calls_total', help: 'EC2 API calls by action (after SDK retries)', labelNames: ['action'] });
  const ec2Errors = r.counter({ name: 'winprefix_ec2_errors_total', help: 'Failed EC2 API calls by action and error kind', labelNames: ['action', 'kind'] });
  const ec2Latency = r.histogram({ name: 'winprefix_ec2_call_duration_seconds', help: 'EC2 API call duration by action', labelNames: ['action'], buckets: LATENCY_BUCKETS_SECONDS });
  const podDuration = r.histogram({ name: 'winprefix_pod_annotation_duration_seconds', help: 'Time from the controller first seeing a pod to its IP annotation patch being acknowledged (the controller\'s own share of the latency)', buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
  const podLatency = r.histogram({ name: 'winprefix_pod_annotation_latency_seconds', help: 'Time from pod creation (metadata.creationTimestamp, 1 s resolution) to its IP annotation', buckets: POD_LATENCY_BUCKETS });
  const failures = r.counter({ name: 'winprefix_allocation_failures_total', help: 'Address assignments that had to wait, by reason', labelNames: ['reason'] });
  const depth = r.gauge({ name: 'winprefix_queue_depth', help: 'Nodes waiting for a reconcile' });
  const runs = r.counter({ name: 'winprefix_reconcile_total', help: 'Node reconciles by result', labelNames: ['result'] });
  const runLatency = r.histogram({ name: 'winprefix_reconcile_duration_seconds', help: 'Node reconcile duration', buckets: LATENCY_BUCKETS_SECONDS });
  const leader = r.gauge({ name: 'winprefix_leader', help: '1 when this replica leads and runs the reconcilers' });
  const enabled = r.gauge({ name: 'winprefix_windows_ipam_enabled', help: '1 when the ConfigMap enables Windows IPAM' });
  const kubeRequests = r.counter({ name: 'winprefix_kube_requests_total', help: 'Kubernetes API requests the controller sent (watches excluded), by HTTP method', labelNames: ['method'] });
  for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) kubeRequests.inc({ method }, 0);
  const quarantined = r.gauge({ name: 'winprefix_quarantined_addresses', help: 'Running pods on the node whose address left its ENI (never handed out again while they run)', labelNames: ['node'] });
  const resyncs = r.counter({ name: 'winprefix_ec2_resyncs_total', help: 'Re-reads of a node ENI planned, by trigger (ec2-error, contradiction)', labelNames: ['trigger'] });
  const contradictions = r.counter({ name: 'winprefix_ec2_contradictions_total', help: 'EC2 answers that contradicted a pool, by kind', labelNames: ['kind'] });
  const resyncPasses = r.histogram({ name: 'winprefix_ec2_resync_pass_duration_seconds', help: 'Duration of one periodic pass reading every managed ENI', buckets: LATENCY_BUCKETS_SECONDS });
  const compactions = r.counter({ name: 'winprefix_heap_compactions_total', help: 'Compacting collections the controller ran while idle, by reason (settle: after start-up; growth: RSS grew)', labelNames: ['reason'] });
  const compactionPauses = r.counter({ name: 'winprefix_heap_compaction_pause_seconds_total', help: 'Time the event loop stood still for those collections' });
  // nodejs_heap_size_used_bytes also counts garbage not yet collected, which moves it by megabytes from one
  // scrape to the next; right after a compacting collection the heap holds live objects only.
  // Absent until a compaction ran (never, without gc()): a 0 would read as an empty heap.
  const liveHeap = r.gauge({ name: 'winprefix_heap_live_bytes', help: 'JavaScript heap in use right after the last compacting collection: what the controller retains (unset until one ran; needs --expose-gc)', absentUntilSet: true });
  for (const reason of ['settle', 'growth']) compactions.inc({ reason }, 0);
  compactionPauses.inc({}, 0);
  for (const trigger of ['ec2-error', 'contradiction']) resyncs.inc({ trigger }, 0);
  for (const kind of ['missing-from-read', 'unexpected-on-eni', 'held-elsewhere', 'granted-elsewhere']) contradictions.inc({ kind }, 0);
  for (const result of ['success', 'requeue-after', 'error']) runs.inc({ result }, 0);
  leader.set({}, 0);
  depth.set({}, 0);

  let poolSource: (() => Iterable<readonly [string, PoolGauges]>) | undefined;
  const metrics: ControllerMetrics = {
    collectPools(source) {
      poolSource = source;
    },
    pool(node, s: PoolGauges) {
      addresses.set({ node, state: 'used' }, s.counts.used);
      addresses.set({ node, state: 'free' }, s.counts.free);
      addresses.set({ node, state: 'cooling' }, s.counts.cooling);
      prefixes.set({ node }, s.prefixes);
      secondaries.set({ node }, s.secondaryIps);
      capacity.set({ node, kind: 'nominal' }, s.capacity.nominal);
      capacity.set({ node, kind: 'deliverable' }, s.capacity.deliverable);
      pendingEc2.set({ node }, s.pending.assignPrefixes + s.pending.assignSecondaryIps + s.pending.unassignPrefixes + s.pending.unassignSecondaryIps + (s.pending.resync ? 1 : 0));
    },
    forgetNode(node) {
      for (const state of ['used', 'free', 'cooling']) addresses.remove({ node, state });
      prefixes.remove({ node });
      secondaries.remove({ node });
      capacity.remove({ node, kind: 'nominal' });
      capacity.remove({ node, kind: 'deliverable' });
      pendingEc2.remove({ node });
      quarantined.remove({ node });
    },
    quarantined: (node, n) => quarantined.set({ node }, n),
    resync: (trigger) => resyncs.inc({ trigger }),
    contradiction: (kind) => contradictions.inc({ kind }),
    resyncPass: (ms) => resyncPasses.observe({}, ms / 1000),
    kubeRequest: (method) => kubeRequests.inc({ method }),
    annotationLatency: (seconds) => podLatency.observe({}, seconds),
    annotationDuration: (seconds) => podDuration.observe({}, seconds),
    allocationFailure: (reason) => failures.inc({ reason }),
    ec2Call(action, durationMs, error) {
      ec2Calls.inc({ action });
      ec2Latency.observe({ action }, durationMs / 1000);
      if (error) ec2Errors.inc({ action, kind: error.kind });
    },
    queueDepth: (n) => depth.set({}, n),
    reconciled(result, durationMs) {
      runs.inc({ result });
      runLatency.observe({}, durationMs / 1000);
    },
    leader: (v) => leader.set({}, v ? 1 : 0),
    ipamEnabled: (v) => enabled.set({}, v ? 1 : 0),
    heapCompacted(c) {
      compactions.inc({ reason: c.reason });
      compactionPauses.inc({}, c.pauseMs / 1000);
      liveHeap.set({}, c.heapUsedAfter);
    },
  };
  r.beforeRender(() => {
    if (poolSource) for (const [node, gauges] of poolSource()) metrics.pool(node, gauges);
  });
  return metrics;
}
