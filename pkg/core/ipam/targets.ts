/**
 * @module
 * The sizing formulas: how far a pool is from its warm targets. Pure arithmetic over counts, so
 * each rule can be checked against upstream's documented tables in isolation.
 *
 * Upstream's formulas (docs/upstream-differences.md, "Warm-target formulas"), with two
 * deliberate changes:
 * - demand: pods that asked for an address and found none free (every free one cooling) are
 *   counted, and the pool grows to serve them, so a new pod never waits up to a minute for a
 *   cooling address while a slot is free (docs/upstream-differences.md #16). Without waiting
 *   pods the formulas are upstream's, so steady states match upstream's documented tables.
 * - deletes are never planned while creates are in flight (docs/upstream-differences.md #17);
 *   the pool enforces that.
 */
import { ADDRESSES_PER_PREFIX } from '../contract.ts';
import type { NodeIpamConfig } from './types.ts';

/** Counts over the active prefixes (not releasing). */
export interface PrefixCounts {
  used: number;
  free: number;
  cooling: number;
  /** Prefixes whose 16 addresses are all free (none used, none cooling). */
  freePrefixes: number;
  /**
   * Prefixes with no address in use that cool only because the pool was restored after a restart:
   * they were free before it, so the warm prefix target counts them (a restart by itself costs no
   * EC2 call), but they cannot be released until they have cooled.
   */
  restoredPrefixes: number;
  prefixes: number;
  /** Prefixes requested from EC2 and not yet reported back. */
  pendingPrefixes: number;
  /** Pods that asked for an address recently and got none. */
  waiting: number;
  /** Pods expected soon (a burst under way); the pool passes it only when the pods seen already ask for growth. */
  expected?: number;
}

/** Counts over the active secondary IPs (not releasing). */
export interface SecondaryCounts {
  used: number;
  free: number;
  cooling: number;
  /** IPs requested from EC2 and not yet reported back. */
  pending: number;
  /** Pods that asked for an address recently and got none. */
  waiting: number;
  /** Cooling only because the pool was restored after a restart: warm for the targets, not for pods. */
  restored: number;
  /** Pods expected soon (a burst under way); see PrefixCounts.expected. */
  expected?: number;
}

export type TargetConfig = Pick<NodeIpamConfig, 'sizing' | 'warmIPTarget' | 'minimumIPTarget' | 'warmPrefixTarget'>;

export function ceilDiv(x: number, y: number): number {
  return Math.ceil(x / y);
}

/** Prefixes to add (positive) or that are surplus (negative). */
export function prefixDeviation(c: PrefixCounts, cfg: TargetConfig): number {
  let deviation: number;
  if (cfg.sizing === 'prefix-target') {
    // Keep exactly warmPrefixTarget prefixes with no address in use; pending ones will be free.
    deviation = cfg.warmPrefixTarget - c.freePrefixes - c.restoredPrefixes - c.pendingPrefixes;
  } else {
    // Prefixes held or on their way.
    const current = c.prefixes + c.pendingPrefixes;
    // Enough prefixes for every used address, the pods expected soon, and warmIPTarget more.
    const forWarm = ceilDiv(c.used + (c.expected ?? 0) + cfg.warmIPTarget, ADDRESSES_PER_PREFIX);
    // Enough prefixes that the total reaches minimumIPTarget.
    const forMin = ceilDiv(cfg.minimumIPTarget, ADDRESSES_PER_PREFIX);
    // The larger need wins.
    deviation = Math.max(forWarm, forMin) - current;
  }
  // Waiting (and expected) pods that neither free nor pending addresses can serve need new prefixes.
  const unserved = c.waiting + (c.expected ?? 0) - c.free - c.pendingPrefixes * ADDRESSES_PER_PREFIX;
  if (unserved > 0) deviation = Math.max(deviation, ceilDiv(unserved, ADDRESSES_PER_PREFIX));
  // Only whole free prefixes can be released; a surplus without one is no surplus.
  if (deviation >= 0) return deviation;
  return c.freePrefixes > 0 ? Math.max(deviation, -c.freePrefixes) : 0;
}

/** Secondary IPs to add (positive) or that are surplus (negative). */
export function secondaryDeviation(c: SecondaryCounts, cfg: TargetConfig): number {
  // Everything the pool holds or awaits; cooling addresses exist but cannot be handed out.
  const assigned = c.used + c.free + c.pending + c.cooling + c.restored;
  // What a new pod could get now or soon (restored addresses were warm before the restart).
  const available = c.free + c.pending + c.restored;
  // What a waiting pod could get: restored addresses are still cooling.
  const forWaiting = c.free + c.pending;
  // Short of the warm target, of the minimum total, or of what waiting pods need, whichever is more.
  const short = Math.max(cfg.warmIPTarget + (c.expected ?? 0) - available, 0, cfg.minimumIPTarget - assigned, c.waiting + (c.expected ?? 0) - forWaiting);
  // Above the warm target, but never taking the total below the minimum.
  const over = Math.max(Math.min(available - cfg.warmIPTarget, assigned - cfg.minimumIPTarget), 0);
  // Only free addresses can be released; pending ones are not free yet.
  if (short > 0) return short;
  const release = Math.min(over, c.free);
  return release > 0 ? -release : 0;
}
