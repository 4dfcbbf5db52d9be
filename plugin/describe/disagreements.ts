/**
 * @module
 * Every disagreement between Kubernetes and EC2 on one node, as findings, one per cause: pod addresses
 * the ENI does not hold (grouped by the /28 they fall in), unreadable and duplicate addresses, pods
 * without an address (grouped by why), pods without the resource request, failing sandboxes,
 * mixed-mode ENIs and ENI addresses no pod and no warm target explains (by the core's own target
 * formulas, pkg/ipam/targets.ts). Pure.
 */
import { EventReasons, RESOURCE_NAME } from '../../pkg/core/contract.ts';
import type { NetworkInterface } from '../../pkg/core/ec2/port.ts';
import { prefixDeviation, secondaryDeviation, type TargetConfig } from '../../pkg/core/ipam/targets.ts';
import { formatCidr, maskOf, parseIPv4 } from '../../pkg/core/net/ipv4.ts';
import type { NodeStatus } from '../../pkg/core/status/node-status.ts';
import { groupBy, groupLargestFirst } from '../findings.ts';
import { causeOf, type AdviceContext, type IpamCause } from '../ipam-causes.ts';
import type { KubeEvent } from '../kube/objects.ts';
import { formatAge } from '../render/age.ts';
import { plural } from '../render/text.ts';
import type { AddressBook } from './addresses.ts';
import * as finding from './findings.ts';
import { SANDBOX_FAILED, eventTime } from './ipam-events.ts';
import type { ActiveMode } from './mode.ts';
import type { PodView } from './pods.ts';
import type { Finding, ReportPrefix, ReportSecondaryIp } from './report.ts';

const ref = (p: PodView) => ({ namespace: p.report.namespace, name: p.report.name });
const ageText = (seconds: number | null) => (seconds === null ? 'an unknown time' : formatAge(seconds));
const longestAge = (pods: readonly PodView[]) =>
  ageText(pods.reduce<number | null>((max, p) => (p.report.ageSeconds === null ? max : Math.max(max ?? 0, p.report.ageSeconds)), null));

export function podFindings(
  pods: readonly PodView[],
  podsByIp: Map<string, PodView[]>,
  book: AddressBook | undefined,
  status: NodeStatus | undefined,
  instance: string,
): Finding[] {
  const out: Finding[] = [];
  const unreadable = pods.filter((p) => p.unreadable);
  if (unreadable.length > 0) out.push(finding.unreadablePodAddresses(unreadable.map((p) => ({ ...ref(p), annotation: p.report.annotation ?? '' }))));
  for (const [ip, holders] of podsByIp) {
    if (holders.length > 1) out.push(finding.duplicatePodAddress(ip, holders.map(ref)));
  }
  const vanishedUids = new Set((status?.vanished ?? []).map((v) => v.podUid));
  const lost = pods.filter((p) => p.report.address !== null && (book ? p.report.source.kind === 'not-on-eni' : vanishedUids.has(p.report.uid)));
  // One finding per /28 the lost addresses fall in: a removed prefix takes all of its pods at once.
  const blockOf = (ip: string) => formatCidr({ base: (parseIPv4(ip) & maskOf(28)) >>> 0, prefixLength: 28 });
  const hostEniOf = (p: PodView) => book?.primaryIps.get(p.report.address!);
  for (const group of groupLargestFirst(lost, (p) => (hostEniOf(p) ? `host ${p.report.address}` : blockOf(p.report.address!)))) {
    const hostEni = hostEniOf(group.items[0]!);
    out.push(
      finding.podAddressNotOnEni({
        pods: group.items.map((p) => ({ ...ref(p), ip: p.report.address!, annotation: p.report.annotation ?? '' })),
        instanceId: instance,
        hostEni,
        block: hostEni ? undefined : group.key,
        fromController: !book,
      }),
    );
  }
  return out;
}

const ownEvent = (e: KubeEvent, p: PodView) =>
  e.involvedObject?.uid ? e.involvedObject.uid === p.report.uid : e.involvedObject?.name === p.report.name && e.involvedObject?.namespace === p.report.namespace;

const byNewest = (a: KubeEvent, b: KubeEvent) => (eventTime(b)?.getTime() ?? 0) - (eventTime(a)?.getTime() ?? 0);
const newestWarning = (events: readonly KubeEvent[]) => events.filter((e) => e.type === 'Warning').sort(byNewest)[0];

/** kubelet's symptom of a missing annotation: it says that the address is missing, never why. */
const isMissingLabelSymptom = (e: KubeEvent) => e.reason === SANDBOX_FAILED && (e.message ?? '').includes(RESOURCE_NAME);

/** Quoted evidence is kept to a readable length; the events table and kubectl have the rest. */
const EVIDENCE_CHARS = 320;
const quote = (text: string) => (text.length > EVIDENCE_CHARS ? `${text.slice(0, EVIDENCE_CHARS - 1)}…` : text);

interface Evidence {
  cause: IpamCause;
  text: string | null;
}

/**
 * Why pods that request an address have none, one finding per cause. The evidence, first that names a
 * known cause: the pod's newest IPAM warning (kubelet's "does not have label" only restates the
 * symptom), the node's newest IPAM warning (InsufficientCidrBlocks, Unsupported, InstanceUnreadable),
 * the winprefix controller's last error; without any controller on the node, that is the cause.
 */
export function podsWithoutAddress(o: {
  pods: readonly PodView[];
  podEvents: readonly KubeEvent[];
  nodeEvents: readonly KubeEvent[];
  status: NodeStatus | undefined;
  /** Whether any IPAM controller manages the node (status annotation, controller events, advertised capacity). */
  managed: boolean;
  advice: AdviceContext;
}): Finding[] {
  const nodeWarning = newestWarning(o.nodeEvents);
  const fromNode: Evidence | undefined = nodeWarning
    ? { cause: causeOf({ reason: nodeWarning.reason, message: nodeWarning.message }), text: `node event ${nodeWarning.reason}: ${quote(nodeWarning.message ?? '')}`.trim() }
    : undefined;
  const last = o.status?.lastError;
  const fromController: Evidence | undefined = last
    ? { cause: causeOf({ reason: last.reason, message: last.message }), text: `the controller's last error (${last.reason}, ${last.at}): ${quote(last.message)}` }
    : undefined;
  const evidenceFor = (p: PodView): Evidence => {
    const own = newestWarning(o.podEvents.filter((e) => ownEvent(e, p) && !isMissingLabelSymptom(e)));
    const fromPod: Evidence | undefined = own ? { cause: causeOf({ reason: own.reason, message: own.message }), text: `event ${own.reason}: ${quote(own.message ?? '')}` } : undefined;
    const candidates = [fromPod, fromNode, fromController].filter((e): e is Evidence => e !== undefined);
    const known = candidates.find((e) => e.cause !== 'unknown');
    if (known) return known;
    if (!o.managed && candidates.length === 0) return { cause: 'no-ipam-controller', text: null };
    return candidates[0] ?? { cause: 'unknown', text: null };
  };
  const waiting = o.pods.filter((p) => p.report.requestsAddress && p.report.annotation === null).map((p) => ({ pod: p, evidence: evidenceFor(p) }));
  // Unknown causes group by what was quoted, so two different unexplained messages stay apart.
  return groupLargestFirst(waiting, (w) => (w.evidence.cause === 'unknown' ? `unknown ${w.evidence.text ?? ''}` : w.evidence.cause)).map((g) =>
    finding.podsWithoutAddress({
      pods: g.items.map((w) => ref(w.pod)),
      cause: g.items[0]!.evidence.cause,
      evidence: g.items[0]!.evidence.text,
      longest: longestAge(g.items.map((w) => w.pod)),
      advice: o.advice,
    }),
  );
}

/**
 * Only on a node that runs IPAM (it advertises the resource, or our controller manages it): elsewhere
 * no pod gets an address, and the mode's reason already says why.
 */
export function podsWithoutRequest(pods: readonly PodView[], podEvents: readonly KubeEvent[], ipamActive: boolean): Finding[] {
  if (!ipamActive) return [];
  const missing = pods.filter((p) => !p.report.requestsAddress && p.report.annotation === null);
  return groupLargestFirst(missing, (p) => String(p.selectsWindows)).map((g) => {
    const sandbox = newestWarning(podEvents.filter((e) => e.reason === SANDBOX_FAILED && g.items.some((p) => ownEvent(e, p))));
    return finding.podsWithoutResourceRequest({ pods: g.items.map(ref), selectsWindows: g.items[0]!.selectsWindows, longest: longestAge(g.items), sandboxError: sandbox?.message ?? null });
  });
}

/** kubelet refreshes the event while it retries; an older one is history, not the pod's state. */
export const SANDBOX_FAILURE_FRESH_MS = 10 * 60_000;

/**
 * The third stage of a pod stuck in ContainerCreating: it has its address (on the ENI, or EC2 was not
 * read), yet kubelet keeps failing its sandbox. A pod whose address is not on the ENI already has its
 * own finding. Failures from before the address came (kubelet's "does not have label
 * vpc.amazonaws.com/PrivateIPv4Address", or older than the ResourceAllocated event) are over.
 */
export function sandboxFailures(pods: readonly PodView[], podEvents: readonly KubeEvent[], now: Date): Finding[] {
  const failing: Array<{ pod: PodView; event: KubeEvent; at: Date }> = [];
  for (const p of pods) {
    const { report } = p;
    if (report.phase !== 'Pending' || report.address === null || report.source.kind === 'not-on-eni') continue;
    const own = podEvents.filter((e) => ownEvent(e, p));
    const failure = newestWarning(own.filter((e) => e.reason === SANDBOX_FAILED));
    const at = failure ? eventTime(failure) : null;
    if (!failure || !at || now.getTime() - at.getTime() > SANDBOX_FAILURE_FRESH_MS) continue;
    if (isMissingLabelSymptom(failure)) continue;
    const allocatedAt = own.filter((e) => e.reason === EventReasons.resourceAllocated).map((e) => eventTime(e)?.getTime() ?? 0);
    if (allocatedAt.some((t) => t > at.getTime())) continue;
    failing.push({ pod: p, event: failure, at });
  }
  if (failing.length === 0) return [];
  const newest = failing.reduce((a, b) => (b.at > a.at ? b : a));
  return [
    finding.sandboxesFailing({
      pods: failing.map((f) => ({ ...ref(f.pod), ip: f.pod.report.address! })),
      newestError: quote(newest.event.message ?? ''),
      ago: formatAge(Math.max(0, Math.floor((now.getTime() - newest.at.getTime()) / 1000))),
    }),
  ];
}

export function mixedInterfaces(interfaces: readonly NetworkInterface[], activeMode: ActiveMode | null): Finding[] {
  const draining = activeMode === 'prefix' ? 'secondary' : activeMode === 'secondary' ? 'prefix' : null;
  return interfaces
    .filter((eni) => eni.prefixes.length > 0 && eni.secondaryIps.length > 0)
    .map((eni) => finding.mixedModeEni(eni.networkInterfaceId, eni.secondaryIps.length, eni.prefixes.length, draining));
}

/**
 * Free prefixes and secondary IPs the warm targets do not ask for, by the controller's own sizing
 * (pkg/ipam/targets.ts, upstream's formulas): what it would release is what nothing explains.
 */
export function unexplained(
  prefixes: readonly ReportPrefix[],
  secondaryIps: readonly ReportSecondaryIp[],
  targets: TargetConfig,
  activeMode: ActiveMode,
  releasing: ReadonlySet<string>,
  region: string | null,
): Finding[] {
  const out: Finding[] = [];
  const active = prefixes.filter((p) => !releasing.has(p.cidr));
  const freePrefixes = active.filter((p) => p.used === 0 && p.cooling === 0);
  let surplus: { count: number; why: string };
  if (activeMode === 'prefix') {
    const used = active.reduce((n, p) => n + p.used, 0);
    const deviation = prefixDeviation(
      {
        used,
        free: active.reduce((n, p) => n + p.free, 0),
        cooling: active.reduce((n, p) => n + p.cooling, 0),
        freePrefixes: freePrefixes.length,
        restoredPrefixes: 0,
        prefixes: active.length,
        pendingPrefixes: 0,
        waiting: 0,
      },
      targets,
    );
    const count = Math.max(0, -deviation);
    const why =
      targets.sizing === 'prefix-target'
        ? `warm-prefix-target ${targets.warmPrefixTarget} keeps ${plural(targets.warmPrefixTarget, 'free prefix', 'free prefixes')}`
        : `warm-ip-target ${targets.warmIPTarget} and minimum-ip-target ${targets.minimumIPTarget} keep ${plural(active.length - count, 'prefix', 'prefixes')} for ${plural(used, 'used address', 'used addresses')}`;
    surplus = { count, why };
  } else {
    surplus = { count: freePrefixes.length, why: 'the node is in secondary mode, so its prefixes drain' };
  }
  // The highest addresses go first, as the controller releases them.
  const leaked = freePrefixes.slice(freePrefixes.length - surplus.count);
  for (const g of groupBy(leaked, (p) => p.interfaceId)) out.push(finding.unexplainedPrefixes(g.items.map((p) => p.cidr), g.key, surplus.why, region));

  const freeIps = secondaryIps.filter((s) => s.state === 'free' && !releasing.has(s.ip));
  let ipSurplus: { count: number; why: string };
  if (activeMode === 'secondary') {
    const used = secondaryIps.filter((s) => s.state === 'used').length;
    const deviation = secondaryDeviation(
      { used, free: freeIps.length, cooling: secondaryIps.filter((s) => s.state === 'cooling').length, pending: 0, waiting: 0, restored: 0 },
      targets,
    );
    const count = Math.max(0, -deviation);
    ipSurplus = {
      count,
      why: `warm-ip-target ${targets.warmIPTarget} and minimum-ip-target ${targets.minimumIPTarget} keep ${freeIps.length - count} free for ${plural(used, 'used address', 'used addresses')}`,
    };
  } else {
    ipSurplus = { count: freeIps.length, why: 'the node is in prefix mode, so its secondary IPs drain' };
  }
  const surplusIps = freeIps.slice(freeIps.length - ipSurplus.count);
  for (const g of groupBy(surplusIps, (s) => s.interfaceId)) out.push(finding.unexplainedSecondaryIps(g.items.map((s) => s.ip), g.key, ipSurplus.why, region));
  return out;
}
