/**
 * @module
 * Whether the controller manages a node, decided from facts alone (no I/O): the node's labels and
 * providerID, the cluster's IPAM switch, and whether another IPAM controller has claimed it.
 * The instance-type check comes later, once EC2 has answered (see `unsupportedInstance`).
 */
import { EventReasons, NODE_STATUS_ANNOTATION, WINDOWS } from '../contract.ts';
import { instanceIdOf, type NodeView } from '../views/node-view.ts';
import type { EventNote } from '../events.ts';

export type NodeEligibility =
  /** Not a Windows node we could ever manage: no status, no events. */
  | { kind: 'ignore'; why: string }
  /** A Windows node we leave alone; `reason` goes into the published status. */
  | { kind: 'unmanaged'; reason: string; cause: UnmanagedCause; event?: EventNote; /** The other controller, for 'foreign-controller'. */ claimant?: string }
  | { kind: 'managed'; instanceId: string };

export type UnmanagedCause = 'ipam-disabled' | 'no-instance-id' | 'foreign-controller' | 'unsupported-instance';

export interface EligibilityInputs {
  node: NodeView;
  ipamEnabled: boolean;
  /** Where the cluster config lives, for messages ("kube-system/amazon-vpc-cni"). */
  configMapRef: string;
  /**
   * Set when another controller announced it manages this node (its component name), from a live
   * ControllerVersionNotice event or from an earlier refusal recorded in the node's status annotation.
   */
  foreignController: string | undefined;
}

export function decideEligibility(i: EligibilityInputs): NodeEligibility {
  if (i.node.os !== WINDOWS) return { kind: 'ignore', why: 'not a Windows node' };
  // EKS Auto Mode manages these nodes' networking end to end, as upstream assumes.
  if (i.node.computeType === 'auto') return { kind: 'ignore', why: 'EKS Auto Mode node' };
  if (i.foreignController !== undefined) {
    return {
      kind: 'unmanaged',
      cause: 'foreign-controller',
      claimant: i.foreignController,
      reason: `managed by another IPAM controller (${i.foreignController})`,
      event: {
        type: 'Warning',
        reason: EventReasons.managedByAnotherController,
        message:
          `${i.foreignController} announced (event ${EventReasons.controllerVersionNotice}) that it manages Windows IPAM on this node; ` +
          'winprefix leaves the node alone because two controllers on one ENI would hand out the same address twice. ' +
          'To let winprefix manage it, turn Windows IPAM off in the other controller, then remove the refusal winprefix recorded ' +
          `(kubectl annotate node ${i.node.name} ${NODE_STATUS_ANNOTATION}-) once its ControllerVersionNotice events for this node are gone.`,
      },
    };
  }
  if (!i.ipamEnabled) {
    return {
      kind: 'unmanaged',
      cause: 'ipam-disabled',
      reason: `Windows IPAM is disabled: set enable-windows-ipam: "true" in ConfigMap ${i.configMapRef} to enable it`,
    };
  }
  const instanceId = instanceIdOf(i.node.providerID);
  if (instanceId === undefined) {
    return {
      kind: 'unmanaged',
      cause: 'no-instance-id',
      reason: `spec.providerID ${JSON.stringify(i.node.providerID ?? '')} names no EC2 instance; waiting for the cloud provider to set it (aws:///<zone>/i-...)`,
    };
  }
  return { kind: 'managed', instanceId };
}

/** The node could be Windows and ours, but its instance type cannot carry pod addresses. */
export function unsupportedInstance(instanceType: string, detail: string): Extract<NodeEligibility, { kind: 'unmanaged' }> {
  return {
    kind: 'unmanaged',
    cause: 'unsupported-instance',
    reason: `instance type ${instanceType} is not supported: ${detail}`,
    event: {
      type: 'Warning',
      reason: EventReasons.unsupported,
      message: `The instance type ${instanceType} is not supported for Windows: ${detail}. Use an instance type with ENI limits EC2 reports (DescribeInstanceTypes), or check the controller's ec2:DescribeInstanceTypes permission.`,
    },
  };
}
