/**
 * @module
 * The pool's state as plain data: whole for the status annotation, the plugin and tests, and as counts alone
 * for the metrics.
 */
import { formatIPv4 } from '../net/ipv4.ts';
import { deliverableCapacity, ipTextOf, nominalCapacity, sourceOf, type PoolState } from './state.ts';
import type { Ec2Request, Mode, NodeIpamConfig, PoolGauges, PoolSnapshot, PrefixSnapshot, SecondaryIpSnapshot } from './types.ts';

export interface SnapshotInput {
  state: PoolState;
  /** The advertised capacity, which may be below `deliverable` (see NodePool.advertisedCapacity). */
  advertised: number;
  limitedBy: PoolSnapshot['capacity']['limitedBy'];
  config: NodeIpamConfig;
  pending: Iterable<Ec2Request>;
  lastError: PoolSnapshot['lastError'];
  /** A re-sync is needed, whether or not its request has been issued yet. */
  resyncRequired: boolean;
  now: number;
}

export function buildSnapshot({ state, config, pending, lastError, resyncRequired, now, advertised, limitedBy }: SnapshotInput): PoolSnapshot {
  const heldElsewhere: PoolSnapshot['heldElsewhere'] = [];
  const { ledger } = state;
  const mode = config.mode;
  const counts = { used: 0, free: 0, cooling: 0 };
  const prefixes: PrefixSnapshot[] = ledger.prefixes().map((p) => {
    const cells = p.cells.map((c, i) => {
      if (c.heldElsewhere !== undefined) heldElsewhere.push({ ip: formatIPv4(p.base + i), by: c.heldElsewhere });
      return ledger.stateOf(c, now);
    });
    const c = ledger.countCells(p, now);
    counts.used += c.used;
    counts.free += c.free;
    counts.cooling += c.cooling;
    return { prefix: p.cidr, used: c.used, free: c.free, cooling: c.cooling, releasing: p.releasing, draining: mode !== 'prefix', cells, suspect: p.suspect };
  });
  const secondaryIps: SecondaryIpSnapshot[] = ledger.secondaries().map((s) => {
    const cellState = ledger.stateOf(s.cell, now);
    counts[cellState]++;
    if (s.cell.heldElsewhere !== undefined) heldElsewhere.push({ ip: s.text, by: s.cell.heldElsewhere });
    return { ip: s.text, state: s.releasing ? 'releasing' : cellState, draining: mode !== 'secondary', suspect: s.suspect };
  });
  const pendingCounts = countPending(pending, resyncRequired);
  // Pods sharing an address hold it too; callers that release by what is assigned must see them.
  const assignments = [...state.pods, ...state.sharing].map(([podUid, h]) => ({ podUid, ip: ipTextOf(h), source: sourceOf(h) }));
  assignments.sort((a, b) => (a.podUid < b.podUid ? -1 : a.podUid > b.podUid ? 1 : 0));
  return {
    mode,
    mixed: prefixes.length > 0 && secondaryIps.length > 0,
    config,
    capacity: { ...capacityOf(state, mode, pendingCounts, advertised), ...(limitedBy ? { limitedBy } : {}) },
    slots: {
      total: ledger.totalSlots,
      prefixes: prefixes.length,
      secondaryIps: secondaryIps.length,
      pending: pendingCounts.assignPrefixes + pendingCounts.assignSecondaryIps,
      free: ledger.freeSlots(pendingCounts.assignPrefixes + pendingCounts.assignSecondaryIps),
    },
    prefixes,
    secondaryIps,
    assignments,
    counts,
    pending: pendingCounts,
    vanished: [...state.vanished].map(([podUid, h]) => ({ podUid, ip: ipTextOf(h) })),
    heldElsewhere,
    lastError,
  };
}

/** The same counts as {@link buildSnapshot}'s, without building the per-address lists. */
export function buildGauges({ state, mode, pending, resyncRequired, now, advertised }: Pick<SnapshotInput, 'state' | 'pending' | 'resyncRequired' | 'now' | 'advertised'> & { mode: Mode }): PoolGauges {
  const { ledger } = state;
  const counts = { used: 0, free: 0, cooling: 0 };
  const prefixes = ledger.prefixes();
  for (const p of prefixes) {
    const c = ledger.countCells(p, now);
    counts.used += c.used;
    counts.free += c.free;
    counts.cooling += c.cooling;
  }
  const secondaries = ledger.secondaries();
  for (const s of secondaries) counts[ledger.stateOf(s.cell, now)]++;
  const pendingCounts = countPending(pending, resyncRequired);
  return { counts, pending: pendingCounts, capacity: capacityOf(state, mode, pendingCounts, advertised), prefixes: prefixes.length, secondaryIps: secondaries.length };
}

function countPending(pending: Iterable<Ec2Request>, resyncRequired: boolean): PoolSnapshot['pending'] {
  const counts = { assignPrefixes: 0, assignSecondaryIps: 0, unassignPrefixes: 0, unassignSecondaryIps: 0, resync: resyncRequired };
  for (const request of pending) {
    if (request.kind === 'assign-prefixes') counts.assignPrefixes += request.count;
    else if (request.kind === 'assign-secondary-ips') counts.assignSecondaryIps += request.count;
    else if (request.kind === 'unassign-prefixes') counts.unassignPrefixes += request.prefixes.length;
    else if (request.kind === 'unassign-secondary-ips') counts.unassignSecondaryIps += request.ips.length;
    else counts.resync = true;
  }
  return counts;
}

function capacityOf(state: PoolState, mode: Mode, pending: PoolSnapshot['pending'], advertised: number): PoolGauges['capacity'] {
  return {
    nominal: nominalCapacity(mode, state.ledger.totalSlots),
    // Slots promised to the other mode's pending assigns are not this mode's to deliver.
    deliverable: Math.min(advertised, deliverableCapacity(state, mode, mode === 'prefix' ? pending.assignSecondaryIps : pending.assignPrefixes)),
  };
}
