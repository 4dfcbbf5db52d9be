/**
 * @module
 * The sizing formulas: how far a pool is from its warm targets. Pure arithmetic over counts, so
 * each rule can be checked against upstream's documented tables in isolation.
 *
 * Upstream's formulas (section 3.3/3.4 of the upstream study) with two deliberate changes:
 * - prefix mode counts cooling addresses as occupied when sizing for the warm target, so a new
 *   pod never waits up to a minute for a cooling address while a new prefix could be made
 *   (upstream bug 16). In steady state nothing is cooling and the result is upstream's.
 * - deletes are never planned while creates are in flight (bug 17); the pool enforces that.
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
  prefixes: number;
  /** Prefixes requested from EC2 and not yet reported back. */
  pendingPrefixes: number;
}

/** Counts over the active secondary IPs (not releasing). */
export interface SecondaryCounts {
  used: number;
  free: number;
  cooling: number;
  /** IPs requested from EC2 and not yet reported back. */
  pending: number;
}

export type TargetConfig = Pick<NodeIpamConfig, 'sizing' | 'warmIPTarget' | 'minimumIPTarget' | 'warmPrefixTarget'>;

export function ceilDiv(x: number, y: number): number {
  return Math.ceil(x / y);
}

/** Prefixes to add (positive) or that are surplus (negative). */
export function prefixDeviation(c: PrefixCounts, cfg: TargetConfig): number {
  if (cfg.sizing === 'prefix-target') {
    // Keep exactly warmPrefixTarget prefixes with no address in use; pending ones will be free.
    return cfg.warmPrefixTarget - c.freePrefixes - c.pendingPrefixes;
  }
  // Prefixes held or on their way.
  const current = c.prefixes + c.pendingPrefixes;
  // Enough prefixes for every used and cooling address plus warmIPTarget free ones.
  const forWarm = ceilDiv(c.used + c.cooling + cfg.warmIPTarget, ADDRESSES_PER_PREFIX);
  // Enough prefixes that the total reaches minimumIPTarget.
  const forMin = ceilDiv(cfg.minimumIPTarget, ADDRESSES_PER_PREFIX);
  // The larger need wins.
  const deviation = Math.max(forWarm, forMin) - current;
  // Only whole free prefixes can be released; a surplus without one is no surplus.
  return deviation < 0 ? -Math.min(-deviation, c.freePrefixes) : deviation;
}

/** Secondary IPs to add (positive) or that are surplus (negative). */
export function secondaryDeviation(c: SecondaryCounts, cfg: TargetConfig): number {
  // Everything the pool holds or awaits; cooling addresses exist but cannot be handed out.
  const assigned = c.used + c.free + c.pending + c.cooling;
  // What a new pod could get now or soon.
  const available = c.free + c.pending;
  // Short of the warm target, or of the minimum total, whichever is more.
  const short = Math.max(cfg.warmIPTarget - available, 0, cfg.minimumIPTarget - assigned);
  // Above the warm target, but never taking the total below the minimum.
  const over = Math.max(Math.min(available - cfg.warmIPTarget, assigned - cfg.minimumIPTarget), 0);
  // Only free addresses can be released; pending ones are not free yet.
  return short > 0 ? short : -Math.min(over, c.free);
}
