/**
 * @module
 * Builders for describe-node inputs in unit tests: a Windows node, pods with either
 * controller's annotation format, ENIs and events, with defaults that make a consistent node.
 */
import { NODE_STATUS_ANNOTATION, POD_IP_ANNOTATION, RESOURCE_NAME, UPSTREAM_COMPONENT } from '../../../pkg/core/contract.ts';
import { bundledInstanceLimits } from '../../../pkg/core/ec2/instance-limits.ts';
import type { NetworkInterface } from '../../../pkg/core/ec2/port.ts';
import type { NodeStatus } from '../../../pkg/core/status/node-status.ts';
import type { KubeEvent, KubeNode, KubePod } from '../../kube/objects.ts';
import type { DescribeInputs } from '../inputs.ts';
import type { SubnetRoom } from '../../subnet-room.ts';

export const NOW = new Date('2026-11-22T03:00:00Z');
export const INSTANCE = 'i-0abc';

export function windowsNode(o: { name?: string; instanceType?: string; advertised?: number; maxPods?: number; status?: NodeStatus | string; instanceId?: string } = {}): KubeNode {
  const annotations: Record<string, string> = {};
  if (o.status !== undefined) annotations[NODE_STATUS_ANNOTATION] = typeof o.status === 'string' ? o.status : JSON.stringify(o.status);
  return {
    metadata: {
      name: o.name ?? 'win-1',
      labels: { 'kubernetes.io/os': 'windows', 'node.kubernetes.io/instance-type': o.instanceType ?? 'm5.large', 'topology.kubernetes.io/zone': 'us-west-2a' },
      annotations,
    },
    spec: { providerID: `aws:///us-west-2a/${o.instanceId ?? INSTANCE}` },
    status: {
      capacity: { pods: '110', ...(o.advertised !== undefined ? { [RESOURCE_NAME]: String(o.advertised) } : {}) },
      allocatable: { pods: String(o.maxPods ?? 110) },
    },
  };
}

let uidCounter = 0;

export function pod(o: {
  name: string;
  namespace?: string;
  annotation?: string;
  requests?: boolean;
  phase?: string;
  ageSeconds?: number;
  uid?: string;
  hostNetwork?: boolean;
  nodeSelector?: Record<string, string>;
}): KubePod {
  const requests = o.requests ?? true;
  return {
    metadata: {
      name: o.name,
      namespace: o.namespace ?? 'default',
      uid: o.uid ?? `uid-${o.name}-${++uidCounter}`,
      creationTimestamp: new Date(NOW.getTime() - (o.ageSeconds ?? 600) * 1000).toISOString(),
      annotations: o.annotation === undefined ? {} : { [POD_IP_ANNOTATION]: o.annotation },
    },
    spec: {
      nodeName: 'win-1',
      hostNetwork: o.hostNetwork ?? false,
      ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
      containers: [{ name: 'app', resources: requests ? { requests: { [RESOURCE_NAME]: '1' }, limits: { [RESOURCE_NAME]: '1' } } : {} }],
    },
    status: { phase: o.phase ?? 'Running' },
  };
}

export function eni(o: { id?: string; primaryIp?: string; secondaryIps?: string[]; prefixes?: string[]; deviceIndex?: number; subnetId?: string } = {}): NetworkInterface {
  return {
    networkInterfaceId: o.id ?? 'eni-0primary',
    subnetId: o.subnetId ?? 'subnet-1',
    vpcId: 'vpc-1',
    availabilityZone: 'us-west-2a',
    deviceIndex: o.deviceIndex ?? 0,
    instanceId: INSTANCE,
    status: 'in-use',
    primaryPrivateIp: o.primaryIp ?? '10.0.0.10',
    secondaryIps: o.secondaryIps ?? [],
    prefixes: o.prefixes ?? [],
  };
}

export function event(o: { reason: string; kind: 'Node' | 'Pod'; name: string; namespace?: string; uid?: string; type?: string; message?: string; component?: string; agoSeconds?: number }): KubeEvent {
  return {
    metadata: { name: `${o.name}.${o.reason}.${++uidCounter}`, namespace: o.namespace ?? 'default', uid: `ev-${uidCounter}` },
    involvedObject: { kind: o.kind, name: o.name, ...(o.namespace ? { namespace: o.namespace } : {}), ...(o.uid ? { uid: o.uid } : {}) },
    reason: o.reason,
    type: o.type ?? 'Normal',
    message: o.message ?? '',
    count: 1,
    lastTimestamp: new Date(NOW.getTime() - (o.agoSeconds ?? 30) * 1000).toISOString(),
    source: { component: o.component ?? UPSTREAM_COMPONENT },
  };
}

export const PD_ON = { 'enable-windows-ipam': 'true', 'enable-windows-prefix-delegation': 'true' };
export const PD_OFF = { 'enable-windows-ipam': 'true' };

export function inputs(o: {
  node?: KubeNode;
  pods?: KubePod[];
  interfaces?: NetworkInterface[] | { error: string; code?: string };
  subnet?: SubnetRoom;
  podNamespace?: string;
  events?: KubeEvent[];
  configMap?: Record<string, string> | undefined;
  instanceType?: string;
}): DescribeInputs {
  const interfaces = o.interfaces ?? [eni()];
  return {
    node: o.node ?? windowsNode(),
    pods: o.pods ?? [],
    events: o.events ?? [],
    configMap: { ref: 'kube-system/amazon-vpc-cni', data: 'configMap' in o ? o.configMap : PD_ON, error: null },
    ec2: Array.isArray(interfaces)
      ? { ok: true, region: 'us-west-2', endpoint: null, profile: null, interfaces }
      : { ok: false, region: 'us-west-2', endpoint: null, profile: null, error: interfaces.error, errorCode: interfaces.code ?? null },
    limits: bundledInstanceLimits(o.instanceType ?? 'm5.large'),
    subnet: o.subnet,
    podNamespace: o.podNamespace ?? null,
    now: NOW,
  };
}
