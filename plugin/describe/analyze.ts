/**
 * @module
 * From what `describe node` read to a {@link NodeReport}: which mode, where each pod's address
 * came from, how full each /28 is, what the node advertises against what its ENI can deliver,
 * and every disagreement between Kubernetes and EC2. Pure: no I/O, `now` comes in.
 * Pods are the truth for "used", EC2 for "held"; the controller's status annotation adds what
 * only the controller knows (cooling addresses, its effective config, why its mode).
 */
import { ADDRESSES_PER_PREFIX, NODE_STATUS_ANNOTATION, RESOURCE_NAME } from '../../pkg/core/contract.ts';
import { primaryEniSlots, supportsPrefixDelegation } from '../../pkg/core/ec2/instance-limits.ts';
import { resolveClusterConfig, resolveNodeConfig } from '../../pkg/core/ipam/config.ts';
import type { NodeIpamConfig } from '../../pkg/core/ipam/types.ts';
import { parseCidr, parseIPv4 } from '../../pkg/core/net/ipv4.ts';
import { decodeNodeStatus, type NodeStatus } from '../../pkg/core/status/node-status.ts';
import { buildAddressBook, prefixAddresses, type AddressBook } from './addresses.ts';
import { capacityOf } from './capacity.ts';
import type { AdviceContext } from '../ipam-causes.ts';
import type { KubeEvent } from '../kube/objects.ts';
import { mixedInterfaces, podFindings, podsWithoutAddress, podsWithoutRequest, sandboxFailures, unexplained } from './disagreements.ts';
import * as finding from './findings.ts';
import type { DescribeInputs } from './inputs.ts';
import { eventSource, eventTime, isIpamEvent } from './ipam-events.ts';
import { decideMode, managedBy } from './mode.ts';
import { countQuantity, nodeInstanceType, nodeRegion, nodeZone, parseProviderId } from './node-facts.ts';
import { groupByAddress, readPods, type PodView } from './pods.ts';
import {
  REPORT_API_VERSION,
  REPORT_KIND,
  type CellState,
  type Finding,
  type NodeReport,
  type ReportEvent,
  type ReportPrefix,
  type ReportSecondaryIp,
} from './report.ts';
import type { TargetConfig } from '../../pkg/core/ipam/targets.ts';

/** How many of the newest IPAM events the report keeps. */
export const RECENT_EVENTS = 20;

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
  const mode = decideMode({ status, decodeError: decoded?.ok === false ? decoded.error : null, book, nodeConfig, configKnown: cluster.found && inputs.configMap.error === null, advertised, slotsTotal: slots.total, ec2Available: inputs.ec2.ok });

  const targets: TargetConfig | undefined = status?.config ?? nodeConfig;
  const nodeEvents = inputs.events.filter((e) => e.involvedObject?.kind === 'Node' && e.involvedObject.name === name);
  const podEvents = eventsOfPods(inputs.events, pods);
  const events = recentEvents([...nodeEvents, ...podEvents].filter(isIpamEvent));

  const capacity = capacityOf({ book, status, activeMode: mode.activeMode, slotsTotal: slots.total, prefixes, secondaryIps });
  const owner = managedBy(status, nodeEvents);
  // Any sign that an IPAM controller runs this node: its status, its events, capacity it advertised.
  const managed = owner !== 'unknown' || (advertised ?? 0) > 0;
  const region = inputs.ec2.region ?? nodeRegion(node);
  const advice: AdviceContext = {
    nodeName: name,
    region,
    subnetId: inputs.subnet?.subnetId ?? book?.primary?.subnetId ?? null,
    reservation: inputs.subnet?.reservation ?? null,
    subnetFreeBlocks: inputs.subnet?.freeBlocks ?? null,
    controller: owner,
    configMap: inputs.configMap.ref,
  };
  const findings: Finding[] = [
    ...(decoded?.ok === false ? [finding.invalidStatusAnnotation(name, decoded.error)] : []),
    ...(!cluster.found && inputs.configMap.error === null && managed
      ? [
          finding.configMapNotFound(
            inputs.configMap.ref,
            owner === 'winprefix' ? 'the winprefix controller' : owner === 'aws-vpc-resource-controller' ? 'the AWS VPC Resource Controller' : 'an IPAM controller (the node advertises the address resource)',
            status?.config !== undefined,
          ),
        ]
      : []),
    ...podFindings(pods, podsByIp, book, status, instanceId ?? name),
    ...podsWithoutAddress({ pods, podEvents, nodeEvents: nodeEvents.filter(isIpamEvent), status, managed, advice }),
    ...podsWithoutRequest(pods, podEvents, (advertised ?? 0) > 0 || (status !== undefined && status.mode !== 'unmanaged')),
    ...sandboxFailures(pods, podEvents, now),
    ...(capacity.deliverable !== null && advertised !== null && advertised > capacity.deliverable
      ? [finding.overAdvertised(advertised, capacity.deliverable, capacity.why)]
      : []),
    ...(inputs.ec2.ok ? mixedInterfaces(inputs.ec2.interfaces, mode.activeMode) : []),
    ...(targets && mode.activeMode ? unexplained(prefixes, secondaryIps, targets, mode.activeMode, releasing, region) : []),
  ];
  // In an incident the cause that strands the most pods comes first (a stable sort keeps the rest in order).
  findings.sort((a, b) => b.pods.length - a.pods.length);

  const addressesIn = (state: CellState) => [
    ...prefixes.flatMap((p) => prefixAddresses(parseCidr(p.cidr)).filter((_, i) => p.cells[i] === state)),
    ...secondaryIps.filter((s) => s.state === state).map((s) => s.ip),
  ];
  const warmAddresses = addressesIn('free');
  const coolingList = addressesIn('cooling');

  return {
    apiVersion: REPORT_API_VERSION,
    kind: REPORT_KIND,
    metadata: { name, generatedAt: now.toISOString(), podNamespace: inputs.podNamespace },
    node: {
      name,
      providerID: node.spec?.providerID ?? null,
      instanceId,
      instanceType,
      zone,
      region,
      managedBy: owner,
    },
    mode: { mode: mode.mode, activeMode: mode.activeMode, reason: mode.reason, source: mode.source },
    statusAnnotation: {
      present: decoded !== undefined,
      at: status?.at ?? null,
      error: decoded?.ok === false ? decoded.error : null,
    },
    controller: {
      pending: status?.pending ?? null,
      lastError: status?.lastError ?? null,
    },
    ec2: {
      available: inputs.ec2.ok,
      region: inputs.ec2.region,
      endpoint: inputs.ec2.endpoint,
      profile: inputs.ec2.profile,
      error: inputs.ec2.ok ? null : inputs.ec2.error,
      errorCode: inputs.ec2.ok ? null : inputs.ec2.errorCode,
    },
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
    pods: pods.filter((p) => inputs.podNamespace === null || p.report.namespace === inputs.podNamespace).map((p) => p.report),
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
  return [...book.prefixes].sort((a, b) => a.block.base - b.block.base).map((p) => {
    const cells: CellState[] = prefixAddresses(p.block).map((ip) => (podsByIp.has(ip) ? 'used' : cooling.has(ip) ? 'cooling' : 'free'));
    const count = (s: CellState) => cells.filter((c) => c === s).length;
    return { cidr: p.cidr, interfaceId: p.interfaceId, used: count('used'), free: count('free'), cooling: count('cooling'), cells };
  });
}

function reportSecondaryIps(book: AddressBook, podsByIp: Map<string, PodView[]>, cooling: Set<string>): ReportSecondaryIp[] {
  return [...book.secondaryIps].sort((a, b) => parseIPv4(a[0]) - parseIPv4(b[0])).map(([ip, interfaceId]) => {
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

function eventsOfPods(events: readonly KubeEvent[], pods: readonly PodView[]): KubeEvent[] {
  const uids = new Set(pods.map((p) => p.report.uid).filter((u) => u !== ''));
  const names = new Set(pods.map((p) => `${p.report.namespace}/${p.report.name}`));
  return events.filter((e) => {
    const o = e.involvedObject;
    if (o?.kind !== 'Pod') return false;
    return o.uid ? uids.has(o.uid) : names.has(`${o.namespace ?? ''}/${o.name ?? ''}`);
  });
}

function recentEvents(events: readonly KubeEvent[]): ReportEvent[] {
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

