/**
 * @module
 * The node reconciler: gathers one node's inputs, lets the pure planner decide
 * (pkg/core/planner/node-run.ts), and carries the intents out. Run by the keyed queue with the node
 * name as key, so one node's runs are serial and nodes proceed in parallel.
 *
 * Nothing a run starts is awaited by the run: EC2 calls, annotation patches, the capacity write and
 * the status annotation go out and their answers are parked on the node, which is woken to feed them
 * to the next run. So a slow AssignPrivateIpAddresses or a patch round trip never holds up the next
 * pod on the node (docs/design.md, "One node run").
 */
import { EventReasons } from '../core/contract.ts';
import { isEc2Error } from '../core/ec2/errors.ts';
import { resolveNodeConfig } from '../core/ipam/config.ts';
import { parseAddresses } from '../core/ipam/pool.ts';
import type { Ec2Result, EniAddresses, PodAddress, PoolGauges, RestoreReport } from '../core/ipam/types.ts';
import type { AddressClaims } from '../core/decisions/address-claims.ts';
import { decideEligibility, unsupportedInstance, type NodeEligibility } from '../core/decisions/node-eligibility.ts';
import { decideStatusWrite, type StatusMemory } from '../core/decisions/status-throttle.ts';
import { newNodeMemory, type ManagedNodeMemory } from '../core/planner/node-memory.ts';
import { describeRequest, planNodeRun, type NodeRunPlan, type PatchResult } from '../core/planner/node-run.ts';
import { encodeNodeStatus, nodeStatusChangeKey, nodeStatusFromSnapshot, recordedClaimant, unmanagedNodeStatus, type NodeStatus } from '../core/status/node-status.ts';
import type { NodeView } from '../core/views/node-view.ts';
import type { Clock } from '../support/clock.ts';
import type { Logger } from '../support/log.ts';
import { performEc2Request } from './ec2-work.ts';
import { isNotLeading, type WriteFence } from './fenced-writes.ts';
import { instanceUnreadableMessage, loadInstance, restorePool } from './node-load.ts';
import type { ClusterConfigView, EventSink, NodeEc2Port, NodeMetrics, NodeReads, NodeWrites, Timings } from './ports.ts';
import type { ReconcileOutcome } from './work-queue.ts';

export interface NodeReconcilerDeps {
  reads: NodeReads;
  writes: NodeWrites;
  ec2: NodeEc2Port;
  events: EventSink;
  metrics: NodeMetrics;
  clock: Clock;
  log: Logger;
  timings: Timings;
  /** Who carries which address across the cluster; reservations are recorded here as they are made. */
  claims: AddressClaims;
  /** Refuses writes once this replica may no longer lead (see fenced-writes.ts). */
  fence: WriteFence;
  /** Asks the queue to run this node again (answers arrived). */
  wake(nodeName: string): void;
}

/** Answers waiting for the node's next run. */
interface Inbox {
  ec2: Ec2Result[];
  patches: PatchResult[];
  capacity: { value: number; ok: boolean } | undefined;
  observation: { eni: EniAddresses; epoch: number } | undefined;
  restored: RestoreReport | undefined;
}

interface ManagedNode {
  /** Distinguishes a rebuilt pool: answers meant for an older one are dropped. */
  generation: number;
  memory: ManagedNodeMemory;
  inbox: Inbox;
}

interface NodeEntry {
  /** The Node object this entry was built for: a node re-created under the same name starts afresh. */
  uid: string;
  status: StatusMemory;
  statusInFlight: boolean;
  /**
   * When a changed status may next be written (the interval since the last write). Until then a run does
   * not build the status again: in a burst every run changes it, and building it was a third of a run.
   */
  statusDueAt: number | undefined;
  managed: ManagedNode | undefined;
  /** Dedupes the event of an unmanaged node: one per distinct reason. */
  lastEventKey: string | undefined;
  unsupported: { instanceId: string; decision: Extract<NodeEligibility, { kind: 'unmanaged' }>; retryAt: number } | undefined;
}

/** What the periodic EC2 read needs to know about a managed node. */
export interface ResyncTarget {
  node: string;
  instanceId: string;
  eniId: string;
  /** The pool's mutation epoch now, when the read is about to be sent. */
  epoch: number;
}

export class NodeReconciler {
  readonly #d: NodeReconcilerDeps;
  readonly #entries = new Map<string, NodeEntry>();
  readonly #inFlight = new Set<Promise<unknown>>();
  #generation = 0;

  constructor(deps: NodeReconcilerDeps) {
    this.#d = deps;
  }

  /** Names of the nodes with a pool, for tests and metrics. */
  managedNodes(): string[] {
    return [...this.#entries].filter(([, e]) => e.managed).map(([n]) => n);
  }

  /** Each managed node's pool counts as they are now, for the metrics at scrape time. */
  *poolGauges(): Iterable<readonly [string, PoolGauges]> {
    const now = this.#d.clock.now();
    for (const [node, e] of this.#entries) {
      const pool = e.managed?.memory.pool;
      if (pool) yield [node, pool.gauges(now)] as const;
    }
  }

  /** The managed nodes' instances and pool epochs, for a batched read of their ENIs. */
  resyncTargets(): ResyncTarget[] {
    const out: ResyncTarget[] = [];
    for (const [node, e] of this.#entries) {
      const m = e.managed?.memory;
      if (m) out.push({ node, instanceId: m.instance.instanceId, eniId: m.instance.eniId, epoch: m.pool.mutationEpoch });
    }
    return out;
  }

  /** A periodic read of a node's ENI arrived: it is fed to the node's next run. */
  observe(node: string, eni: EniAddresses, epoch: number): void {
    const managed = this.#entries.get(node)?.managed;
    if (!managed) return;
    managed.inbox.observation = { eni, epoch };
    this.#d.wake(node);
  }

  /** Resolves once every EC2 call and write started so far has answered, or after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = this.#d.clock.monotonic() + timeoutMs;
    while (this.#inFlight.size > 0) {
      const left = deadline - this.#d.clock.monotonic();
      if (left <= 0) return false;
      await Promise.race([Promise.allSettled([...this.#inFlight]), this.#d.clock.sleep(left)]);
    }
    return true;
  }

  /** EC2 calls and writes in flight, for tests and shutdown. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  async reconcile(name: string): Promise<ReconcileOutcome> {
    const { reads, clock } = this.#d;
    const node = reads.node(name);
    if (!node) {
      this.#drop(name, 'node deleted');
      return {};
    }
    const cluster = reads.cluster();
    const decision = decideEligibility({
      node,
      ipamEnabled: cluster.config.ipamEnabled,
      configMapRef: cluster.ref,
      // The notice event expires (1 h by default); the refusal recorded on the node does not, so a node
      // another controller runs is never taken over just because its notice aged out.
      foreignController: reads.foreignController(name) ?? recordedClaimant(node.statusAnnotation),
    });
    if (decision.kind === 'ignore') {
      this.#drop(name, decision.why);
      return {};
    }
    const entry = this.#entry(node);
    if (decision.kind === 'unmanaged') return this.#unmanaged(node, entry, decision, undefined);

    const blocked = entry.unsupported;
    if (blocked && blocked.instanceId === decision.instanceId && clock.now() < blocked.retryAt) {
      return this.#unmanaged(node, entry, blocked.decision, blocked.retryAt - clock.now());
    }
    if (!entry.managed || entry.managed.memory.instance.instanceId !== decision.instanceId) {
      const loaded = await loadInstance(this.#d.ec2, decision.instanceId).catch((err: unknown) => {
        // The queue retries with backoff; without an event the node would just never get capacity,
        // and its pods would only say "Insufficient vpc.amazonaws.com/PrivateIPv4Address".
        if (isEc2Error(err)) this.#emit({ kind: 'Node', name: node.name, uid: node.uid }, { type: 'Warning', reason: EventReasons.instanceUnreadable, message: instanceUnreadableMessage(decision.instanceId, err) });
        throw err;
      });
      if (!loaded.ok) {
        const d = unsupportedInstance(loaded.instanceType, loaded.detail);
        entry.unsupported = { instanceId: decision.instanceId, decision: d, retryAt: clock.now() + this.#d.timings.unsupportedRetryMs };
        return this.#unmanaged(node, entry, d, this.#d.timings.unsupportedRetryMs);
      }
      entry.unsupported = undefined;
      // The node may have gone or changed while EC2 answered: look again with fresh inputs.
      const again = reads.node(name);
      if (!again || again.uid !== node.uid) return { requeueAfterMs: 1 };
      this.#adopt(node, entry, loaded.instance, cluster);
    }
    return this.#drive(node, entry, entry.managed!, cluster);
  }

  #entry(node: NodeView): NodeEntry {
    let entry = this.#entries.get(node.name);
    if (entry && entry.uid !== node.uid) {
      // Deleted and re-created while we were not watching: its capacity and status are gone.
      this.#drop(node.name, 'node re-created');
      entry = undefined;
    }
    if (!entry) {
      // After a restart, what is published counts as written now: an unchanged status is not rewritten.
      entry = {
        uid: node.uid,
        status: { key: undefined, at: this.#d.clock.now(), text: node.statusAnnotation },
        statusInFlight: false,
        statusDueAt: undefined,
        managed: undefined,
        lastEventKey: undefined,
        unsupported: undefined,
      };
      this.#entries.set(node.name, entry);
    }
    return entry;
  }

  #drop(name: string, why: string): void {
    const entry = this.#entries.get(name);
    if (!entry) return;
    if (entry.managed) {
      this.#d.log.info('node no longer managed', { node: name, why });
      for (const uid of entry.managed.memory.patching.keys()) this.#d.claims.dropReservation(uid);
    }
    this.#entries.delete(name);
    this.#d.metrics.forgetNode(name);
  }

  /** Builds the pool from EC2 and the running pods: after a restart, a new leader, or IPAM re-enabled. */
  #adopt(node: NodeView, entry: NodeEntry, instance: Awaited<ReturnType<typeof loadInstance>> & { ok: true } extends { instance: infer I } ? I : never, cluster: ClusterConfigView): void {
    const now = this.#d.clock.now();
    const running: PodAddress[] = [];
    for (const p of this.#d.reads.podsOn(node.name)) {
      if (p.annotation !== undefined && !p.terminal) running.push({ podUid: p.uid, annotation: p.annotation });
    }
    const { pool, config, report } = restorePool(instance, cluster.config, running, this.#d.timings, now);
    const memory = newNodeMemory(instance, pool, JSON.stringify(config), config.mode, { annotated: running.map((r) => r.podUid), capacity: node.advertisedCapacity });
    if (entry.managed) for (const uid of entry.managed.memory.patching.keys()) this.#d.claims.dropReservation(uid);
    entry.managed = { generation: ++this.#generation, memory, inbox: { ec2: [], patches: [], capacity: undefined, observation: undefined, restored: report } };
    entry.lastEventKey = undefined;
    this.#d.log.info('node managed', {
      node: node.name,
      instanceId: instance.instanceId,
      instanceType: instance.instanceType,
      eni: instance.eniId,
      mode: config.mode,
      prefixes: instance.eni.prefixes.length,
      secondaryIps: instance.eni.secondaryIps.length,
      runningPods: running.length,
    });
  }

  async #drive(node: NodeView, entry: NodeEntry, managed: ManagedNode, cluster: ClusterConfigView): Promise<ReconcileOutcome> {
    const { clock, claims } = this.#d;
    // A replica whose Lease may have lapsed plans nothing: whatever it decided could not be written, and
    // deciding again on every answer would spin until the leader election notices.
    if (!this.#d.fence.allowed()) return {};
    const m = managed.memory;
    const now = clock.now();
    const inbox = managed.inbox;
    managed.inbox = { ec2: [], patches: [], capacity: undefined, observation: undefined, restored: undefined };
    const plan = planNodeRun(m, {
      now,
      node: { name: node.name, uid: node.uid },
      pods: this.#d.reads.podsOn(node.name),
      config: resolveNodeConfig(cluster.config, m.instance.shape),
      ec2Results: inbox.ec2,
      patchResults: inbox.patches,
      ...(inbox.capacity ? { capacityResult: inbox.capacity } : {}),
      ...(inbox.observation ? { observation: inbox.observation } : {}),
      ...(inbox.restored ? { restored: inbox.restored } : {}),
      heldElsewhere: (ip) => claims.heldElsewhere(ip, node.name),
    });
    // Recorded before anything is awaited, so no other node's run can hand out these addresses.
    for (const uid of plan.released) claims.dropReservation(uid);
    for (const p of plan.patches) claims.reserve(p.ip, { uid: p.pod.uid, nodeName: node.name, namespace: p.pod.namespace, name: p.pod.name });
    this.#apply(node, managed, plan);

    const statusRetry = this.#statusWaits(node, entry, now) ?? this.#publish(node, entry, () => this.#managedStatus(m, now), now);
    const requeue = minDefined(plan.requeueAfterMs, statusRetry);
    return requeue === undefined ? {} : { requeueAfterMs: Math.max(1, requeue) };
  }

  #apply(node: NodeView, managed: ManagedNode, plan: NodeRunPlan): void {
    const { log, metrics } = this.#d;
    const m = managed.memory;
    if (plan.patches.length + plan.ec2.length + plan.released.length > 0) {
      log.debug('node run', { node: node.name, patches: plan.patches.length, ec2: plan.ec2.length, released: plan.released.length, requeueAfterMs: plan.requeueAfterMs ?? null });
    }
    for (const l of plan.logs) log[l.level](l.message, l.fields);
    for (const e of plan.events) this.#emit(e.regarding, e.note);
    for (const reason of plan.metrics.allocationFailures) metrics.allocationFailure(reason);
    for (const s of plan.metrics.annotationLatencySeconds) metrics.annotationLatency(s);
    for (const s of plan.metrics.annotationDurationSeconds) metrics.annotationDuration(s);
    for (const t of plan.metrics.resyncs) metrics.resync(t);
    for (const k of plan.metrics.contradictions) metrics.contradiction(k);
    if (plan.granted.length > 0) this.#contradictOthers(node.name, plan.granted);
    metrics.quarantined(node.name, m.pool.quarantined().length);

    const deliver = (fill: (inbox: Inbox) => void) => {
      // A pool rebuilt or dropped meanwhile must not receive an old pool's answers.
      if (this.#entries.get(node.name)?.managed?.generation !== managed.generation) return;
      fill(managed.inbox);
      this.#d.wake(node.name);
    };
    for (const request of plan.ec2) {
      if (!this.#d.fence.allowed()) break;
      log.debug('EC2 request', { node: node.name, request: describeRequest(request) });
      this.#track(performEc2Request(this.#d.ec2, m.instance.eniId, request).then((result) => deliver((b) => b.ec2.push(result))));
    }
    for (const p of plan.patches) {
      this.#track(
        this.#d.writes.annotatePod(p.pod, p.annotation).then(
          (outcome) => deliver((b) => b.patches.push({ podUid: p.pod.uid, outcome: outcome === 'patched' ? 'patched' : outcome === 'gone' ? 'gone' : 'refused' })),
          (err: unknown) => {
            if (isNotLeading(err)) log.debug('annotation not sent: this replica no longer leads', { node: node.name, pod: `${p.pod.namespace}/${p.pod.name}` });
            deliver((b) => b.patches.push({ podUid: p.pod.uid, outcome: isNotLeading(err) ? 'fenced' : 'failed', message: (err as Error)?.message ?? String(err) }));
          },
        ),
      );
    }
    if (plan.capacity !== undefined) {
      const value = plan.capacity;
      this.#track(
        this.#d.writes.setCapacity(node.name, value).then(
          () => deliver((b) => (b.capacity = { value, ok: true })),
          (err: unknown) => {
            if (!isNotLeading(err)) log.warn('advertising capacity failed; will retry', { node: node.name, capacity: value, error: err });
            deliver((b) => (b.capacity = { value, ok: false }));
          },
        ),
      );
    }
  }

  /** EC2 gave `node` these addresses: any other pool that believes it holds one is wrong, and re-reads. */
  #contradictOthers(node: string, granted: readonly string[]): void {
    const addresses = parseAddresses(granted);
    for (const [other, e] of this.#entries) {
      const m = e.managed?.memory;
      if (other === node || !m) continue;
      const held = m.pool.heldOf(addresses);
      if (held.length === 0) continue;
      const suspect = m.pool.suspect(held);
      this.#d.metrics.contradiction('granted-elsewhere');
      this.#d.log.warn('EC2 gave another node addresses this node\'s pool holds; out of use here until its ENI is re-read', { node: other, grantedTo: node, addresses: suspect });
      this.#d.wake(other);
    }
  }

  async #unmanaged(node: NodeView, entry: NodeEntry, decision: Extract<NodeEligibility, { kind: 'unmanaged' }>, requeueMs: number | undefined): Promise<ReconcileOutcome> {
    const now = this.#d.clock.now();
    if (entry.managed) {
      this.#d.log.info('node no longer managed', { node: node.name, why: decision.reason });
      for (const uid of entry.managed.memory.patching.keys()) this.#d.claims.dropReservation(uid);
      entry.managed = undefined;
      this.#d.metrics.forgetNode(node.name);
    }
    // IPAM switched off: stop advertising what nobody hands out. Addresses stay on the ENI with their pods.
    if (decision.cause === 'ipam-disabled' && node.advertisedCapacity !== undefined) {
      await this.#d.writes.setCapacity(node.name, null);
      this.#d.log.info('capacity withdrawn', { node: node.name, why: decision.reason });
    }
    if (decision.event) {
      const key = `${decision.event.reason}\n${decision.event.message}`;
      if (entry.lastEventKey !== key) {
        entry.lastEventKey = key;
        this.#emit({ kind: 'Node', name: node.name, uid: node.uid }, decision.event);
        this.#d.log.warn('node not managed', { node: node.name, reason: decision.reason });
      }
    }
    const statusRetry = this.#publish(node, entry, () => unmanagedNodeStatus(decision.reason, new Date(now), decision.claimant ? { claimedBy: decision.claimant } : {}), now);
    const requeue = minDefined(statusRetry, requeueMs);
    return requeue === undefined ? {} : { requeueAfterMs: requeue };
  }

  #managedStatus(m: ManagedNodeMemory, now: number): NodeStatus {
    const snapshot = m.pool.snapshot(now);
    return nodeStatusFromSnapshot(snapshot, m.capacity ?? snapshot.capacity.deliverable, new Date(now));
  }

  /** How long until a status already known to have changed may be written; undefined when it may be now. */
  #statusWaits(node: NodeView, entry: NodeEntry, now: number): number | undefined {
    if (entry.statusDueAt === undefined || now >= entry.statusDueAt) return undefined;
    // Edited by hand meanwhile: look now (the throttle decides).
    if (node.statusAnnotation !== entry.status.text) return undefined;
    return entry.statusDueAt - now;
  }

  /**
   * Writes the status annotation when its content changed (at most once per interval) or when the
   * node shows something else than we last wrote (edited by hand). Returns when to look again.
   * `statusOf` is called only when a write could follow: under a burst a node runs many times while one
   * status write is in flight, and building the pool's snapshot for each of those runs was 8 % of the
   * controller's CPU in a 500-pod burst.
   */
  #publish(node: NodeView, entry: NodeEntry, statusOf: () => NodeStatus, now: number): number | undefined {
    // The write's end wakes the node, which looks again then.
    if (entry.statusInFlight) return undefined;
    const status = statusOf();
    const key = nodeStatusChangeKey(status);
    const decision = decideStatusWrite(entry.status, { key, current: node.statusAnnotation }, now, this.#d.timings.statusIntervalMs);
    entry.statusDueAt = !decision.write && decision.retryInMs !== undefined ? now + decision.retryInMs : undefined;
    if (!decision.write) return decision.retryInMs;
    const text = encodeNodeStatus(status);
    entry.statusInFlight = true;
    const uid = entry.uid;
    this.#track(
      this.#d.writes.setStatusAnnotation(node.name, text).then(
        () => {
          entry.status = { key, at: this.#d.clock.now(), text };
        },
        (err: unknown) => {
          if (!isNotLeading(err)) this.#d.log.warn('writing the node status failed; will retry', { node: node.name, error: err });
        },
      ).finally(() => {
        entry.statusInFlight = false;
        if (this.#entries.get(node.name)?.uid === uid && decision.write) this.#d.wake(node.name);
      }),
    );
    return undefined;
  }

  #emit(regarding: Parameters<EventSink['emit']>[0], note: Parameters<EventSink['emit']>[1]): void {
    // Events are writes too: a replica that may no longer lead says nothing (the new leader will).
    if (this.#d.fence.allowed()) this.#d.events.emit(regarding, note);
  }

  #track(p: Promise<unknown>): void {
    const tracked = p.catch((err: unknown) => this.#d.log.error('background write failed unexpectedly', { error: err }));
    this.#inFlight.add(tracked);
    void tracked.finally(() => this.#inFlight.delete(tracked));
  }
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}
