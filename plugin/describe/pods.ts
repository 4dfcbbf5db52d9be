/**
 * @module
 * The pods that take part in IPAM on a node, read from their objects: address from either
 * controller's annotation format (ip/32, ip/<subnet mask>, bare ip), whether they request the
 * resource, and where the address comes from on the ENI. Pure.
 */
import { POD_IP_ANNOTATION, RESOURCE_NAME } from '../../pkg/core/contract.ts';
import { splitMaskedAddress } from '../../pkg/core/net/ipv4.ts';
import { isWindowsPod } from '../../pkg/core/admission/pod-mutator.ts';
import { comparePods } from '../findings.ts';
import type { KubePod } from '../kube/objects.ts';
import { locate, type AddressBook } from './addresses.ts';
import type { ReportPod } from './report.ts';

/**
 * A pod that takes part in IPAM: not host-network, not finished, and annotated, requesting an
 * address, or pending without either (the pod the webhook missed, stuck in ContainerCreating).
 */
export interface PodView {
  report: ReportPod;
  unreadable: boolean;
  /** Whether the pod pins the Windows OS label, which is what makes the IPAM webhook add the request. */
  selectsWindows: boolean;
}

export function requestsAddress(pod: KubePod): boolean {
  return (pod.spec?.containers ?? []).some(
    (c) => c.resources?.requests?.[RESOURCE_NAME] !== undefined || c.resources?.limits?.[RESOURCE_NAME] !== undefined,
  );
}

/** Finished pods gave their address back (upstream frees on Succeeded/Failed); host-network pods never had one. */
export function readPods(pods: readonly KubePod[], now: Date, book: AddressBook | undefined): PodView[] {
  const views: PodView[] = [];
  for (const pod of pods) {
    const phase = pod.status?.phase ?? 'Unknown';
    if (pod.spec?.hostNetwork || phase === 'Succeeded' || phase === 'Failed') continue;
    const annotation = pod.metadata?.annotations?.[POD_IP_ANNOTATION] ?? null;
    const requests = requestsAddress(pod);
    if (annotation === null && !requests && phase !== 'Pending') continue;
    let address: string | null = null;
    let unreadable = false;
    if (annotation !== null) {
      try {
        address = splitMaskedAddress(annotation.trim()).ip;
      } catch {
        unreadable = true;
      }
    }
    const created = pod.metadata?.creationTimestamp ? new Date(pod.metadata.creationTimestamp) : null;
    views.push({
      unreadable,
      selectsWindows: pod.spec ? isWindowsPod(pod.spec) : false,
      report: {
        namespace: pod.metadata?.namespace ?? '',
        name: pod.metadata?.name ?? '',
        uid: pod.metadata?.uid ?? '',
        phase,
        address,
        annotation,
        requestsAddress: requests,
        source: address === null ? { kind: 'none' } : book ? locate(book, address) : { kind: 'unknown' },
        createdAt: created ? created.toISOString() : null,
        ageSeconds: created ? Math.max(0, Math.floor((now.getTime() - created.getTime()) / 1000)) : null,
      },
    });
  }
  // Natural order, as people count: p-2 before p-10.
  return views.sort((a, b) => comparePods(a.report, b.report));
}

export function groupByAddress(pods: readonly PodView[]): Map<string, PodView[]> {
  const byIp = new Map<string, PodView[]>();
  for (const pod of pods) {
    if (pod.report.address === null) continue;
    const list = byIp.get(pod.report.address) ?? [];
    list.push(pod);
    byIp.set(pod.report.address, list);
  }
  return byIp;
}
