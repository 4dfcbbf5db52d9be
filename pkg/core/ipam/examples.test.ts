/**
 * Upstream's documented behaviour, reproduced with the real pool: the worked examples A-E of
 * docs/upstream-differences.md, "Worked examples", and both upstream documentation tables
 * (docs/windows/prefix_delegation_config_options.md, docs/windows/secondary_ip_mode_config_options.md).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveClusterConfig, resolveNodeConfig } from './config.ts';
import { defaultPoolSettings, NodePool } from './pool.ts';
import { settle, settleFully } from './testing/settle.ts';
import { WorldEni } from '../../ec2sim/world-eni.ts';
import type { NodeIpamConfig } from './types.ts';

const PD = { 'enable-windows-ipam': 'true', 'enable-windows-prefix-delegation': 'true' };
const SEC = { 'enable-windows-ipam': 'true' };

function configFor(data: Record<string, string>, slots: number): NodeIpamConfig {
  return resolveNodeConfig(resolveClusterConfig(data), { instanceType: 'test.node', slots, prefixCapable: true });
}

function fresh(data: Record<string, string>, slots: number) {
  const config = configFor(data, slots);
  const pool = NodePool.create(defaultPoolSettings(slots, 19), config);
  const eni = new WorldEni({ slots });
  return { pool, eni, config };
}

/** Pods arrive one at a time on a fresh node, EC2 completes at once, the pool settles. */
function steadyState(data: Record<string, string>, slots: number, pods: number) {
  const { pool, eni } = fresh(data, slots);
  let now = settleFully(pool, eni, 0);
  for (let i = 1; i <= pods; i++) {
    const r = pool.assign(`pod-${i}`, now);
    assert.ok(r.ok, `pod ${i}: ${r.ok ? '' : r.message}`);
    now = settleFully(pool, eni, now);
  }
  const snap = pool.snapshot(now);
  return {
    snap,
    eni,
    prefixes: snap.prefixes.length,
    podsPerPrefix: snap.prefixes.map((p) => p.used).sort((a, b) => b - a),
    unusedPrefixes: snap.prefixes.filter((p) => p.used === 0).length,
    unusedIPs: snap.prefixes.length * 16 + snap.secondaryIps.length - snap.assignments.length,
    secondaryIps: snap.secondaryIps.length,
  };
}

describe('upstream prefix-delegation documentation table (23 rows)', () => {
  // warm-prefix-target | warm-ip-target | minimum-ip-target | pods | prefixes | pods per prefix | unused prefixes | unused IPs
  // The doc writes "5" for the pods-per-prefix of row 6; its other columns say two prefixes, one empty.
  const rows: Array<[string, string, string, number, number, string, number, number]> = [
    ['-', '-', '-', 0, 1, '0', 1, 16],
    ['-', '-', '-', 15, 1, '15', 0, 1],
    ['-', '-', '-', 16, 2, '16,0', 1, 16],
    ['1', '-', '-', 0, 1, '0', 1, 16],
    ['3', '-', '-', 0, 3, '0,0,0', 3, 48],
    ['1', '-', '-', 5, 2, '5,0', 1, 27],
    ['1', '-', '-', 17, 3, '16,1,0', 1, 31],
    ['-', '-', '1', 0, 1, '0', 1, 16],
    ['-', '-', '1', 5, 1, '5', 0, 11],
    ['-', '-', '1', 15, 1, '15', 0, 1],
    ['-', '-', '1', 16, 2, '16,0', 1, 16],
    ['-', '5', '-', 0, 1, '0', 1, 16],
    ['-', '5', '-', 5, 1, '5', 0, 11],
    ['-', '5', '-', 11, 1, '11', 0, 5],
    ['-', '5', '-', 12, 2, '12,0', 1, 20],
    ['-', '1', '1', 0, 1, '0', 1, 16],
    ['-', '1', '1', 5, 1, '5', 0, 11],
    ['-', '1', '1', 17, 2, '16,1', 0, 15],
    ['-', '3', '1', 14, 2, '14,0', 1, 18],
    ['-', '7', '20', 0, 2, '0,0', 2, 32],
    ['-', '7', '20', 5, 2, '5,0', 1, 27],
    ['-', '7', '20', 17, 2, '16,1', 0, 15],
    ['-', '7', '20', 26, 3, '16,10,0', 1, 22],
  ];
  for (const [p, w, m, pods, prefixes, perPrefix, unusedPrefixes, unusedIPs] of rows) {
    test(`P=${p} W=${w} M=${m}, ${pods} pods -> ${prefixes} prefixes (${perPrefix}), ${unusedIPs} unused IPs`, () => {
      const data: Record<string, string> = { ...PD };
      if (p !== '-') data['warm-prefix-target'] = p;
      if (w !== '-') data['warm-ip-target'] = w;
      if (m !== '-') data['minimum-ip-target'] = m;
      const s = steadyState(data, 14, pods);
      assert.equal(s.prefixes, prefixes);
      assert.equal(s.podsPerPrefix.join(','), perPrefix);
      assert.equal(s.unusedPrefixes, unusedPrefixes);
      assert.equal(s.unusedIPs, unusedIPs);
      assert.equal(s.secondaryIps, 0);
    });
  }
});

describe('upstream secondary-IP documentation table (11 rows)', () => {
  // windows-warm-ip-target | windows-minimum-ip-target | running pods | total IPs | warm IPs
  const rows: Array<[number, number, number, number, number]> = [
    [1, 0, 0, 1, 1],
    [1, 0, 5, 6, 1],
    [5, 0, 0, 5, 5],
    [1, 1, 0, 1, 1],
    [1, 1, 1, 2, 1],
    [1, 3, 3, 4, 1],
    [1, 3, 5, 6, 1],
    [5, 10, 0, 10, 10],
    [10, 10, 0, 10, 10],
    [10, 10, 10, 20, 10],
    [15, 10, 10, 25, 15],
  ];
  for (const [w, m, pods, total, warm] of rows) {
    test(`W=${w} M=${m}, ${pods} pods -> ${total} IPs, ${warm} warm`, () => {
      const data = { ...SEC, 'windows-warm-ip-target': String(w), 'windows-minimum-ip-target': String(m) };
      const s = steadyState(data, 29, pods);
      assert.equal(s.secondaryIps, total);
      assert.equal(s.unusedIPs, warm);
      assert.equal(s.prefixes, 0);
    });
  }
});

describe('worked example A: secondary mode, m5.large (9 slots), defaults 3/3', () => {
  test('init creates 3 in one call; each pod tops up by 1; at 9 the pool stops', () => {
    const { pool, eni } = fresh(SEC, 9);
    const first = pool.plan(0);
    assert.deepEqual(first.map((r) => r.kind === 'assign-secondary-ips' && r.count), [3]);
    pool.complete(eni.perform(first[0]!), 0);
    assert.ok(pool.assign('pod-1', 0).ok);
    const next = pool.plan(0);
    assert.deepEqual(next.map((r) => r.kind === 'assign-secondary-ips' && r.count), [1]);
    pool.complete(eni.perform(next[0]!), 0);
    for (let i = 2; i <= 6; i++) {
      assert.ok(pool.assign(`pod-${i}`, 0).ok);
      settle(pool, eni, 0);
    }
    assert.equal(pool.snapshot(0).secondaryIps.length, 9);
    assert.ok(pool.assign('pod-7', 0).ok);
    assert.deepEqual(pool.plan(0), [], 'capacity reached: nothing to create');
  });

  test('a freed IP cools for 30 s, then is surplus and released after the hold-down', () => {
    const { pool, eni } = fresh(SEC, 9);
    settle(pool, eni, 0);
    for (let i = 1; i <= 6; i++) {
      pool.assign(`pod-${i}`, 0);
      settle(pool, eni, 0);
    }
    pool.release('pod-6', 1_000);
    assert.deepEqual(pool.plan(1_000), [], 'used 5, cooling 1, warm 3: deviation 0');
    assert.deepEqual(pool.plan(30_999), []);
    assert.deepEqual(pool.plan(31_000), [], 'warm 4 is surplus from now, held down');
    assert.equal(pool.nextWakeAt(31_000), 91_000);
    const release = pool.plan(91_000);
    assert.equal(release.length, 1);
    assert.equal(release[0]!.kind, 'unassign-secondary-ips');
    pool.complete(eni.perform(release[0]!), 91_000);
    assert.equal(pool.snapshot(91_000).secondaryIps.length, 8);
  });
});

describe('worked example B: secondary mode, only windows-minimum-ip-target=6', () => {
  test('no starvation: warm falls back to 3 and the 7th pod gets an address (docs/upstream-differences.md #2)', () => {
    const data = { ...SEC, 'windows-minimum-ip-target': '6' };
    assert.equal(steadyState(data, 9, 0).secondaryIps, 6);
    assert.equal(steadyState(data, 9, 3).secondaryIps, 6);
    const six = steadyState(data, 9, 6);
    assert.equal(six.secondaryIps, 9);
    assert.equal(steadyState(data, 9, 7).snap.assignments.length, 7);
  });
});

describe('worked example C: prefix mode, 9 slots, defaults W=1 M=3', () => {
  test('init asks for one prefix; the 16th pod brings a second', () => {
    const { pool, eni } = fresh(PD, 9);
    const first = pool.plan(0);
    assert.deepEqual(first.map((r) => r.kind === 'assign-prefixes' && r.count), [1]);
    pool.complete(eni.perform(first[0]!), 0);
    for (let i = 1; i <= 15; i++) {
      pool.assign(`pod-${i}`, 0);
      assert.deepEqual(pool.plan(0), [], `pod ${i}: one prefix is enough`);
    }
    pool.assign('pod-16', 0);
    assert.deepEqual(pool.plan(0).map((r) => r.kind === 'assign-prefixes' && r.count), [1]);
  });

  test('a pod leaving at the boundary does not release the new prefix at once, and the next pod does not wait', () => {
    const { pool, eni } = fresh(PD, 9);
    settle(pool, eni, 0);
    for (let i = 1; i <= 16; i++) {
      pool.assign(`pod-${i}`, 0);
      settle(pool, eni, 0);
    }
    const calls = eni.log.length;
    pool.release('pod-3', 1_000);
    assert.deepEqual(pool.plan(1_000), [], 'second prefix held down, not released');
    const next = pool.assign('pod-17', 2_000);
    assert.ok(next.ok, 'upstream makes this pod wait up to 60 s for the cooling address');
    assert.equal(next.source.kind === 'prefix' && next.source.prefix, pool.snapshot(2_000).prefixes[1]!.prefix);
    settleFully(pool, eni, 2_000);
    assert.equal(pool.snapshot(200_000).prefixes.length, 2);
    assert.equal(eni.log.length, calls, 'no EC2 call for a pod swap at the boundary (no flapping)');
  });
});

describe('worked example D: prefix mode, warm-prefix-target=1', () => {
  const data = { ...PD, 'warm-prefix-target': '1' };
  test('0 pods: 1 prefix', () => assert.equal(steadyState(data, 9, 0).prefixes, 1));
  test('5 pods: 2 prefixes, 27 free', () => {
    const s = steadyState(data, 9, 5);
    assert.equal(s.prefixes, 2);
    assert.equal(s.unusedIPs, 27);
  });
  test('17 pods: 3 prefixes (16 + 1 used, 1 free), 31 free', () => {
    const s = steadyState(data, 9, 17);
    assert.deepEqual(s.podsPerPrefix, [16, 1, 0]);
    assert.equal(s.unusedIPs, 31);
  });
});

describe('worked example E: prefix mode, W=7 M=20', () => {
  const data = { ...PD, 'warm-ip-target': '7', 'minimum-ip-target': '20' };
  test('0 pods: ceil(20/16) = 2 prefixes', () => assert.equal(steadyState(data, 9, 0).prefixes, 2));
  test('26 pods: ceil(33/16) = 3 prefixes, 22 free', () => {
    const s = steadyState(data, 9, 26);
    assert.equal(s.prefixes, 3);
    assert.equal(s.unusedIPs, 22);
  });
});

describe('documented boundary configs', () => {
  test('warm-prefix-target 20 on 14 slots: 14 prefixes at start-up (upstream doc), all slots used', () => {
    const s = steadyState({ ...PD, 'warm-prefix-target': '20' }, 14, 0);
    assert.equal(s.prefixes, 14);
    assert.equal(s.eni.usedSlots, 14);
  });

  test('zero targets: secondary W=0 means 1; prefix all-zero means the defaults', () => {
    assert.equal(steadyState({ ...SEC, 'windows-warm-ip-target': '0', 'windows-minimum-ip-target': '0' }, 9, 0).secondaryIps, 1);
    assert.equal(steadyState({ ...SEC, 'windows-warm-ip-target': '0', 'windows-minimum-ip-target': '0' }, 9, 4).secondaryIps, 5);
    const pd = steadyState({ ...PD, 'warm-ip-target': '0', 'minimum-ip-target': '0', 'warm-prefix-target': '0' }, 9, 15);
    assert.deepEqual(pd.podsPerPrefix, [15]);
  });

  test('negative targets: the defaults, in both modes', () => {
    assert.equal(steadyState({ ...SEC, 'windows-warm-ip-target': '-1', 'windows-minimum-ip-target': '-1' }, 9, 2).secondaryIps, 5);
    assert.equal(steadyState({ ...PD, 'warm-ip-target': '-5', 'warm-prefix-target': '-1' }, 9, 16).prefixes, 2);
  });

  test('a minimum above capacity fills the node and stops there', () => {
    const s = steadyState({ ...SEC, 'windows-minimum-ip-target': '50' }, 9, 0);
    assert.equal(s.secondaryIps, 9);
  });
});
