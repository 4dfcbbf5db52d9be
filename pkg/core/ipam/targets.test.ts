import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ceilDiv, prefixDeviation, secondaryDeviation, type TargetConfig } from './targets.ts';

const ip = (warm: number, min: number): TargetConfig => ({ sizing: 'ip-targets', warmIPTarget: warm, minimumIPTarget: min, warmPrefixTarget: 0 });
const pt = (p: number): TargetConfig => ({ sizing: 'prefix-target', warmIPTarget: 0, minimumIPTarget: 0, warmPrefixTarget: p });
const prefixes = (c: Partial<Parameters<typeof prefixDeviation>[0]>) =>
  ({ used: 0, free: 0, cooling: 0, freePrefixes: 0, restoredPrefixes: 0, prefixes: 0, pendingPrefixes: 0, waiting: 0, ...c });
const secondary = (c: Partial<Parameters<typeof secondaryDeviation>[0]>) => ({ used: 0, free: 0, cooling: 0, pending: 0, waiting: 0, restored: 0, ...c });

describe('ceilDiv', () => {
  test('rounds up, exact multiples stay', () => {
    assert.deepEqual([0, 1, 15, 16, 17, 32, 33].map((x) => ceilDiv(x, 16)), [0, 1, 1, 1, 2, 2, 3]);
  });
});

describe('prefixDeviation, IP-target sizing', () => {
  test('forWarm: used + W over 16, rounded up', () => {
    assert.equal(prefixDeviation(prefixes({}), ip(1, 0)), 1);
    assert.equal(prefixDeviation(prefixes({ used: 15, free: 1, prefixes: 1 }), ip(1, 0)), 0);
    assert.equal(prefixDeviation(prefixes({ used: 16, prefixes: 1 }), ip(1, 0)), 1);
  });

  test('forMin: M over 16, rounded up; the larger need wins', () => {
    assert.equal(prefixDeviation(prefixes({}), ip(7, 20)), 2);
    assert.equal(prefixDeviation(prefixes({ used: 26, free: 6, prefixes: 2 }), ip(7, 20)), 1);
  });

  test('pending prefixes count as held', () => {
    assert.equal(prefixDeviation(prefixes({ pendingPrefixes: 2 }), ip(7, 20)), 0);
  });

  test('a surplus is limited to whole free prefixes', () => {
    assert.equal(prefixDeviation(prefixes({ used: 1, free: 47, prefixes: 3, freePrefixes: 2 }), ip(1, 3)), -2);
    assert.equal(prefixDeviation(prefixes({ used: 2, free: 30, prefixes: 2, freePrefixes: 0 }), ip(1, 3)), 0);
  });

  test('cooling addresses count as held (upstream), waiting pods add demand (docs/upstream-differences.md #16)', () => {
    const c = prefixes({ used: 15, cooling: 1, prefixes: 1 });
    assert.equal(prefixDeviation(c, ip(1, 3)), 0);
    assert.equal(prefixDeviation({ ...c, waiting: 1 }, ip(1, 3)), 1);
    assert.equal(prefixDeviation({ ...c, waiting: 17 }, ip(1, 3)), 2);
    assert.equal(prefixDeviation({ ...c, free: 1, waiting: 1 }, ip(1, 3)), 0, 'a free address serves the waiting pod');
    assert.equal(prefixDeviation({ ...c, waiting: 1, pendingPrefixes: 1 }, ip(1, 3)), 0, 'a pending prefix will serve it');
  });
});

describe('prefixDeviation, prefix-target sizing', () => {
  test('keeps exactly P free prefixes', () => {
    assert.equal(prefixDeviation(prefixes({}), pt(1)), 1);
    assert.equal(prefixDeviation(prefixes({ used: 5, free: 11, prefixes: 1 }), pt(1)), 1);
    assert.equal(prefixDeviation(prefixes({ free: 48, prefixes: 3, freePrefixes: 3 }), pt(1)), -2);
    assert.equal(prefixDeviation(prefixes({ pendingPrefixes: 1 }), pt(1)), 0);
  });

  test('a prefix cooling only because of a restart counts as free, but is not released', () => {
    assert.equal(prefixDeviation(prefixes({ cooling: 16, prefixes: 1, restoredPrefixes: 1 }), pt(1)), 0);
    assert.equal(prefixDeviation(prefixes({ cooling: 32, prefixes: 2, restoredPrefixes: 2 }), pt(1)), 0, 'surplus, but nothing releasable yet');
  });
});

describe('secondaryDeviation', () => {
  test('short of the warm target', () => {
    assert.equal(secondaryDeviation(secondary({}), ip(3, 3)), 3);
    assert.equal(secondaryDeviation(secondary({ used: 1, free: 2 }), ip(3, 3)), 1);
  });

  test('short of the minimum total', () => {
    assert.equal(secondaryDeviation(secondary({ free: 1 }), ip(1, 10)), 9);
  });

  test('cooling is not available but counts towards the minimum total', () => {
    assert.equal(secondaryDeviation(secondary({ used: 5, cooling: 1, free: 3 }), ip(3, 3)), 0);
    assert.equal(secondaryDeviation(secondary({ used: 5, free: 1, cooling: 2 }), ip(3, 3)), 2);
  });

  test('over the warm target, never below the minimum, only free ones', () => {
    assert.equal(secondaryDeviation(secondary({ used: 5, free: 4 }), ip(3, 3)), -1);
    assert.equal(secondaryDeviation(secondary({ free: 10 }), ip(5, 10)), 0);
    assert.equal(secondaryDeviation(secondary({ free: 1, pending: 5 }), ip(1, 0)), -1);
  });

  test('restored (cooling after a restart) addresses count as warm, but not for waiting pods', () => {
    assert.equal(secondaryDeviation(secondary({ used: 2, restored: 3 }), ip(3, 3)), 0);
    assert.equal(secondaryDeviation(secondary({ used: 2, restored: 3, waiting: 1 }), ip(3, 3)), 1);
  });

  test('waiting pods beyond what is available are created for', () => {
    assert.equal(secondaryDeviation(secondary({ used: 5, cooling: 1, free: 0 }), ip(1, 0)), 1);
    assert.equal(secondaryDeviation(secondary({ used: 5, free: 1, waiting: 3 }), ip(1, 0)), 2);
  });
});
