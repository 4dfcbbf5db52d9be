/**
 * @module
 * The node reconciler: everything IPAM does for one node, run by the keyed queue with the node name
 * as key, so one node's work is serial and nodes proceed in parallel. Each run is level-based:
 * it reads the node, its pods and the cluster config from the caches, decides, and applies.
 *
 * The pool is only touched inside a run. EC2 work the pool asks for runs outside the run (a slow
 * AssignPrivateIpAddresses must not hold up pods that can be served from warm addresses); its
 * result is parked on the node and the node is woken to feed it back to the pool.
 */
import { EventReasons, RESOURCE_NAME } from '../core/contract.ts';
import { isEc2Error } from '../core/ec2/errors.ts';
import { resolveNodeConfig } from '../core/ipam/config.ts';
import type { NodePool } from '../core/ipam/pool.ts';
import type { Ec2Outcome, Ec2Request, Mode, PodAddress, RestoreReport, ResyncReport } from '../core/ipam/types.ts';
import { ipAnnotation, isTerminal, requestsIpResource, type PodView } from '../core/views/pod-view.ts';
import type { Logger } from '../support/log.ts';
import { decodeNodeStatus, encodeNodeStatus, nodeStatusChangeKey, nodeStatusFromSnapshot, recordedClaimant, unmanagedNodeStatus, type NodeStatus } from '../core/status/node-status.ts';
import type { Clock } from '../support/clock.ts';
import { describeRequest, performEc2Request } from './ec2-work.ts';
import { NotLeadingError } from './fenced-writes.ts';
import { decideEligibility, unsupportedInstance, type NodeEligibility } from '../core/decisions/node-eligibility.ts';
import { instanceUnreadableMessage, loadInstance, restorePool, type LoadedInstance } from './node-load.ts';
import type { NodeView } from '../core/views/node-view.ts';
import { planPods, type PodFacts } from '../core/decisions/pod-plan.ts';
import type { ClusterConfigView, EventSink, NodeEc2Port, NodeMetrics, NodeReads, NodeWrites, Timings } from './ports.ts';
import { decideStatusWrite, type StatusMemory } from '../core/decisions/status-throttle.ts';
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
  /** Asks the queue to run this node again (EC2 results arrived). */
  wake(nodeName: string): void;
}

/** Annotation patches of one run go out in parallel, this many at a time. */
const PATCH_PARALLELISM = 8;
/** A failed annotation patch is retried this soon. */
const PATCH_RETRY_MS = 1_000;
/** A pod waiting this long for addresses being created is told why (shorter waits are normal in a burst). */
const TRANSIENT_WAIT_MS = 1_000;

interface ManagedNode {
  generation: number;
  instance: LoadedInstance;
  pool: NodePool;
  configKey: string;
  mode: Mode;
  /** EC2 results waiting to be fed back to the pool. */
  completions: Array<{ request: Ec2Request; outcome: Ec2Outcome }>;
  /** Pods whose annotation this process wrote (the cache may lag). */
  annotated: Set<string>;
  /** Each waiting pod's current failure reason, since when, and whether the pod was told. */
  failureShown: Map<string, { reason: string; since: number; shown: boolean }>;
  /** Capacity as last written (or found) on the node. */
  advertised: number | undefined;
  /** An InsufficientCidrBlocks event was emitted and no prefix has been created since. */
  cidrEventShown: boolean;
}

interface NodeEntry {
  /** The Node object this entry was built for: a node re-created under the same name starts afresh. */
  uid: string;
  status: StatusMemory;
  managed: ManagedNode | undefined;
  /** Dedupes the event of an unmanaged node: one per distinct reason. */
  lastEventKey: string | undefined;
  unsupported: { instanceId: string; decision: Extract<NodeEligibility, { kind: 'unmanaged' }>; retryAt: number } | undefined;
}

export class NodeReconciler {
  readonly #d: NodeReconcilerDeps;
  readonly #entries = new Map<string, NodeEntry>();
  #generation = 0;

  constructor(deps: NodeReconcilerDeps) {
    this.#d = deps;
  }

  /** Names of the nodes with a pool, for tests and metrics. */
  managedNodes(): string[] {
    return [...this.#entries].filter(([, e]) => e.managed).map(([n]) => n);
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
    if (!entry.managed || entry.managed.instance.instanceId !== decision.instanceId) {
      const loaded = await loadInstance(this.#d.ec2, decision.instanceId).catch((err: unknown) => {
        // The queue retries with backoff; without an event the node would just never get capacity,
        // and its pods would only say "Insufficient vpc.amazonaws.com/PrivateIPv4Address".
        if (isEc2Error(err)) this.#d.events.emit(nodeRef(node), { type: 'Warning', reason: EventReasons.instanceUnreadable, message: instanceUnreadableMessage(decision.instanceId, err) });
        throw err;
      });
      if (!loaded.ok) {
        const d = unsupportedInstance(loaded.instanceType, loaded.detail);
        entry.unsupported = { instanceId: decision.instanceId, decision: d, retryAt: clock.now() + this.#d.timings.unsupportedRetryMs };
        return this.#unmanaged(node, entry, d, this.#d.timings.unsupportedRetryMs);
      }
      entry.unsupported = undefined;
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
      // After a restart, remember what is already published so an unchanged status is not rewritten.
      const published = decodeNodeStatus(node.statusAnnotation);
      const key = published?.ok ? nodeStatusChangeKey(published.status) : undefined;
      entry = { uid: node.uid, status: { key, at: 0 }, managed: undefined, lastEventKey: undefined, unsupported: undefined };
      this.#entries.set(node.name, entry);
    }
    return entry;
  }

  #drop(name: string, why: string): void {
    const entry = this.#entries.get(name);
    if (!entry) return;
    if (entry.managed) this.#d.log.info('node no longer managed', { node: name, why });
    this.#entries.delete(name);
    this.#d.metrics.forgetNode(name);
  }

  /** Builds the pool from EC2 and the running pods: after a restart, a new leader, or IPAM re-enabled. */
  #adopt(node: NodeView, entry: NodeEntry, instance: LoadedInstance, cluster: ClusterConfigView): void {
    const now = this.#d.clock.now();
    const running: PodAddress[] = [];
    for (const p of this.#d.reads.podsOn(node.name)) {
      const annotation = ipAnnotation(p);
      if (annotation !== undefined && !isTerminal(p)) running.push({ podUid: p.uid, annotation });
    }
    const { pool, config, report } = restorePool(instance, cluster.config, running, this.#d.timings, now);
    entry.managed = {
      generation: ++this.#generation,
      instance,
      pool,
      configKey: JSON.stringify(config),
      mode: config.mode,
      completions: [],
      annotated: new Set(running.map((r) => r.podUid)),
      failureShown: new Map(),
      advertised: node.advertisedCapacity,
      cidrEventShown: false,
    };
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
    this.#reportRestore(node, report);
  }

  async #drive(node: NodeView, entry: NodeEntry, m: ManagedNode, cluster: ClusterConfigView): Promise<ReconcileOutcome> {
    const { clock, writes, metrics } = this.#d;
    const now = clock.now();
    this.#applyCompletions(node, m, now);
    this.#applyConfig(node, m, cluster, now);

    const pods = this.#d.reads.podsOn(node.name);
    const facts = pods.map(toPodFacts);
    const before = m.pool.snapshot(now);
    const assigned = new Set([...before.assignments.map((a) => a.podUid), ...before.vanished.map((v) => v.podUid)]);
    const plan = planPods({ pods: facts, assigned, annotated: m.annotated });
    for (const uid of plan.release) {
      const released = m.pool.release(uid, now);
      m.annotated.delete(uid);
      if (released) this.#d.log.debug('address released', { node: node.name, podUid: uid, ip: released.ip });
    }
    if (plan.unknownAnnotated.length > 0) {
      // Left alone, these addresses would look free to the pool and could go to a second pod.
      const adopted = m.pool.adopt(
        plan.unknownAnnotated.map((p) => ({ podUid: p.uid, annotation: p.annotation ?? '' })),
        now,
      );
      this.#d.log.warn('running pods carry addresses this pool did not hand out; taken into the pool', {
        node: node.name,
        pods: plan.unknownAnnotated.map((p) => `${p.namespace}/${p.name}=${p.annotation}`),
      });
      this.#reportRestore(node, adopted);
    }
    const present = new Set(facts.map((f) => f.uid));
    for (const uid of m.failureShown.keys()) if (!present.has(uid)) m.failureShown.delete(uid);

    let retryIn: number | undefined;
    const patches: Array<{ pod: PodFacts; annotation: string; ip: string; source: string }> = [];
    for (const pod of plan.assign) {
      const r = m.pool.assign(pod.uid, now);
      if (r.ok) {
        patches.push({ pod, annotation: r.annotation, ip: r.ip, source: r.source.kind === 'prefix' ? `prefix ${r.source.prefix}` : 'a secondary IP' });
        continue;
      }
      retryIn = minDefined(retryIn, r.retryAfterMs);
      metrics.allocationFailure(r.reason);
      const prior = m.failureShown.get(pod.uid);
      const since = prior?.reason === r.reason ? prior.since : now;
      const shown = prior?.reason === r.reason && prior.shown;
      // A pod waiting for addresses already being created usually has one within a second: tell it
      // only if it is still waiting after that, so a burst does not write an event per pod.
      const tell = !shown && (r.reason !== 'warm-pool-empty' || now - since >= TRANSIENT_WAIT_MS);
      m.failureShown.set(pod.uid, { reason: r.reason, since, shown: shown || tell });
      if (tell) {
        this.#d.events.emit(podRef(pod), {
          type: 'Warning',
          reason: EventReasons.resourceAllocationFailed,
          message: `No ${RESOURCE_NAME} for this pod yet: ${r.message}`,
        });
      }
      if (r.reason === 'insufficient-cidr-blocks') this.#cidrEvent(node, m, r.message);
    }

    this.#launch(node.name, m, m.pool.plan(now));

    await forEachLimited(patches, PATCH_PARALLELISM, async (p) => {
      try {
        const result = await writes.annotatePod(p.pod, p.annotation);
        if (result === 'patched') {
          m.annotated.add(p.pod.uid);
          m.failureShown.delete(p.pod.uid);
          this.#d.events.emit(podRef(p.pod), {
            type: 'Normal',
            reason: EventReasons.resourceAllocated,
            message: `Allocated Resource ${RESOURCE_NAME}: ${p.annotation} to the pod (from ${p.source} on ${m.instance.eniId})`,
          });
          if (p.pod.createdAt !== undefined) metrics.annotationLatency(Math.max(0, clock.now() - p.pod.createdAt) / 1000);
        } else {
          // The pod is gone or was replaced under the same name: its address goes back (cooling),
          // and the node is looked at again soon in case the cache still shows the old pod.
          m.pool.release(p.pod.uid, clock.now());
          retryIn = minDefined(retryIn, PATCH_RETRY_MS);
          this.#d.log.debug('pod changed before annotation; address returned', { node: node.name, pod: `${p.pod.namespace}/${p.pod.name}`, result });
        }
      } catch (err) {
        // No longer leading: the pool is about to be dropped, nothing to retry or report.
        if (err instanceof NotLeadingError) return;
        // Keep the assignment: assign is idempotent, so the retry writes the same address.
        retryIn = minDefined(retryIn, PATCH_RETRY_MS);
        this.#d.log.warn('annotating pod failed; will retry', { node: node.name, pod: `${p.pod.namespace}/${p.pod.name}`, error: err });
      }
    });

    const advertised = m.pool.advertisedCapacity;
    if (m.advertised !== advertised) {
      await writes.setCapacity(node.name, advertised);
      this.#d.log.info('capacity advertised', { node: node.name, capacity: advertised, previous: m.advertised ?? null });
      m.advertised = advertised;
    }

    const after = clock.now();
    const snapshot = m.pool.snapshot(after);
    metrics.pool(node.name, snapshot);
    const statusRetry = await this.#publish(node.name, entry, nodeStatusFromSnapshot(snapshot, advertised, new Date(after)), after);
    const wakeAt = m.pool.nextWakeAt(after);
    const requeue = minDefined(minDefined(retryIn, statusRetry), wakeAt === undefined ? undefined : wakeAt - after);
    return requeue === undefined ? {} : { requeueAfterMs: Math.max(1, requeue) };
  }

  #applyCompletions(node: NodeView, m: ManagedNode, now: number): void {
    for (const { request, outcome } of m.completions.splice(0)) {
      const report = m.pool.complete(request.id, outcome, now);
      if (outcome.ok) {
        if (request.kind === 'assign-prefixes') m.cidrEventShown = false;
        this.#d.log.debug('EC2 request done', { node: node.name, request: describeRequest(request) });
      } else {
        this.#d.log.warn('EC2 request failed', { node: node.name, request: describeRequest(request), error: outcome.error, message: outcome.message });
        if (outcome.error === 'insufficient-cidr-blocks') {
          this.#cidrEvent(node, m, `the subnet ${m.instance.subnetId} has no free aligned /28 block for a new prefix (${outcome.message})`);
        }
      }
      if (report) this.#reportResync(node, report);
    }
  }

  #applyConfig(node: NodeView, m: ManagedNode, cluster: ClusterConfigView, now: number): void {
    const config = resolveNodeConfig(cluster.config, m.instance.shape);
    const key = JSON.stringify(config);
    if (key === m.configKey) return;
    m.pool.setConfig(config, now);
    m.configKey = key;
    this.#d.log.info('node config applied', { node: node.name, mode: config.mode, warmIPTarget: config.warmIPTarget, minimumIPTarget: config.minimumIPTarget, warmPrefixTarget: config.warmPrefixTarget });
    if (config.mode !== m.mode) {
      const previous = m.mode;
      m.mode = config.mode;
      this.#d.events.emit(nodeRef(node), {
        type: 'Normal',
        reason: EventReasons.modeChanged,
        message: `Windows IPAM on this node switched from ${previous} mode to ${config.mode} mode (${config.modeReason}); addresses of ${previous} mode stay with their pods and go back to EC2 as those pods finish`,
      });
    }
  }

  #launch(name: string, m: ManagedNode, requests: Ec2Request[]): void {
    for (const request of requests) {
      this.#d.log.debug('EC2 request', { node: name, request: describeRequest(request) });
      void performEc2Request(this.#d.ec2, m.instance.eniId, request).then((outcome) => {
        // A pool rebuilt or dropped meanwhile must not receive an old pool's results.
        if (this.#entries.get(name)?.managed?.generation !== m.generation) return;
        m.completions.push({ request, outcome });
        this.#d.wake(name);
      });
    }
  }

  #cidrEvent(node: NodeView, m: ManagedNode, detail: string): void {
    if (m.cidrEventShown) return;
    m.cidrEventShown = true;
    this.#d.events.emit(nodeRef(node), {
      type: 'Warning',
      reason: EventReasons.insufficientCidrBlocks,
      message: `InsufficientCidrBlocks: ${detail}. New pods on this node wait for an address. Free addresses in the subnet, reserve space for prefixes (aws ec2 create-subnet-cidr-reservation --reservation-type prefix), or switch this cluster to secondary-IP mode (enable-windows-prefix-delegation: "false").`,
    });
  }

  async #unmanaged(node: NodeView, entry: NodeEntry, decision: Extract<NodeEligibility, { kind: 'unmanaged' }>, requeueMs: number | undefined): Promise<ReconcileOutcome> {
    const now = this.#d.clock.now();
    if (entry.managed) {
      this.#d.log.info('node no longer managed', { node: node.name, why: decision.reason });
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
        this.#d.events.emit(nodeRef(node), decision.event);
        this.#d.log.warn('node not managed', { node: node.name, reason: decision.reason });
      }
    }
    const statusRetry = await this.#publish(node.name, entry, unmanagedNodeStatus(decision.reason, new Date(now), decision.claimant ? { claimedBy: decision.claimant } : {}), now);
    const requeue = minDefined(statusRetry, requeueMs);
    return requeue === undefined ? {} : { requeueAfterMs: requeue };
  }

  async #publish(name: string, entry: NodeEntry, status: NodeStatus, now: number): Promise<number | undefined> {
    const key = nodeStatusChangeKey(status);
    const decision = decideStatusWrite(entry.status, key, now, this.#d.timings.statusIntervalMs);
    if (!decision.write) return decision.retryInMs;
    await this.#d.writes.setStatusAnnotation(name, encodeNodeStatus(status));
    entry.status = { key, at: now };
    return undefined;
  }

  #reportRestore(node: NodeView, report: RestoreReport): void {
    const byUid = new Map(this.#d.reads.podsOn(node.name).map((p) => [p.uid, p]));
    for (const missing of report.podsWithoutEniAddress) {
      const pod = byUid.get(missing.podUid);
      this.#d.log.warn('running pod holds an address its node ENI does not have', { node: node.name, podUid: missing.podUid, annotation: missing.annotation });
      if (pod) {
        this.#d.events.emit(podRef(pod), {
          type: 'Warning',
          reason: EventReasons.addressVanished,
          message: `The address ${missing.annotation} on this pod is not on node ${node.name}'s ENI in EC2; winprefix will not give it to another pod. Delete the pod so its replacement gets a working address.`,
        });
      }
    }
    for (const dup of report.duplicateAddresses) {
      const pod = byUid.get(dup.podUid);
      this.#d.log.error('two running pods carry the same address', { node: node.name, podUid: dup.podUid, annotation: dup.annotation });
      if (pod) {
        this.#d.events.emit(podRef(pod), {
          type: 'Warning',
          reason: EventReasons.addressVanished,
          message: `Another running pod on node ${node.name} carries the same address ${dup.annotation}; winprefix kept the other one. Delete this pod so its replacement gets its own address.`,
        });
      }
    }
  }

  #reportResync(node: NodeView, report: ResyncReport): void {
    if (report.added.length + report.removed.length > 0) {
      this.#d.log.info('re-synced with EC2', { node: node.name, added: report.added, removed: report.removed });
    }
    if (report.vanishedUnderPods.length > 0) {
      this.#d.log.warn('addresses vanished from the ENI under running pods', { node: node.name, vanished: report.vanishedUnderPods });
      this.#d.events.emit(nodeRef(node), {
        type: 'Warning',
        reason: EventReasons.addressVanished,
        message: `EC2 no longer shows ${report.vanishedUnderPods.map((v) => v.ip).join(', ')} on this node's ENI although running pods use them; they will not be handed out again. Delete those pods so their replacements get working addresses.`,
      });
    }
  }
}

export function toPodFacts(p: PodView): PodFacts {
  const created = p.creationTimestamp === undefined ? Number.NaN : Date.parse(p.creationTimestamp);
  return {
    uid: p.uid,
    namespace: p.namespace,
    name: p.name,
    requestsIp: requestsIpResource(p),
    terminal: isTerminal(p),
    annotation: ipAnnotation(p),
    createdAt: Number.isNaN(created) ? undefined : created,
  };
}

function podRef(p: { namespace: string; name: string; uid: string }) {
  return { kind: 'Pod' as const, namespace: p.namespace, name: p.name, uid: p.uid };
}

function nodeRef(n: NodeView) {
  return { kind: 'Node' as const, name: n.name, uid: n.uid };
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
