/**
 * @module
 * The what-if simulation behind `kubectl winprefix simulate`: for an instance type and a config,
 * how many prefixes (or secondary IPs) a node holds with N pods. It runs the real {@link NodePool};
 * only EC2 is replaced, by the EC2 simulator's in-process {@link WorldEni}, which answers every request
 * at once with EC2's rules. Pure: the clock is simulated, and the simulator's address picks are seeded.
 */
import { ADDRESSES_PER_PREFIX } from '../../pkg/core/contract.ts';
import { primaryEniSlots, supportsPrefixDelegation, type InstanceLimits } from '../../pkg/core/ec2/instance-limits.ts';
import { resolveNodeConfig } from '../../pkg/core/ipam/config.ts';
import { defaultPoolSettings, NodePool } from '../../pkg/core/ipam/pool.ts';
import type { ClusterIpamConfig, ConfigProblem, NodeIpamConfig, PoolSnapshot } from '../../pkg/core/ipam/types.ts';
import { PREFIX_BLOCKS, SUBNET_PREFIX_LENGTH, WorldEni } from '../../pkg/ec2sim/world-eni.ts';
import { withArticle } from '../render/text.ts';
import type { SimulationRow } from './schema.ts';

export type { SimulationRow };

export interface SimulationInput {
  limits: InstanceLimits;
  cluster: ClusterIpamConfig;
  podCounts: readonly number[];
}

export interface Simulation {
  instanceType: string;
  node: { slots: number; prefixCapable: boolean };
  config: NodeIpamConfig;
  /** Which ConfigMap key (or flag) each target that was set came from. */
  sources: ClusterIpamConfig['sources'];
  problems: ConfigProblem[];
  results: SimulationRow[];
}

export class SimulationError extends Error {
  readonly code = 'WINPREFIX_SIMULATION';
  constructor(message: string) {
    super(message);
    this.name = 'SimulationError';
  }
}

/** Bounds the event loop per pod count; a healthy run needs a handful of steps per pod. */
const MAX_STEPS_PER_POD = 1_000;

export function simulate(input: SimulationInput): Simulation {
  const slots = primaryEniSlots(input.limits);
  const node = { instanceType: input.limits.instanceType, slots, prefixCapable: supportsPrefixDelegation(input.limits) };
  const config = resolveNodeConfig(input.cluster, node);
  for (const pods of input.podCounts) {
    if (!Number.isInteger(pods) || pods < 0 || pods > config.capacity) {
      throw new SimulationError(
        `pod count ${pods} is outside 0..${config.capacity}: ${withArticle(node.instanceType)} node in ${config.mode} mode holds at most ${config.capacity} pods with an address`,
      );
    }
  }
  const rows = simulateArrivals(config, node, new Set(input.podCounts));
  const results = input.podCounts.map((pods) => rows.get(pods)!);
  return {
    instanceType: node.instanceType,
    node: { slots, prefixCapable: node.prefixCapable },
    config,
    sources: { ...input.cluster.sources },
    problems: config.problems,
    results,
  };
}

/**
 * Pods arrive one at a time on a fresh node, and after each one the pool settles. The state after
 * N pods is the same whether the run stops at N or goes on (the pool is deterministic and the
 * arrivals are the same), so one run up to the largest count answers every count, each exactly as
 * an independent run on a fresh node would.
 */
function simulateArrivals(config: NodeIpamConfig, node: { slots: number; prefixCapable: boolean }, counts: ReadonlySet<number>): Map<number, SimulationRow> {
  const rows = new Map<number, SimulationRow>();
  const max = Math.max(0, ...counts);
  const pool = NodePool.create(defaultPoolSettings(node.slots, SUBNET_PREFIX_LENGTH), config);
  const eni = new WorldEni({ slots: node.slots, prefixCapable: node.prefixCapable, prefixBlocks: PREFIX_BLOCKS });
  const clock = { now: 0, steps: 0 };
  const budget = MAX_STEPS_PER_POD * (max + 1);
  const settle = (pods: number) => {
    for (;;) {
      if (++clock.steps > budget) throw new SimulationError(`the pool did not settle with ${pods} pods (this is a bug; please report it)`);
      const requests = pool.plan(clock.now);
      if (requests.length > 0) {
        for (const request of requests) pool.complete(eni.perform(request), clock.now);
        continue;
      }
      // Nothing to do now; jump to the next moment something changes (cool-down, hold-down).
      const wake = pool.nextWakeAt(clock.now);
      if (wake === undefined) return;
      clock.now = wake;
    }
  };
  settle(0);
  if (counts.has(0)) rows.set(0, rowOf(pool.snapshot(clock.now), 0));
  for (let i = 1; i <= max; i++) {
    for (;;) {
      const result = pool.assign(`pod-${i}`, clock.now);
      if (result.ok) break;
      if (++clock.steps > budget) throw new SimulationError(`pod ${i} got no address: ${result.message}`);
      clock.now += result.retryAfterMs;
      settle(i);
    }
    settle(i);
    if (counts.has(i)) rows.set(i, rowOf(pool.snapshot(clock.now), i));
  }
  return rows;
}

function rowOf(snap: PoolSnapshot, pods: number): SimulationRow {
  const podsPerPrefix = snap.prefixes.map((p) => p.used).sort((a, b) => b - a);
  const prefixIPs = snap.prefixes.length * ADDRESSES_PER_PREFIX;
  const totalIPs = prefixIPs + snap.secondaryIps.length;
  return {
    pods,
    attachedPrefixes: snap.prefixes.length,
    unusedPrefixes: snap.prefixes.filter((p) => p.used === 0 && p.cooling === 0).length,
    totalIPs,
    unusedIPs: totalIPs - snap.assignments.length,
    secondaryIPs: snap.secondaryIps.length,
    podsPerPrefix,
  };
}
