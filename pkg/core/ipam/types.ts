/**
 * @module
 * The contract of the IPAM core: configuration results, the per-node pool's inputs and outputs.
 * The core is pure: every call takes `now` (ms since the epoch) from the caller, nothing here
 * does I/O or starts timers. The caller performs the EC2 work the pool asks for and reports back.
 */
import type { Ec2ErrorKind } from '../ec2/errors.ts';

export type Mode = 'prefix' | 'secondary';

/** A ConfigMap value we could not use; `message` says what was used instead. */
export interface ConfigProblem {
  key: string;
  value: string;
  message: string;
}

/** The ConfigMap, parsed once at the edge. Node-independent. */
export interface ClusterIpamConfig {
  /** Whether the ConfigMap exists at all. */
  found: boolean;
  ipamEnabled: boolean;
  prefixDelegationEnabled: boolean;
  /** Parsed targets; undefined when absent or invalid (invalid ones are listed in `problems`). */
  warmIPTarget: number | undefined;
  minimumIPTarget: number | undefined;
  warmPrefixTarget: number | undefined;
  /** Which key each target was read from (legacy or windows-* key). */
  sources: { warmIPTarget?: string; minimumIPTarget?: string; warmPrefixTarget?: string };
  problems: ConfigProblem[];
}

/** What a node needs to know about itself to resolve its config and size its pool. */
export interface NodeShape {
  instanceType: string;
  /** Primary-ENI slots: ipv4PerInterface - 1. */
  slots: number;
  /** Nitro or bare metal. */
  prefixCapable: boolean;
}

/** The effective configuration for one node after defaults, precedence and clamping. */
export interface NodeIpamConfig {
  mode: Mode;
  /** One sentence a user can read: why this mode. */
  modeReason: string;
  /** In prefix mode, whether warm/min IP targets or the warm prefix target size the pool. */
  sizing: 'ip-targets' | 'prefix-target';
  warmIPTarget: number;
  minimumIPTarget: number;
  warmPrefixTarget: number;
  /** Nominal capacity in addresses for the mode: slots (secondary) or slots*16 (prefix). */
  capacity: number;
  /** Cluster problems plus node-specific ones (clamping to capacity, ignored keys). */
  problems: ConfigProblem[];
}

export interface PoolSettings {
  slots: number;
  /** Mask length of the node's subnet, used in secondary-mode annotations ("10.0.0.5/19"). */
  subnetPrefixLength: number;
  /** Freed addresses wait this long before reuse (upstream: 30 s). */
  coolDownMs: number;
  /** A surplus free prefix (or secondary IP) is released only after being surplus this long. */
  releaseHoldDownMs: number;
  /**
   * How far ahead demand looks during a burst (pool.ts DEMAND_HORIZON_MS); absent or 0: the pods seen
   * only, upstream's sizing step for step.
   */
  demandHorizonMs?: number;
}

/** Where a pod's address came from. */
export type AddressSource = { kind: 'prefix'; prefix: string } | { kind: 'secondary' };

export type AssignFailureReason =
  /** Addresses are being created in EC2; retry soon. */
  | 'warm-pool-empty'
  /** Every free address is cooling down; retry when the first one is warm. */
  | 'cooling-down'
  /** The node has no capacity left for another pod. */
  | 'at-capacity'
  /** The subnet has no free /28 for a new prefix. */
  | 'insufficient-cidr-blocks'
  /** The ENI has no free slot or the subnet no free address (PrivateIpAddressLimitExceeded, InsufficientFreeAddressesInSubnet). */
  | 'address-limit-exceeded'
  /** The pool is waiting for a re-sync with EC2 after a failure. */
  | 'resyncing'
  /** The free addresses left are carried by pods on other nodes (EC2 moved their block here). */
  | 'held-elsewhere';

export type AssignResult =
  | { ok: true; ip: string; /** The annotation value: "ip/32" (prefix) or "ip/<subnet mask>" (secondary). */ annotation: string; source: AddressSource; /** False when the pod already held it (idempotent retry). */ fresh: boolean }
  | { ok: false; reason: AssignFailureReason; /** What the user should know and do, one sentence. */ message: string; retryAfterMs: number };

/** Why the pool re-reads its ENI. */
export type ResyncTrigger =
  /** An EC2 call failed, so the ledger may no longer match the ENI. */
  | 'ec2-error'
  /** EC2's answers contradict the pool: an address handed to another node, or a periodic read that disagrees. */
  | 'contradiction';

/** EC2 work the pool wants. Each request must be reported back with `complete`. */
export type AssignRequest = { id: number; kind: 'assign-prefixes' | 'assign-secondary-ips'; count: number };
export type UnassignRequest =
  | { id: number; kind: 'unassign-prefixes'; prefixes: string[] }
  | { id: number; kind: 'unassign-secondary-ips'; ips: string[] };
export type ResyncRequest = { id: number; kind: 'resync'; trigger: ResyncTrigger };
export type Ec2Request = AssignRequest | UnassignRequest | ResyncRequest;

/** The addresses EC2 reports on the primary ENI (bare IPs, CIDR prefixes). */
export interface EniAddresses {
  secondaryIps: string[];
  prefixes: string[];
}

/** Failure fields shared by every outcome. */
interface Ec2Failure {
  ok: false;
  error: Ec2ErrorKind;
  message: string;
}

/** An assign: the new prefixes or IPs; on failure, those EC2 created (and showed) anyway. */
export type AssignOutcome = { ok: true; added: string[] } | (Ec2Failure & { added: string[] });
/** An unassign: what EC2 removed; on failure, what it removed anyway (a timeout may hide removals). */
export type UnassignOutcome = { ok: true; removed: string[] } | (Ec2Failure & { removed: string[] });
/** A re-read of the ENI. */
export type ResyncOutcome = { ok: true; eni: EniAddresses } | Ec2Failure;

/** A request and what EC2 answered, typed by kind so no outcome can be fed to the wrong request. */
export type Ec2Result =
  | { request: AssignRequest; outcome: AssignOutcome }
  | { request: UnassignRequest; outcome: UnassignOutcome }
  | { request: ResyncRequest; outcome: ResyncOutcome };

/** A read of the ENI made outside the pool's own requests (the controller's periodic describe). */
export interface EniObservation {
  eni: EniAddresses;
  /** The pool's `mutationEpoch` when the read was sent. */
  epoch: number;
}

export interface ObservationReport {
  /** Held entries the read did not show: out of use until the re-read it asked for settles them. */
  missing: string[];
  /** Entries the read showed that the pool lacks (a re-read takes them in). */
  unexpected: string[];
}

export interface ReleaseResult {
  ip: string;
  source: AddressSource;
}

export interface PodAddress {
  podUid: string;
  /** The annotation value as found on the pod ("ip/32", "ip/19" or a bare ip). */
  annotation: string;
}

/** What `restore` found when rebuilding a pool from EC2 and the node's running pods. */
export interface RestoreReport {
  /** Pods whose annotated address is not on the ENI: reported, never handed to anyone else. */
  podsWithoutEniAddress: PodAddress[];
  /** Two running pods annotated with the same address: the second is listed here. */
  duplicateAddresses: PodAddress[];
}

export interface ResyncReport {
  /** Addresses found on the ENI that the pool did not know (now warm, or cooling after restore). */
  added: string[];
  /** Free addresses the pool knew that the ENI no longer holds (dropped). */
  removed: string[];
  /** Addresses held by running pods that vanished from the ENI: reported, not reused. */
  vanishedUnderPods: Array<{ podUid: string; ip: string }>;
}

export interface PrefixSnapshot {
  prefix: string;
  used: number;
  free: number;
  cooling: number;
  /** Handed to an unassign request. */
  releasing: boolean;
  /** Belongs to the mode being drained (prefix slots on a node now in secondary mode). */
  draining: boolean;
  /** Per address, offset 0..15: 'used' | 'free' | 'cooling'. */
  cells: Array<'used' | 'free' | 'cooling'>;
  /** EC2 may no longer hold it: out of use until the ENI is re-read. */
  suspect: boolean;
}

export interface SecondaryIpSnapshot {
  ip: string;
  state: 'used' | 'free' | 'cooling' | 'releasing';
  draining: boolean;
  suspect: boolean;
}

export interface PoolSnapshot {
  mode: Mode;
  /** Both secondary IPs and prefixes are on the ENI. */
  mixed: boolean;
  config: NodeIpamConfig;
  capacity: {
    /** slots (secondary) or slots*16 (prefix). */
    nominal: number;
    /** What the ENI can still deliver given slots held by the other mode; this is what we advertise. */
    deliverable: number;
    /** Set while the subnet gives this node no new prefix: deliverable is what the attached prefixes hold. */
    limitedBy?: 'insufficient-cidr-blocks';
  };
  slots: { total: number; prefixes: number; secondaryIps: number; pending: number; free: number };
  prefixes: PrefixSnapshot[];
  secondaryIps: SecondaryIpSnapshot[];
  /** Pods holding an address on the ENI (two pods found sharing one at restore are both listed). */
  assignments: Array<{ podUid: string; ip: string; source: AddressSource }>;
  counts: { used: number; free: number; cooling: number };
  pending: { assignPrefixes: number; assignSecondaryIps: number; unassignPrefixes: number; unassignSecondaryIps: number; resync: boolean };
  vanished: Array<{ podUid: string; ip: string }>;
  /** Addresses on this ENI that pods on other nodes still carry: never handed out here while they do. */
  heldElsewhere: Array<{ ip: string; by: string }>;
  lastError: { kind: Ec2ErrorKind; message: string; at: number } | undefined;
}

/**
 * The numbers of a pool without its per-address lists: what the metrics read at every scrape, where a whole
 * snapshot would format every address on every managed node to report a few counts.
 */
export interface PoolGauges {
  counts: PoolSnapshot['counts'];
  pending: PoolSnapshot['pending'];
  capacity: Pick<PoolSnapshot['capacity'], 'nominal' | 'deliverable'>;
  prefixes: number;
  secondaryIps: number;
}
