/**
 * @module
 * Every disagreement between Kubernetes and EC2 on one node, as findings: pod addresses the ENI
 * does not hold, unreadable and duplicate addresses, pods without an address, mixed-mode ENIs and
 * ENI addresses no pod and no warm target explains. Pure.
 */
import type { CoreV1Event } from '@kubernetes/client-node';
import { EventReasons, RESOURCE_NAME } from '../../pkg/core/contract.ts';
import type { NetworkInterface } from '../../pkg/core/ec2/port.ts';
import type { NodeStatus } from '../../pkg/core/status/node-status.ts';
import { formatAge } from '../render/age.ts';
import type { AddressBook } from './addresses.ts';
import * as finding from './findings.ts';
import { SANDBOX_FAILED, eventTime } from './ipam-events.ts';
import type { ActiveMode } from './mode.ts';
import type { PodView } from './pods.ts';
import type { Finding, ReportPrefix, ReportSecondaryIp } from './report.ts';
import { explainedFreePrefixes, explainedFreeSecondaryIps, type WarmTargets } from './warm-explanation.ts';

export function podFindings(
  pods: readonly PodView[],
  podsByIp: Map<string, PodView[]>,
  book: AddressBook | undefined,
  status: NodeStatus | undefined,
  instance: string,
): Finding[] {
  const out: Finding[] = [];
  for (const pod of pods) {
    const { report } = pod;
    if (pod.unreadable) out.push(finding.unreadablePodAddress(report, report.annotation ?? ''));
  }
  for (const [ip, holders] of podsByIp) {
    if (holders.length > 1) out.push(finding.duplicatePodAddress(ip, holders.map((h) => h.report)));
  }
  for (const pod of pods) {
    const { report } = pod;
    if (report.address === null) continue;
    if (book && report.source.kind === 'not-on-eni') {
      out.push(finding.podAddressNotOnEni(report, report.address, report.annotation ?? '', instance, book.primaryIps.get(report.address)));
    } else if (!book && status?.vanished?.some((v) => v.podUid === report.uid)) {
      // EC2 is unreadable: trust the controller's last re-sync for vanished addresses.
      out.push(finding.podAddressNotOnEni(report, report.address, report.annotation ?? '', instance, undefined));
    }
  }
  return out;
}

const ownEvent = (e: CoreV1Event, p: PodView) =>
  e.involvedObject?.uid ? e.involvedObject.uid === p.report.uid : e.involvedObject?.name === p.report.name && e.involvedObject?.namespace === p.report.namespace;

const newestWarning = (events: readonly CoreV1Event[]) =>
  events.filter((e) => e.type === 'Warning').sort((a, b) => (eventTime(b)?.getTime() ?? 0) - (eventTime(a)?.getTime() ?? 0))[0];

/**
 * The reason is the pod's newest Warning event; without one, the node's (InsufficientCidrBlocks,
 * Unsupported, ...), then the controller's last error: each is why no address came.
 */
export function podsWithoutAddress(
  pods: readonly PodView[],
  podEvents: readonly CoreV1Event[],
  nodeEvents: readonly CoreV1Event[],
  status: NodeStatus | undefined,
): Finding[] {
  const nodeWarning = newestWarning(nodeEvents);
  const fallback = nodeWarning
    ? `node event ${nodeWarning.reason}: ${nodeWarning.message ?? ''}`.trim()
    : status?.lastError
      ? `the controller's last error (${status.lastError.reason}, ${status.lastError.at}): ${status.lastError.message}`
      : null;
  return pods
    .filter((p) => p.report.requestsAddress && p.report.annotation === null)
    .map((p) => {
      const own = newestWarning(podEvents.filter((e) => ownEvent(e, p)));
      const age = p.report.ageSeconds === null ? 'an unknown time' : formatAge(p.report.ageSeconds);
      return finding.podWithoutAddress(p.report, age, own ? `${own.reason}: ${own.message ?? ''}`.trim() : fallback);
    });
}

/**
 * Only on a node that runs IPAM (it advertises the resource, or our controller manages it): elsewhere
 * no pod gets an address, and the mode's reason already says why.
 */
export function podsWithoutRequest(pods: readonly PodView[], podEvents: readonly CoreV1Event[], ipamActive: boolean): Finding[] {
  if (!ipamActive) return [];
  return pods
    .filter((p) => !p.report.requestsAddress && p.report.annotation === null)
    .map((p) => {
      const sandbox = newestWarning(podEvents.filter((e) => ownEvent(e, p) && e.reason === SANDBOX_FAILED));
      const age = p.report.ageSeconds === null ? 'an unknown time' : formatAge(p.report.ageSeconds);
      return finding.podWithoutResourceRequest(p.report, age, p.selectsWindows, sandbox?.message ?? null);
    });
}

/** kubelet refreshes the event while it retries; an older one is history, not the pod's state. */
export const SANDBOX_FAILURE_FRESH_MS = 10 * 60_000;

/**
 * The third stage of a pod stuck in ContainerCreating: it has its address (on the ENI, or EC2 was
 * not read), yet kubelet keeps failing its sandbox. A pod whose address is not on the ENI already
 * has its own finding. Failures from before the address came (kubelet's "does not have label
 * vpc.amazonaws.com/PrivateIPv4Address", or older than the ResourceAllocated event) are over.
 */
export function sandboxFailures(pods: readonly PodView[], podEvents: readonly CoreV1Event[], now: Date): Finding[] {
  const out: Finding[] = [];
  for (const p of pods) {
    const { report } = p;
    if (report.phase !== 'Pending' || report.address === null || report.source.kind === 'not-on-eni') continue;
    const own = podEvents.filter((e) => ownEvent(e, p));
    const failure = newestWarning(own.filter((e) => e.reason === SANDBOX_FAILED));
    const at = failure ? eventTime(failure) : null;
    if (!failure || !at || now.getTime() - at.getTime() > SANDBOX_FAILURE_FRESH_MS) continue;
    if ((failure.message ?? '').includes(RESOURCE_NAME)) continue;
    const allocatedAt = own.filter((e) => e.reason === EventReasons.resourceAllocated).map((e) => eventTime(e)?.getTime() ?? 0);
    if (allocatedAt.some((t) => t > at.getTime())) continue;
    out.push(finding.sandboxFailing(report, report.address, failure.message ?? '', formatAge(Math.max(0, Math.floor((now.getTime() - at.getTime()) / 1000)))));
  }
  return out;
}

export function mixedInterfaces(interfaces: readonly NetworkInterface[], activeMode: ActiveMode | null): Finding[] {
  const draining = activeMode === 'prefix' ? 'secondary' : activeMode === 'secondary' ? 'prefix' : null;
  return interfaces
    .filter((eni) => eni.prefixes.length > 0 && eni.secondaryIps.length > 0)
    .map((eni) => finding.mixedModeEni(eni.networkInterfaceId, eni.secondaryIps.length, eni.prefixes.length, draining));
}

export function unexplained(
  prefixes: readonly ReportPrefix[],
  secondaryIps: readonly ReportSecondaryIp[],
  targets: WarmTargets,
  activeMode: ActiveMode,
  releasing: ReadonlySet<string>,
): Finding[] {
  const out: Finding[] = [];
  const freePrefixes = prefixes.filter((p) => p.used === 0 && p.cooling === 0 && !releasing.has(p.cidr));
  let prefixAllowance: { explained: number; why: string };
  if (activeMode === 'prefix') {
    prefixAllowance = explainedFreePrefixes(targets, {
      used: prefixes.reduce((n, p) => n + p.used, 0),
      occupiedPrefixes: prefixes.filter((p) => p.used + p.cooling > 0).length,
    });
  } else {
    prefixAllowance = { explained: 0, why: 'the node is in secondary mode, so its prefixes drain' };
  }
  for (const p of freePrefixes.slice(prefixAllowance.explained)) out.push(finding.unexplainedPrefix(p.cidr, p.interfaceId, prefixAllowance.why));

  const freeIps = secondaryIps.filter((s) => s.state === 'free' && !releasing.has(s.ip));
  let ipAllowance: { explained: number; why: string };
  if (activeMode === 'secondary') {
    ipAllowance = explainedFreeSecondaryIps(targets, {
      used: secondaryIps.filter((s) => s.state === 'used').length,
      cooling: secondaryIps.filter((s) => s.state === 'cooling').length,
      free: freeIps.length,
    });
  } else {
    ipAllowance = { explained: 0, why: 'the node is in prefix mode, so its secondary IPs drain' };
  }
  const surplus = freeIps.slice(ipAllowance.explained);
  const byEni = new Map<string, string[]>();
  for (const s of surplus) byEni.set(s.interfaceId, [...(byEni.get(s.interfaceId) ?? []), s.ip]);
  for (const [eni, ips] of byEni) out.push(finding.unexplainedSecondaryIps(ips, eni, ipAllowance.why));
  return out;
}

