/**
 * Invariants of the pool over long seeded-random runs: pods arrive, retry and leave; EC2 requests
 * are answered late, in any order, with failures, partial results and InsufficientCidrBlocks;
 * the clock jumps; in two runs of three other tools add and remove addresses; the config (and
 * mode) changes.
 * After each step: no address is held twice, no pod uses an address the ENI does not hold (unless
 * it vanished behind the pool's back and no re-sync has run since), the ENI never exceeds its
 * slots, the ledger never plans beyond them (and without tampering EC2 never has to refuse an
 * assign for lack of a slot), a cooling address is not handed out, nothing used or cooling is
 * released. At the end, once every pod is gone, cooled down and
 * held down, the ENI holds exactly what a fresh node with the same config holds: nothing leaked.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Ec2ErrorKind } from '../ec2/errors.ts';
import { COOL_DOWN_MS } from '../contract.ts';
import { parseCidr, parseIPv4, cidrContains } from '../net/ipv4.ts';
import { resolveClusterConfig, resolveNodeConfig } from './config.ts';
import { defaultPoolSettings, NodePool } from './pool.ts';
import { settleFully } from './testing/settle.ts';
import { WorldEni, type Fault } from '../../ec2sim/world-eni.ts';
import type { Ec2Request, NodeIpamConfig } from './types.ts';

/** mulberry32: a tiny seeded PRNG, so every failure is reproducible from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CONFIGS: Array<Record<string, string>> = [
  { 'enable-windows-prefix-delegation': 'true' },
  { 'enable-windows-prefix-delegation': 'true', 'warm-prefix-target': '1' },
  { 'enable-windows-prefix-delegation': 'true', 'warm-ip-target': '7', 'minimum-ip-target': '20' },
  { 'enable-windows-prefix-delegation': 'true', 'warm-ip-target': '3', 'minimum-ip-target': '1' },
  {},
  { 'windows-warm-ip-target': '1', 'windows-minimum-ip-target': '0' },
  { 'windows-warm-ip-target': '5', 'windows-minimum-ip-target': '2' },
];
const FAILURES: Ec2ErrorKind[] = ['throttled', 'other', 'unreachable', 'not-found', 'address-limit-exceeded', 'insufficient-cidr-blocks'];

function configFor(data: Record<string, string>, slots: number): NodeIpamConfig {
  return resolveNodeConfig(resolveClusterConfig({ 'enable-windows-ipam': 'true', ...data }), { instanceType: 'x', slots, prefixCapable: true });
}

interface RunStats {
  steps: number;
  /** Runs without external additions, where any over-limit request would be the pool's fault. */
  cleanRuns: number;
  assigned: number;
  failures: number;
  vanished: number;
  modeChanges: number;
}

/** `tamper`: other tools add and remove addresses on the ENI behind the pool's back. */
function run(seed: number, steps: number, tamper: boolean): RunStats {
  const rnd = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;
  const slots = pick([2, 3, 9, 14]);
  let data = pick(CONFIGS);
  const pool = NodePool.create(defaultPoolSettings(slots, 19), configFor(data, slots));
  const eni = new WorldEni({ slots, prefixBlocks: 2 + Math.floor(rnd() * 12) });
  const inflight: Ec2Request[] = [];
  const live = new Set<string>();
  const waiting = new Set<string>();
  /** Addresses taken away behind the pool's back since the last completed re-sync. */
  let removedExternally: string[] = [];
  const stats: RunStats = { steps, cleanRuns: 0, assigned: 0, failures: 0, vanished: 0, modeChanges: 0 };
  let now = 0;
  let nextPod = 1;
  let externalAdds = 0;
  const where = () => `seed ${seed}, t=${now}`;
  /** When each address was last freed by a pod: it must not be handed out again within the cool-down. */
  const freedAt = new Map<string, number>();
  const checkFresh = (ip: string) => {
    assert.ok(onEni(ip) || removedBehindBack(ip), `fresh address ${ip} is not on the ENI (${where()})`);
    const freed = freedAt.get(ip);
    assert.ok(freed === undefined || now - freed >= COOL_DOWN_MS, `${ip} handed out ${now - (freed ?? 0)} ms after it was freed (${where()})`);
  };

  const onEni = (ip: string): boolean => {
    const n = parseIPv4(ip);
    return eni.secondaryIps.has(ip) || [...eni.prefixes].some((p) => cidrContains(parseCidr(p), n));
  };
  const removedBehindBack = (ip: string): boolean => {
    const n = parseIPv4(ip);
    return removedExternally.some((a) => (a.includes('/') ? cidrContains(parseCidr(a), n) : a === ip));
  };

  const check = () => {
    const snap = pool.snapshot(now);
    const held = [...snap.assignments.map((a) => a.ip), ...snap.vanished.map((v) => v.ip)];
    assert.equal(new Set(held).size, held.length, `an address is held twice (${where()})`);
    for (const a of snap.assignments) {
      assert.ok(onEni(a.ip) || removedBehindBack(a.ip), `pod ${a.podUid} uses ${a.ip}, which the ENI does not hold (${where()})`);
    }
    const owners = new Set([...snap.assignments.map((a) => a.podUid), ...snap.vanished.map((v) => v.podUid)]);
    assert.deepEqual(owners, live, `the pool and the test disagree about who holds an address (${where()})`);
    assert.ok(eni.usedSlots <= slots, `ENI over its ${slots} slots (${where()})`);
    assert.ok(snap.slots.prefixes + snap.slots.secondaryIps + snap.slots.pending <= slots, `ledger plans beyond ${slots} slots (${where()})`);
    assert.ok(pool.advertisedCapacity <= snap.capacity.nominal, `advertised above nominal (${where()})`);
    // The metrics read the counts alone; they must be the snapshot's, in every state a run reaches.
    assert.deepEqual(pool.gauges(now), {
      counts: snap.counts,
      pending: snap.pending,
      capacity: { nominal: snap.capacity.nominal, deliverable: snap.capacity.deliverable },
      prefixes: snap.prefixes.length,
      secondaryIps: snap.secondaryIps.length,
    }, `gauges and snapshot differ (${where()})`);
  };

  const complete = (request: Ec2Request, fault: Fault | undefined) => {
    const report = pool.complete(eni.perform(request, fault), now);
    if (request.kind === 'resync' && report) {
      stats.vanished += report.vanishedUnderPods.length;
      removedExternally = [];
    }
  };

  for (let step = 0; step < steps; step++) {
    const r = rnd();
    if (r < 0.2) {
      const uid = `p${nextPod++}`;
      const res = pool.assign(uid, now);
      if (res.ok) {
        live.add(uid);
        stats.assigned++;
        checkFresh(res.ip);
      } else waiting.add(uid);
    } else if (r < 0.3 && waiting.size > 0) {
      const uid = pick([...waiting]);
      const res = pool.assign(uid, now);
      if (res.ok) {
        waiting.delete(uid);
        live.add(uid);
        stats.assigned++;
        checkFresh(res.ip);
      }
    } else if (r < 0.48 && live.size + waiting.size > 0) {
      const uid = pick([...live, ...waiting]);
      const released = pool.release(uid, now);
      if (released) freedAt.set(released.ip, now);
      assert.equal(released !== undefined, live.has(uid), `release of ${uid} (${where()})`);
      live.delete(uid);
      waiting.delete(uid);
    } else if (r < 0.66) {
      const before = pool.snapshot(now);
      const planned = pool.plan(now);
      // Nothing with a pod on it, nothing cooling, goes back to EC2.
      for (const q of planned) {
        if (q.kind === 'unassign-prefixes') {
          for (const cidr of q.prefixes) {
            const p = before.prefixes.find((x) => x.prefix === cidr);
            assert.ok(p && p.free === 16, `released ${cidr} with ${p?.used} used, ${p?.cooling} cooling (${where()})`);
          }
        } else if (q.kind === 'unassign-secondary-ips') {
          for (const ip of q.ips) {
            const st = before.secondaryIps.find((x) => x.ip === ip)?.state;
            assert.equal(st, 'free', `released ${ip} while ${st} (${where()})`);
          }
        }
      }
      inflight.push(...planned);
    } else if (r < 0.84 && inflight.length > 0) {
      const request = inflight.splice(Math.floor(rnd() * inflight.length), 1)[0]!;
      const f = rnd();
      let fault: Fault | undefined;
      if (f < 0.1) fault = { fail: pick(FAILURES) };
      else if (f < 0.2) fault = { fail: pick(FAILURES), done: Math.floor(rnd() * 3) };
      if (fault) stats.failures++;
      complete(request, fault);
    } else if (r < 0.95) {
      now += Math.floor(rnd() * 45_000);
    } else if (r < 0.96 && tamper) {
      const all = [...eni.prefixes, ...eni.secondaryIps];
      if (all.length > 0) {
        const victim = pick(all);
        eni.removeExternally(victim);
        removedExternally.push(victim);
      }
    } else if (r < 0.965 && tamper) {
      if (eni.addExternally(rnd() < 0.5 ? 'prefix' : 'secondary')) externalAdds++;
    } else if (r < 0.975) {
      const next = pick(CONFIGS);
      if (configFor(next, slots).mode !== configFor(data, slots).mode) stats.modeChanges++;
      data = next;
      pool.setConfig(configFor(data, slots));
    } else if (r < 0.985) {
      pool.requestResync();
    } else if (r < 0.99) {
      eni.addBlocks(1);
    }
    check();
  }

  // Wind down: every pod goes, EC2 recovers, the subnet has room, time passes.
  for (const uid of [...live, ...waiting]) pool.release(uid, now);
  live.clear();
  waiting.clear();
  for (const request of inflight.splice(0)) complete(request, undefined);
  eni.addBlocks(64);
  pool.requestResync();
  now = settleFully(pool, eni, now);
  now = settleFully(pool, eni, now + 10 * 60_000);
  check();

  const snap = pool.snapshot(now);
  assert.equal(snap.counts.used + snap.counts.cooling, 0, `addresses still used or cooling (${where()})`);
  assert.deepEqual(snap.vanished, []);
  assert.deepEqual(snap.pending, { assignPrefixes: 0, assignSecondaryIps: 0, unassignPrefixes: 0, unassignSecondaryIps: 0, resync: false });
  assert.deepEqual(snap.prefixes.map((p) => p.prefix).sort(), eni.state.prefixes, `ledger and ENI differ (${where()})`);
  assert.deepEqual(snap.secondaryIps.map((s) => s.ip).sort(), eni.state.secondaryIps, `ledger and ENI differ (${where()})`);
  // Only addresses added behind the pool's back can make it ask for more slots than are free.
  if (externalAdds === 0) assert.equal(eni.rejectedOverLimit, 0, `the pool asked EC2 for more slots than were free (${where()})`);
  stats.cleanRuns += externalAdds === 0 ? 1 : 0;
  // What a fresh node with the same config holds with no pods: anything more has leaked.
  const fresh = NodePool.create(defaultPoolSettings(slots, 19), configFor(data, slots));
  const freshEni = new WorldEni({ slots });
  settleFully(fresh, freshEni, 0);
  assert.equal(eni.prefixes.size, freshEni.prefixes.size, `prefixes leaked (${where()})`);
  assert.equal(eni.secondaryIps.size, freshEni.secondaryIps.size, `secondary IPs leaked (${where()})`);
  return stats;
}

describe('pool invariants over seeded random runs', () => {
  const SEEDS = 30;
  const STEPS = 1_500;
  const total: RunStats = { steps: 0, cleanRuns: 0, assigned: 0, failures: 0, vanished: 0, modeChanges: 0 };
  for (let seed = 1; seed <= SEEDS; seed++) {
    const tamper = seed % 3 !== 0;
    test(`seed ${seed}: ${STEPS} steps${tamper ? ', with other tools changing the ENI' : ''}`, () => {
      const s = run(seed, STEPS, tamper);
      for (const k of Object.keys(total) as Array<keyof RunStats>) total[k] += s[k];
    });
  }
  test('the runs exercised the hard paths', (t) => {
    t.diagnostic(JSON.stringify(total));
    // Otherwise the invariants above would prove little.
    assert.equal(total.steps, SEEDS * STEPS, 'every run completed');
    assert.ok(total.assigned > 1_000, `assigned ${total.assigned}`);
    assert.ok(total.failures > 300, `failures ${total.failures}`);
    assert.ok(total.vanished > 0, `vanished ${total.vanished}`);
    assert.ok(total.modeChanges > 10, `mode changes ${total.modeChanges}`);
    assert.ok(total.cleanRuns > 0, `clean runs ${total.cleanRuns}`);
  });
});
