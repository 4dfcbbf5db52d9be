import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { FaultError, Faults, validateFaults } from './faults.ts';

describe('Faults', () => {
  test('fractions are reproducible for a seed and close to the configured share', () => {
    const run = (): string[] => {
      const f = new Faults();
      f.set({ throttleFraction: 0.2, failFraction: 0.1, seed: 5 });
      return Array.from({ length: 2000 }, () => f.decide('DescribeInstances').outcome);
    };
    const a = run();
    assert.deepEqual(run(), a);
    const share = (o: string): number => a.filter((x) => x === o).length / a.length;
    assert.ok(Math.abs(share('throttle') - 0.2) < 0.03, `throttle share ${share('throttle')}`);
    assert.ok(Math.abs(share('fail') - 0.1) < 0.03, `fail share ${share('fail')}`);
  });

  test('targeting limits latency and failures to the named actions', () => {
    const f = new Faults();
    f.set({ actions: ['AssignPrivateIpAddresses'], failFraction: 1, latencyMs: 30 });
    assert.deepEqual(f.decide('AssignPrivateIpAddresses'), { latencyMs: 30, outcome: 'fail' });
    assert.deepEqual(f.decide('DescribeNetworkInterfaces'), { latencyMs: 0, outcome: 'pass' });
  });

  test('accountRateLimit throttles by rate: a burst passes, the excess is throttled, time refills', () => {
    let now = 0;
    const f = new Faults({ clock: { monotonic: () => now, sleep: () => Promise.resolve() } });
    f.set({ accountRateLimit: { ratePerSecond: 20, burst: 3 }, actions: ['AssignPrivateIpAddresses'] });
    const outcomes = Array.from({ length: 5 }, () => f.decide('AssignPrivateIpAddresses').outcome);
    assert.deepEqual(outcomes, ['pass', 'pass', 'pass', 'throttle', 'throttle']);
    assert.equal(f.decide('DescribeInstances').outcome, 'pass', 'untargeted actions are not limited');
    now += 60; // 20 per second: one token every 50 ms
    assert.equal(f.decide('AssignPrivateIpAddresses').outcome, 'pass');
  });

  test('clear() removes every fault, visibility delay included', () => {
    const f = new Faults();
    f.set({ visibilityDelayMs: 300, throttleFraction: 1 });
    assert.equal(f.visibilityDelayMs, 300);
    f.clear();
    assert.equal(f.visibilityDelayMs, 0);
    assert.equal(f.decide('X').outcome, 'pass');
  });

  test('bad configurations are rejected with the field and value', () => {
    const bad = (input: unknown, pattern: RegExp): void =>
      assert.throws(() => validateFaults(input), (e: unknown) => e instanceof FaultError && pattern.test(e.message));
    bad({ throttleFraction: 1.5 }, /throttleFraction must be a number between 0 and 1; got 1\.5/);
    bad({ latencyMs: -1 }, /latencyMs must be a number >= 0; got -1/);
    bad({ throttleFraction: 0.7, failFraction: 0.6 }, /must not exceed 1/);
    bad({ actions: 'AssignPrivateIpAddresses' }, /actions must be a list/);
    bad({ actions: ['AssignPrivateIPAddresses'] }, /actions: \["AssignPrivateIPAddresses"\] not served by this simulator; use some of .*AssignPrivateIpAddresses/);
    bad({ unauthorizedActions: ['DescribeInstances', 'DescribeVpcs'] }, /unauthorizedActions: \["DescribeVpcs"\] not served/);
    bad({ latency: 5 }, /unknown fault field "latency"/);
    bad([1], /must be a JSON object/);
    bad({ accountRateLimit: { ratePerSecond: 0, burst: 1 } }, /accountRateLimit must be/);
  });
});
