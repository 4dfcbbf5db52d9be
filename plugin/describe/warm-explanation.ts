/**
 * @module
 * How many free addresses the warm targets explain, by upstream's formulas
 * (docs/upstream-differences.md, "Warm-target formulas"): anything free beyond that is a leak, unless its
 * mode is being drained, in which case no free address of it is explained. Pure.
 */
import { ADDRESSES_PER_PREFIX } from '../../pkg/core/contract.ts';
import type { TargetConfig } from '../../pkg/core/ipam/targets.ts';

/** The controller's status annotation and the ConfigMap resolution both give this shape. */
export type WarmTargets = TargetConfig;

export interface PrefixPool {
  /** Addresses in prefixes used by pods. */
  used: number;
  /** Prefixes with at least one used or cooling address. */
  occupiedPrefixes: number;
}

export interface SecondaryPool {
  used: number;
  cooling: number;
  free: number;
}

/** Fully free prefixes the targets ask for; the rest are unexplained. */
export function explainedFreePrefixes(targets: WarmTargets, pool: PrefixPool): { explained: number; why: string } {
  if (targets.sizing === 'prefix-target') {
    return { explained: targets.warmPrefixTarget, why: `warm-prefix-target ${targets.warmPrefixTarget} keeps ${targets.warmPrefixTarget} free prefix(es)` };
  }
  const ceil16 = (n: number) => Math.ceil(n / ADDRESSES_PER_PREFIX);
  const forWarm = ceil16(pool.used + targets.warmIPTarget);
  const forMin = ceil16(targets.minimumIPTarget);
  const needed = Math.max(forWarm, forMin);
  return {
    explained: Math.max(0, needed - pool.occupiedPrefixes),
    why: `warm-ip-target ${targets.warmIPTarget} and minimum-ip-target ${targets.minimumIPTarget} need ${needed} prefix(es) for ${pool.used} used address(es)`,
  };
}

/** Free (not cooling) secondary IPs the targets ask for; the rest are unexplained. */
export function explainedFreeSecondaryIps(targets: WarmTargets, pool: SecondaryPool): { explained: number; why: string } {
  // Upstream's surplus: over = max(min(available - W, assigned - M), 0), with assigned = used + free + cooling.
  const assigned = pool.used + pool.free + pool.cooling;
  const surplus = Math.max(0, Math.min(pool.free - targets.warmIPTarget, assigned - targets.minimumIPTarget));
  return {
    explained: pool.free - surplus,
    why: `warm-ip-target ${targets.warmIPTarget} and minimum-ip-target ${targets.minimumIPTarget} keep ${pool.free - surplus} free for ${pool.used} used address(es)`,
  };
}
