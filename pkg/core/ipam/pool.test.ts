import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveClusterConfig, resolveNodeConfig } from './config.ts';
import {
  ADDRESS_LIMIT_BACKOFF_MS,
  defaultPoolSettings,
  INSUFFICIENT_CIDR_BACKOFF_MS,
  NodePool,
  PoolSettingsError,
  WAITING_TTL_MS,
  DEMAND_HORIZON_MS,
  parseAddresses,
} from './pool.ts';
import { fillPool, settle, settleFully } from './testing/settle.ts';
import { WorldEni } from '../../ec2sim/world-eni.ts';
import { formatIPv4, parseCidr } from '../net/ipv4.ts';
import type { AssignOutcome, AssignResult, Ec2Request, Ec2Result, NodeIpamConfig, UnassignOutcome } from './types.ts';

/** A hand-written EC2 answer for a request the pool issued (the WorldEni's are produced by perform). */
function assignResult(request: Ec2Request, outcome: AssignOutcome): Ec2Result {
  if (request.kind !== 'assign-prefixes' && request.kind !== 'assign-secondary-ips') throw new Error(`not an assign: ${request.kind}`);
  return { request, outcome };
}
function unassignResult(request: Ec2Request, outcome: UnassignOutcome): Ec2Result {
  if (request.kind !== 'unassign-prefixes' && request.kind !== 'unassign-secondary-ips') throw new Error(`not an unassign: ${request.kind}`);
  return { request, outcome };
}

const PD = { 'enable-windows-ipam': 'true', 'enable-windows-prefix-delegation': 'true' };
const SEC = { 'enable-windows-ipam': 'true' };
const COOL = 30_000;
const HOLD = 60_000;

function cfg(data: Record<string, string>, slots = 9): NodeIpamConfig {
  return resolveNodeConfig(resolveClusterConfig(data), { instanceType: 'm5.large', slots, prefixCapable: true });
}

function setup(data: Record<string, string>, opts: { slots?: number; prefixBlocks?: number } = {}) {
  const slots = opts.slots ?? 9;
  const pool = NodePool.create(defaultPoolSettings(slots, 19), cfg(data, slots));
  const eni = new WorldEni({ slots, prefixBlocks: opts.prefixBlocks ?? 64 });
  settle(pool, eni, 0);
  return { pool, eni };
}

function ok(r: AssignResult): Extract<AssignResult, { ok: true }> {
  assert.ok(r.ok, r.ok ? '' : `${r.reason}: ${r.message}`);
  return r;
}

function fail(r: AssignResult): Extract<AssignResult, { ok: false }> {
  assert.ok(!r.ok, 'expected the assignment to fail');
  return r;
}

function fill(pool: NodePool, eni: WorldEni, count: number, now = 0, prefix = 'pod') {
  for (let i = 1; i <= count; i++) {
    ok(pool.assign(`${prefix}-${i}`, now));
    settle(pool, eni, now);
  }
}

describe('settings', () => {
  test('bad settings are rejected with a stable code naming the value', () => {
    for (const bad of [{ slots: -1 }, { slots: 1.5 }, { subnetPrefixLength: 33 }, { coolDownMs: Number.NaN }, { releaseHoldDownMs: -5 }]) {
      assert.throws(
        () => NodePool.create({ ...defaultPoolSettings(9, 19), ...bad }, cfg(PD)),
        (err: unknown) => err instanceof PoolSettingsError && err.code === 'WINPREFIX_BAD_POOL_SETTINGS' && err.message.includes(String(Object.values(bad)[0])),
      );
    }
  });

  test('defaults: 30 s cool-down, 60 s hold-down', () => {
    assert.deepEqual(defaultPoolSettings(14, 20), { slots: 14, subnetPrefixLength: 20, coolDownMs: COOL, releaseHoldDownMs: HOLD });
  });
});

describe('assignment', () => {
  test('prefix mode: annotation ip/32, source names the /28; repeat is idempotent', () => {
    const { pool } = setup(PD);
    const first = ok(pool.assign('a', 0));
    assert.equal(first.annotation, `${first.ip}/32`);
    assert.equal(first.source.kind, 'prefix');
    assert.equal(first.fresh, true);
    const again = ok(pool.assign('a', 5));
    assert.deepEqual({ ...again, fresh: true }, first);
    assert.equal(again.fresh, false);
    assert.deepEqual(pool.addressOf('a'), { ip: first.ip, source: first.source });
  });

  test('secondary mode: annotation ip/<subnet mask>', () => {
    const { pool } = setup(SEC);
    const r = ok(pool.assign('a', 0));
    assert.equal(r.annotation, `${r.ip}/19`);
    assert.deepEqual(r.source, { kind: 'secondary' });
  });

  test('from the prefix with the fewest free addresses; ties go to the lowest CIDR', () => {
    // Two prefixes: 10 used in the higher one, 3 in the lower one.
    const eni = { prefixes: ['10.0.16.0/28', '10.0.16.16/28'], secondaryIps: [] };
    const pods = [
      ...Array.from({ length: 3 }, (_, i) => ({ podUid: `low-${i}`, annotation: `10.0.16.${i}/32` })),
      ...Array.from({ length: 10 }, (_, i) => ({ podUid: `high-${i}`, annotation: `10.0.16.${16 + i}/32` })),
    ];
    const { pool } = NodePool.restore(defaultPoolSettings(9, 19), cfg(PD), eni, pods, 0);
    const r = ok(pool.assign('new', COOL));
    assert.equal(r.ip, '10.0.16.26', 'fullest prefix, lowest free address');
    const tie = NodePool.restore(defaultPoolSettings(9, 19), cfg(PD), { prefixes: ['10.0.16.16/28', '10.0.16.0/28'], secondaryIps: [] }, [], 0).pool;
    assert.equal(ok(tie.assign('x', COOL)).ip, '10.0.16.0');
  });

  test('a cooling address is not handed out; after 30 s it is', () => {
    const { pool, eni } = setup(SEC);
    fill(pool, eni, 9);
    const freed = pool.release('pod-4', 1_000)!;
    const r = fail(pool.assign('late', 1_000));
    assert.equal(r.reason, 'cooling-down');
    assert.equal(r.retryAfterMs, COOL);
    assert.equal(fail(pool.assign('late', 30_999)).reason, 'cooling-down');
    assert.equal(ok(pool.assign('late', 31_000)).ip, freed.ip);
  });

  test('at capacity: 9 pods on m5.large secondary, 144 in prefix mode', () => {
    const sec = setup(SEC);
    fill(sec.pool, sec.eni, 9);
    const r = fail(sec.pool.assign('tenth', 0));
    assert.equal(r.reason, 'at-capacity');
    assert.match(r.message, /hold 9 pods/);
    const pd = setup(PD);
    fill(pd.pool, pd.eni, 144);
    assert.equal(pd.pool.snapshot(0).prefixes.length, 9);
    assert.equal(fail(pd.pool.assign('one-more', 0)).reason, 'at-capacity');
  });

  test('a node with no slots asks EC2 for nothing and says it is at capacity', () => {
    const pool = NodePool.create(defaultPoolSettings(0, 19), cfg(PD, 0));
    assert.deepEqual(pool.plan(0), []);
    assert.equal(pool.advertisedCapacity, 0);
    assert.equal(pool.nextWakeAt(0), undefined);
    assert.equal(fail(pool.assign('a', 0)).reason, 'at-capacity');
    assert.deepEqual(pool.plan(0), []);
  });

  test('15, 16 and 17 pods: the 16th pod brings the second prefix, the 17th uses it', () => {
    const { pool, eni } = setup(PD);
    fill(pool, eni, 15);
    assert.equal(pool.snapshot(0).prefixes.length, 1);
    fill(pool, eni, 16);
    assert.equal(pool.snapshot(0).prefixes.length, 2);
    const seventeenth = ok(pool.assign('pod-17', 0));
    assert.equal(seventeenth.source.kind === 'prefix' && seventeenth.source.prefix, pool.snapshot(0).prefixes[1]!.prefix);
  });

  test('only cooling addresses and a free slot: the pool grows for the waiting pod (docs/upstream-differences.md #16)', () => {
    const { pool, eni } = setup(PD);
    fill(pool, eni, 15);
    pool.release('pod-1', 1_000);
    settle(pool, eni, 1_000);
    // 14 used, 1 free, 1 cooling: the free one goes first.
    ok(pool.assign('x', 1_000));
    const waiting = fail(pool.assign('y', 1_000));
    assert.equal(waiting.reason, 'warm-pool-empty');
    const plan = pool.plan(1_000);
    assert.deepEqual(plan.map((r) => r.kind === 'assign-prefixes' && r.count), [1]);
    pool.complete(eni.perform(plan[0]!), 1_000);
    ok(pool.assign('y', 1_001));
  });

  test('waiting demand ends when the pod is deleted, or stops asking for WAITING_TTL_MS', () => {
    const long = { ...defaultPoolSettings(9, 19), coolDownMs: 10 * WAITING_TTL_MS };
    for (const end of ['deleted', 'expired'] as const) {
      const pool = NodePool.create(long, cfg(PD));
      const eni = new WorldEni({ slots: 9 });
      settle(pool, eni, 0);
      fill(pool, eni, 15);
      pool.release('pod-1', 0);
      ok(pool.assign('x', 0)); // takes the last free address: 15 used, 1 cooling
      assert.deepEqual(pool.plan(0), [], 'W=1 is met on paper: upstream would make the next pod wait');
      fail(pool.assign('gone', 0));
      const at = end === 'deleted' ? 1 : WAITING_TTL_MS;
      if (end === 'deleted') pool.release('gone', 1);
      assert.deepEqual(pool.plan(at), [], `no prefix for a pod that ${end}`);
    }
  });
});

describe('release of prefixes and secondary IPs', () => {
  test('a prefix goes only when all 16 are free and it has been surplus for the hold-down', () => {
    const { pool, eni } = setup(PD);
    fill(pool, eni, 16);
    const second = pool.snapshot(0).prefixes[1]!.prefix;
    pool.release('pod-1', 0);
    assert.deepEqual(pool.plan(0), [], 'surplus from now (upstream releases it here), held down');
    assert.equal(pool.nextWakeAt(0), COOL, 'the freed address cools first');
    assert.deepEqual(pool.plan(COOL), []);
    assert.equal(pool.nextWakeAt(COOL), HOLD);
    assert.deepEqual(pool.plan(HOLD - 1), []);
    const release = pool.plan(HOLD);
    assert.deepEqual(release.map((r) => r.kind === 'unassign-prefixes' && r.prefixes), [[second]]);
    assert.equal(pool.snapshot(HOLD).prefixes.find((p) => p.prefix === second)!.releasing, true);
    const y = ok(pool.assign('y', HOLD));
    assert.notEqual(y.source.kind === 'prefix' && y.source.prefix, second, 'a releasing prefix is not assignable');
    pool.complete(eni.perform(release[0]!), HOLD);
    assert.equal(pool.snapshot(HOLD).prefixes.length, 1);
  });

  test('a partly used prefix is never released, however large the surplus', () => {
    const { pool, eni } = setup(PD);
    fill(pool, eni, 40);
    for (let i = 1; i <= 40; i++) if (i !== 5 && i !== 20 && i !== 38) pool.release(`pod-${i}`, 0);
    const end = settleFully(pool, eni, 0);
    const snap = pool.snapshot(end);
    assert.deepEqual(snap.prefixes.map((p) => p.used), [1, 1, 1], 'each prefix holds one pod, none can go');
  });

  test('the hold-down restarts when the surplus ends in between', () => {
    const { pool, eni } = setup(PD);
    fill(pool, eni, 16);
    pool.release('pod-1', 0);
    pool.plan(0); // second prefix surplus since 0
    const back = ok(pool.assign('back', 1)); // only the second prefix has a free address
    assert.equal(back.source.kind === 'prefix' && back.source.prefix, pool.snapshot(1).prefixes[1]!.prefix);
    assert.deepEqual(pool.plan(1), []);
    pool.release('back', 2);
    pool.plan(2 + COOL); // surplus again since here
    assert.deepEqual(pool.plan(HOLD), [], 'old mark forgotten');
    assert.deepEqual(pool.plan(2 + COOL + HOLD - 1), []);
    assert.equal(pool.plan(2 + COOL + HOLD).length, 1);
  });

  test('no deletes are planned while a create is in flight (docs/upstream-differences.md #17)', () => {
    const { pool, eni } = setup({ ...SEC, 'windows-warm-ip-target': '5', 'windows-minimum-ip-target': '0' });
    for (const uid of ['a', 'b', 'c']) ok(pool.assign(uid, 0));
    const [create] = pool.plan(0);
    assert.equal(create!.kind === 'assign-secondary-ips' && create!.count, 3);
    pool.setConfig(cfg({ ...SEC, 'windows-warm-ip-target': '1', 'windows-minimum-ip-target': '0' }));
    // 2 free + 3 pending against a warm target of 1: upstream would delete the 2 free ones now.
    for (const t of [0, COOL, HOLD, 2 * HOLD]) assert.deepEqual(pool.plan(t), [], `nothing at ${t} while creating`);
    pool.complete(eni.perform(create!), 2 * HOLD);
    assert.deepEqual(pool.plan(2 * HOLD), [], 'surplus of 4 from now, held down');
    const [release] = pool.plan(3 * HOLD);
    assert.equal(release!.kind === 'unassign-secondary-ips' && release!.ips.length, 4);
  });

  test('zero hold-down releases at once', () => {
    const config = cfg(PD);
    const pool = NodePool.create({ ...defaultPoolSettings(9, 19), releaseHoldDownMs: 0 }, config);
    const eni = new WorldEni({ slots: 9 });
    settle(pool, eni, 0);
    fill(pool, eni, 16);
    pool.release('pod-2', 0);
    assert.equal(pool.plan(0).length, 1, 'upstream behaviour: the empty second prefix goes at once');
  });
});

describe('mode changes and capacity', () => {
  test('prefix -> secondary: prefixes drain as their pods go, new pods get secondary IPs', () => {
    const { pool, eni } = setup(PD);
    fill(pool, eni, 20);
    pool.setConfig(cfg(SEC));
    settle(pool, eni, 0);
    let snap = pool.snapshot(0);
    assert.equal(snap.mode, 'secondary');
    assert.equal(snap.mixed, true);
    assert.ok(snap.prefixes.every((p) => p.draining));
    assert.equal(snap.prefixes.length, 2, 'both prefixes hold pods and stay');
    const r = ok(pool.assign('new', 0));
    assert.equal(r.source.kind, 'secondary');
    assert.equal(r.annotation, `${r.ip}/19`);
    // 2 prefix slots are taken; 20 pods on prefixes exceed 9 nominal: advertise nominal at most.
    assert.equal(pool.advertisedCapacity, 9);
    for (let i = 17; i <= 20; i++) pool.release(`pod-${i}`, 1);
    const t = settleFully(pool, eni, 1);
    snap = pool.snapshot(t);
    assert.equal(snap.prefixes.length, 1, 'the emptied prefix was released once cooled');
    assert.equal(snap.prefixes[0]!.used, 16);
    for (let i = 1; i <= 16; i++) pool.release(`pod-${i}`, t);
    const t2 = settleFully(pool, eni, t);
    snap = pool.snapshot(t2);
    assert.equal(snap.prefixes.length, 0);
    assert.equal(snap.mixed, false);
    assert.deepEqual(eni.state.prefixes, []);
  });

  test('secondary -> prefix: advertised capacity counts only slots the secondary IPs leave free', () => {
    const { pool, eni } = setup(SEC);
    fill(pool, eni, 3);
    assert.equal(pool.snapshot(0).secondaryIps.length, 6);
    pool.setConfig(cfg(PD));
    // Until the 3 warm IPs are gone, 6 slots are taken by secondary IPs.
    assert.equal(pool.advertisedCapacity, 16 * (9 - 6) + 3);
    settleFully(pool, eni, 0);
    const deliverable = pool.advertisedCapacity;
    assert.equal(deliverable, 16 * (9 - 3) + 3);
    assert.equal(pool.snapshot(0).capacity.nominal, 144);
    // Exactly `deliverable` pods fit: 3 running plus new ones until the ENI is full.
    let placed = 3;
    let now = 0;
    for (let i = 0; i < 200; i++) {
      const r = pool.assign(`p-${i}`, now);
      if (!r.ok) {
        assert.equal(r.reason, 'at-capacity');
        break;
      }
      placed++;
      now = settleFully(pool, eni, now);
    }
    assert.equal(placed, deliverable);
    assert.ok(eni.usedSlots <= 9);
  });

  test('a secondary-IP assign still in flight at a switch to prefix mode counts against the capacity', () => {
    const { pool, eni } = setup(SEC);
    ok(pool.assign('pod-1', 0));
    const inFlight = pool.plan(0);
    assert.deepEqual(inFlight.map((r) => r.kind === 'assign-secondary-ips' && r.count), [1]);
    pool.setConfig(cfg(PD));
    const before = pool.advertisedCapacity;
    assert.equal(pool.snapshot(0).capacity.deliverable, before);
    pool.complete(eni.perform(inFlight[0]!), 0);
    assert.equal(before, 16 * (9 - 4) + 1, '3 warm IPs, 1 used and 1 arriving take 4 slots; pod-1 holds one of them');
    assert.equal(pool.advertisedCapacity, before, 'the arriving IP does not lower what was advertised');
  });

  test('advertisedCapacity is the nominal capacity on a single-mode node', () => {
    assert.equal(setup(PD).pool.advertisedCapacity, 144);
    assert.equal(setup(SEC).pool.advertisedCapacity, 9);
  });
});

describe('EC2 failures', () => {
  test('InsufficientCidrBlocks: backs off 2 min without a re-sync; pods are told what to do', () => {
    const { pool, eni } = setup(PD, { prefixBlocks: 1 });
    fill(pool, eni, 15);
    ok(pool.assign('pod-16', 0));
    settle(pool, eni, 0);
    const snap = pool.snapshot(0);
    assert.equal(snap.lastError?.kind, 'insufficient-cidr-blocks');
    assert.equal(snap.pending.resync, false);
    const r = fail(pool.assign('pod-17', 1_000));
    assert.equal(r.reason, 'insufficient-cidr-blocks');
    assert.match(r.message, /subnet CIDR reservation of type prefix/);
    assert.equal(r.retryAfterMs, INSUFFICIENT_CIDR_BACKOFF_MS - 1_000);
    assert.deepEqual(pool.plan(1_000), [], 'no retry storm');
    assert.ok(!eni.log.some((q) => q.kind === 'resync'));
    assert.ok(pool.nextWakeAt(1_000)! <= INSUFFICIENT_CIDR_BACKOFF_MS);
    assert.deepEqual(pool.plan(INSUFFICIENT_CIDR_BACKOFF_MS - 1), []);
    const retry = pool.plan(INSUFFICIENT_CIDR_BACKOFF_MS);
    assert.deepEqual(retry.map((q) => q.kind), ['assign-prefixes']);
  });

  test('InsufficientCidrBlocks pauses prefixes only: a switch to secondary mode still creates IPs', () => {
    const { pool, eni } = setup(PD, { prefixBlocks: 1 });
    fill(pool, eni, 16);
    assert.equal(pool.snapshot(0).lastError?.kind, 'insufficient-cidr-blocks');
    pool.setConfig(cfg(SEC));
    const [create] = pool.plan(1);
    assert.equal(create!.kind, 'assign-secondary-ips');
    pool.complete(eni.perform(create!), 1);
    const r = ok(pool.assign('pod-17', 1));
    assert.equal(r.source.kind, 'secondary');
  });

  test('after the backoff a prefix is created once the subnet has room again', () => {
    const { pool, eni } = setup(PD, { prefixBlocks: 2 });
    fill(pool, eni, 15);
    const external = eni.addExternally('prefix')!; // another node's ENI takes the last /28
    ok(pool.assign('pod-16', 0));
    settle(pool, eni, 0);
    assert.equal(fail(pool.assign('pod-17', 1)).reason, 'insufficient-cidr-blocks');
    eni.removeExternally(external, { returnToSubnet: true });
    settle(pool, eni, INSUFFICIENT_CIDR_BACKOFF_MS);
    ok(pool.assign('pod-17', INSUFFICIENT_CIDR_BACKOFF_MS));
    assert.equal(pool.snapshot(INSUFFICIENT_CIDR_BACKOFF_MS).lastError?.kind, 'insufficient-cidr-blocks', 'last error kept for the status');
  });

  test('any other failure triggers a re-sync, and nothing else until it is done', () => {
    const { pool, eni } = setup(PD);
    fill(pool, eni, 15);
    ok(pool.assign('pod-16', 0));
    const [create] = pool.plan(0);
    pool.complete(eni.perform(create!, { fail: 'throttled' }), 0);
    assert.equal(pool.snapshot(0).pending.resync, true, 'shown as pending before its request is issued');
    assert.equal(fail(pool.assign('pod-17', 0)).reason, 'resyncing');
    const [resync] = pool.plan(0);
    assert.equal(resync!.kind, 'resync');
    assert.deepEqual(pool.plan(0), [], 'one re-sync at a time');
    const report = pool.complete(eni.perform(resync!), 0);
    assert.deepEqual(report, { added: [], removed: [], vanishedUnderPods: [] });
    settle(pool, eni, 0);
    ok(pool.assign('pod-17', 0));
  });

  test('a failed re-sync is retried after a pause', () => {
    const { pool, eni } = setup(PD);
    pool.requestResync();
    const [resync] = pool.plan(0);
    pool.complete(eni.perform(resync!, { fail: 'unreachable' }), 0);
    assert.deepEqual(pool.plan(0), []);
    assert.equal(pool.nextWakeAt(0), 1_000);
    assert.equal(pool.plan(1_000)[0]!.kind, 'resync');
  });

  test('partial assign: what was created is kept, the rest comes after a re-sync', () => {
    const eni = new WorldEni({ slots: 9 });
    const wide = NodePool.create(defaultPoolSettings(9, 19), cfg({ ...PD, 'minimum-ip-target': '64' }));
    const [create] = wide.plan(0);
    assert.equal(create!.kind === 'assign-prefixes' && create!.count, 4);
    wide.complete(eni.perform(create!, { fail: 'other', done: 1 }), 0);
    assert.equal(wide.snapshot(0).prefixes.length, 1);
    const [resync] = wide.plan(0);
    assert.equal(resync!.kind, 'resync');
    wide.complete(eni.perform(resync!), 0);
    settle(wide, eni, 0);
    assert.deepEqual(wide.snapshot(0).prefixes.map((p) => p.prefix), eni.state.prefixes);
    assert.equal(eni.state.prefixes.length, 4);
  });

  test('PrivateIpAddressLimitExceeded: re-sync and a short backoff; the ledger learns the truth', () => {
    const { pool, eni } = setup(SEC); // 3 warm IPs
    const foreign = Array.from({ length: 6 }, () => eni.addExternally('secondary')!); // another tool fills the ENI
    fill(pool, eni, 1);
    assert.deepEqual(pool.plan(0), [], 'settled: no retry while backed off');
    const snap = pool.snapshot(0);
    assert.equal(snap.lastError?.kind, 'address-limit-exceeded');
    assert.equal(snap.secondaryIps.length, 9, 'the re-sync took in the foreign addresses');
    // The other tool lets go again; the ledger now shows free slots, but EC2 just said no: wait.
    for (const ip of foreign) eni.removeExternally(ip);
    pool.requestResync();
    settle(pool, eni, 1);
    for (let i = 2; i <= 3; i++) ok(pool.assign(`pod-${i}`, 1));
    const r = fail(pool.assign('pod-4', 1));
    assert.equal(r.reason, 'address-limit-exceeded');
    assert.match(r.message, /PrivateIpAddressLimitExceeded/);
    assert.equal(r.retryAfterMs, ADDRESS_LIMIT_BACKOFF_MS - 1);
    settle(pool, eni, ADDRESS_LIMIT_BACKOFF_MS);
    ok(pool.assign('pod-4', ADDRESS_LIMIT_BACKOFF_MS));
    assert.ok(eni.usedSlots <= 9);
  });

  /** Secondary mode, 4 pods, one leaves: once cooled and held down, its surplus IP is being released. */
  function surplusIpBeingReleased() {
    const { pool, eni } = setup(SEC);
    fill(pool, eni, 4);
    pool.release('pod-4', 0);
    pool.plan(COOL);
    const [release] = pool.plan(COOL + HOLD);
    return { pool, eni, release };
  }

  test('a failed unassign keeps the address, usable again, mask intact (docs/upstream-differences.md #7)', () => {
    const { pool, eni, release } = surplusIpBeingReleased();
    assert.equal(release!.kind, 'unassign-secondary-ips');
    pool.complete(eni.perform(release!, { fail: 'throttled' }), COOL + HOLD);
    const snap = pool.snapshot(COOL + HOLD);
    assert.ok(snap.secondaryIps.every((s) => s.state !== 'releasing'));
    settle(pool, eni, COOL + HOLD);
    const r = ok(pool.assign('again', COOL + HOLD));
    assert.match(r.annotation, /\/19$/);
  });

  test('an unassign that timed out after EC2 released the address: not handed out before the re-sync', () => {
    const { pool, eni, release } = surplusIpBeingReleased();
    assert.equal(release!.kind, 'unassign-secondary-ips');
    const gone = release!.kind === 'unassign-secondary-ips' ? release!.ips : [];
    eni.perform(release!); // EC2 did it, but the answer never arrived
    pool.complete(unassignResult(release!, { ok: false, error: 'unreachable', message: 'socket hang up', removed: [] }), COOL + HOLD);
    for (let i = 0; i < 10; i++) {
      const r = pool.assign(`early-${i}`, COOL + HOLD);
      if (r.ok) assert.ok(!gone.includes(r.ip), `${r.ip} was handed out although EC2 may have released it`);
    }
    settle(pool, eni, COOL + HOLD);
    assert.ok(pool.snapshot(COOL + HOLD).secondaryIps.every((s) => !gone.includes(s.ip)), 'the re-sync dropped it');
  });

  test('an unassign that timed out before EC2 acted: the re-sync makes the address usable again', () => {
    const { pool, eni, release } = surplusIpBeingReleased();
    pool.complete(unassignResult(release!, { ok: false, error: 'unreachable', message: 'connect ETIMEDOUT', removed: [] }), COOL + HOLD);
    settle(pool, eni, COOL + HOLD);
    assert.ok(pool.snapshot(COOL + HOLD).secondaryIps.every((s) => s.state !== 'releasing'));
  });

  test('answers to requests the pool did not issue (unknown id, or a copy of a pending one) are ignored', () => {
    const { pool, eni } = setup(PD);
    assert.equal(pool.complete({ request: { id: 999, kind: 'resync', trigger: 'ec2-error' }, outcome: { ok: true, eni: eni.state } }, 0), undefined);
    pool.requestResync();
    const [resync] = pool.plan(0);
    assert.equal(resync!.kind, 'resync');
    assert.equal(pool.complete({ request: { ...resync! } as typeof resync & { kind: 'resync' }, outcome: { ok: true, eni: eni.state } }, 0), undefined);
    assert.equal(pool.snapshot(0).pending.resync, true, 'still waiting for its own request');
    settle(pool, eni, 0);
    pool.complete(eni.perform(resync!), 0);
    assert.equal(pool.snapshot(0).pending.resync, false);
  });

  test('an assign answer with entries that are not /28 prefixes or IPv4 addresses: the rest is taken in, the bad ones named', () => {
    const pool = NodePool.create(defaultPoolSettings(9, 19), cfg(PD));
    const [create] = pool.plan(0);
    assert.equal(create!.kind, 'assign-prefixes');
    pool.complete(assignResult(create!, { ok: true, added: ['10.0.16.0/28', '10.0.32.0/27', '10.0.48.5/28', 'bogus'] }), 0);
    assert.deepEqual(pool.snapshot(0).prefixes.map((p) => p.prefix), ['10.0.16.0/28']);
    assert.match(pool.snapshot(0).lastError!.message, /10\.0\.32\.0\/27, 10\.0\.48\.5\/28, bogus/);

    const sec = NodePool.create(defaultPoolSettings(9, 19), cfg(SEC));
    const [createIps] = sec.plan(0);
    assert.equal(createIps!.kind, 'assign-secondary-ips');
    sec.complete(assignResult(createIps!, { ok: true, added: ['10.0.0.4', '10.0.0.5/19', '10.0.0.300'] }), 0);
    assert.deepEqual(sec.snapshot(0).secondaryIps.map((s) => s.ip), ['10.0.0.4', '10.0.0.5']);
    assert.match(sec.snapshot(0).lastError!.message, /ignored: 10\.0\.0\.300$/);
  });
});

describe('re-sync and restore', () => {
  test('addresses that vanish under running pods are reported and never handed out again', () => {
    const { pool, eni } = setup(PD);
    fill(pool, eni, 3);
    const held = pool.addressOf('pod-2')!;
    assert.equal(held.source.kind, 'prefix');
    const prefix = held.source.kind === 'prefix' ? held.source.prefix : '';
    eni.removeExternally(prefix);
    pool.requestResync();
    const [report] = settle(pool, eni, 0);
    assert.deepEqual(report!.removed, [prefix]);
    assert.deepEqual(report!.vanishedUnderPods.map((v) => v.podUid).sort(), ['pod-1', 'pod-2', 'pod-3']);
    assert.equal(pool.snapshot(0).vanished.length, 3);
    for (let i = 0; i < 20; i++) {
      const r = ok(pool.assign(`n-${i}`, 0));
      assert.notEqual(r.ip, held.ip);
      settle(pool, eni, 0);
    }
    assert.deepEqual(pool.release('pod-2', 1), { ip: held.ip, source: held.source });
    assert.equal(pool.snapshot(1).vanished.length, 2);
  });

  test('a vanished prefix that EC2 hands back goes to its pods again, not to new pods', () => {
    const { pool, eni } = setup(PD);
    fill(pool, eni, 2);
    const prefix = pool.snapshot(0).prefixes[0]!.prefix;
    eni.removeExternally(prefix, { returnToSubnet: true });
    pool.requestResync();
    settle(pool, eni, 0); // re-sync drops it, then the pool asks for a prefix and gets the same block
    const snap = pool.snapshot(0);
    assert.deepEqual(snap.prefixes.map((p) => p.prefix), [prefix]);
    assert.equal(snap.vanished.length, 0);
    assert.deepEqual(snap.assignments.map((a) => a.podUid), ['pod-1', 'pod-2']);
    assert.equal(snap.prefixes[0]!.used, 2);
  });

  test('unknown addresses on the ENI are taken in as free', () => {
    const { pool, eni } = setup(SEC);
    const foreign = eni.addExternally('secondary');
    pool.requestResync();
    const [report] = settle(pool, eni, 0);
    assert.deepEqual(report!.added, [foreign]);
    assert.equal(pool.snapshot(0).secondaryIps.find((s) => s.ip === foreign)!.state, 'free');
  });

  test('restore: running pods keep their addresses, free ones cool first, mixed ENIs are read', () => {
    const eni = { prefixes: ['10.0.16.0/28'], secondaryIps: ['10.0.0.7', '10.0.0.8'] };
    const pods = [
      { podUid: 'a', annotation: '10.0.16.3/32' },
      { podUid: 'b', annotation: '10.0.0.7/19' },
      { podUid: 'c', annotation: '10.0.16.3/32' }, // duplicate address
      { podUid: 'd', annotation: '10.9.9.9/32' }, // not on the ENI
      { podUid: 'e', annotation: 'garbage' },
      { podUid: 'f', annotation: '10.0.16.4' }, // bare ip (upstream's lost masks left some: docs/upstream-differences.md #7)
    ];
    const { pool, report } = NodePool.restore(defaultPoolSettings(9, 19), cfg(PD), eni, pods, 1_000);
    assert.deepEqual(report.duplicateAddresses.map((p) => p.podUid), ['c']);
    assert.deepEqual(report.podsWithoutEniAddress.map((p) => p.podUid), ['d', 'e']);
    assert.equal(pool.addressOf('a')!.ip, '10.0.16.3');
    assert.deepEqual(pool.addressOf('b'), { ip: '10.0.0.7', source: { kind: 'secondary' } });
    assert.equal(pool.addressOf('f')!.ip, '10.0.16.4');
    const snap = pool.snapshot(1_000);
    assert.equal(snap.mixed, true);
    assert.equal(snap.prefixes[0]!.cooling, 14);
    assert.equal(snap.secondaryIps.find((s) => s.ip === '10.0.0.8')!.state, 'cooling');
    assert.deepEqual(snap.vanished.map((v) => v.podUid), ['d']);
    assert.equal(pool.snapshot(1_000 + COOL).prefixes[0]!.free, 14);
    // The free secondary IP drains once cooled; the one held by pod b stays.
    const fake = new WorldEni({ slots: 9 });
    fake.placeExternally({ prefixes: ['10.0.16.0/28'], secondaryIps: ['10.0.0.7', '10.0.0.8'] });
    assert.deepEqual(pool.plan(1_000), []);
    const drain = pool.plan(1_000 + COOL);
    assert.deepEqual(drain.map((r) => r.kind === 'unassign-secondary-ips' && r.ips), [['10.0.0.8']]);
  });

  test('restore: an address two running pods carry is not handed to a third while either still runs', () => {
    const fake = new WorldEni({ slots: 9 });
    const prefix = fake.addExternally('prefix')!;
    const shared = prefix.replace(/0\/28$/, '3');
    const { pool, report } = NodePool.restore(defaultPoolSettings(9, 19), cfg(PD), fake.state, [
      { podUid: 'a', annotation: `${shared}/32` },
      { podUid: 'c', annotation: `${shared}/32` },
    ], 0);
    assert.deepEqual(report.duplicateAddresses.map((p) => p.podUid), ['c']);
    assert.equal(pool.addressOf('c')!.ip, shared);
    assert.deepEqual(pool.snapshot(0).assignments.map((a) => a.podUid), ['a', 'c'], 'listed, so the controller releases c when it goes');
    assert.deepEqual(pool.release('a', 0), { ip: shared, source: { kind: 'prefix', prefix } });
    let now = settleFully(pool, fake, 0);
    for (let i = 0; i < 40; i++) {
      const r = pool.assign(`new-${i}`, now);
      if (r.ok) assert.notEqual(r.ip, shared, `new-${i} got the address pod c still uses`);
      now = settleFully(pool, fake, now + 1);
    }
    pool.release('c', now);
    assert.equal(pool.snapshot(now).prefixes.find((p) => p.prefix === prefix)!.cells[3], 'cooling', 'freed once the last pod is gone');
  });

  test('an address two pods share that vanishes and comes back is still not handed to a third pod', () => {
    const fake = new WorldEni({ slots: 9 });
    const prefix = fake.addExternally('prefix')!;
    const shared = prefix.replace(/0\/28$/, '3');
    const { pool } = NodePool.restore(defaultPoolSettings(9, 19), cfg(PD), fake.state, [
      { podUid: 'a', annotation: `${shared}/32` },
      { podUid: 'c', annotation: `${shared}/32` },
    ], 0);
    fake.removeExternally(prefix, { returnToSubnet: true });
    pool.requestResync();
    const [report] = settle(pool, fake, 0); // the pool re-creates a prefix and gets the same block back
    assert.deepEqual(report!.vanishedUnderPods.map((v) => v.podUid).sort(), ['a', 'c']);
    assert.equal(pool.snapshot(0).prefixes[0]!.prefix, prefix);
    pool.release('a', 0);
    let now = settleFully(pool, fake, 0);
    for (let i = 0; i < 40; i++) {
      const r = pool.assign(`new-${i}`, now);
      if (r.ok) assert.notEqual(r.ip, shared, `new-${i} got the address pod c still uses`);
      now = settleFully(pool, fake, now + 1);
    }
  });

  test('restore: a new pod right after a restart does not get a cooling address', () => {
    const { pool } = NodePool.restore(defaultPoolSettings(9, 19), cfg(PD), { prefixes: ['10.0.16.0/28'], secondaryIps: [] }, [{ podUid: 'a', annotation: '10.0.16.0/32' }], 0);
    const eni = new WorldEni({ slots: 9 });
    eni.placeExternally({ prefixes: ['10.0.16.0/28'] });
    assert.deepEqual(pool.plan(0), [], 'no churn at restart: the cooling addresses are enough for the targets');
    assert.equal(fail(pool.assign('new', 0)).reason, 'warm-pool-empty');
    settle(pool, eni, 0);
    const r = ok(pool.assign('new', 0));
    assert.notEqual(r.source.kind === 'prefix' && r.source.prefix, '10.0.16.0/28');
  });

  test('restore in secondary mode: cooling warm IPs cause no create-then-release churn', () => {
    const eni = new WorldEni({ slots: 9 });
    const ips = Array.from({ length: 5 }, () => eni.addExternally('secondary')!);
    const { pool } = NodePool.restore(defaultPoolSettings(9, 19), cfg(SEC), eni.state, [
      { podUid: 'a', annotation: `${ips[0]}/19` },
      { podUid: 'b', annotation: `${ips[1]}/19` },
    ], 0);
    const end = settleFully(pool, eni, 0);
    assert.deepEqual(eni.log, [], 'used 2 + 3 restored warm IPs meet W=3, M=3');
    assert.equal(end, COOL);
    assert.equal(fail(pool.assign('c', 1)).reason, 'warm-pool-empty', 'still cooling: not handed out');
    settle(pool, eni, 1);
    assert.equal(eni.log.length, 1, 'the waiting pod gets a new IP instead');
    ok(pool.assign('c', 1));
  });

  test('restore with a warm prefix target: the free prefix cooling after the restart causes no create-then-release churn', () => {
    const eni = new WorldEni({ slots: 9 });
    const used = eni.addExternally('prefix')!;
    eni.addExternally('prefix');
    const { pool } = NodePool.restore(defaultPoolSettings(9, 19), cfg({ ...PD, 'warm-prefix-target': '1' }), eni.state, [
      { podUid: 'a', annotation: used.replace(/0\/28$/, '1/32') },
    ], 0);
    settleFully(pool, eni, 0);
    assert.deepEqual(eni.log, [], 'one used prefix and one free one meet P=1');
  });

  test('a vanished address that comes back is its pod\'s again', () => {
    const { pool, eni } = setup(SEC);
    fill(pool, eni, 1);
    const ip = pool.addressOf('pod-1')!.ip;
    eni.removeExternally(ip);
    pool.requestResync();
    settle(pool, eni, 0);
    assert.equal(pool.snapshot(0).vanished.length, 1);
    eni.placeExternally({ secondaryIps: [ip] });
    pool.requestResync();
    settle(pool, eni, 0);
    assert.equal(pool.snapshot(0).vanished.length, 0);
    assert.equal(pool.snapshot(0).assignments[0]!.ip, ip);
  });
});

describe('snapshot', () => {
  test('counts, cells, slots and pending work', () => {
    const { pool, eni } = setup(PD);
    fill(pool, eni, 3);
    pool.release('pod-2', 5);
    const snap = pool.snapshot(5);
    assert.deepEqual(snap.counts, { used: 2, free: 13, cooling: 1 });
    assert.deepEqual(snap.prefixes[0]!.cells.slice(0, 4), ['used', 'cooling', 'used', 'free']);
    assert.deepEqual(snap.slots, { total: 9, prefixes: 1, secondaryIps: 0, pending: 0, free: 8 });
    assert.equal(snap.config.mode, 'prefix');
    fill(pool, eni, 13, 5, 'more'); // 15 used, 1 cooling: full on paper
    fail(pool.assign('x', 5));
    pool.plan(5);
    const busy = pool.snapshot(5);
    assert.equal(busy.pending.assignPrefixes, 1);
    assert.equal(busy.slots.pending, 1);
  });

  test('nextWakeAt is undefined when nothing is waiting to happen', () => {
    const { pool } = setup(PD);
    assert.equal(pool.nextWakeAt(0), undefined);
    pool.release('nobody', 0);
    assert.equal(pool.release('nobody', 0), undefined);
  });
});

describe('takeInAnnotatedPods: addresses running pods carry that the pool did not hand out', () => {
  // A deposed leader's last annotation patches can land after the new leader restored its pool.
  const eni = { prefixes: ['10.0.16.0/28'], secondaryIps: [] };
  const restored = () => NodePool.restore(defaultPoolSettings(9, 19), cfg(PD), eni, [{ podUid: 'a', annotation: '10.0.16.0/32' }], 0).pool;

  test('a free address becomes the pod\'s and is never handed to another pod', () => {
    const pool = restored();
    const report = pool.takeInAnnotatedPods([{ podUid: 'late', annotation: '10.0.16.5/32' }]);
    assert.deepEqual(report, { podsWithoutEniAddress: [], duplicateAddresses: [] });
    assert.equal(pool.addressOf('late')?.ip, '10.0.16.5');
    const handedOut = new Set<string>();
    for (let i = 0; i < 14; i++) handedOut.add(ok(pool.assign(`new-${i}`, 40_000)).ip);
    assert.equal(handedOut.has('10.0.16.5'), false);
    assert.equal(handedOut.size, 14);
    fail(pool.assign('one-too-many', 40_000)); // the prefix is full: the 16th address is the one taken in
    assert.equal(pool.takeInAnnotatedPods([{ podUid: 'late', annotation: '10.0.16.5/32' }]).duplicateAddresses.length, 0, 'idempotent');
  });

  test('an address another pod holds, or one not on the ENI, is reported and kept out of use', () => {
    const pool = restored();
    const report = pool.takeInAnnotatedPods(
      [
        { podUid: 'twin', annotation: '10.0.16.0/32' },
        { podUid: 'ghost', annotation: '10.0.99.1/32' },
      ],
    );
    assert.deepEqual(report.duplicateAddresses.map((p) => p.podUid), ['twin']);
    assert.deepEqual(report.podsWithoutEniAddress.map((p) => p.podUid), ['ghost']);
    // When the first holder goes, the address passes to the pod sharing it, not to a newcomer.
    pool.release('a', 41_000);
    assert.equal(pool.addressOf('twin')?.ip, '10.0.16.0');
    for (let i = 0; i < 15; i++) assert.notEqual(ok(pool.assign(`new-${i}`, 80_000)).ip, '10.0.16.0');
  });
});

describe('EC2 owns the ENI: reads, contradictions, addresses held elsewhere', () => {
  /** A read of the ENI as the periodic describe would make it, sent at the pool's current epoch. */
  const read = (pool: NodePool, eni: WorldEni) => ({ eni: eni.state, epoch: pool.mutationEpoch });

  test('a read that agrees changes nothing and asks for nothing', () => {
    const { pool, eni } = setup(PD);
    fill(pool, eni, 5);
    const before = pool.snapshot(0);
    assert.deepEqual(pool.observe(read(pool, eni), 0), { missing: [], unexpected: [] });
    assert.deepEqual(pool.plan(0), []);
    assert.deepEqual(pool.snapshot(0), before);
  });

  test('a prefix removed behind our back: out of use at the read, quarantined with its pods by the re-read', () => {
    const { pool, eni } = setup(PD);
    fill(pool, eni, 3);
    const prefix = pool.snapshot(0).prefixes[0]!.prefix;
    eni.removeExternally(prefix);
    const report = pool.observe(read(pool, eni), 0);
    assert.deepEqual(report.missing, [prefix]);
    // Before the re-read lands, nothing from the block is handed out.
    for (let i = 0; i < 20; i++) {
      const r = pool.assign(`early-${i}`, 0);
      if (r.ok) assert.ok(!r.ip.startsWith(prefix.slice(0, prefix.lastIndexOf('.'))) || pool.addressOf(`early-${i}`)?.source.kind !== 'prefix' || (pool.addressOf(`early-${i}`)!.source as { prefix: string }).prefix !== prefix, `${r.ip} came from the suspect block`);
    }
    const planned = pool.plan(0);
    assert.deepEqual(planned.map((r) => r.kind), ['resync']);
    assert.equal(planned[0]!.kind === 'resync' && planned[0]!.trigger, 'contradiction');
    const resync = pool.complete(eni.perform(planned[0]!), 0)!;
    assert.deepEqual(resync.removed, [prefix]);
    assert.deepEqual(resync.vanishedUnderPods.map((v) => v.podUid).sort(), ['pod-1', 'pod-2', 'pod-3']);
    assert.equal(pool.snapshot(0).vanished.length, 3);
  });

  test('one read is not proof: a prefix the re-read still shows is back in use, its pods untouched', () => {
    const { pool, eni } = setup(PD);
    fill(pool, eni, 2);
    const prefix = pool.snapshot(0).prefixes[0]!.prefix;
    const lagging = { eni: { prefixes: [], secondaryIps: [] }, epoch: pool.mutationEpoch };
    assert.deepEqual(pool.observe(lagging, 0).missing, [prefix]);
    assert.equal(pool.snapshot(0).prefixes[0]!.suspect, true);
    const [resync] = pool.plan(0);
    const report = pool.complete(eni.perform(resync!), 0)!;
    assert.deepEqual(report.vanishedUnderPods, []);
    assert.equal(pool.snapshot(0).prefixes[0]!.suspect, false);
    assert.equal(pool.addressOf('pod-1')!.source.kind, 'prefix');
    ok(pool.assign('after', 0));
  });

  test('a doubt raised while a re-read is in flight outlives that re-read\'s answer, which may be older', () => {
    const { pool, eni } = setup(PD);
    fill(pool, eni, 2);
    const prefix = pool.snapshot(0).prefixes[0]!.prefix;
    pool.requestResync('ec2-error');
    const [resync] = pool.plan(0);
    const older = eni.perform(resync!); // EC2 reads the ENI now; the answer is slow to come back
    eni.removeExternally(prefix);
    assert.deepEqual(pool.observe(read(pool, eni), 0).missing, [prefix], 'a newer read shows the prefix gone');
    pool.complete(older, 0);
    assert.equal(pool.snapshot(0).prefixes.find((p) => p.prefix === prefix)?.suspect, true, 'the older answer does not settle the newer doubt');
    const r = pool.assign('newcomer', 0);
    if (r.ok) assert.notEqual(r.source.kind === 'prefix' && r.source.prefix, prefix);
    const [again] = pool.plan(0);
    assert.equal(again?.kind === 'resync' && again.trigger, 'contradiction', 'read again');
    const report = pool.complete(eni.perform(again!), 0)!;
    assert.deepEqual(report.vanishedUnderPods.map((v) => v.podUid).sort(), ['pod-1', 'pod-2']);
  });

  test('a read sent before an assign landed cannot miss what that assign added', () => {
    const { pool, eni } = setup(PD);
    const stale = read(pool, eni); // sent now, answered after the next prefix lands
    fill(pool, eni, 17); // grows to a second prefix
    assert.ok(pool.snapshot(0).prefixes.length >= 2);
    const report = pool.observe(stale, 0);
    assert.deepEqual(report.missing, [], 'prefixes added after the read was sent are not missing from it');
    assert.deepEqual(report.unexpected, [], 'a read that overlapped our writes does not judge extras');
  });

  test('an address added by hand is taken in by the re-read, counted once, and released per the targets', () => {
    const { pool, eni } = setup(PD);
    const extra = eni.addExternally('prefix')!;
    const report = pool.observe(read(pool, eni), 0);
    assert.deepEqual(report.unexpected, [extra]);
    const t = settleFully(pool, eni, 0);
    const snap = pool.snapshot(t);
    assert.equal(snap.prefixes.length, 1, 'the surplus prefix went back to EC2 after the hold-down');
    assert.equal(eni.prefixes.size, 1);
  });

  test('a release EC2 still shows moments later (read lag) is not taken back; a later read after the settle time is', () => {
    const { pool, eni } = setup(PD);
    fill(pool, eni, 17);
    for (let i = 1; i <= 17; i++) pool.release(`pod-${i}`, 0);
    const t = settleFully(pool, eni, 0);
    assert.equal(pool.snapshot(t).prefixes.length, 1);
    const released = [...eni.log].reverse().find((r) => r.kind === 'unassign-prefixes');
    assert.ok(released && released.kind === 'unassign-prefixes');
    const gone = released.prefixes[0]!;
    const lagging = { eni: { prefixes: [...eni.state.prefixes, gone], secondaryIps: [] }, epoch: pool.mutationEpoch };
    const soon = pool.observe(lagging, t + 1_000);
    assert.deepEqual(soon.unexpected, [], 'within the settle time the lagging read is not believed');
    assert.ok(!pool.holds(gone));
  });

  test('EC2 handing a held block to another node: suspect at once, re-read, pods quarantined', () => {
    const { pool, eni } = setup(PD);
    fill(pool, eni, 4);
    const prefix = pool.snapshot(0).prefixes[0]!.prefix;
    assert.equal(pool.holds(prefix), true);
    assert.equal(pool.holds(pool.addressOf('pod-1')!.ip), true);
    const podIp = pool.addressOf('pod-1')!.ip;
    assert.deepEqual(pool.heldOf(parseAddresses([prefix, '10.255.0.16/28', `${podIp}/32`, '10.255.0.9'])), [prefix, podIp], 'held: the prefix and an address in it; not: what another ENI has');
    eni.removeExternally(prefix); // it went to the other node
    assert.deepEqual(pool.suspect([prefix]), [prefix]);
    const r = pool.assign('newcomer', 0);
    if (r.ok) assert.notEqual(r.source.kind === 'prefix' && r.source.prefix, prefix);
    const report = settle(pool, eni, 0)[0]!;
    assert.equal(report.vanishedUnderPods.length, 4);
    assert.equal(pool.holds(prefix), false);
  });

  test('an address a pod on another node carries is never handed out here, and cools once that pod is gone', () => {
    const { pool, eni } = setup(PD, { slots: 1 });
    const prefix = pool.snapshot(0).prefixes[0]!.prefix;
    const base = parseCidr(prefix).base;
    const claims = new Map<number, string>();
    for (let i = 0; i < 16; i++) claims.set(base + i, `default/elsewhere-${i} on node-b`);
    assert.equal(pool.setHeldElsewhere((ip) => claims.get(ip), 0).length, 16);
    const waiting = fail(pool.assign('p', 0));
    assert.notEqual(waiting.reason, 'warm-pool-empty', 'a full ENI whose block is held elsewhere is not "addresses on their way"');
    assert.equal(pool.snapshot(0).heldElsewhere.length, 16);
    assert.deepEqual(pool.plan(0), [], 'nothing released that a running pod holds, and no slot to grow');
    claims.delete(base + 3);
    assert.deepEqual(pool.setHeldElsewhere((ip) => claims.get(ip), 1_000), []);
    fail(pool.assign('p', 1_000)); // cooling
    const got = ok(pool.assign('p', 1_000 + COOL));
    assert.equal(got.ip, formatIPv4(base + 3));
  });

  test('InsufficientCidrBlocks: advertise what the attached prefixes hold, and the full capacity again once a prefix comes', () => {
    const { pool, eni } = setup(PD, { prefixBlocks: 1 });
    assert.equal(pool.advertisedCapacity, 9 * 16);
    fill(pool, eni, 16);
    const failed = settle(pool, eni, 0);
    assert.deepEqual(failed, []);
    assert.equal(pool.prefixesExhausted, true);
    assert.equal(pool.advertisedCapacity, 16, 'one prefix attached, none to come');
    assert.equal(pool.snapshot(0).capacity.limitedBy, 'insufficient-cidr-blocks');
    const r = fail(pool.assign('p-17', 0));
    assert.equal(r.reason, 'insufficient-cidr-blocks');
    eni.addBlocks(4);
    const t = INSUFFICIENT_CIDR_BACKOFF_MS;
    settle(pool, eni, t);
    assert.equal(pool.prefixesExhausted, false);
    assert.equal(pool.advertisedCapacity, 9 * 16);
  });

  test('InsufficientCidrBlocks: a prefix asked for again after the backoff does not raise the capacity, only one that comes', () => {
    const { pool, eni } = setup(PD, { prefixBlocks: 1 });
    fill(pool, eni, 16);
    settle(pool, eni, 0);
    assert.equal(pool.advertisedCapacity, 16);
    const [probe] = pool.plan(INSUFFICIENT_CIDR_BACKOFF_MS);
    assert.equal(probe?.kind, 'assign-prefixes');
    assert.equal(pool.advertisedCapacity, 16, 'a refused probe would otherwise lower it again: the capacity would flap at every backoff');
    pool.complete(eni.perform(probe!), INSUFFICIENT_CIDR_BACKOFF_MS);
    assert.equal(pool.advertisedCapacity, 16);
  });
});

describe('demand during a burst (demandHorizonMs)', () => {
  const burst = (horizon: number, pods: number, perSecond: number) => {
    const settings = { ...defaultPoolSettings(9, 19), demandHorizonMs: horizon };
    const pool = NodePool.create(settings, cfg(PD));
    const eni = new WorldEni({ slots: 9 });
    let now = settleFully(pool, eni, 0);
    const start = now;
    for (let i = 0; i < pods; i++) {
      now = start + Math.round((i * 1000) / perSecond);
      pool.assign(`b-${i}`, now);
      settle(pool, eni, now);
    }
    for (let i = 0; i < pods; i++) ok(pool.assign(`b-${i}`, now));
    const assigns = eni.log.filter((r) => r.kind === 'assign-prefixes').length - 1; // the first is the warm prefix
    return { pool, eni, now, assigns };
  };

  test('upstream sizing (no horizon): one AssignPrivateIpAddresses per 16 pods of a burst', () => {
    const { assigns } = burst(0, 50, 20);
    assert.equal(assigns, 3);
  });

  test('with a horizon, a burst asks EC2 for what the arrival rate says it will need: one call for 50 pods, none extra', () => {
    const { assigns, pool, now } = burst(DEMAND_HORIZON_MS, 50, 20);
    assert.equal(assigns, 1, `${assigns} AssignPrivateIpAddresses for 50 pods at 20/s`);
    assert.equal(pool.snapshot(now).prefixes.length, 4, '50 pods and a warm address: what they need, no surplus');
  });

  test('a long burst: 130 pods at 20/s fill the ENI in three calls where upstream sizing takes eight', () => {
    assert.equal(burst(0, 130, 20).assigns, 8);
    const { assigns, pool, eni, now } = burst(DEMAND_HORIZON_MS, 130, 20);
    assert.equal(assigns, 3, `${assigns} AssignPrivateIpAddresses for 130 pods at 20/s`);
    const end = settleFully(pool, eni, now);
    assert.equal(pool.snapshot(end).prefixes.length, 9, '130 pods and a warm address: the whole ENI');
  });

  test('once the burst is over, the surplus goes back after the hold-down: steady state as without a horizon', () => {
    const { pool, eni, now } = burst(DEMAND_HORIZON_MS, 50, 20);
    const end = settleFully(pool, eni, now);
    const withHorizon = pool.snapshot(end).prefixes.length;
    const plain = burst(0, 50, 20);
    assert.equal(withHorizon, plain.pool.snapshot(settleFully(plain.pool, plain.eni, plain.now)).prefixes.length);
  });

  test('a short fast burst expects at most twice the pods it brought: 20 pods in half a second hold at most 4 prefixes, 2 once settled', () => {
    const { pool, eni, now } = burst(DEMAND_HORIZON_MS, 20, 40);
    const during = pool.snapshot(now).prefixes.length;
    assert.ok(during <= 4, `${during} prefixes during the burst; its rate alone would ask for the whole ENI`);
    const end = settleFully(pool, eni, now);
    assert.equal(pool.snapshot(end).prefixes.length, 2, '20 pods and a warm address: 2 prefixes, as upstream');
  });

  test('a lone pod is no trend: a horizon changes nothing for pods that come one by one', () => {
    const { assigns } = burst(DEMAND_HORIZON_MS, 20, 0.2); // one every 5 s
    assert.equal(assigns, 1, 'the 16th pod brings the second prefix, as upstream');
  });
});

describe('fillPool (test and benchmark support)', () => {
  test('gives every pod its own address, waiting out the pool\'s back-off as prefixes are added', () => {
    const pool = NodePool.create(defaultPoolSettings(9, 19), cfg(PD));
    const eni = new WorldEni({ slots: 9 });
    const snap = pool.snapshot(fillPool(pool, eni, 40, 0));
    assert.equal(snap.assignments.length, 40);
    assert.equal(new Set(snap.assignments.map((a) => a.ip)).size, 40);
    assert.deepEqual(snap.prefixes.map((p) => p.prefix).sort(), eni.state.prefixes);
  });
});
