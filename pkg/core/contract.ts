/**
 * @module
 * The names winprefix shares with the outside world: the Windows host CNI, the AWS VPC Resource
 * Controller, existing ConfigMaps and users' scripts. Changing any value here breaks a user, so
 * each one lives only here.
 */

/** Extended resource on nodes and pods, and the pod annotation key that carries the address. */
export const RESOURCE_NAME = 'vpc.amazonaws.com/PrivateIPv4Address';
/** The pod annotation written by the controller (same key as the resource, as upstream does). */
export const POD_IP_ANNOTATION = RESOURCE_NAME;

/** Node labels that say a node runs Windows (the beta label is still set by older kubelets). */
export const OS_LABEL = 'kubernetes.io/os';
export const OS_LABEL_BETA = 'beta.kubernetes.io/os';
export const WINDOWS = 'windows';
export const ZONE_LABEL = 'topology.kubernetes.io/zone';
export const INSTANCE_TYPE_LABEL = 'node.kubernetes.io/instance-type';
/** EKS Auto Mode nodes are managed by AWS end to end; upstream skips them and so do we. */
export const COMPUTE_TYPE_LABEL = 'eks.amazonaws.com/compute-type';

/** The upstream ConfigMap and its keys. */
export const DEFAULT_CONFIGMAP_NAMESPACE = 'kube-system';
export const DEFAULT_CONFIGMAP_NAME = 'amazon-vpc-cni';
export const ConfigKeys = {
  enableWindowsIpam: 'enable-windows-ipam',
  enableWindowsPrefixDelegation: 'enable-windows-prefix-delegation',
  warmIPTarget: 'warm-ip-target',
  minimumIPTarget: 'minimum-ip-target',
  warmPrefixTarget: 'warm-prefix-target',
  windowsWarmIPTarget: 'windows-warm-ip-target',
  windowsMinimumIPTarget: 'windows-minimum-ip-target',
  windowsWarmPrefixTarget: 'windows-warm-prefix-target',
} as const;

/** Event reasons. The first four are upstream's; users' alerts match on them. */
export const EventReasons = {
  resourceAllocated: 'ResourceAllocated',
  resourceAllocationFailed: 'ResourceAllocationFailed',
  insufficientCidrBlocks: 'InsufficientCidrBlocks',
  unsupported: 'Unsupported',
  /** The AWS controller emits this on every node it manages: its presence means "not ours". */
  controllerVersionNotice: 'ControllerVersionNotice',
  // Our own reasons, where upstream has none.
  managedByAnotherController: 'ManagedByAnotherController',
  invalidConfig: 'InvalidConfiguration',
  addressVanished: 'AddressVanished',
  modeChanged: 'IPAMModeChanged',
  capacityAdvertised: 'CapacityAdvertised',
  /** EC2 could not tell us the node's instance (denied, not found, unreachable): nothing is advertised yet. */
  instanceUnreadable: 'InstanceUnreadable',
} as const;

/** Component name on events we emit, and the controller name in events.k8s.io `reportingController`. */
export const CONTROLLER_NAME = 'winprefix-controller';
/** Upstream's event source component; an event from it on a node means the AWS controller manages it. */
export const UPSTREAM_COMPONENT = 'vpc-resource-controller';

/** Node annotation holding the controller's published state (schema in pkg/status). */
export const NODE_STATUS_ANNOTATION = 'winprefix.io/ipam-status';

/** Upstream constants we keep for compatibility. */
export const COOL_DOWN_MS = 30_000;
export const ADDRESSES_PER_PREFIX = 16;
