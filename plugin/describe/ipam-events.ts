/**
 * @module
 * Which Kubernetes events count as IPAM events: gather.ts asks the API server for these, and
 * analyze.ts keeps only these (and only for the node and its pods).
 */
import { CONTROLLER_NAME, EventReasons, UPSTREAM_COMPONENT } from '../../pkg/core/contract.ts';
import type { KubeEvent } from '../kube/objects.ts';

/** kubelet's: the Windows CNI fails the sandbox while the address annotation is missing. */
export const SANDBOX_FAILED = 'FailedCreatePodSandBox';

/** Pod events worth one field-selected list each (field selectors cannot OR reasons). */
export const POD_EVENT_REASONS = [EventReasons.resourceAllocated, EventReasons.resourceAllocationFailed, SANDBOX_FAILED] as const;

const IPAM_REASONS: ReadonlySet<string> = new Set([...Object.values(EventReasons), ...POD_EVENT_REASONS]);
const IPAM_COMPONENTS: ReadonlySet<string> = new Set([UPSTREAM_COMPONENT, CONTROLLER_NAME]);

/** The component that emitted an event, from whichever field the writer filled. */
export function eventSource(event: KubeEvent): string | null {
  return event.source?.component || event.reportingComponent || null;
}

export function isIpamEvent(event: KubeEvent): boolean {
  const source = eventSource(event);
  return IPAM_REASONS.has(event.reason ?? '') || (source !== null && IPAM_COMPONENTS.has(source));
}

/** True for events only the AWS VPC Resource Controller emits on the nodes it manages. */
export function isUpstreamControllerEvent(event: KubeEvent): boolean {
  return eventSource(event) === UPSTREAM_COMPONENT || event.reason === EventReasons.controllerVersionNotice;
}

export function eventTime(event: KubeEvent): Date | null {
  const t = event.lastTimestamp || event.eventTime || event.series?.lastObservedTime || event.metadata?.creationTimestamp;
  if (!t) return null;
  const date = new Date(t);
  return Number.isNaN(date.getTime()) ? null : date;
}
