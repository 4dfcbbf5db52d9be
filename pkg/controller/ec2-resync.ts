/**
 * @module
 * The periodic re-read of every managed ENI: EC2, not the pools, owns which addresses an ENI holds
 * (docs/design.md), so the controller looks again on a period even when nothing failed. One
 * DescribeNetworkInterfaces covers up to 200 instances (INSTANCES_PER_DESCRIBE), so a 1,000-node
 * cluster costs 5 calls a period. Each node's read is fed to its next run, which compares it with
 * the pool (NodePool.observe): what disagrees goes out of use at once and is confirmed by a re-read
 * of that ENI alone. The period is jittered so several controllers (or restarts) do not align.
 */
import type { Ec2Port } from '../core/ec2/port.ts';
import type { Clock } from '../support/clock.ts';
import type { Logger } from '../support/log.ts';
import type { NodeReconciler } from './node-reconciler.ts';

export interface Ec2ResyncOptions {
  reconciler: Pick<NodeReconciler, 'resyncTargets' | 'observe'>;
  ec2: Pick<Ec2Port, 'describePrimaryInterfaces'>;
  /** Mean time between passes. */
  periodMs: number;
  /** Each wait is the period times a factor drawn from [1 - jitter, 1 + jitter]. */
  jitter: number;
  clock: Clock;
  log: Logger;
  metrics: { resyncPass(durationMs: number): void };
}

/** Runs passes until `signal` aborts. The first pass comes one period after start: pools were just built from fresh reads. */
export async function runEc2Resync(o: Ec2ResyncOptions, signal: AbortSignal): Promise<void> {
  const log = o.log.child({ component: 'ec2-resync' });
  while (!signal.aborted) {
    await o.clock.sleep(o.periodMs * (1 - o.jitter + 2 * o.jitter * o.clock.random()), signal);
    if (signal.aborted) break;
    await resyncPass(o, log);
  }
}

/** One pass: reads every managed node's primary ENI and hands each read to its node. Never throws. */
export async function resyncPass(o: Omit<Ec2ResyncOptions, 'periodMs' | 'jitter'>, log: Logger): Promise<void> {
  // Each node's epoch is taken now, before the read is sent: the pool judges the read against it.
  const targets = o.reconciler.resyncTargets();
  if (targets.length === 0) return;
  const started = o.clock.monotonic();
  try {
    const enis = await o.ec2.describePrimaryInterfaces(targets.map((t) => t.instanceId));
    const byId = new Map(enis.map((e) => [e.networkInterfaceId, e]));
    let missing = 0;
    for (const t of targets) {
      const eni = byId.get(t.eniId);
      if (!eni) {
        // Detached, or the instance is gone: not evidence about addresses; the node's own run finds out.
        missing++;
        continue;
      }
      o.reconciler.observe(t.node, { prefixes: eni.prefixes, secondaryIps: eni.secondaryIps }, t.epoch);
    }
    const ms = o.clock.monotonic() - started;
    o.metrics.resyncPass(ms);
    log.debug('periodic EC2 read done', { nodes: targets.length, enis: enis.length, missing, ms: Math.round(ms) });
  } catch (err) {
    log.warn('periodic EC2 read failed; the next period tries again', { nodes: targets.length, error: err });
  }
}
