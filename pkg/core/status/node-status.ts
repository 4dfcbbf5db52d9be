/**
 * @module
 * The state the controller publishes on each managed node, in the annotation
 * `winprefix.io/ipam-status`. The controller writes it, the plugin reads it; this module is
 * the only place that knows its shape. It is versioned: readers reject versions they do not
 * know with a message, rather than misreading them. Keep it small: it rides on every node
 * object every watcher receives.
 */
import { NODE_STATUS_ANNOTATION } from '../contract.ts';
import type { ConfigProblem, Mode, PoolSnapshot } from '../ipam/types.ts';

export const NODE_STATUS_VERSION = 1;
export { NODE_STATUS_ANNOTATION };

export type PublishedMode = Mode | 'mixed' | 'unmanaged';

export interface NodeStatusV1 {
  v: 1;
  /** When the controller computed this state (RFC 3339). */
  at: string;
  mode: PublishedMode;
  /** Why this mode, or why the node is unmanaged. */
  reason: string;
  /**
   * Set on an unmanaged node another IPAM controller claimed (its component name). The controller keeps
   * refusing the node while this is here, after the claim's event has expired; removing the annotation
   * hands the node back.
   */
  claimedBy?: string;
  config?: {
    sizing: 'ip-targets' | 'prefix-target';
    warmIPTarget: number;
    minimumIPTarget: number;
    warmPrefixTarget: number;
    problems: ConfigProblem[];
  };
  capacity?: { nominal: number; deliverable: number; advertised: number };
  slots?: { total: number; prefixes: number; secondaryIps: number; free: number };
  /** Each attached /28: counts, and a 16-character map ("u" used, "." free, "c" cooling). */
  prefixes?: Array<{ cidr: string; used: number; free: number; cooling: number; map: string; releasing?: true; draining?: true }>;
  /** Secondary IPs by state (used ones are also on their pods). */
  secondaryIps?: { used: string[]; free: string[]; cooling: string[]; releasing: string[] };
  pending?: { assignPrefixes: number; assignSecondaryIps: number; unassignPrefixes: number; unassignSecondaryIps: number; resync: boolean };
  /** Running pods whose address vanished from the ENI. */
  vanished?: Array<{ podUid: string; ip: string }>;
  lastError?: { reason: string; message: string; at: string };
}

export type NodeStatus = NodeStatusV1;

const CELL: Record<'used' | 'free' | 'cooling', string> = { used: 'u', free: '.', cooling: 'c' };

/** Builds the published document for a managed node from its pool snapshot. */
export function nodeStatusFromSnapshot(snapshot: PoolSnapshot, advertised: number, at: Date): NodeStatusV1 {
  const byState = (state: string) => snapshot.secondaryIps.filter((s) => s.state === state).map((s) => s.ip);
  const status: NodeStatusV1 = {
    v: 1,
    at: at.toISOString(),
    mode: snapshot.mixed ? 'mixed' : snapshot.mode,
    reason: snapshot.mixed
      ? `${snapshot.config.modeReason}; addresses of the previous mode drain as their pods finish`
      : snapshot.config.modeReason,
    config: {
      sizing: snapshot.config.sizing,
      warmIPTarget: snapshot.config.warmIPTarget,
      minimumIPTarget: snapshot.config.minimumIPTarget,
      warmPrefixTarget: snapshot.config.warmPrefixTarget,
      problems: snapshot.config.problems,
    },
    capacity: { nominal: snapshot.capacity.nominal, deliverable: snapshot.capacity.deliverable, advertised },
    slots: {
      total: snapshot.slots.total,
      prefixes: snapshot.slots.prefixes,
      secondaryIps: snapshot.slots.secondaryIps,
      free: snapshot.slots.free,
    },
    prefixes: snapshot.prefixes.map((p) => ({
      cidr: p.prefix,
      used: p.used,
      free: p.free,
      cooling: p.cooling,
      map: p.cells.map((c) => CELL[c]).join(''),
      ...(p.releasing ? { releasing: true as const } : {}),
      ...(p.draining ? { draining: true as const } : {}),
    })),
    secondaryIps: { used: byState('used'), free: byState('free'), cooling: byState('cooling'), releasing: byState('releasing') },
    pending: snapshot.pending,
  };
  if (snapshot.vanished.length > 0) status.vanished = snapshot.vanished;
  if (snapshot.lastError) {
    status.lastError = {
      reason: snapshot.lastError.kind,
      message: snapshot.lastError.message,
      at: new Date(snapshot.lastError.at).toISOString(),
    };
  }
  return status;
}

/** The document for a Windows node the controller does not manage, saying why. */
export function unmanagedNodeStatus(reason: string, at: Date, opts: { claimedBy?: string } = {}): NodeStatusV1 {
  return { v: 1, at: at.toISOString(), mode: 'unmanaged', reason, ...(opts.claimedBy ? { claimedBy: opts.claimedBy } : {}) };
}

/** The other controller an earlier refusal recorded in the annotation, if any. */
export function recordedClaimant(annotation: string | undefined): string | undefined {
  const decoded = decodeNodeStatus(annotation);
  if (!decoded?.ok || decoded.status.mode !== 'unmanaged') return undefined;
  const claimedBy = decoded.status.claimedBy;
  return typeof claimedBy === 'string' && claimedBy !== '' ? claimedBy : undefined;
}

/** The annotation value. Whether it is worth writing is decided on {@link nodeStatusChangeKey}, not on this text. */
export function encodeNodeStatus(status: NodeStatus): string {
  return JSON.stringify(status);
}

/** A comparison key that ignores `at`: write the annotation only when this changes. */
export function nodeStatusChangeKey(status: NodeStatus): string {
  const { at: _at, ...rest } = status;
  return JSON.stringify(rest);
}

export type DecodeResult = { ok: true; status: NodeStatus } | { ok: false; error: string };

/** Reads the annotation value. Never throws: a bad document is reported, not fatal to the reader. */
export function decodeNodeStatus(text: string | undefined): DecodeResult | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `annotation ${NODE_STATUS_ANNOTATION} is not JSON: ${(err as Error).message}` };
  }
  if (typeof value !== 'object' || value === null) {
    return { ok: false, error: `annotation ${NODE_STATUS_ANNOTATION} is not a JSON object` };
  }
  const doc = value as Record<string, unknown>;
  if (doc.v !== NODE_STATUS_VERSION) {
    return {
      ok: false,
      error: `annotation ${NODE_STATUS_ANNOTATION} has schema version ${JSON.stringify(doc.v)}; this build reads version ${NODE_STATUS_VERSION} (upgrade kubectl-winprefix)`,
    };
  }
  const modes: unknown[] = ['prefix', 'secondary', 'mixed', 'unmanaged'];
  if (typeof doc.at !== 'string' || !modes.includes(doc.mode) || typeof doc.reason !== 'string') {
    return { ok: false, error: `annotation ${NODE_STATUS_ANNOTATION} lacks "at", "mode" or "reason"` };
  }
  return { ok: true, status: doc as unknown as NodeStatusV1 };
}
