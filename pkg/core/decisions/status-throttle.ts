/**
 * @module
 * When to write a node's status annotation: only when its content changed (ignoring the
 * timestamp), and at most once per interval per node, so a burst of pods costs one write, not one
 * per pod. Pure: the caller keeps the returned memory and schedules the wake-up it is told.
 */

export interface StatusMemory {
  /** Change key of the last document written. */
  key: string | undefined;
  /** When it was written (ms). */
  at: number;
}

export type StatusDecision = { write: true } | { write: false; retryInMs: number | undefined };

export function decideStatusWrite(last: StatusMemory, key: string, now: number, minIntervalMs: number): StatusDecision {
  if (key === last.key) return { write: false, retryInMs: undefined };
  const wait = last.at + minIntervalMs - now;
  if (last.key === undefined || wait <= 0) return { write: true };
  return { write: false, retryInMs: wait };
}
