/**
 * @module
 * What `describe node` reads, as one value: the boundary between fetching (gather.ts) and the
 * pure analysis (analyze.ts). Tests build it by hand; gather.ts builds it from the APIs.
 */
import type { CoreV1Event, V1Node, V1Pod } from '@kubernetes/client-node';
import type { NetworkInterface } from '../../pkg/core/ec2/port.ts';
import type { InstanceLimits } from '../../pkg/core/ec2/instance-limits.ts';

export type Ec2Read =
  | { ok: true; region: string; interfaces: NetworkInterface[] }
  /** `error` is one line for the user; the Kubernetes half of the report is still shown. */
  | { ok: false; region: string | null; error: string };

export interface DescribeInputs {
  node: V1Node;
  /** Pods with spec.nodeName = the node, any phase. */
  pods: V1Pod[];
  /** IPAM events for the node and for pods (any pods: analysis keeps those of this node's pods). */
  events: CoreV1Event[];
  configMap: {
    /** "namespace/name". */
    ref: string;
    /** Its data, or undefined when it does not exist or could not be read. */
    data: Record<string, string> | undefined;
    /** Why it could not be read (e.g. forbidden), or null. Absence is not an error. */
    error: string | null;
  };
  ec2: Ec2Read;
  /** ENI limits of the node's instance type; undefined when the type is unknown. */
  limits: InstanceLimits | undefined;
  now: Date;
}
