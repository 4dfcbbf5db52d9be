/**
 * @module
 * The narrow ports the node reconciler works through. Each is sized to what reconciling needs;
 * `app.ts` adapts pkg/kube and pkg/ec2 to them, unit tests supply small stateful fakes.
 */
import type { Ec2Port } from '../core/ec2/port.ts';
import type { EventRecorder } from '../adapters/kube/events.ts';
import type { PodView } from '../core/views/pod-view.ts';
import type { ClusterIpamConfig, PoolGauges } from '../core/ipam/types.ts';
import type { NodeView } from '../core/views/node-view.ts';
import type { PoolEc2Port } from '../core/ec2/pool-requests.ts';

export type { EventNote, ObjectRef } from '../core/events.ts';

/** The recorder's fire-and-forget half; flushing belongs to the composition root. */
export type EventSink = Pick<EventRecorder, 'emit'>;

/** The EC2 calls a managed node needs: loading the instance, then pool work. */
export type NodeEc2Port = Pick<Ec2Port, 'describeInstance' | 'describeSubnet' | 'instanceLimits' | 'describePrimaryInterfaces'> & PoolEc2Port;

/** The Kubernetes writes a managed node makes. */
export interface NodeWrites {
  /**
   * Sets the IP annotation only on this pod (same UID) and only if it carries none yet: `refused` when
   * that precondition fails (nothing written), `gone` when the pod no longer exists. Throws when the
   * outcome is unknown.
   */
  annotatePod(pod: { namespace: string; name: string; uid: string; hasAnnotations: boolean }, value: string): Promise<'patched' | 'gone' | 'refused'>;
  /** Status subresource; null removes the resource. */
  setCapacity(node: string, value: number | null): Promise<void>;
  setStatusAnnotation(node: string, value: string): Promise<void>;
}

export interface ClusterConfigView {
  config: ClusterIpamConfig;
  /** "namespace/name" of the ConfigMap, for messages. */
  ref: string;
}

/** What the node reconciler reads. */
export interface NodeReads {
  node(name: string): NodeView | undefined;
  podsOn(nodeName: string): readonly PodView[];
  cluster(): ClusterConfigView;
  /** The component that claims this node, when another IPAM controller does. */
  foreignController(nodeName: string): string | undefined;
}

export interface NodeMetrics {
  pool(node: string, gauges: PoolGauges): void;
  forgetNode(node: string): void;
  /** Seconds from pod creation to a successful annotation. */
  annotationLatency(seconds: number): void;
  /** Seconds from the controller first seeing a pod to its annotation acknowledged. */
  annotationDuration(seconds: number): void;
  allocationFailure(reason: string): void;
  /** A re-read of a node's ENI was planned, and why. */
  resync(trigger: string): void;
  /** EC2's answers contradicted what a pool believed, by kind. */
  contradiction(kind: string): void;
  /** Running pods on the node whose address left its ENI. */
  quarantined(node: string, count: number): void;
}

export interface Timings {
  coolDownMs: number;
  releaseHoldDownMs: number;
  /** How far ahead a pool's demand looks during a burst (PoolSettings.demandHorizonMs). */
  demandHorizonMs: number;
  /** At most one status annotation write per node per this interval. */
  statusIntervalMs: number;
  /** How soon to look again at a node whose instance type was not supported. */
  unsupportedRetryMs: number;
  /** At shutdown or on losing the Lease, how long EC2 calls and writes in flight are waited for. */
  drainMs: number;
}
