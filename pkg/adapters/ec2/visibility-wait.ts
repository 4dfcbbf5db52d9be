/**
 * @module
 * After an assign, EC2's describes can lag behind (eventual consistency). Upstream polls DescribeNetworkInterfaces
 * for up to ~15.75 s (250 ms doubling, 7 steps). We poll at once, then after 250, 500, 1000, 2000 and 4000 ms:
 * at most 6 describes and 7.75 s of sleeps with the defaults, so a stuck assignment delays a node's work by
 * under 8 s. What is visible by then is usable; the rest is reported in {@link Ec2AssignmentNotVisibleError}.
 */
import { Ec2AssignmentNotVisibleError } from '../../core/ec2/errors.ts';
import type { Clock } from '../../support/clock.ts';

export const VISIBILITY_WAIT_DEFAULTS = { initialDelayMs: 250, maxTotalSleepMs: 8_000 } as const;

export interface VisibilityWaitOptions {
  networkInterfaceId: string;
  /** What the assign returned (addresses or CIDRs). */
  assigned: string[];
  /** One describe: what the ENI shows now (its secondary IPs, or its prefixes). */
  describe: () => Promise<string[]>;
  initialDelayMs?: number;
  /** Stop before a sleep would take the total past this. */
  maxTotalSleepMs?: number;
  clock: Pick<Clock, 'sleep'>;
}

/** Resolves with `assigned` once all of it is visible; otherwise throws Ec2AssignmentNotVisibleError. */
export async function waitUntilVisible(opts: VisibilityWaitOptions): Promise<string[]> {
  const maxTotal = opts.maxTotalSleepMs ?? VISIBILITY_WAIT_DEFAULTS.maxTotalSleepMs;
  let delay = opts.initialDelayMs ?? VISIBILITY_WAIT_DEFAULTS.initialDelayMs;
  let visible: string[] = [];
  let slept = 0;
  const missing = (): string[] => opts.assigned.filter((a) => !visible.includes(a));
  for (;;) {
    try {
      const shown = new Set(await opts.describe());
      visible = opts.assigned.filter((a) => shown.has(a));
    } catch (err) {
      // A failing describe ends the wait at once (as upstream does), keeping what earlier polls saw.
      throw new Ec2AssignmentNotVisibleError('DescribeNetworkInterfaces', opts.networkInterfaceId, visible, missing(), slept, { cause: err });
    }
    if (visible.length === opts.assigned.length) return visible;
    if (slept + delay > maxTotal) break;
    await opts.clock.sleep(delay);
    slept += delay;
    delay *= 2;
  }
  throw new Ec2AssignmentNotVisibleError('AssignPrivateIpAddresses', opts.networkInterfaceId, visible, missing(), slept);
}
