/**
 * @module
 * From what `describe node` read to a {@link NodeReport}: which mode, where each pod's address
 * came from, how full each /28 is, what the node advertises against what its ENI can deliver,
 * and every disagreement between Kubernetes and EC2. Pure: no I/O, `now` comes in.
 * Pods are the truth for "used", EC2 for "held"; the controller's status annotation adds what
 * only the controller knows (cooling addresses, its effective config, why its mode).
 */
import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { ADDRESSES_PER_PREFIX, NODE_STATUS_ANNOTATION, POD_IP_ANNOTATION, RESOURCE_NAME } from '../../pkg/contract.ts';
import { primaryEniSlots, supportsPrefixDelegation } from '../../pkg/ec2/instance-limits.ts';
import { resolveClusterConfig, resolveNodeConfig } from '../../pkg/ipam/config.ts';
import type { NodeIpamConfig } from '../../pkg/ipam/types.ts';
import { parseCidr, splitMaskedAddress } from '../../pkg/net/ipv4.ts';
import { decodeNodeStatus, type NodeStatus } from '../../pkg/status/node-status.ts';
import { formatAge } from '../render/age.ts';
import { buildAddressBook, locate, prefixAddresses, type AddressBook } from './addresses.ts';
import * as finding from './findings.ts';
import type { DescribeInputs } from './inputs.ts';
import { eventSource, eventTime, isIpamEvent, isUpstreamControllerEvent } from './ipam-events.ts';
import { countQuantity, nodeInstanceType, nodeZone, parseProviderId, regionOfZone } from './node-facts.ts';
import {
  REPORT_API_VERSION,
  REPORT_KIND,
  type CellState,
  type Finding,
  type ManagedBy,
  type NodeReport,
  type ReportEvent,
  type ReportMode,
  type ReportPod,
  type ReportPrefix,
  type ReportSecondaryIp,
} from './report.ts';
import { explainedFreePrefixes, explainedFreeSecondaryIps, type WarmTargets } from './warm-explanation.ts';

/** How many of the newest IPAM events the report keeps. */
export const RECENT_EVENTS = 20;

type ActiveMode = 'prefix' | 'secondary';

/** A pod that takes part in IPAM: not host-network, not finished, annotated or requesting an address. */
interface PodView {
  report: ReportPod;
  unreadable: boolean;
}

export function analyzeNode(inputs: DescribeInputs): NodeReport {
  const { node, now } = inputs;
  const name = node.metadata?.name ?? '';
  const decoded = decodeNodeStatus(node.metadata?.annotations?.[NODE_STATUS_ANNOTATION]);
  const status = decoded?.ok ? decoded.status : undefined;
  const { instanceId } = parseProviderId(node.spec?.providerID);
  const instanceType = nodeInstanceType(node);
  const zone = nodeZone(node);
  const book = inputs.ec2.ok ? buildAddressBook(inputs.ec2.interfaces) : undefined;

  const pods = readPods(inputs.pods, now, book);
  const podsByIp = groupByAddress(pods);
  const cooling = coolingAddresses(status);
  const releasing = new Set([...(status?.prefixes ?? []).filter((p) => p.releasing).map((p) => p.cidr), ...(status?.secondaryIps?.releasing ?? [])]);

  const prefixes = book ? reportPrefixes(book, podsByIp, cooling) : [];
  const secondaryIps = book ? reportSecondaryIps(book, podsByIp, cooling) : [];

  const slots = slotCounts(inputs, book, status);
  const cluster = resolveClusterConfig(inputs.configMap.data);
  const nodeConfig: NodeIpamConfig | undefined = inputs.limits
    ? resolveNodeConfig(cluster, { instanceType: inputs.limits.instanceType, slots: primaryEniSlots(inputs.limits), prefixCapable: supportsPrefixDelegation(inputs.limits) })
    : undefined;
  const advertised = countQuantity(node.status?.capacity?.[RESOURCE_NAME]);
  const mode = decideMode({ status, decodeError: decoded?.ok === false ? decoded.error : null, book, nodeConfig, advertised, slotsTotal: slots.total, ec2Available: inputs.ec2.ok });

  const targets: WarmTargets | undefined = status?.config ?? nodeConfig;
  const nodeEvents = inputs.events.filter((e) => e.involvedObject?.kind === 'Node' && e.involvedObject.name === name);
  const podEvents = eventsOfPods(inputs.events, pods);
  const events = recentEvents([...nodeEvents, ...podEvents].filter(isIpamEvent));

  const capacity = capacityOf({ inputs, book, status, activeMode: mode.activeMode, slotsTotal: slots.total, advertised, prefixes, secondaryIps, pods });
  const findings: Finding[] = [
    ...podFindings(pods, podsByIp, book, status, instanceId ?? name),
    ...podsWithoutAddress(pods, podEvents),
    ...(capacity.deliverable !== null && advertised !== null && advertised > capacity.deliverable
      ? [finding.overAdvertised(advertised, capacity.deliverable, capacity.why)]
      : []),
    ...mixedInterfaces(inputs, mode.activeMode),
    ...(targets && mode.activeMode ? unexplained(prefixes, secondaryIps, targets, mode.activeMode, releasing) : []),
  ];

  const warmAddresses = [
    ...prefixes.flatMap((p) => prefixAddresses(parseCidr(p.cidr)).filter((_, i) => p.cells[i] === 'free')),
    ...secondaryIps.filter((s) => s.state === 'free').map((s) => s.ip),
  ];
  const coolingList = [
    ...prefixes.flatMap((p) => prefixAddresses(parseCidr(p.cidr)).filter((_, i) => p.cells[i] === 'cooling')),
    ...secondaryIps.filter((s) => s.state === 'cooling').map((s) => s.ip),
  ];

  return {
    apiVersion: REPORT_API_VERSION,
    kind: REPORT_KIND,
    metadata: { name, generatedAt: now.toISOString() },
    node: {
      name,
      providerID: node.spec?.providerID ?? null,
      instanceId,
      instanceType,
      zone,
      region: inputs.ec2.region ?? regionOfZone(zone),
      managedBy: managedBy(status, nodeEvents),
    },
    mode: { mode: mode.mode, activeMode: mode.activeMode, reason: mode.reason, source: mode.source },
    statusAnnotation: {
      present: decoded !== undefined,
      at: status?.at ?? null,
      error: decoded?.ok === false ? decoded.error : null,
    },
    ec2: { available: inputs.ec2.ok, region: inputs.ec2.region, error: inputs.ec2.ok ? null : inputs.ec2.error },
    slots,
    interfaces: (inputs.ec2.ok ? inputs.ec2.interfaces : []).map((eni) => ({
      id: eni.networkInterfaceId,
      deviceIndex: eni.deviceIndex ?? null,
      subnetId: eni.subnetId,
      primaryIp: eni.primaryPrivateIp,
      prefixes: eni.prefixes.length,
      secondaryIps: eni.secondaryIps.length,
    })),
    prefixes,
    secondaryIps,
    pods: pods.map((p) => p.report),
    warm: { count: warmAddresses.length, addresses: warmAddresses },
    cooling: { count: coolingList.length, addresses: coolingList },
    capacity: {
      advertised,
      deliverable: capacity.deliverable,
      nominal: slots.total === null || mode.activeMode === null ? null : slots.total * (mode.activeMode === 'prefix' ? ADDRESSES_PER_PREFIX : 1),
      maxPods: countQuantity(node.status?.allocatable?.pods),
      requested: pods.filter((p) => p.report.requestsAddress).length,
    },
    config: {
      configMap: inputs.configMap.ref,
      found: cluster.found,
      error: inputs.configMap.error,
      ipamEnabled: cluster.ipamEnabled,
      prefixDelegationEnabled: cluster.prefixDelegationEnabled,
      source: status?.config ? 'status-annotation' : 'configmap',
      sizing: targets?.sizing ?? null,
      warmIPTarget: targets?.warmIPTarget ?? null,
      minimumIPTarget: targets?.minimumIPTarget ?? null,
      warmPrefixTarget: targets?.warmPrefixTarget ?? null,
      problems: status?.config?.problems ?? nodeConfig?.problems ?? cluster.problems,
    },
    events,
    findings,
  };
}

function requestsAddress(pod: V1Pod): boolean {
  return (pod.spec?.containers ?? []).some(
    (c) => c.resources?.requests?.[RESOURCE_NAME] !== undefined || c.resources?.limits?.[RESOURCE_NAME] !== undefined,
  );
}

/** Finished pods gave their address back (upstream frees on Succeeded/Failed); host-network pods never had one. */
function readPods(pods: readonly V1Pod[], now: Date, book: AddressBook | undefined): PodView[] {
  const views: PodView[] = [];
  for (const pod of pods) {
    const phase = pod.status?.phase ?? 'Unknown';
    if (pod.spec?.hostNetwork || phase === 'Succeeded' || phase === 'Failed') continue;
    const annotation = pod.metadata?.annotations?.[POD_IP_ANNOTATION] ?? null;
    const requests = requestsAddress(pod);
    if (annotation === null && !requests) continue;
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
  return views.sort((a, b) => a.report.namespace.localeCompare(b.report.namespace) || a.report.name.localeCompare(b.report.name));
}

function groupByAddress(pods: readonly PodView[]): Map<string, PodView[]> {
  const byIp = new Map<string, PodView[]>();
  for (const pod of pods) {
    if (pod.report.address === null) continue;
    const list = byIp.get(pod.report.address) ?? [];
    list.push(pod);
    byIp.set(pod.report.address, list);
  }
  return byIp;
}

/** Only the controller knows which free addresses are cooling down; without it they count as free. */
function coolingAddresses(status: NodeStatus | undefined): Set<string> {
  const cooling = new Set(status?.secondaryIps?.cooling ?? []);
  for (const p of status?.prefixes ?? []) {
    const addresses = prefixAddresses(parseCidr(p.cidr));
    [...p.map].forEach((c, i) => {
      if (c === 'c' && addresses[i]) cooling.add(addresses[i]);
    });
  }
  return cooling;
}

function reportPrefixes(book: AddressBook, podsByIp: Map<string, PodView[]>, cooling: Set<string>): ReportPrefix[] {
  return book.prefixes.map((p) => {
    const cells: CellState[] = prefixAddresses(p.block).map((ip) => (podsByIp.has(ip) ? 'used' : cooling.has(ip) ? 'cooling' : 'free'));
    const count = (s: CellState) => cells.filter((c) => c === s).length;
    return { cidr: p.cidr, interfaceId: p.interfaceId, used: count('used'), free: count('free'), cooling: count('cooling'), cells };
  });
}

function reportSecondaryIps(book: AddressBook, podsByIp: Map<string, PodView[]>, cooling: Set<string>): ReportSecondaryIp[] {
  return [...book.secondaryIps].map(([ip, interfaceId]) => {
    const holder = podsByIp.get(ip)?.[0];
    return {
      ip,
      interfaceId,
      state: holder ? 'used' : cooling.has(ip) ? 'cooling' : 'free',
      pod: holder ? { namespace: holder.report.namespace, name: holder.report.name } : null,
    };
  });
}

function slotCounts(inputs: DescribeInputs, book: AddressBook | undefined, status: NodeStatus | undefined): NodeReport['slots'] {
  const total = inputs.limits ? primaryEniSlots(inputs.limits) : (status?.slots?.total ?? null);
  if (book?.primary) {
    const prefixes = book.primary.prefixes.length;
    const secondaryIps = book.primary.secondaryIps.length;
    return { total, prefixes, secondaryIps, free: total === null ? null : Math.max(0, total - prefixes - secondaryIps) };
  }
  if (status?.slots) return { total, prefixes: status.slots.prefixes, secondaryIps: status.slots.secondaryIps, free: status.slots.free };
  return { total, prefixes: null, secondaryIps: null, free: null };
}

interface ModeDecision {
  mode: ReportMode;
  activeMode: ActiveMode | null;
  reason: string;
  source: 'status-annotation' | 'inferred';
}

function decideMode(o: {
  status: NodeStatus | undefined;
  decodeError: string | null;
  book: AddressBook | undefined;
  nodeConfig: NodeIpamConfig | undefined;
  advertised: number | null;
  slotsTotal: number | null;
  ec2Available: boolean;
}): ModeDecision {
  const primary = o.book?.primary;
  const onEni: ActiveMode | 'mixed' | undefined = primary
    ? primary.prefixes.length > 0 && primary.secondaryIps.length > 0
      ? 'mixed'
      : primary.prefixes.length > 0
        ? 'prefix'
        : primary.secondaryIps.length > 0
          ? 'secondary'
          : undefined
    : undefined;
  // For a mixed ENI the mode new pods get: the config's, else what the node advertises.
  const fromAdvertised: ActiveMode | undefined =
    o.advertised !== null && o.slotsTotal !== null && o.slotsTotal > 0 ? (o.advertised > o.slotsTotal ? 'prefix' : 'secondary') : undefined;
  const intended: ActiveMode | null = o.nodeConfig?.mode ?? fromAdvertised ?? null;

  if (o.status) {
    const s = o.status.mode;
    const activeMode = s === 'prefix' || s === 'secondary' ? s : onEni === 'prefix' || onEni === 'secondary' ? onEni : intended;
    return { mode: s, activeMode, reason: o.status.reason, source: 'status-annotation' };
  }
  const unreadable = o.decodeError ? ` (status annotation ignored: ${o.decodeError})` : '';
  if (onEni === 'mixed') {
    return {
      mode: 'mixed',
      activeMode: intended,
      reason: `the primary ENI holds ${primary!.prefixes.length} /28 prefix(es) and ${primary!.secondaryIps.length} secondary IP(s): a mode change is draining${intended ? `; new pods get ${intended === 'prefix' ? 'prefix' : 'secondary-IP'} addresses` : ''}${unreadable}`,
      source: 'inferred',
    };
  }
  if (onEni) {
    return {
      mode: onEni,
      activeMode: onEni,
      reason: `the primary ENI holds ${onEni === 'prefix' ? '/28 prefixes' : 'secondary IPs'} only${o.nodeConfig && o.nodeConfig.mode !== onEni ? `, although the ConfigMap selects ${o.nodeConfig.mode} mode (${o.nodeConfig.modeReason})` : ''}${unreadable}`,
      source: 'inferred',
    };
  }
  if (intended) {
    const why = !o.ec2Available
      ? 'EC2 could not be read'
      : 'the primary ENI holds no prefixes or secondary IPs yet';
    const basis = o.nodeConfig ? `the ConfigMap selects it (${o.nodeConfig.modeReason})` : 'the advertised capacity suggests it';
    return { mode: intended, activeMode: intended, reason: `${why}; ${basis}${unreadable}`, source: 'inferred' };
  }
  return { mode: 'unknown', activeMode: null, reason: `no addresses on the ENI, no known instance type and no advertised capacity to tell the mode from${unreadable}`, source: 'inferred' };
}

function managedBy(status: NodeStatus | undefined, nodeEvents: readonly CoreV1Event[]): ManagedBy {
  if (status && status.mode !== 'unmanaged') return 'winprefix';
  if (nodeEvents.some(isUpstreamControllerEvent)) return 'aws-vpc-resource-controller';
  return 'unknown';
}

function eventsOfPods(events: readonly CoreV1Event[], pods: readonly PodView[]): CoreV1Event[] {
  const uids = new Set(pods.map((p) => p.report.uid).filter((u) => u !== ''));
  const names = new Set(pods.map((p) => `${p.report.namespace}/${p.report.name}`));
  return events.filter((e) => {
    const o = e.involvedObject;
    if (o?.kind !== 'Pod') return false;
    return o.uid ? uids.has(o.uid) : names.has(`${o.namespace ?? ''}/${o.name ?? ''}`);
  });
}

function recentEvents(events: readonly CoreV1Event[]): ReportEvent[] {
  const seen = new Set<string>();
  return events
    .filter((e) => {
      const key = e.metadata?.uid ?? `${e.metadata?.namespace}/${e.metadata?.name}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .map((e) => ({ event: e, at: eventTime(e) }))
    .sort((a, b) => (b.at?.getTime() ?? 0) - (a.at?.getTime() ?? 0))
    .slice(0, RECENT_EVENTS)
    .map(({ event: e, at }) => ({
      type: e.type ?? 'Normal',
      reason: e.reason ?? '',
      object: { kind: e.involvedObject?.kind ?? '', namespace: e.involvedObject?.namespace || null, name: e.involvedObject?.name ?? '' },
      message: e.message ?? '',
      count: e.count ?? e.series?.count ?? 1,
      lastSeen: at ? at.toISOString() : null,
      source: eventSource(e),
    }));
}

function capacityOf(o: {
  inputs: DescribeInputs;
  book: AddressBook | undefined;
  status: NodeStatus | undefined;
  activeMode: ActiveMode | null;
  slotsTotal: number | null;
  advertised: number | null;
  prefixes: readonly ReportPrefix[];
  secondaryIps: readonly ReportSecondaryIp[];
  pods: readonly PodView[];
}): { deliverable: number | null; why: string } {
  const primary = o.book?.primary;
  if (primary && o.slotsTotal !== null && o.activeMode !== null) {
    // Slots the other mode holds yield nothing to the active mode, except the addresses pods already use there.
    const onPrimary = (id: string) => id === primary.networkInterfaceId;
    if (o.activeMode === 'prefix') {
      const held = primary.secondaryIps.length;
      const usedThere = o.secondaryIps.filter((s) => onPrimary(s.interfaceId) && s.state === 'used').length;
      return {
        deliverable: Math.max(0, o.slotsTotal - held) * ADDRESSES_PER_PREFIX + usedThere,
        why: `${held} of ${o.slotsTotal} slots hold secondary IPs, ${usedThere} of them used by pods`,
      };
    }
    const held = primary.prefixes.length;
    const usedThere = o.prefixes.filter((p) => onPrimary(p.interfaceId)).reduce((n, p) => n + p.used, 0);
    return {
      deliverable: Math.max(0, o.slotsTotal - held) + usedThere,
      why: `${held} of ${o.slotsTotal} slots hold /28 prefixes, with ${usedThere} address(es) used by pods`,
    };
  }
  if (o.status?.capacity) return { deliverable: o.status.capacity.deliverable, why: 'as the controller last computed it' };
  return { deliverable: null, why: '' };
}

function podFindings(
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

function podsWithoutAddress(pods: readonly PodView[], podEvents: readonly CoreV1Event[]): Finding[] {
  return pods
    .filter((p) => p.report.requestsAddress && p.report.annotation === null)
    .map((p) => {
      const latest = podEvents
        .filter((e) => (e.involvedObject?.uid ? e.involvedObject.uid === p.report.uid : e.involvedObject?.name === p.report.name && e.involvedObject?.namespace === p.report.namespace))
        .filter((e) => e.type === 'Warning')
        .sort((a, b) => (eventTime(b)?.getTime() ?? 0) - (eventTime(a)?.getTime() ?? 0))[0];
      const age = p.report.ageSeconds === null ? 'an unknown time' : formatAge(p.report.ageSeconds);
      return finding.podWithoutAddress(p.report, age, latest ? `${latest.reason}: ${latest.message ?? ''}`.trim() : null);
    });
}

function mixedInterfaces(inputs: DescribeInputs, activeMode: ActiveMode | null): Finding[] {
  if (!inputs.ec2.ok) return [];
  const draining = activeMode === 'prefix' ? 'secondary' : activeMode === 'secondary' ? 'prefix' : null;
  return inputs.ec2.interfaces
    .filter((eni) => eni.prefixes.length > 0 && eni.secondaryIps.length > 0)
    .map((eni) => finding.mixedModeEni(eni.networkInterfaceId, eni.secondaryIps.length, eni.prefixes.length, draining));
}

function unexplained(
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
      cooling: prefixes.reduce((n, p) => n + p.cooling, 0),
      occupiedPrefixes: prefixes.filter((p) => p.used + p.cooling > 0).length,
      freePrefixes: freePrefixes.length,
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
