import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveClusterConfig, resolveNodeConfig, Defaults } from './config.ts';
import type { NodeShape } from './types.ts';

const nitro: NodeShape = { instanceType: 'm5.large', slots: 9, prefixCapable: true };
const xen: NodeShape = { instanceType: 'm4.large', slots: 9, prefixCapable: false };
const PD = { 'enable-windows-ipam': 'true', 'enable-windows-prefix-delegation': 'true' };
const SEC = { 'enable-windows-ipam': 'true' };

function node(data: Record<string, string> | undefined, shape: NodeShape = nitro) {
  return resolveNodeConfig(resolveClusterConfig(data), shape);
}

describe('resolveClusterConfig', () => {
  test('a missing ConfigMap means IPAM disabled, no targets, no problems', () => {
    const c = resolveClusterConfig(undefined);
    assert.equal(c.found, false);
    assert.equal(c.ipamEnabled, false);
    assert.equal(c.prefixDelegationEnabled, false);
    assert.equal(c.warmIPTarget, undefined);
    assert.deepEqual(c.problems, []);
  });

  test('flags accept exactly Go ParseBool words', () => {
    for (const word of ['1', 't', 'T', 'TRUE', 'true', 'True']) {
      assert.equal(resolveClusterConfig({ 'enable-windows-ipam': word }).ipamEnabled, true, word);
    }
    for (const word of ['0', 'f', 'F', 'FALSE', 'false', 'False']) {
      const c = resolveClusterConfig({ 'enable-windows-ipam': word });
      assert.equal(c.ipamEnabled, false, word);
      assert.deepEqual(c.problems, [], word);
    }
  });

  test('boolean garbage is false and reported, naming the value', () => {
    for (const word of ['yes', 'on', 'enabled', ' true', '']) {
      const c = resolveClusterConfig({ 'enable-windows-prefix-delegation': word });
      assert.equal(c.prefixDelegationEnabled, false);
      assert.equal(c.problems.length, 1, word);
      assert.equal(c.problems[0]!.key, 'enable-windows-prefix-delegation');
      assert.equal(c.problems[0]!.value, word);
      assert.match(c.problems[0]!.message, /treated as false/);
    }
  });

  test('every invalid target kind is absent and reported with what happens instead', () => {
    const cases: Array<[string, RegExp]> = [
      ['abc', /not a whole number/],
      ['-1', /negative/],
      ['-0', /negative/],
      ['', /empty/],
      ['1.5', /not a whole number/],
      ['true', /not a whole number/],
      [' 3', /not a whole number/],
      ['0x10', /not a whole number/],
      ['99999999999999999999', /larger than/],
      ['1000001', /larger than/],
    ];
    for (const [value, why] of cases) {
      const c = resolveClusterConfig({ 'warm-ip-target': value });
      assert.equal(c.warmIPTarget, undefined, value);
      assert.equal(c.problems.length, 1, value);
      assert.equal(c.problems[0]!.key, 'warm-ip-target');
      assert.equal(c.problems[0]!.value, value);
      assert.match(c.problems[0]!.message, why, value);
      assert.match(c.problems[0]!.message, /ignored/, value);
    }
  });

  test('windows-* keys win over legacy keys; a conflict is reported', () => {
    const c = resolveClusterConfig({ 'warm-ip-target': '5', 'windows-warm-ip-target': '2' });
    assert.equal(c.warmIPTarget, 2);
    assert.equal(c.sources.warmIPTarget, 'windows-warm-ip-target');
    assert.equal(c.problems.length, 1);
    assert.equal(c.problems[0]!.key, 'warm-ip-target');
    assert.match(c.problems[0]!.message, /windows-warm-ip-target wins/);
  });

  test('same value under both keys is no conflict', () => {
    const c = resolveClusterConfig({ 'minimum-ip-target': '4', 'windows-minimum-ip-target': '4' });
    assert.equal(c.minimumIPTarget, 4);
    assert.deepEqual(c.problems, []);
  });

  test('an invalid windows-* value falls back to a valid legacy value (docs/upstream-differences.md #3)', () => {
    const c = resolveClusterConfig({ 'windows-warm-prefix-target': 'x', 'warm-prefix-target': '2' });
    assert.equal(c.warmPrefixTarget, 2);
    assert.equal(c.sources.warmPrefixTarget, 'warm-prefix-target');
    assert.equal(c.problems.length, 1);
    assert.equal(c.problems[0]!.key, 'windows-warm-prefix-target');
  });

  test('an invalid legacy key does not shadow a valid windows-* key', () => {
    const c = resolveClusterConfig({ 'warm-ip-target': 'bad', 'windows-warm-ip-target': '6' });
    assert.equal(c.warmIPTarget, 6);
    assert.equal(c.problems.length, 1);
  });

  test('a leading + is a whole number', () => {
    assert.equal(resolveClusterConfig({ 'warm-ip-target': '+4' }).warmIPTarget, 4);
  });
});

describe('resolveNodeConfig: mode', () => {
  test('prefix mode on a Nitro node with PD on', () => {
    const c = node(PD);
    assert.equal(c.mode, 'prefix');
    assert.equal(c.capacity, 144);
  });

  test('secondary mode when PD is off, or the ConfigMap is missing', () => {
    assert.equal(node(SEC).mode, 'secondary');
    assert.equal(node(SEC).capacity, 9);
    const missing = node(undefined);
    assert.equal(missing.mode, 'secondary');
    assert.match(missing.modeReason, /missing/);
  });

  test('a non-Nitro node stays in secondary mode with PD on, and says why', () => {
    const c = node(PD, xen);
    assert.equal(c.mode, 'secondary');
    assert.match(c.modeReason, /m4\.large is not a Nitro/);
  });

  test('targets apply on a non-Nitro node with PD on (docs/upstream-differences.md #4)', () => {
    const c = node({ ...PD, 'warm-ip-target': '5', 'minimum-ip-target': '2' }, xen);
    assert.equal(c.warmIPTarget, 5);
    assert.equal(c.minimumIPTarget, 2);
  });
});

describe('resolveNodeConfig: secondary mode (upstream secondary-IP table)', () => {
  test('defaults 3/3 when nothing is set', () => {
    const c = node(SEC);
    assert.equal(c.warmIPTarget, Defaults.secondary.warmIPTarget);
    assert.equal(c.minimumIPTarget, Defaults.secondary.minimumIPTarget);
    assert.deepEqual(c.problems, []);
  });

  test('only a minimum target: warm falls back to 3, no starvation (docs/upstream-differences.md #2)', () => {
    const c = node({ ...SEC, 'windows-minimum-ip-target': '6' });
    assert.equal(c.warmIPTarget, 3);
    assert.equal(c.minimumIPTarget, 6);
  });

  test('invalid warm with valid min: warm is the default 3, and the problem says so', () => {
    const c = node({ ...SEC, 'windows-warm-ip-target': 'many', 'windows-minimum-ip-target': '2' });
    assert.equal(c.warmIPTarget, 3);
    assert.equal(c.minimumIPTarget, 2);
    assert.equal(c.problems.length, 1);
    assert.equal(c.problems[0]!.message, '"many" is not a whole number; ignored, the secondary-mode default 3 is used');
  });

  test('an invalid key shadowed by a valid one names the key that applies', () => {
    const c = node({ ...SEC, 'windows-minimum-ip-target': '', 'minimum-ip-target': '4' });
    assert.equal(c.minimumIPTarget, 4);
    assert.equal(c.problems[0]!.message, '"" is empty; ignored, minimum-ip-target="4" applies');
  });

  test('warm 0 means 1 (documented), reported', () => {
    const c = node({ ...SEC, 'windows-warm-ip-target': '0', 'windows-minimum-ip-target': '0' });
    assert.equal(c.warmIPTarget, 1);
    assert.equal(c.minimumIPTarget, 0);
    assert.equal(c.problems.length, 1);
    assert.match(c.problems[0]!.message, /1 is used/);
  });

  test('negative values fall back to 3 (documented)', () => {
    const c = node({ ...SEC, 'windows-warm-ip-target': '-2', 'windows-minimum-ip-target': '-5' });
    assert.equal(c.warmIPTarget, 3);
    assert.equal(c.minimumIPTarget, 3);
    assert.equal(c.problems.length, 2);
  });

  test('the warm prefix target is ignored in secondary mode, and that is said', () => {
    const c = node({ ...SEC, 'warm-prefix-target': '2' });
    assert.equal(c.warmPrefixTarget, 0);
    assert.equal(c.problems.length, 1);
    assert.match(c.problems[0]!.message, /only in prefix mode/);
  });

  test('targets above capacity are clamped to the slots, reported', () => {
    const c = node({ ...SEC, 'windows-warm-ip-target': '50', 'windows-minimum-ip-target': '10' });
    assert.equal(c.warmIPTarget, 9);
    assert.equal(c.minimumIPTarget, 9);
    assert.equal(c.problems.length, 2);
    assert.match(c.problems[0]!.message, /capacity of 9 addresses; 9 is used/);
  });
});

describe('resolveNodeConfig: prefix mode (upstream prefix-delegation table)', () => {
  const eff = (data: Record<string, string>) => {
    const c = node({ ...PD, ...data });
    return [c.sizing, c.warmIPTarget, c.minimumIPTarget, c.warmPrefixTarget] as const;
  };

  test('nothing set: W=1, M=3', () => assert.deepEqual(eff({}), ['ip-targets', 1, 3, 0]));
  test('only W: M=3', () => assert.deepEqual(eff({ 'warm-ip-target': '5' }), ['ip-targets', 5, 3, 0]));
  test('only M: W=1', () => assert.deepEqual(eff({ 'minimum-ip-target': '20' }), ['ip-targets', 1, 20, 0]));
  test('W and M', () => assert.deepEqual(eff({ 'warm-ip-target': '7', 'minimum-ip-target': '20' }), ['ip-targets', 7, 20, 0]));
  test('only P: prefix-target sizing', () => assert.deepEqual(eff({ 'warm-prefix-target': '3' }), ['prefix-target', 0, 0, 3]));

  test('P with W: IP targets win and P is reported as ignored', () => {
    assert.deepEqual(eff({ 'warm-prefix-target': '3', 'warm-ip-target': '2' }), ['ip-targets', 2, 3, 0]);
    const c = node({ ...PD, 'warm-prefix-target': '3', 'warm-ip-target': '2' });
    assert.ok(c.problems.some((p) => p.key === 'warm-prefix-target' && /take precedence/.test(p.message)));
  });

  test('all zero: defaults, each zero reported', () => {
    const c = node({ ...PD, 'warm-ip-target': '0', 'minimum-ip-target': '0', 'warm-prefix-target': '0' });
    assert.deepEqual([c.sizing, c.warmIPTarget, c.minimumIPTarget], ['ip-targets', 1, 3]);
    assert.equal(c.problems.length, 2);
  });

  test('negative P with no IP targets: defaults, P reported', () => {
    const c = node({ ...PD, 'warm-prefix-target': '-1' });
    assert.deepEqual([c.sizing, c.warmIPTarget, c.minimumIPTarget], ['ip-targets', 1, 3]);
    assert.equal(c.problems.length, 1);
  });

  test('P above the slot count is clamped to the slots (documented: 20 on 14 slots -> 14)', () => {
    const c = resolveNodeConfig(resolveClusterConfig({ ...PD, 'warm-prefix-target': '20' }), { instanceType: 't3.xlarge', slots: 14, prefixCapable: true });
    assert.equal(c.warmPrefixTarget, 14);
    assert.match(c.problems[0]!.message, /14 prefixes/);
  });

  test('W above capacity is clamped to slots*16', () => {
    const c = node({ ...PD, 'warm-ip-target': '500' });
    assert.equal(c.warmIPTarget, 144);
  });

  test('an invalid value says what sizes the pool instead, not a default that is not used', () => {
    const withP = node({ ...PD, 'warm-prefix-target': '2', 'windows-warm-ip-target': 'abc' });
    assert.equal(withP.problems[0]!.message, '"abc" is not a whole number; ignored, the warm prefix target (2) sizes the pool');
    const badP = node({ ...PD, 'warm-prefix-target': 'abc' });
    assert.equal(badP.problems[0]!.message, '"abc" is not a whole number; ignored, the warm and minimum IP targets (1, 3) size the pool');
    const secondary = resolveNodeConfig(resolveClusterConfig({ 'enable-windows-ipam': 'true', 'warm-prefix-target': 'abc' }), { instanceType: 'm5.large', slots: 9, prefixCapable: true });
    assert.equal(secondary.problems[0]!.message, '"abc" is not a whole number; ignored, the warm prefix target applies only in prefix mode');
  });

  test('defaults above a tiny node\'s capacity are clamped without blaming keys nobody set', () => {
    const tiny = { instanceType: 't3.micro', slots: 1, prefixCapable: true };
    const quiet = resolveNodeConfig(resolveClusterConfig({ 'enable-windows-ipam': 'true' }), tiny);
    assert.deepEqual([quiet.warmIPTarget, quiet.minimumIPTarget, quiet.problems], [1, 1, []]);
    const set = resolveNodeConfig(resolveClusterConfig({ 'enable-windows-ipam': 'true', 'windows-warm-ip-target': '5' }), tiny);
    assert.deepEqual(set.problems.map((p) => [p.key, p.value]), [['windows-warm-ip-target', '5']]);
  });

  test('cluster problems are carried into the node config', () => {
    const c = node({ ...PD, 'minimum-ip-target': 'lots' });
    assert.equal(c.problems.length, 1);
    assert.equal(c.problems[0]!.key, 'minimum-ip-target');
  });
});
