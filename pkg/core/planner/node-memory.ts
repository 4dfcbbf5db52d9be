/**
 * @module
 * What the controller remembers about one managed node between runs, as plain data the planner
 * reads and updates. The pool is the address cache (docs/design.md: EC2, the pods' annotations and
 * the ConfigMap are the owners); the rest is bookkeeping that keeps the node run level-based
 * without repeating events or writes: which patches are in flight, which pods were told what.
 */
import type { NodePool } from '../ipam/pool.ts';
import type { Mode, NodeShape } from '../ipam/types.ts';

/** The instance behind a managed node, as EC2 described it when the pool was built. */
export interface NodeInstance {
  instanceId: string;
  instanceType: string;
  eniId: string;
  subnetId: string;
  subnetPrefixLength: number;
  shape: NodeShape;
}

/** An annotation patch the applier is carrying out. */
export interface PatchInFlight {
  ip: string;
  annotation: string;
  /** Where the address came from, for the ResourceAllocated event ("prefix 10.0.16.0/28"). */
  source: string;
  /**
   * Set when the patch failed with its fate unknown: it is sent again, with the same address, from
   * this time on. Until then the pod is not planned, so a failing API server is not written in a loop.
   */
  retryAt?: number;
  /**
   * An earlier patch of this address failed with its fate unknown: if it landed, it is the annotation
   * that makes this one `refused`, so a refusal does not mean the pod is without the address.
   */
  earlierMayHaveLanded?: boolean;
}

export interface ManagedNodeMemory {
  instance: NodeInstance;
  pool: NodePool;
  /** The resolved config last applied to the pool, as a comparison key. */
  configKey: string;
  mode: Mode;
  /** Pods whose annotation patch the API server acknowledged (the pod cache may lag behind). */
  annotated: Set<string>;
  /** Patches sent and not yet answered (or failed and due again at `retryAt`), by pod UID: the pod is not planned again meanwhile. */
  patching: Map<string, PatchInFlight>;
  /**
   * Pods whose patch was refused (or found the pod gone), by UID, and when they may be planned again: the
   * cache showing the pod's new state usually arrives sooner; this keeps a lagging cache from a tight loop.
   */
  holdOff: Map<string, number>;
  /** Each waiting pod's current failure reason, since when, and whether the pod was told. */
  failureShown: Map<string, { reason: string; since: number; shown: boolean }>;
  /** Capacity as the API server last acknowledged it (or found on the node); undefined when absent. */
  capacity: number | undefined;
  /** A capacity write in flight, and its value. */
  capacityInFlight: number | undefined;
  /** The last capacity write failed: the next one goes no sooner than this. */
  capacityRetryAt: number | undefined;
  /** An InsufficientCidrBlocks event was emitted and no prefix has been created since. */
  cidrEventShown: boolean;
  /** The node was told its capacity is held to its attached prefixes, and that has not ended since. */
  capacityLimitShown: boolean;
  /** Pods told (by a Warning event) that their address left the ENI, by UID. */
  quarantineTold: Set<string>;
  /** Addresses already reported as carried by pods on other nodes (one log line and event each). */
  heldElsewhereShown: Set<string>;
}

export function newNodeMemory(instance: NodeInstance, pool: NodePool, configKey: string, mode: Mode, o: { annotated: Iterable<string>; capacity: number | undefined }): ManagedNodeMemory {
  return {
    instance,
    pool,
    configKey,
    mode,
    annotated: new Set(o.annotated),
    patching: new Map(),
    holdOff: new Map(),
    failureShown: new Map(),
    capacity: o.capacity,
    capacityInFlight: undefined,
    capacityRetryAt: undefined,
    cidrEventShown: false,
    capacityLimitShown: false,
    quarantineTold: new Set(),
    heldElsewhereShown: new Set(),
  };
}
