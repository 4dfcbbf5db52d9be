/**
 * @module
 * Test support: drives a pool against an EC2 that answers at once (the simulator's in-process
 * WorldEni, pkg/ec2sim/world-eni.ts) until it has nothing left to do.
 */
import type { NodePool } from '../pool.ts';
import type { Ec2Request, Ec2Result, ResyncReport } from '../types.ts';

/** An ENI that carries out the pool's requests at once. */
export interface RequestPerformer {
  perform(request: Ec2Request): Ec2Result;
}

/** Runs plan -> EC2 -> complete until the pool asks for nothing more at `now`. */
export function settle(pool: NodePool, eni: RequestPerformer, now: number, maxRounds = 100): ResyncReport[] {
  const reports: ResyncReport[] = [];
  for (let round = 0; round < maxRounds; round++) {
    const requests = pool.plan(now);
    if (requests.length === 0) return reports;
    for (const r of requests) {
      const report = pool.complete(eni.perform(r), now);
      if (report) reports.push(report);
    }
  }
  throw new Error(`pool did not settle in ${maxRounds} rounds`);
}

/** Settles, then follows nextWakeAt until the pool has nothing left to do; returns the final time. */
export function settleFully(pool: NodePool, eni: RequestPerformer, now: number, maxWakes = 1000): number {
  let t = now;
  for (let i = 0; i < maxWakes; i++) {
    settle(pool, eni, t);
    const wake = pool.nextWakeAt(t);
    if (wake === undefined) return t;
    t = wake;
  }
  throw new Error('pool kept waking up');
}

/**
 * Gives `count` pods (`${podPrefix}-0`, ...) an address one at a time, settling after each and waiting out any
 * back-off the pool asks for, as a busy node would have come to hold them; returns the final time.
 */
export function fillPool(pool: NodePool, eni: RequestPerformer, count: number, now: number, podPrefix = 'pod'): number {
  let t = settleFully(pool, eni, now);
  for (let i = 0; i < count; i++) {
    let r = pool.assign(`${podPrefix}-${i}`, t);
    if (!r.ok) {
      t = settleFully(pool, eni, t + r.retryAfterMs);
      r = pool.assign(`${podPrefix}-${i}`, t);
    }
    if (!r.ok) throw new Error(`${podPrefix}-${i} got no address: ${r.message}`);
    t = settleFully(pool, eni, t);
  }
  return t;
}
