/**
 * @module
 * The pure decision at the heart of leader election (client-go's tryAcquireOrRenew), apart from
 * the API calls so it can be tested without a clock or a server.
 *
 * Expiry is judged by the local time at which we last saw the record change plus the holder's
 * own leaseDurationSeconds, not by the holder's renewTime: clocks on different machines
 * disagree, and a replica with a shorter configured duration must not steal a lease the holder
 * believes it holds for longer (kubernetes/kubernetes#47671).
 */

export interface LeaseRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTimeMs: number | undefined;
  renewTimeMs: number | undefined;
  leaseTransitions: number;
}

export interface Observation {
  /** The record as last read, to notice changes. */
  record: LeaseRecord;
  /** Local clock when that record was first seen. */
  atMs: number;
}

export type LeaseDecision =
  | { action: 'create'; record: LeaseRecord }
  | { action: 'update'; record: LeaseRecord; acquiring: boolean }
  | { action: 'wait'; holder: string; expiresInMs: number };

export function observe(prev: Observation | undefined, current: LeaseRecord, nowMs: number): Observation {
  if (prev && sameRecord(prev.record, current)) return prev;
  return { record: current, atMs: nowMs };
}

export function decide(o: {
  current: LeaseRecord | undefined;
  observed: Observation | undefined;
  identity: string;
  nowMs: number;
  leaseDurationMs: number;
}): LeaseDecision {
  const durationSeconds = Math.max(1, Math.ceil(o.leaseDurationMs / 1000));
  if (!o.current) {
    return {
      action: 'create',
      record: { holderIdentity: o.identity, leaseDurationSeconds: durationSeconds, acquireTimeMs: o.nowMs, renewTimeMs: o.nowMs, leaseTransitions: 0 },
    };
  }
  const cur = o.current;
  const iHold = cur.holderIdentity === o.identity;
  if (!iHold && cur.holderIdentity !== '') {
    const seenAt = o.observed && sameRecord(o.observed.record, cur) ? o.observed.atMs : o.nowMs;
    const expiresAt = seenAt + cur.leaseDurationSeconds * 1000;
    if (expiresAt > o.nowMs) return { action: 'wait', holder: cur.holderIdentity, expiresInMs: expiresAt - o.nowMs };
  }
  return {
    action: 'update',
    acquiring: !iHold,
    record: {
      holderIdentity: o.identity,
      leaseDurationSeconds: durationSeconds,
      acquireTimeMs: iHold ? (cur.acquireTimeMs ?? o.nowMs) : o.nowMs,
      renewTimeMs: o.nowMs,
      leaseTransitions: iHold ? cur.leaseTransitions : cur.leaseTransitions + 1,
    },
  };
}

/** The record written when a leader steps down on purpose, so a successor need not wait. */
export function released(cur: LeaseRecord, nowMs: number): LeaseRecord {
  return { holderIdentity: '', leaseDurationSeconds: 1, acquireTimeMs: nowMs, renewTimeMs: nowMs, leaseTransitions: cur.leaseTransitions };
}

function sameRecord(a: LeaseRecord, b: LeaseRecord): boolean {
  return a.holderIdentity === b.holderIdentity && a.renewTimeMs === b.renewTimeMs && a.acquireTimeMs === b.acquireTimeMs &&
    a.leaseDurationSeconds === b.leaseDurationSeconds && a.leaseTransitions === b.leaseTransitions;
}
