/**
 * @module
 * The NodeReport: everything `describe node` found, as one value, and its schema. The schema below is the
 * single source of the report's TypeScript types, of its validation (tests check real `-o json` output
 * against it) and of the field list in docs/describe-node.md (printed by {@link describeNodeReportSchema};
 * a test keeps them equal). It is the JSON/YAML output and the input of the human renderer.
 *
 * Field names are a public contract: scripts depend on them. Add fields freely; never rename or remove
 * one without bumping {@link REPORT_API_VERSION}. Unknown values are `null`, never absent, so `jq` paths
 * are stable.
 */
import { arr, bool, count, describeShape, exactly, int, obj, oneOf, orNull, str, union, validate, type Infer } from '../../pkg/core/schema/shape.ts';
import { FINDING_FIELDS, POD_REF_SCHEMA } from '../findings.ts';

export const REPORT_API_VERSION = 'winprefix.io/v1';
export const REPORT_KIND = 'NodeReport';

export const FINDING_KINDS = [
  /** A pod's annotated address is on no ENI of its instance. */
  'pod-address-not-on-eni',
  /** A pod's annotation is not an IPv4 address. */
  'unreadable-pod-address',
  /** Two running pods carry one address. */
  'duplicate-pod-address',
  /** A prefix or secondary IP on the ENI that no pod uses and no warm target asks for. */
  'unexplained-eni-address',
  /** Node capacity for the resource is larger than the ENI can deliver. */
  'over-advertised-capacity',
  /** One ENI holds both secondary IPs and /28 prefixes. */
  'mixed-mode-eni',
  /** Pods request the resource but have no address annotation. */
  'pod-without-address',
  /** Pending pods on a node that runs IPAM neither request the resource nor have an address. */
  'pod-without-resource-request',
  /** Pending pods have their address, but kubelet keeps failing to create their sandbox (host side). */
  'pod-sandbox-failing',
  /** The controller's status annotation is on the node but does not match its schema. */
  'invalid-status-annotation',
  /** The IPAM ConfigMap does not exist although a controller manages the node's IPAM. */
  'configmap-not-found',
] as const;

const cell = oneOf('used', 'free', 'cooling');

/** Where a pod's address is on the instance's ENIs; `why pod` reports it the same way. */
export const POD_SOURCE_SCHEMA = union('kind', {
  prefix: { prefix: str, interfaceId: str },
  'secondary-ip': { interfaceId: str },
  /** The address is on no ENI of the instance (or is an ENI's primary address). */
  'not-on-eni': {},
  /** The pod has no address. */
  none: {},
  /** EC2 could not be read, so the source is not known. */
  unknown: {},
});

export const NODE_REPORT_SCHEMA = obj({
  apiVersion: exactly(REPORT_API_VERSION),
  kind: exactly(REPORT_KIND),
  metadata: obj({
    name: str,
    generatedAt: str,
    /** The -n filter on `pods`, or null when every pod of the node is listed. */
    podNamespace: orNull(str),
  }),
  node: obj({
    name: str,
    providerID: orNull(str),
    instanceId: orNull(str),
    instanceType: orNull(str),
    zone: orNull(str),
    region: orNull(str),
    managedBy: oneOf('winprefix', 'aws-vpc-resource-controller', 'unknown'),
  }),
  mode: obj({
    mode: oneOf('prefix', 'secondary', 'mixed', 'unmanaged', 'unknown'),
    /** For mixed nodes: the mode new pods get; otherwise equal to `mode` (null when unknown). */
    activeMode: orNull(oneOf('prefix', 'secondary')),
    reason: str,
    source: oneOf('status-annotation', 'inferred'),
  }),
  /** The controller's status annotation (winprefix.io/ipam-status). */
  statusAnnotation: obj({ present: bool, at: orNull(str), error: orNull(str) }),
  /** What only the winprefix controller knows, from its status annotation; null without it. */
  controller: obj({
    /** EC2 work it has asked for and not finished. */
    pending: orNull(obj({ assignPrefixes: int, assignSecondaryIps: int, unassignPrefixes: int, unassignSecondaryIps: int, resync: bool })),
    /** Its last EC2 failure on this node. */
    lastError: orNull(obj({ reason: str, message: str, at: str })),
  }),
  /** Whether the live ENI state could be read. When false, ENI-derived fields are empty or null. */
  ec2: obj({
    available: bool,
    region: orNull(str),
    /** The endpoint asked, when not the region's default. */
    endpoint: orNull(str),
    /** The shared-config profile the credentials came from (--profile or AWS_PROFILE), or null. */
    profile: orNull(str),
    error: orNull(str),
    /** The EC2 error code (`InvalidInstanceID.NotFound`, `UnauthorizedOperation`) or socket code, when EC2 was not read. */
    errorCode: orNull(str),
  }),
  slots: obj({ total: orNull(int), prefixes: orNull(int), secondaryIps: orNull(int), free: orNull(int) }),
  interfaces: arr(obj({ id: str, deviceIndex: orNull(int), subnetId: str, primaryIp: str, prefixes: int, secondaryIps: int })),
  prefixes: arr(obj({ cidr: str, interfaceId: str, used: int, free: int, cooling: int, cells: arr(cell, 16) })),
  secondaryIps: arr(obj({ ip: str, interfaceId: str, state: cell, pod: orNull(POD_REF_SCHEMA) })),
  pods: arr(
    obj({
      namespace: str,
      name: str,
      uid: str,
      phase: str,
      /** Bare IPv4 address, or null when the pod has none (or an unreadable one). */
      address: orNull(str),
      /** The annotation value as found ("10.0.1.17/32", "10.0.0.5/19", a bare address), or null. */
      annotation: orNull(str),
      /** Whether a container requests vpc.amazonaws.com/PrivateIPv4Address. */
      requestsAddress: bool,
      source: POD_SOURCE_SCHEMA,
      createdAt: orNull(str),
      ageSeconds: orNull(count),
    }),
  ),
  warm: obj({ count: int, addresses: arr(str) }),
  cooling: obj({ count: int, addresses: arr(str) }),
  capacity: obj({
    /** node.status.capacity["vpc.amazonaws.com/PrivateIPv4Address"]. */
    advertised: orNull(int),
    /** What the ENI can deliver now, given the slots the other mode holds. */
    deliverable: orNull(int),
    /** slots (secondary) or slots*16 (prefix). */
    nominal: orNull(int),
    /** kubelet's max-pods: node.status.allocatable.pods. */
    maxPods: orNull(int),
    /** Pods on the node that request the resource. */
    requested: int,
  }),
  config: obj({
    configMap: str,
    found: bool,
    error: orNull(str),
    ipamEnabled: bool,
    prefixDelegationEnabled: bool,
    /** What sized the pool in this report: the controller's published config, or the ConfigMap resolved here. */
    source: oneOf('status-annotation', 'configmap'),
    sizing: orNull(oneOf('ip-targets', 'prefix-target')),
    warmIPTarget: orNull(int),
    minimumIPTarget: orNull(int),
    warmPrefixTarget: orNull(int),
    problems: arr(obj({ key: str, value: str, message: str })),
  }),
  events: arr(
    obj({
      type: str,
      reason: str,
      object: obj({ kind: str, namespace: orNull(str), name: str }),
      message: str,
      count: int,
      lastSeen: orNull(str),
      /** Component that emitted it (e.g. vpc-resource-controller, winprefix-controller, kubelet). */
      source: orNull(str),
    }),
  ),
  findings: arr(obj({ kind: oneOf(...FINDING_KINDS), ...FINDING_FIELDS })),
});

export type NodeReport = Infer<typeof NODE_REPORT_SCHEMA>;
export type ReportMode = NodeReport['mode']['mode'];
export type ManagedBy = NodeReport['node']['managedBy'];
export type ReportPod = NodeReport['pods'][number];
export type PodSource = ReportPod['source'];
export type ReportPrefix = NodeReport['prefixes'][number];
export type ReportSecondaryIp = NodeReport['secondaryIps'][number];
export type ReportEvent = NodeReport['events'][number];
export type CellState = ReportPrefix['cells'][number];
export type Finding = NodeReport['findings'][number];
export type FindingKind = Finding['kind'];

/** Every way `value` departs from the NodeReport schema, as "path: problem" lines; empty when it conforms. */
export function validateNodeReport(value: unknown): string[] {
  return validate(NODE_REPORT_SCHEMA, value);
}

/** The schema as indented "field: type" lines, the form docs/describe-node.md shows. */
export function describeNodeReportSchema(): string[] {
  return describeShape(NODE_REPORT_SCHEMA);
}
