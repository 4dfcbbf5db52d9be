/**
 * @module
 * One run of a managed node, decided: the planner takes the node's memory (its pool and
 * bookkeeping), what the caches show now (pods, config), what came back since the last run (EC2
 * results, patch answers, a periodic read of the ENI) and the time, and returns intents: EC2 calls,
 * annotation patches, events, a capacity write, log lines, metric samples and when to run again.
 * It does no I/O and reads no clock (docs/design.md, "One node run"); the applier in
 * pkg/controller carries the intents out and feeds their results into the next run.
 *
 * Reserving an address is an intent committed at once: the pool holds it for the pod while the
 * patch is in flight, so the node is free for its next pod. A patch refused or answered "gone"
 * releases the reservation; one whose fate is unknown keeps it and is sent again (same address).
 */
import { EventReasons, RESOURCE_NAME } from '../contract.ts';
import type { EventNote, ObjectRef } from '../events.ts';
import { planPods, type PodFacts } from '../decisions/pod-plan.ts';
import { parseIPv4 } from '../net/ipv4.ts';
import type { Ec2Request, Ec2Result, EniObservation, NodeIpamConfig, RestoreReport, ResyncReport, ResyncTrigger } from '../ipam/types.ts';
import type { ManagedNodeMemory } from './node-memory.ts';

/** A failed annotation patch whose fate is unknown is sent again this soon. */
export const PATCH_RETRY_MS = 1_000;
/** A pod waiting this long for addresses being created is told why (shorter waits are normal in a burst). */
export const TRANSIENT_WAIT_MS = 1_000;

/**
 * How an annotation patch ended. `patched`: on the pod. `gone`: the pod no longer exists. `refused`:
 * its precondition failed (the pod was replaced under its name, or carries an IP annotation already),
 * so nothing was written. `failed`: unknown (timeout, server error): it may have landed. `fenced`: not
 * sent because this replica may no longer lead.
 */
export type PatchOutcome = 'patched' | 'gone' | 'refused' | 'failed' | 'fenced';

export interface PatchResult {
  podUid: string;
  outcome: PatchOutcome;
  /** The error, for `failed`. */
  message?: string;
}

export interface NodeRunInputs {
  now: number;
  node: { name: string; uid: string };
  /** The pods the cache has bound to this node. */
  pods: readonly PodFacts[];
  /** The node's resolved config (after defaults, precedence and clamping). */
  config: NodeIpamConfig;
  /** EC2 answers since the last run, in the order they came. */
  ec2Results: readonly Ec2Result[];
  patchResults: readonly PatchResult[];
  /** The answer to the capacity write in flight, if it came. */
  capacityResult?: { value: number; ok: boolean };
  /** The latest periodic read of the ENI, if one came. */
  observation?: EniObservation;
  /** Who, on another node, carries `ip` (a pod reference), if anyone: such an address is not handed out here. */
  heldElsewhere: (ip: number) => string | undefined;
  /** What rebuilding the pool found (first run after the pool was built or rebuilt). */
  restored?: RestoreReport;
}

export interface PlannedPatch {
  pod: PodFacts;
  ip: string;
  annotation: string;
}

export interface PlannedEvent {
  regarding: ObjectRef;
  note: EventNote;
}

export interface PlannedLog {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown>;
}

export interface NodeRunPlan {
  ec2: Ec2Request[];
  patches: PlannedPatch[];
  events: PlannedEvent[];
  /** Write this capacity (the previous write, if any, has been answered). */
  capacity: number | undefined;
  logs: PlannedLog[];
  /** Addresses EC2 just gave this node: another node's pool may wrongly believe it holds them. */
  granted: string[];
  /** Pods whose reservation went back to the pool (the claim index forgets them). */
  released: string[];
  metrics: {
    allocationFailures: string[];
    /** Creation-to-annotation, seconds, of each pod annotated in this run. */
    annotationLatencySeconds: number[];
    /** First seen by the controller to the patch acknowledged, seconds, of each pod annotated in this run. */
    annotationDurationSeconds: number[];
    resyncs: ResyncTrigger[];
    contradictions: Array<'missing-from-read' | 'unexpected-on-eni' | 'held-elsewhere'>;
  };
  /** Run again after this long, if nothing else wakes the node first. */
  requeueAfterMs: number | undefined;
}

export function planNodeRun(m: ManagedNodeMemory, i: NodeRunInputs): NodeRunPlan {
  const plan: NodeRunPlan = {
    ec2: [],
    patches: [],
    events: [],
    capacity: undefined,
    logs: [],
    granted: [],
    released: [],
    metrics: { allocationFailures: [], annotationLatencySeconds: [], annotationDurationSeconds: [], resyncs: [], contradictions: [] },
    requeueAfterMs: undefined,
  };
  const { now, node } = i;
  const nodeRef: ObjectRef = { kind: 'Node', name: node.name, uid: node.uid };
  const byUid = new Map(i.pods.map((p) => [p.uid, p]));
  const log = (level: PlannedLog['level'], message: string, fields: Record<string, unknown> = {}) =>
    plan.logs.push({ level, message, fields: { node: node.name, ...fields } });
  const retryIn = (ms: number) => {
    plan.requeueAfterMs = plan.requeueAfterMs === undefined ? ms : Math.min(plan.requeueAfterMs, ms);
  };

  applyConfig(m, i, plan, nodeRef, log);
  if (i.restored) reportRestore(i.restored, byUid, node.name, plan);
  for (const result of i.ec2Results) applyEc2Result(m, result, i, plan, nodeRef, log);
  if (i.observation) {
    const seen = m.pool.observe(i.observation, now);
    if (seen.missing.length > 0) {
      plan.metrics.contradictions.push('missing-from-read');
      log('warn', 'EC2 no longer shows addresses on the ENI; out of use until a re-read confirms', { missing: seen.missing });
    } else if (seen.unexpected.length > 0) {
      plan.metrics.contradictions.push('unexpected-on-eni');
      log('info', 'EC2 shows addresses on the ENI that the pool does not know; re-reading it', { unexpected: seen.unexpected });
    }
  }
  if (i.capacityResult) {
    const { value, ok } = i.capacityResult;
    if (m.capacityInFlight === value) m.capacityInFlight = undefined;
    if (ok) {
      log('info', 'capacity advertised', { capacity: value, previous: m.capacity ?? null });
      // Said when it is true, so a failed write and its retry do not say it twice; and once per
      // shortage, since later changes while it lasts (a pod leaving) are not news.
      if (m.capacity !== undefined && m.pool.prefixesExhausted && value < m.capacity && !m.capacityLimitShown) {
        m.capacityLimitShown = true;
        capacityLoweredEvent(m, plan, nodeRef, value, m.capacity);
      }
      m.capacity = value;
    } else {
      m.capacityRetryAt = now + PATCH_RETRY_MS;
    }
  }
  for (const r of i.patchResults) applyPatchResult(m, r, i, plan, log, retryIn, byUid);

  for (const ip of m.pool.setHeldElsewhere(i.heldElsewhere, now)) {
    if (m.heldElsewhereShown.has(ip)) continue;
    m.heldElsewhereShown.add(ip);
    plan.metrics.contradictions.push('held-elsewhere');
    log('warn', 'an address on this ENI is carried by a running pod on another node; not handed out here until that pod is gone', { ip, by: i.heldElsewhere(parseIPv4(ip)) });
  }

  planPodsOnNode(m, i, plan, log, retryIn, nodeRef);

  plan.ec2 = m.pool.plan(now);
  for (const r of plan.ec2) if (r.kind === 'resync') plan.metrics.resyncs.push(r.trigger);

  tellQuarantinedPods(m, byUid, node.name, plan);
  if (!m.pool.prefixesExhausted) m.capacityLimitShown = false;
  planCapacity(m, now, plan, retryIn);

  const wakeAt = m.pool.nextWakeAt(now);
  if (wakeAt !== undefined) retryIn(Math.max(1, wakeAt - now));
  return plan;
}

type Log = (level: PlannedLog['level'], message: string, fields?: Record<string, unknown>) => void;

function applyConfig(m: ManagedNodeMemory, i: NodeRunInputs, plan: NodeRunPlan, nodeRef: ObjectRef, log: Log): void {
  const config = i.config;
  const key = JSON.stringify(config);
  if (key === m.configKey) return;
  m.pool.setConfig(config);
  m.configKey = key;
  log('info', 'node config applied', { mode: config.mode, warmIPTarget: config.warmIPTarget, minimumIPTarget: config.minimumIPTarget, warmPrefixTarget: config.warmPrefixTarget });
  if (config.mode === m.mode) return;
  const previous = m.mode;
  m.mode = config.mode;
  plan.events.push({
    regarding: nodeRef,
    note: {
      type: 'Normal',
      reason: EventReasons.modeChanged,
      message: `Windows IPAM on this node switched from ${previous} mode to ${config.mode} mode (${config.modeReason}); addresses of ${previous} mode stay with their pods and go back to EC2 as those pods finish`,
    },
  });
}

function applyEc2Result(m: ManagedNodeMemory, result: Ec2Result, i: NodeRunInputs, plan: NodeRunPlan, nodeRef: ObjectRef, log: Log): void {
  const report = m.pool.complete(result, i.now);
  const { request, outcome } = result;
  if ((request.kind === 'assign-prefixes' || request.kind === 'assign-secondary-ips') && 'added' in outcome) {
    plan.granted.push(...outcome.added);
  }
  if (outcome.ok) {
    if (request.kind === 'assign-prefixes') m.cidrEventShown = false;
    log('debug', 'EC2 request done', { request: describeRequest(request) });
  } else {
    log('warn', 'EC2 request failed', { request: describeRequest(request), error: outcome.error, message: outcome.message });
    if (outcome.error === 'insufficient-cidr-blocks') {
      cidrEvent(m, plan, nodeRef, `the subnet ${m.instance.subnetId} has no free aligned /28 block for a new prefix (${outcome.message})`);
    }
  }
  if (report) reportResync(report, nodeRef, plan, log);
}

function applyPatchResult(m: ManagedNodeMemory, r: PatchResult, i: NodeRunInputs, plan: NodeRunPlan, log: Log, retryIn: (ms: number) => void, byUid: ReadonlyMap<string, PodFacts>): void {
  const sent = m.patching.get(r.podUid);
  // No patch of this pod is on its way (it went, or one that failed waits for its retry): nothing to learn.
  if (!sent || sent.retryAt !== undefined) return;
  const pod = byUid.get(r.podUid);
  switch (r.outcome) {
    case 'patched': {
      m.patching.delete(r.podUid);
      m.annotated.add(r.podUid);
      m.failureShown.delete(r.podUid);
      if (!pod) return;
      plan.events.push({
        regarding: podRef(pod),
        note: {
          type: 'Normal',
          reason: EventReasons.resourceAllocated,
          message: `Allocated Resource ${RESOURCE_NAME}: ${sent.annotation} to the pod (from ${sent.source} on ${m.instance.eniId})`,
        },
      });
      if (pod.createdAt !== undefined) plan.metrics.annotationLatencySeconds.push(Math.max(0, i.now - pod.createdAt) / 1000);
      if (pod.seenAt !== undefined) plan.metrics.annotationDurationSeconds.push(Math.max(0, i.now - pod.seenAt) / 1000);
      return;
    }
    case 'gone':
    case 'refused': {
      if (r.outcome === 'refused' && sent.earlierMayHaveLanded) {
        // Most likely our own earlier patch is the annotation in the way. Releasing the address now
        // would let another pod have it while this one carries it: it stays the pod's, and the pod is
        // not written again. If the pod was replaced instead, the cache shows it gone and it is released then.
        m.patching.delete(r.podUid);
        m.annotated.add(r.podUid);
        log('debug', 'annotation refused after an attempt whose fate was unknown; the address stays the pod\'s', { podUid: r.podUid, ip: sent.ip });
        return;
      }
      // Nothing was written: the address goes back (cooling), and the node is looked at again soon,
      // in case the cache still shows the old pod or has not shown the annotation someone else wrote.
      m.patching.delete(r.podUid);
      m.pool.release(r.podUid, i.now);
      plan.released.push(r.podUid);
      m.holdOff.set(r.podUid, i.now + PATCH_RETRY_MS);
      retryIn(PATCH_RETRY_MS);
      log('debug', 'annotation not written; address returned', { podUid: r.podUid, ip: sent.ip, outcome: r.outcome });
      return;
    }
    case 'failed':
      // It may have landed: keep the reservation, so the retry writes the same address, and send it
      // again after a pause rather than at once.
      sent.retryAt = i.now + PATCH_RETRY_MS;
      retryIn(PATCH_RETRY_MS);
      log('warn', 'annotating pod failed; will retry', { podUid: r.podUid, pod: pod ? `${pod.namespace}/${pod.name}` : undefined, error: r.message });
      return;
    case 'fenced':
      // This replica is stepping down and the pool is about to be dropped: the patch stays as it
      // was, so the pod is not planned again by a replica that may not write.
      return;
  }
}

function planPodsOnNode(m: ManagedNodeMemory, i: NodeRunInputs, plan: NodeRunPlan, log: Log, retryIn: (ms: number) => void, nodeRef: ObjectRef): void {
  const { now, node } = i;
  for (const [uid, sent] of m.patching) {
    if (sent.retryAt === undefined) continue;
    if (now >= sent.retryAt) m.patching.delete(uid);
    else retryIn(sent.retryAt - now);
  }
  const before = m.pool.holders();
  const pods = planPods({ pods: i.pods, assigned: before, annotated: m.annotated, inFlight: m.patching });
  for (const uid of pods.release) {
    const released = m.pool.release(uid, now);
    m.annotated.delete(uid);
    m.quarantineTold.delete(uid);
    m.patching.delete(uid);
    plan.released.push(uid);
    if (released) log('debug', 'address released', { podUid: uid, ip: released.ip });
  }
  if (pods.unknownAnnotated.length > 0) {
    // Left alone, these addresses would look free to the pool and could go to a second pod.
    const report = m.pool.takeInAnnotatedPods(pods.unknownAnnotated.map((p) => ({ podUid: p.uid, annotation: p.annotation ?? '' })));
    for (const p of pods.unknownAnnotated) m.annotated.add(p.uid);
    log('warn', 'running pods carry addresses this pool did not hand out; taken into the pool', {
      pods: pods.unknownAnnotated.map((p) => `${p.namespace}/${p.name}=${p.annotation}`),
    });
    reportRestore(report, new Map(i.pods.map((p) => [p.uid, p])), node.name, plan);
  }
  const present = new Set(i.pods.map((p) => p.uid));
  for (const uid of m.failureShown.keys()) if (!present.has(uid)) m.failureShown.delete(uid);

  for (const [uid, until] of m.holdOff) if (until <= now || !present.has(uid)) m.holdOff.delete(uid);
  const quarantined = new Set(m.pool.quarantined().map((q) => q.podUid));
  for (const pod of pods.assign) {
    // Its last patch failed with its fate unknown, and the address has left the ENI since. Writing it
    // again would give the pod an address that does not work; a fresh one is no better, since if the
    // failed patch landed, the pod carries the old one, which must then stay out of use here (EC2 may
    // give the block back). The pod keeps the quarantined reservation and is told (tellQuarantinedPods).
    if (quarantined.has(pod.uid)) continue;
    const until = m.holdOff.get(pod.uid);
    if (until !== undefined) {
      retryIn(until - now);
      continue;
    }
    const r = m.pool.assign(pod.uid, now);
    // A retry of a patch that failed writes the address the pod kept; if EC2 may no longer hold it,
    // the re-read already asked for decides first (still there: this address; gone: quarantined, above).
    if (r.ok && !r.fresh && m.pool.inDoubt(r.ip)) continue;
    if (r.ok) {
      const source = r.source.kind === 'prefix' ? `prefix ${r.source.prefix}` : 'a secondary IP';
      // Not fresh: the pod kept its address because its last patch failed with its fate unknown.
      m.patching.set(pod.uid, { ip: r.ip, annotation: r.annotation, source, ...(r.fresh ? {} : { earlierMayHaveLanded: true }) });
      plan.patches.push({ pod, ip: r.ip, annotation: r.annotation });
      continue;
    }
    retryIn(r.retryAfterMs);
    plan.metrics.allocationFailures.push(r.reason);
    const prior = m.failureShown.get(pod.uid);
    const since = prior?.reason === r.reason ? prior.since : now;
    const shown = prior?.reason === r.reason && prior.shown;
    // A pod waiting for addresses already being created usually has one within a second: tell it
    // only if it is still waiting after that, so a burst does not write an event per pod.
    const tell = !shown && (r.reason !== 'warm-pool-empty' || now - since >= TRANSIENT_WAIT_MS);
    m.failureShown.set(pod.uid, { reason: r.reason, since, shown: shown || tell });
    if (tell) {
      plan.events.push({
        regarding: podRef(pod),
        note: { type: 'Warning', reason: EventReasons.resourceAllocationFailed, message: `No ${RESOURCE_NAME} for this pod yet: ${r.message}` },
      });
    }
    if (r.reason === 'insufficient-cidr-blocks') cidrEvent(m, plan, nodeRef, r.message);
  }
}

/** Every running pod whose address left the ENI hears it once, with what to do. */
function tellQuarantinedPods(m: ManagedNodeMemory, byUid: ReadonlyMap<string, PodFacts>, nodeName: string, plan: NodeRunPlan): void {
  for (const q of m.pool.quarantined()) {
    // A pod whose patch has not landed does not carry the address (yet): it is told if it lands.
    if (m.quarantineTold.has(q.podUid) || m.patching.has(q.podUid)) continue;
    const pod = byUid.get(q.podUid);
    if (!pod) continue;
    m.quarantineTold.add(q.podUid);
    const where = `no longer on node ${nodeName}'s ENI in EC2 (removed outside winprefix, or given to another instance); winprefix will not give it to another pod from this node`;
    // Not annotated as far as we know: its patch failed with its fate unknown before the address left.
    const carries = pod.annotation !== undefined || m.annotated.has(q.podUid);
    plan.events.push({
      regarding: podRef(pod),
      note: {
        type: 'Warning',
        reason: EventReasons.addressVanished,
        message: carries
          ? `The address ${q.ip} on this pod is ${where}. Delete the pod so its replacement gets a working address.`
          : `The address ${q.ip} reserved for this pod (its annotation patch failed, so the pod may carry it) is ${where}. Delete the pod so its replacement gets a working address.`,
      },
    });
  }
}

function planCapacity(m: ManagedNodeMemory, now: number, plan: NodeRunPlan, retryIn: (ms: number) => void): void {
  const wanted = m.pool.advertisedCapacity;
  if (wanted === m.capacity || m.capacityInFlight !== undefined) return;
  if (m.capacityRetryAt !== undefined && now < m.capacityRetryAt) {
    retryIn(m.capacityRetryAt - now);
    return;
  }
  m.capacityRetryAt = undefined;
  m.capacityInFlight = wanted;
  plan.capacity = wanted;
}

function capacityLoweredEvent(m: ManagedNodeMemory, plan: NodeRunPlan, nodeRef: ObjectRef, value: number, previous: number): void {
  plan.events.push({
    regarding: nodeRef,
    note: {
      type: 'Warning',
      reason: EventReasons.capacityAdvertised,
      message: `Advertising ${value} ${RESOURCE_NAME} instead of ${previous}: the subnet ${m.instance.subnetId} gives this node no new /28 prefix (InsufficientCidrBlocks), so only the attached prefixes can hold pods. The full capacity comes back when EC2 gives a prefix again; free or reserve address space in the subnet (aws ec2 create-subnet-cidr-reservation --reservation-type prefix).`,
    },
  });
}

function cidrEvent(m: ManagedNodeMemory, plan: NodeRunPlan, nodeRef: ObjectRef, detail: string): void {
  if (m.cidrEventShown) return;
  m.cidrEventShown = true;
  plan.events.push({
    regarding: nodeRef,
    note: {
      type: 'Warning',
      reason: EventReasons.insufficientCidrBlocks,
      message: `InsufficientCidrBlocks: ${detail}. New pods on this node wait for an address. Free addresses in the subnet, reserve space for prefixes (aws ec2 create-subnet-cidr-reservation --reservation-type prefix), or switch this cluster to secondary-IP mode (enable-windows-prefix-delegation: "false").`,
    },
  });
}

function reportRestore(report: RestoreReport, byUid: ReadonlyMap<string, PodFacts>, nodeName: string, plan: NodeRunPlan): void {
  // Pods without their address on the ENI are quarantined by the pool and told by tellQuarantinedPods.
  for (const dup of report.duplicateAddresses) {
    const pod = byUid.get(dup.podUid);
    plan.logs.push({ level: 'error', message: 'two running pods carry the same address', fields: { node: nodeName, podUid: dup.podUid, annotation: dup.annotation } });
    if (!pod) continue;
    plan.events.push({
      regarding: podRef(pod),
      note: {
        type: 'Warning',
        reason: EventReasons.addressVanished,
        message: `Another running pod on node ${nodeName} carries the same address ${dup.annotation}; winprefix kept the other one. Delete this pod so its replacement gets its own address.`,
      },
    });
  }
}

function reportResync(report: ResyncReport, nodeRef: ObjectRef, plan: NodeRunPlan, log: Log): void {
  if (report.added.length + report.removed.length > 0) log('info', 're-synced with EC2', { added: report.added, removed: report.removed });
  if (report.vanishedUnderPods.length === 0) return;
  log('warn', 'addresses vanished from the ENI under running pods; quarantined', { vanished: report.vanishedUnderPods });
  plan.events.push({
    regarding: nodeRef,
    note: {
      type: 'Warning',
      reason: EventReasons.addressVanished,
      message: `EC2 no longer shows ${report.vanishedUnderPods.map((v) => v.ip).join(', ')} on this node's ENI although running pods use them; they will not be handed out again. Delete those pods so their replacements get working addresses.`,
    },
  });
}

function podRef(p: { namespace: string; name: string; uid: string }): ObjectRef {
  return { kind: 'Pod', namespace: p.namespace, name: p.name, uid: p.uid };
}

/** A short label for logs and metrics. */
export function describeRequest(request: Ec2Request): string {
  switch (request.kind) {
    case 'assign-prefixes':
    case 'assign-secondary-ips':
      return `${request.kind} x${request.count}`;
    case 'unassign-prefixes':
      return `${request.kind} ${request.prefixes.join(',')}`;
    case 'unassign-secondary-ips':
      return `${request.kind} ${request.ips.join(',')}`;
    case 'resync':
      return `resync (${request.trigger})`;
  }
}
