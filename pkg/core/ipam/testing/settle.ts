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
