/**
 * @module
 * What the controller keeps of a Node: the few fields IPAM decisions read. Nodes are stripped on
 * receipt (labels, providerID, our capacity and status annotation), so the cache stays small and
 * decisions cannot depend on anything else by accident.
 */
import { COMPUTE_TYPE_LABEL, NODE_STATUS_ANNOTATION, OS_LABEL, OS_LABEL_BETA, RESOURCE_NAME } from '../contract.ts';

export interface NodeView {
  name: string;
  uid: string;
  os: string | undefined;
  computeType: string | undefined;
  providerID: string | undefined;
  /** Our extended resource in status.capacity, as a number; undefined when absent. */
  advertisedCapacity: number | undefined;
  /** Our status annotation as the API server last showed it. */
  statusAnnotation: string | undefined;
}

/** The fields of a Node this module reads (client-node's V1Node and wire JSON both fit). */
export interface NodeObject {
  metadata?: { name?: string; uid?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { providerID?: string };
  status?: { capacity?: Record<string, unknown> };
}

export function toNodeView(node: NodeObject): NodeView {
  const labels = node.metadata?.labels ?? {};
  const raw = node.status?.capacity?.[RESOURCE_NAME];
  const parsed = raw === undefined ? undefined : Number.parseInt(String(raw), 10);
  return {
    name: node.metadata?.name ?? '',
    uid: node.metadata?.uid ?? '',
    os: labels[OS_LABEL] ?? labels[OS_LABEL_BETA],
    computeType: labels[COMPUTE_TYPE_LABEL],
    providerID: node.spec?.providerID || undefined,
    advertisedCapacity: parsed === undefined || Number.isNaN(parsed) ? undefined : parsed,
    statusAnnotation: node.metadata?.annotations?.[NODE_STATUS_ANNOTATION],
  };
}

/**
 * The EC2 instance id from spec.providerID ("aws:///us-west-2a/i-0abc..."): its last segment,
 * as upstream reads it, but only when it looks like an instance id.
 */
export function instanceIdOf(providerID: string | undefined): string | undefined {
  if (!providerID) return undefined;
  const last = providerID.split('/').pop() ?? '';
  return /^i-[0-9a-zA-Z]+$/.test(last) ? last : undefined;
}
