/**
 * @module
 * What `describe node` reads, as one value: the boundary between fetching (gather.ts) and the
 * pure analysis (analyze.ts). Tests build it by hand; gather.ts builds it from the APIs.
 */
import type { NetworkInterface } from '../../pkg/core/ec2/port.ts';
import type { InstanceLimits } from '../../pkg/core/ec2/instance-limits.ts';
import type { KubeEvent, KubeNode, KubePod } from '../kube/objects.ts';
import type { ConfigMapRead } from './kube-reads.ts';
import type { SubnetRoom } from '../subnet-room.ts';

export interface Ec2Where {
  region: string | null;
  /** The endpoint asked, when not the region's default. */
  endpoint: string | null;
  /** --profile or AWS_PROFILE, when one named the credentials. */
  profile: string | null;
}

export type Ec2Read =
  | ({ ok: true; interfaces: NetworkInterface[] } & Ec2Where)
  /** `error` is one line for the user; the Kubernetes half of the report is still shown. */
  | ({ ok: false; error: string; errorCode: string | null } & Ec2Where);

export interface DescribeInputs {
  node: KubeNode;
  /** Pods with spec.nodeName = the node, any phase. */
  pods: KubePod[];
  /** IPAM events for the node and for pods (any pods: analysis keeps those of this node's pods). */
  events: KubeEvent[];
  configMap: ConfigMapRead;
  ec2: Ec2Read;
  /** ENI limits of the node's instance type; undefined when the type is unknown. */
  limits: InstanceLimits | undefined;
  /** Room for prefixes in the node's subnet: read only when pods wait because it has none. */
  subnet: SubnetRoom | undefined;
  /** -n: list only this namespace's pods (the analysis still counts every pod). */
  podNamespace: string | null;
  now: Date;
}
