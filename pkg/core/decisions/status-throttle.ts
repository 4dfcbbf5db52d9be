/**
 * @module
 * When to write a node's status annotation: when its content changed (ignoring the timestamp), at
 * most once per interval per node, so a burst of pods costs one write, not one per pod; and when the
 * node shows something other than what was last written (edited by hand, or garbage), so the
 * published state repairs itself. Pure: the caller keeps the memory and schedules the wake-up it is told.
 */

export interface StatusMemory {
  /** Change key of the last document written (or found published after a restart). */
  key: string | undefined;
  /** When it was written (ms); 0 when found published. */
  at: number;
  /** The annotation text last written (or found). */
  text: string | undefined;
}

export type StatusDecision = { write: true } | { write: false; retryInMs: number | undefined };

/**
 * A write shows up in the node cache a moment after it is acknowledged; until this long after it, a
 * cache showing other text is taken for that lag, not for an edit.
 */
export const STATUS_SETTLE_MS = 2_000;

export function decideStatusWrite(
  last: StatusMemory,
  next: { key: string; current: string | undefined },
  now: number,
  minIntervalMs: number,
): StatusDecision {
  const drifted = next.current !== last.text;
  if (next.key === last.key && !drifted) return { write: false, retryInMs: undefined };
  const wait = Math.max(last.at + minIntervalMs, next.key === last.key ? last.at + STATUS_SETTLE_MS : 0) - now;
  if (last.key === undefined || wait <= 0) return { write: true };
  return { write: false, retryInMs: wait };
}
