import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bundledInstanceLimits } from '../../pkg/core/ec2/instance-limits.ts';
import { resolveClusterConfig } from '../../pkg/core/ipam/config.ts';
import { simulate, SimulationError } from './simulate.ts';

const limits = bundledInstanceLimits('c5.xlarge')!;
const PD = resolveClusterConfig({ 'enable-windows-ipam': 'true', 'enable-windows-prefix-delegation': 'true', 'warm-ip-target': '5' });

describe('simulate()', () => {
  test('one run up to the largest count equals independent runs on fresh nodes', () => {
    const together = simulate({ limits, cluster: PD, podCounts: [0, 11, 12, 40, 224] }).results;
    for (const row of together) {
      assert.deepEqual(simulate({ limits, cluster: PD, podCounts: [row.pods] }).results, [row]);
    }
    assert.deepEqual(together.map((r) => r.attachedPrefixes), [1, 1, 2, 3, 14]);
  });

  test('results keep the order asked for', () => {
    assert.deepEqual(simulate({ limits, cluster: PD, podCounts: [30, 0, 16] }).results.map((r) => r.pods), [30, 0, 16]);
  });

  test('counts above capacity or negative are refused with the capacity named', () => {
    assert.throws(() => simulate({ limits, cluster: PD, podCounts: [225] }), (e: unknown) => e instanceof SimulationError && /0\.\.224/.test(e.message));
    assert.throws(() => simulate({ limits, cluster: PD, podCounts: [-1] }), SimulationError);
  });

  test('a full node holds every slot as a full prefix', () => {
    const [row] = simulate({ limits, cluster: PD, podCounts: [224] }).results;
    assert.deepEqual(row!.podsPerPrefix, Array(14).fill(16));
    assert.equal(row!.unusedIPs, 0);
  });
});
