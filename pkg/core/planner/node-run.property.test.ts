/**
 * planNodeRun under seeded random node histories: pods created, deleted, finished and replaced under
 * their names; a pod cache that lags the API server; patch answers of every kind, late and out of
 * order (with the API server's precondition deciding what lands); EC2 answers with random faults,
 * delivered late and out of order; periodic reads delivered late; prefixes removed behind the pool's
 * back; addresses claimed by pods on other nodes; target and mode changes; time jumping ahead.
 * After every run the invariants below are checked; at the end the chaos stops and every pod must
 * end up with a working address of its own. A failure prints its seed: PLANNER_SEEDS=<seed> reruns it
 * (a comma-separated list runs several), and PLANNER_TRACE=1 prints every run of it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrng, type Prng } from '../../ec2sim/prng.ts';
import { ADDRESSES_PER_PREFIX, EventReasons } from '../contract.ts';
import type { Ec2ErrorKind } from '../ec2/errors.ts';
import type { Fault } from '../../ec2sim/world-eni.ts';
import type { Ec2Result, EniObservation } from '../ipam/types.ts';
import type { PodFacts } from '../decisions/pod-plan.ts';
import { formatCidr, formatIPv4, parseIPv4 } from '../net/ipv4.ts';
import type { NodeRunPlan, PatchOutcome, PlannedPatch } from './node-run.ts';
import { NodeWorld, PD, SEC } from './testing/node-world.ts';

const STEPS = 250;
const SEEDS = process.env.PLANNER_SEEDS ? process.env.PLANNER_SEEDS.split(',').map(Number) : Array.from({ length: 40 }, (_, i) => 1_000 + i);
const NAMES = Array.from({ length: 24 }, (_, i) => `app-${i}`);

const pick = <T>(rng: Prng, xs: readonly T[]): T => xs[rng.int(xs.length)]!;
const blockOf = (ip: string) => formatCidr({ base: parseIPv4(ip) - (parseIPv4(ip) % ADDRESSES_PER_PREFIX), prefixLength: 28 });
const ipOf = (annotation: string) => annotation.split('/')[0]!;

/** One random history, checked as it goes. Returns a short summary for the coverage check. */
function history(seed: number) {
  const rng = createPrng(seed);
  const w = new NodeWorld({ prefixBlocks: pick(rng, [2, 4, 64, 64]) });
  /** The API server's pods (the cache, w.pods, follows it through `cacheQueue`). */
  const server = new Map<string, PodFacts>();
  const cacheQueue: Array<{ uid: string; pod: PodFacts | undefined }> = [];
  /** EC2 requests carried out, answers not yet delivered to the node; and how many removals each one reflects. */
  const delivering: Array<{ result: Ec2Result; removals: number }> = [];
  /** Reads of the ENI on their way; a read can only show the node a removal of a prefix its pool held when the read was sent. */
  const reads: Array<{ observation: EniObservation; removals: number; held: Set<string> }> = [];
  /** Prefixes removed behind the pool's back that no read or re-read has shown the node since: cidr -> removal number. */
  const unseen = new Map<string, number>();
  let removals = 0;
  const showRemovals = (upTo: number, held?: ReadonlySet<string>) => {
    for (const [cidr, n] of unseen) if (n < upTo && (!held || held.has(cidr))) unseen.delete(cidr);
  };
  const fencedPods = new Set<string>();
  const told = { allocated: new Set<string>(), vanished: new Set<string>() };
  let lastCapacityEvent: number | undefined;
  /** The node was told its capacity is held to its prefixes, and the pool has been short of /28 blocks ever since. */
  let shortageTold = false;
  /** The node was told InsufficientCidrBlocks, and EC2 has created no prefix since. */
  let cidrTold = false;
  let lastMode = w.config.mode;
  let seq = 0;
  let answered: string[] = [];
  let mode = PD;
  let warm: string | undefined;
  const stats = { runs: 0, patched: 0, refused: 0, gone: 0, failed: 0, fenced: 0, landedUnknown: 0, faults: 0, removals: 0, quarantined: 0, heldElsewhere: 0, modeSwitches: 0, addedByHand: 0 };

  const fail = (step: number, what: string): never => assert.fail(`seed ${seed}, step ${step}, t=${w.now}: ${what}`);

  const live = () => [...server.values()].filter((p) => !p.terminal);
  const toCache = (uid: string) => cacheQueue.push({ uid, pod: server.get(uid) });
  const syncCache = (n: number) => {
    for (const { uid, pod } of cacheQueue.splice(0, n)) {
      if (pod) w.pods.set(uid, pod);
      else w.pods.delete(uid);
    }
  };

  /** The API server applies a patch, addressed by name, with its precondition: same UID, no IP annotation yet. */
  const land = (p: PlannedPatch): 'patched' | 'gone' | 'refused' => {
    const pod = server.get(p.pod.uid);
    if (!pod) return [...server.values()].some((o) => o.name === p.pod.name) ? 'refused' : 'gone';
    if (pod.annotation !== undefined) return 'refused';
    server.set(pod.uid, { ...pod, annotation: p.annotation, hasAnnotations: true });
    toCache(pod.uid);
    return 'patched';
  };

  const answerPatch = (p: PlannedPatch, chaos: boolean) => {
    w.patchesInFlight.delete(p.pod.uid);
    let outcome: PatchOutcome;
    const r = chaos ? rng.next() : 1;
    if (r < 0.01) outcome = 'fenced';
    else if (r < 0.1) outcome = 'failed';
    else if (r < 0.18) {
      land(p); // landed, but the answer was lost
      outcome = 'failed';
      stats.landedUnknown++;
    } else outcome = land(p);
    if (outcome === 'fenced') fencedPods.add(p.pod.uid);
    stats[outcome]++;
    answered.push(`${p.pod.uid}:${outcome}`);
    w.patchResults.push({ podUid: p.pod.uid, outcome, ...(outcome === 'failed' ? { message: 'timeout' } : {}) });
  };

  const faultFor = (kind: string): Fault | undefined => {
    const r = rng.next();
    const errors: Ec2ErrorKind[] = ['throttled', 'unreachable', 'other'];
    if (r < 0.75) return undefined;
    stats.faults++;
    if (r < 0.85) return { fail: pick(rng, errors) };
    if (r < 0.9) return { fail: pick(rng, errors), done: rng.int(2) };
    if (r < 0.95) return { fail: 'address-limit-exceeded' };
    return kind === 'assign-prefixes' ? { fail: 'insufficient-cidr-blocks' } : { fail: 'throttled' };
  };

  const check = (step: number, plan: NodeRunPlan) => {
    const m = w.memory;
    // Requeue: never below 1, and set whenever something will need a look.
    if (plan.requeueAfterMs !== undefined && !(plan.requeueAfterMs >= 1 && Number.isFinite(plan.requeueAfterMs))) fail(step, `requeueAfterMs ${plan.requeueAfterMs}`);
    const wake = w.pool.nextWakeAt(w.now);
    if (wake !== undefined && (plan.requeueAfterMs === undefined || plan.requeueAfterMs > wake - w.now)) fail(step, `pool wakes in ${wake - w.now} ms, requeue ${plan.requeueAfterMs}`);
    if (plan.metrics.allocationFailures.length > 0 && plan.requeueAfterMs === undefined) fail(step, 'pods wait and no requeue');
    for (const [uid, p] of m.patching) {
      if (p.retryAt !== undefined && (plan.requeueAfterMs === undefined || plan.requeueAfterMs > p.retryAt - w.now)) fail(step, `patch of ${uid} due in ${p.retryAt - w.now} ms, requeue ${plan.requeueAfterMs}`);
    }
    // Every patch: its pod's reservation, on the ENI unless removed unseen, not carried elsewhere.
    for (const p of plan.patches) {
      if (w.pool.addressOf(p.pod.uid)?.ip !== p.ip) fail(step, `patch ${p.pod.uid}=${p.ip} is not the pool's reservation ${w.pool.addressOf(p.pod.uid)?.ip}`);
      if (!w.onEni(p.ip) && !unseen.has(blockOf(p.ip))) fail(step, `patch ${p.pod.uid}=${p.ip}: not on the ENI ${JSON.stringify(w.eni.state)}`);
      if (w.elsewhere.has(parseIPv4(p.ip))) fail(step, `patch ${p.pod.uid}=${p.ip}: carried by ${w.elsewhere.get(parseIPv4(p.ip))}`);
    }
    // No address on two pods: live pods' annotations, plus patches that may still land.
    const owners = new Map<string, string>();
    const claim = (ip: string, uid: string, how: string) => {
      const other = owners.get(ip);
      if (other !== undefined && other !== uid) fail(step, `${ip} on ${other} and ${uid} (${how})`);
      owners.set(ip, uid);
    };
    for (const pod of server.values()) if (!pod.terminal && pod.annotation) claim(ipOf(pod.annotation), pod.uid, 'annotated');
    for (const p of w.patchesInFlight.values()) {
      const pod = server.get(p.pod.uid);
      if (pod && !pod.terminal && pod.annotation === undefined) claim(p.ip, p.pod.uid, 'patch in flight');
    }
    if (plan.capacity !== undefined && (plan.capacity < 0 || plan.capacity > w.config.capacity)) fail(step, `capacity ${plan.capacity} above nominal ${w.config.capacity}`);
    // Events said once per pod.
    for (const e of plan.events) {
      const uid = e.regarding.uid ?? '';
      if (e.note.reason === EventReasons.resourceAllocated) {
        if (told.allocated.has(uid)) fail(step, `ResourceAllocated twice for ${uid}`);
        told.allocated.add(uid);
      }
      if (e.note.reason === EventReasons.addressVanished && e.regarding.kind === 'Pod') {
        if (told.vanished.has(uid)) fail(step, `AddressVanished twice for ${uid}`);
        told.vanished.add(uid);
      }
      if (e.note.reason === EventReasons.capacityAdvertised) {
        if (shortageTold) fail(step, `CapacityAdvertised again within one shortage of /28 blocks (last at step ${lastCapacityEvent})`);
        shortageTold = true;
        lastCapacityEvent = step;
      }
    }
    // Node events said once per occasion.
    if (plan.logs.some((l) => l.message === 'EC2 request done' && String(l.fields.request).startsWith('assign-prefixes'))) cidrTold = false;
    const cidrEvents = plan.events.filter((e) => e.note.reason === EventReasons.insufficientCidrBlocks).length;
    if (cidrEvents > (cidrTold ? 0 : 1)) fail(step, `InsufficientCidrBlocks said ${cidrEvents} times, ${cidrTold ? 'already said' : 'first time'}`);
    if (cidrEvents > 0) cidrTold = true;
    const modeEvents = plan.events.filter((e) => e.note.reason === EventReasons.modeChanged).length;
    if (modeEvents !== (w.config.mode === lastMode ? 0 : 1)) fail(step, `${modeEvents} IPAMModeChanged events; mode ${lastMode} -> ${w.config.mode}`);
    lastMode = w.config.mode;
  };

  const run = (step: number) => {
    const plan = w.run();
    stats.runs++;
    if (process.env.PLANNER_TRACE) {
      const line = { eni: w.eni.state, answered, ec2: plan.ec2, patches: plan.patches.map((x) => `${x.pod.uid}=${x.ip}`), released: plan.released, capacity: plan.capacity, events: plan.events.map((e) => `${e.regarding.name}:${e.note.reason}`), logs: plan.logs.map((l) => `${l.message} ${JSON.stringify(l.fields)}`) };
      console.log(`step ${step} t=${w.now} ${JSON.stringify(line)}`);
    }
    answered = [];
    check(step, plan);
    if (!w.pool.prefixesExhausted) shortageTold = false;
    return plan;
  };

  for (let step = 0; step < STEPS; step++) {
    // Pods come and go; the scheduler binds no more than the node advertises.
    if (rng.next() < 0.35) {
      for (let n = Math.min(1 + (rng.next() < 0.2 ? rng.int(20) : 0), (w.advertised ?? 0) - live().length); n > 0; n--) {
        const uid = `s${seed}-${++seq}`;
        server.set(uid, { uid, namespace: 'default', name: pick(rng, NAMES), requestsIp: true, terminal: false, annotation: undefined, createdAt: w.now, hasAnnotations: false, resourceVersion: '1' });
        toCache(uid);
      }
    }
    if (rng.next() < 0.25 && server.size > 0) {
      const uid = pick(rng, [...server.keys()]);
      if (rng.next() < 0.3) server.set(uid, { ...server.get(uid)!, terminal: true });
      else server.delete(uid);
      toCache(uid);
    }
    syncCache(rng.int(cacheQueue.length + 1));
    // Answers arrive, some late, in any order.
    for (const p of [...w.patchesInFlight.values()]) if (rng.next() < 0.5) answerPatch(p, true);
    for (const r of [...w.ec2InFlight]) {
      if (rng.next() < 0.5) continue;
      w.ec2InFlight.splice(w.ec2InFlight.indexOf(r), 1);
      delivering.push({ result: w.eni.perform(r, faultFor(r.kind)), removals });
    }
    for (const d of [...delivering]) {
      if (rng.next() < 0.5) continue;
      delivering.splice(delivering.indexOf(d), 1);
      w.ec2Results.push(d.result);
      if (d.result.request.kind === 'resync' && d.result.outcome.ok) showRemovals(d.removals);
    }
    if (w.capacityInFlight !== undefined && rng.next() < 0.6) w.answerCapacity(rng.next() < 0.85);
    // Periodic reads, delivered late.
    if (rng.next() < 0.1) {
      const held = new Set(w.pool.snapshot(w.now).prefixes.map((p) => p.prefix));
      reads.push({ observation: { eni: w.eni.state, epoch: w.pool.mutationEpoch }, removals, held });
    }
    if (reads.length > 0 && rng.next() < 0.5) {
      const r = reads.shift()!;
      w.observation = r.observation;
      showRemovals(r.removals, r.held);
    }
    // The world outside: a prefix removed behind our back, addresses claimed by pods on other nodes.
    if (rng.next() < 0.02 && w.eni.prefixes.size > 0) {
      const cidr = pick(rng, [...w.eni.prefixes]);
      w.eni.removeExternally(cidr, { returnToSubnet: rng.next() < 0.3 });
      unseen.set(cidr, removals++);
      stats.removals++;
    }
    if (rng.next() < 0.05) {
      const local = new Set([...w.pool.snapshot(w.now).assignments.map((a) => a.ip), ...[...w.patchesInFlight.values()].map((p) => p.ip)]);
      for (const pod of server.values()) if (pod.annotation) local.add(ipOf(pod.annotation));
      const candidates = [...w.eni.prefixes].flatMap((c) => Array.from({ length: ADDRESSES_PER_PREFIX }, (_, i) => parseIPv4(c.split('/')[0]!) + i)).filter((ip) => !local.has(formatIPv4(ip)));
      if (candidates.length > 0) {
        w.elsewhere.set(pick(rng, candidates), `other/far-${seq} on node win-2`);
        stats.heldElsewhere++;
      }
    }
    if (rng.next() < 0.05 && w.elsewhere.size > 0) w.elsewhere.delete(pick(rng, [...w.elsewhere.keys()]));
    if (rng.next() < 0.01 && w.eni.addExternally('prefix')) stats.addedByHand++;
    if (rng.next() < 0.01) {
      mode = mode === PD ? SEC : PD;
      stats.modeSwitches++;
    }
    if (rng.next() < 0.02) warm = rng.next() < 0.3 ? undefined : String(rng.int(20));
    w.data = warm === undefined ? mode : { ...mode, 'windows-warm-ip-target': warm };
    run(step);
    w.advance(rng.next() < 0.05 ? 130_000 : rng.int(20_000));
  }

  // The chaos stops: every answer comes, no faults, nothing removed or claimed; time goes on, and the
  // periodic read of the ENI comes round again.
  w.elsewhere.clear();
  for (let round = 0; round < 200; round++) {
    if (round % 10 === 0) w.read();
    syncCache(cacheQueue.length);
    for (const d of delivering.splice(0)) w.ec2Results.push(d.result);
    for (const r of w.ec2InFlight.splice(0)) w.ec2Results.push(w.eni.perform(r));
    for (const p of [...w.patchesInFlight.values()]) answerPatch(p, false);
    if (w.capacityInFlight !== undefined) w.answerCapacity(true);
    const plan = run(STEPS + round);
    syncCache(cacheQueue.length);
    const busy = w.ec2InFlight.length + w.patchesInFlight.size + cacheQueue.length > 0 || w.capacityInFlight !== undefined || w.ec2Results.length > 0;
    if (!busy && plan.requeueAfterMs === undefined) break;
    w.advance(Math.min(plan.requeueAfterMs ?? 1_000, 30_000));
  }
  // Every running pod has its own address, on the ENI unless it was taken away under it (and it was
  // told); only pods beyond what the node can hold now (its capacity fell under them) may wait.
  const annotated = new Map<string, string>();
  const quarantined = new Set(w.pool.quarantined().map((q) => q.podUid));
  // A quarantined pod without an annotation had its patch fail before its address left the ENI: it
  // was told to be deleted (checked below) rather than given an address that may end up on two pods.
  const waiting = live().filter((p) => !p.annotation && !fencedPods.has(p.uid) && !quarantined.has(p.uid));
  for (const p of live()) if (!p.annotation && !fencedPods.has(p.uid) && quarantined.has(p.uid) && !told.vanished.has(p.uid)) fail(STEPS, `pod ${p.uid} waits on a vanished address and was never told`);
  if (waiting.length > Math.max(0, live().length - w.pool.advertisedCapacity)) {
    fail(STEPS, `${waiting.length} of ${live().length} pods have no address at the end, capacity ${w.pool.advertisedCapacity}: ${waiting.map((p) => p.uid).join(', ')}`);
  }
  for (const pod of live()) {
    if (!pod.annotation) continue;
    const ip = ipOf(pod.annotation);
    if (annotated.has(ip)) fail(STEPS, `${ip} on ${annotated.get(ip)} and ${pod.uid} at the end`);
    annotated.set(ip, pod.uid);
    if (!w.onEni(ip) && !quarantined.has(pod.uid)) fail(STEPS, `pod ${pod.uid} carries ${ip}, which is not on the ENI, and is not quarantined`);
    if (quarantined.has(pod.uid) && !told.vanished.has(pod.uid) && !fencedPods.has(pod.uid)) fail(STEPS, `pod ${pod.uid} lost ${ip} and was never told`);
  }
  if (w.advertised !== w.pool.advertisedCapacity) fail(STEPS, `advertises ${w.advertised}, the pool says ${w.pool.advertisedCapacity}`);
  stats.quarantined = quarantined.size;
  return stats;
}

test(`seeded random node histories (${SEEDS.length} seeds x ${STEPS} steps): no address on two pods, none from outside the ENI or held elsewhere, events once`, () => {
  const total: Record<string, number> = {};
  const failures: string[] = [];
  for (const seed of SEEDS) {
    try {
      const stats = history(seed);
      for (const [k, v] of Object.entries(stats)) total[k] = (total[k] ?? 0) + v;
    } catch (err) {
      failures.push((err as Error).message);
    }
  }
  assert.deepEqual(failures, [], `${failures.length} of ${SEEDS.length} histories failed; rerun one with PLANNER_SEEDS=<seed>`);
  if (process.env.PLANNER_TRACE) console.log('what the histories exercised', total);
  // The histories must have exercised what they claim to, or passing means little.
  for (const k of ['patched', 'refused', 'gone', 'failed', 'fenced', 'landedUnknown', 'faults', 'removals', 'quarantined', 'heldElsewhere', 'modeSwitches', 'addedByHand']) {
    assert.ok((total[k] ?? 0) > 0, `no ${k} in any history: ${JSON.stringify(total)}`);
  }
});
