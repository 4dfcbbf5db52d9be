/**
 * @module
 * The release hold-down: a fully free prefix (or secondary IP) above target is released only
 * after it has been surplus for `holdDownMs`, so a pod coming and going at a 16-address boundary
 * costs no EC2 calls (upstream has no hysteresis and flaps: docs/upstream-differences.md #17). The time is
 * kept on the entry itself (`surplusSince`) and counts from the first plan() that sees it.
 */
import type { PrefixEntry, SecondaryEntry } from './ledger.ts';

export type SurplusCandidate = PrefixEntry | SecondaryEntry;

const addressOf = (e: SurplusCandidate): number => ('base' in e ? e.base : e.ip);

/**
 * Marks the `count` candidates that would go first as surplus (keeping earlier marks) and clears
 * the marks of the rest; returns the marked ones whose hold-down has passed.
 */
export function dueSurplus<T extends SurplusCandidate>(candidates: readonly T[], count: number, now: number, holdDownMs: number): T[] {
  // Longest surplus first, then the highest address, so the low end of the ENI stays stable.
  const ordered = [...candidates].sort((a, b) => {
    const sa = a.surplusSince ?? Number.POSITIVE_INFINITY;
    const sb = b.surplusSince ?? Number.POSITIVE_INFINITY;
    return sa !== sb ? sa - sb : addressOf(b) - addressOf(a);
  });
  const due: T[] = [];
  ordered.forEach((entry, i) => {
    if (i >= count) {
      entry.surplusSince = undefined;
      return;
    }
    entry.surplusSince ??= now;
    if (now >= entry.surplusSince + holdDownMs) due.push(entry);
  });
  return due;
}

export function clearSurplus(entries: readonly SurplusCandidate[]): void {
  for (const e of entries) e.surplusSince = undefined;
}
