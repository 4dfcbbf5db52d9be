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
  | 'resyncing';

export type AssignResult =
  | { ok: true; ip: string; /** The annotation value: "ip/32" (prefix) or "ip/<subnet mask>" (secondary). */ annotation: string; source: AddressSource; /** False when the pod already held it (idempotent retry). */ fresh: boolean }
  | { ok: false; reason: AssignFailureReason; /** What the user should know and do, one sentence. */ message: string; retryAfterMs: number };

/** EC2 work the pool wants. Each request must be reported back with `complete`. */
export type Ec2Request =
  | { id: number; kind: 'assign-prefixes'; count: number }
  | { id: number; kind: 'assign-secondary-ips'; count: number }
  | { id: number; kind: 'unassign-prefixes'; prefixes: string[] }
  | { id: number; kind: 'unassign-secondary-ips'; ips: string[] }
  | { id: number; kind: 'resync' };

/** The addresses EC2 reports on the primary ENI (bare IPs, CIDR prefixes). */
export interface EniAddresses {
  secondaryIps: string[];
  prefixes: string[];
}

export type Ec2Outcome =
  /** For assign: the new prefixes/IPs. For unassign: those removed. */
  | { ok: true; addresses: string[] }
  /** For resync: the ENI's current state. */
  | { ok: true; eni: EniAddresses }
  /** `partial`: for assign, what was created anyway; for unassign, what was removed anyway. */
  | { ok: false; error: Ec2ErrorKind; message: string; partial?: string[] };

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
}

export interface SecondaryIpSnapshot {
  ip: string;
  state: 'used' | 'free' | 'cooling' | 'releasing';
  draining: boolean;
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
  };
  slots: { total: number; prefixes: number; secondaryIps: number; pending: number; free: number };
  prefixes: PrefixSnapshot[];
  secondaryIps: SecondaryIpSnapshot[];
  /** Pods holding an address on the ENI (two pods found sharing one at restore are both listed). */
  assignments: Array<{ podUid: string; ip: string; source: AddressSource }>;
  counts: { used: number; free: number; cooling: number };
  pending: { assignPrefixes: number; assignSecondaryIps: number; unassignPrefixes: number; unassignSecondaryIps: number; resync: boolean };
  vanished: Array<{ podUid: string; ip: string }>;
  lastError: { kind: Ec2ErrorKind; message: string; at: number } | undefined;
}
