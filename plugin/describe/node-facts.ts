/**
 * @module
 * Facts about a node that come from its object alone: instance ID, zone, region, instance type,
 * whether it runs Windows. Pure.
 */
import { INSTANCE_TYPE_LABEL, OS_LABEL, OS_LABEL_BETA, WINDOWS, ZONE_LABEL } from '../../pkg/core/contract.ts';
import type { KubeNode } from '../kube/objects.ts';

/** `aws:///us-west-2a/i-0abc` -> zone us-west-2a, instance i-0abc (zone may be empty: `aws:////i-0abc`). */
export function parseProviderId(providerID: string | undefined): { zone: string | null; instanceId: string | null } {
  if (!providerID?.startsWith('aws://')) return { zone: null, instanceId: null };
  const parts = providerID.slice('aws://'.length).split('/').filter((p) => p !== '');
  const last = parts.at(-1);
  const instanceId = last?.startsWith('i-') ? last : null;
  const zone = parts.length >= 2 ? parts.at(-2)! : null;
  return { zone, instanceId };
}

/**
 * The region of an availability zone: us-west-2a -> us-west-2, us-west-2-lax-1a (Local Zone)
 * -> us-west-2, us-gov-west-1b -> us-gov-west-1.
 */
export function regionOfZone(zone: string | null | undefined): string | null {
  if (!zone) return null;
  const m = /^([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d+)/.exec(zone);
  return m ? m[1]! : null;
}

export function nodeZone(node: KubeNode): string | null {
  return parseProviderId(node.spec?.providerID).zone ?? node.metadata?.labels?.[ZONE_LABEL] ?? null;
}

/** From the zone (providerID, zone label), else the node's region label. */
export function nodeRegion(node: KubeNode): string | null {
  const labels = node.metadata?.labels ?? {};
  return regionOfZone(nodeZone(node)) ?? labels['topology.kubernetes.io/region'] ?? labels['failure-domain.beta.kubernetes.io/region'] ?? null;
}

export function nodeInstanceType(node: KubeNode): string | null {
  const labels = node.metadata?.labels ?? {};
  return labels[INSTANCE_TYPE_LABEL] ?? labels['beta.kubernetes.io/instance-type'] ?? null;
}

/** The OS label value (current label first), or null when neither is set. */
export function nodeOs(node: KubeNode): string | null {
  const labels = node.metadata?.labels ?? {};
  return labels[OS_LABEL] ?? labels[OS_LABEL_BETA] ?? null;
}

export function isWindowsNode(node: KubeNode): boolean {
  return nodeOs(node) === WINDOWS;
}

/** Kubernetes quantities for counts are plain integers ("144"); anything else reads as unknown. */
export function countQuantity(value: string | undefined): number | null {
  if (value === undefined || !/^\d+$/.test(value)) return null;
  return Number(value);
}
