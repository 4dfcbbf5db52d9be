/**
 * @module
 * The state the controller publishes on each managed node, in the annotation
 * `winprefix.io/ipam-status`. The controller writes it, the plugin reads it; this module is
 * the only place that knows its shape. It is versioned: readers reject versions they do not
 * know with a message, rather than misreading them. Keep it small: it rides on every node
 * object every watcher receives.
 */
import { NODE_STATUS_ANNOTATION } from '../contract.ts';
import type { PoolSnapshot } from '../ipam/types.ts';
import { arr, bool, cidr, count, dateTime, describeShape, exactly, ipv4, matching, obj, oneOf, optional, str, validate, type Infer } from '../schema/shape.ts';

export const NODE_STATUS_VERSION = 1 as const;
export { NODE_STATUS_ANNOTATION };

const configProblem = obj({ key: str, value: str, message: str });

/**
 * Version 1 of the document, the single source of its type, its validation and the field list in
 * docs/controller.md. Fields are only ever added within a version.
 */
export const NODE_STATUS_SCHEMA = obj({
  v: exactly(NODE_STATUS_VERSION),
  /** When the controller computed this state. */
  at: dateTime,
  mode: oneOf('prefix', 'secondary', 'mixed', 'unmanaged'),
  /** Why this mode, or why the node is unmanaged. */
  reason: str,
  /**
   * Set on an unmanaged node another IPAM controller claimed (its component name). The controller keeps
   * refusing the node while this is here, after the claim's event has expired; removing the annotation
   * hands the node back.
   */
  claimedBy: optional(str),
  config: optional(
    obj({
      sizing: oneOf('ip-targets', 'prefix-target'),
      warmIPTarget: count,
      minimumIPTarget: count,
      warmPrefixTarget: count,
      problems: arr(configProblem),
    }),
  ),
  capacity: optional(obj({ nominal: count, deliverable: count, advertised: count })),
  slots: optional(obj({ total: count, prefixes: count, secondaryIps: count, free: count })),
  /** Each attached /28: counts, and a 16-character map ("u" used, "." free, "c" cooling). */
  prefixes: optional(
    arr(
      obj({
        cidr,
        used: count,
        free: count,
        cooling: count,
        map: matching(/^[u.c]{16}$/, '16 of u . c'),
        releasing: optional(bool),
        draining: optional(bool),
      }),
    ),
  ),
  /** Secondary IPs by state (used ones are also on their pods). */
  secondaryIps: optional(obj({ used: arr(ipv4), free: arr(ipv4), cooling: arr(ipv4), releasing: arr(ipv4) })),
  pending: optional(obj({ assignPrefixes: count, assignSecondaryIps: count, unassignPrefixes: count, unassignSecondaryIps: count, resync: bool })),
  /** Running pods whose address vanished from the ENI. */
  vanished: optional(arr(obj({ podUid: str, ip: ipv4 }))),
  lastError: optional(obj({ reason: str, message: str, at: dateTime })),
});

export type NodeStatusV1 = Infer<typeof NODE_STATUS_SCHEMA>;
export type NodeStatus = NodeStatusV1;
export type PublishedMode = NodeStatus['mode'];

/** The schema as the "field: type" lines docs/controller.md shows. */
export function describeNodeStatusSchema(): string[] {
  return describeShape(NODE_STATUS_SCHEMA);
}

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
  // Asked on every run of every node: a status without the field (every managed node's) is not decoded.
  if (annotation === undefined || !annotation.includes('"claimedBy"')) return undefined;
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

/** How many schema problems a decode error names; the rest are counted. */
const PROBLEMS_NAMED = 3;

/**
 * Reads the annotation value against {@link NODE_STATUS_SCHEMA}, every field of it. Never throws: a bad
 * document (hand-edited, truncated, from an unknown version) is reported with what is wrong, not fatal to
 * the reader, and not half-used either.
 */
export function decodeNodeStatus(text: string | undefined): DecodeResult | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `annotation ${NODE_STATUS_ANNOTATION} is not JSON: ${(err as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, error: `annotation ${NODE_STATUS_ANNOTATION} is not a JSON object` };
  }
  const doc = value as Record<string, unknown>;
  if (doc.v !== NODE_STATUS_VERSION) {
    return {
      ok: false,
      error: `annotation ${NODE_STATUS_ANNOTATION} has schema version ${JSON.stringify(doc.v)}; this build reads version ${NODE_STATUS_VERSION} (upgrade kubectl-winprefix)`,
    };
  }
  const problems = validate(NODE_STATUS_SCHEMA, doc).map((p) => p.replace(/^\$\.?/, ''));
  if (problems.length > 0) {
    const more = problems.length > PROBLEMS_NAMED ? ` (and ${problems.length - PROBLEMS_NAMED} more)` : '';
    return { ok: false, error: `annotation ${NODE_STATUS_ANNOTATION} does not match schema version ${NODE_STATUS_VERSION}: ${problems.slice(0, PROBLEMS_NAMED).join('; ')}${more}` };
  }
  return { ok: true, status: doc as NodeStatusV1 };
}
