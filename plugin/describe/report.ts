/**
 * @module
 * The NodeReport: everything `describe node` found, as one value. It is the JSON/YAML output
 * (`-o json|yaml`) and the input of the human renderer. Field names are a public contract:
 * scripts depend on them (documented in docs/describe-node.md; checked by `schema.ts`). Add
 * fields freely; never rename or remove one without bumping {@link REPORT_API_VERSION}.
 * Unknown values are `null`, never absent, so `jq` paths are stable.
 */
import type { ConfigProblem } from '../../pkg/core/ipam/types.ts';

export const REPORT_API_VERSION = 'winprefix.io/v1';
export const REPORT_KIND = 'NodeReport';

export type ReportMode = 'prefix' | 'secondary' | 'mixed' | 'unmanaged' | 'unknown';
export type ManagedBy = 'winprefix' | 'aws-vpc-resource-controller' | 'unknown';
export type CellState = 'used' | 'free' | 'cooling';

export type FindingKind =
  /** A pod's annotated address is on no ENI of its instance. */
  | 'pod-address-not-on-eni'
  /** A pod's annotation is not an IPv4 address. */
  | 'unreadable-pod-address'
  /** Two running pods carry one address. */
  | 'duplicate-pod-address'
  /** A prefix or secondary IP on the ENI that no pod uses and no warm target asks for. */
  | 'unexplained-eni-address'
  /** Node capacity for the resource is larger than the ENI can deliver. */
  | 'over-advertised-capacity'
  /** One ENI holds both secondary IPs and /28 prefixes. */
  | 'mixed-mode-eni'
  /** A pod requests the resource but has no address annotation. */
  | 'pod-without-address'
  /** A pending pod on a node that runs IPAM neither requests the resource nor has an address. */
  | 'pod-without-resource-request'
  /** A pending pod has its address, but kubelet keeps failing to create its sandbox (host side). */
  | 'pod-sandbox-failing';

export interface Finding {
  kind: FindingKind;
  /** What the finding is about: "pod ns/name", "prefix 10.0.1.16/28", "node n1", "eni-0abc". */
  subject: string;
  message: string;
  meaning: string;
  action: string;
}

export interface PodRef {
  namespace: string;
  name: string;
}

export type PodSource =
  | { kind: 'prefix'; prefix: string; interfaceId: string }
  | { kind: 'secondary-ip'; interfaceId: string }
  /** The address is on no ENI of the instance (or is an ENI's primary address). */
  | { kind: 'not-on-eni' }
  /** The pod has no address. */
  | { kind: 'none' }
  /** EC2 could not be read, so the source is not known. */
  | { kind: 'unknown' };

export interface ReportPod {
  namespace: string;
  name: string;
  uid: string;
  phase: string;
  /** Bare IPv4 address, or null when the pod has none (or an unreadable one). */
  address: string | null;
  /** The annotation value as found ("10.0.1.17/32", "10.0.0.5/19", a bare address), or null. */
  annotation: string | null;
  /** Whether a container requests vpc.amazonaws.com/PrivateIPv4Address. */
  requestsAddress: boolean;
  source: PodSource;
  createdAt: string | null;
  ageSeconds: number | null;
}

export interface ReportPrefix {
  cidr: string;
  interfaceId: string;
  used: number;
  free: number;
  cooling: number;
  /** 16 entries, one per address of the /28, in address order. */
  cells: CellState[];
}

export interface ReportSecondaryIp {
  ip: string;
  interfaceId: string;
  state: CellState;
  pod: PodRef | null;
}

export interface ReportInterface {
  id: string;
  deviceIndex: number | null;
  subnetId: string;
  primaryIp: string;
  prefixes: number;
  secondaryIps: number;
}

export interface ReportEvent {
  type: string;
  reason: string;
  object: { kind: string; namespace: string | null; name: string };
  message: string;
  count: number;
  lastSeen: string | null;
  /** Component that emitted it (e.g. vpc-resource-controller, winprefix-controller, kubelet). */
  source: string | null;
}

export interface NodeReport {
  apiVersion: typeof REPORT_API_VERSION;
  kind: typeof REPORT_KIND;
  metadata: { name: string; generatedAt: string };
  node: {
    name: string;
    providerID: string | null;
    instanceId: string | null;
    instanceType: string | null;
    zone: string | null;
    region: string | null;
    managedBy: ManagedBy;
  };
  mode: {
    mode: ReportMode;
    /** For mixed nodes: the mode new pods get; otherwise equal to `mode` (null when unknown). */
    activeMode: 'prefix' | 'secondary' | null;
    reason: string;
    source: 'status-annotation' | 'inferred';
  };
  /** The controller's status annotation (winprefix.io/ipam-status). */
  statusAnnotation: { present: boolean; at: string | null; error: string | null };
  /** What only the winprefix controller knows, from its status annotation; null without it. */
  controller: {
    /** EC2 work it has asked for and not finished. */
    pending: { assignPrefixes: number; assignSecondaryIps: number; unassignPrefixes: number; unassignSecondaryIps: number; resync: boolean } | null;
    /** Its last EC2 failure on this node. */
    lastError: { reason: string; message: string; at: string } | null;
  };
  /** Whether the live ENI state could be read. When false, ENI-derived fields are empty or null. */
  ec2: { available: boolean; region: string | null; error: string | null };
  slots: { total: number | null; prefixes: number | null; secondaryIps: number | null; free: number | null };
  interfaces: ReportInterface[];
  prefixes: ReportPrefix[];
  secondaryIps: ReportSecondaryIp[];
  pods: ReportPod[];
  warm: { count: number; addresses: string[] };
  cooling: { count: number; addresses: string[] };
  capacity: {
    /** node.status.capacity["vpc.amazonaws.com/PrivateIPv4Address"]. */
    advertised: number | null;
    /** What the ENI can deliver now, given the slots the other mode holds. */
    deliverable: number | null;
    /** slots (secondary) or slots*16 (prefix). */
    nominal: number | null;
    /** kubelet's max-pods: node.status.allocatable.pods. */
    maxPods: number | null;
    /** Pods on the node that request the resource. */
    requested: number;
  };
  config: {
    configMap: string;
    found: boolean;
    error: string | null;
    ipamEnabled: boolean;
    prefixDelegationEnabled: boolean;
    /** What sized the pool in this report: the controller's published config, or the ConfigMap resolved here. */
    source: 'status-annotation' | 'configmap';
    sizing: 'ip-targets' | 'prefix-target' | null;
    warmIPTarget: number | null;
    minimumIPTarget: number | null;
    warmPrefixTarget: number | null;
    problems: ConfigProblem[];
  };
  events: ReportEvent[];
  findings: Finding[];
}
