/**
 * @module
 * The dry run behind `kubectl winprefix migrate --to prefix|secondary`: what switching the cluster's
 * Windows IPAM mode would do to each node, and the order to do it in. Pure: what was read comes in, a
 * {@link MigrationPlan} goes out; nothing here (or anywhere in the command) writes.
 *
 * Every pool rule comes from the core, never restated here: the mode a node gets and its warm targets
 * (pkg/core/ipam/config.ts), its nominal and deliverable capacity while the old mode's addresses stay under
 * running pods (pkg/core/ipam/state.ts, over the slot ledger of pkg/core/ipam/ledger.ts), how many prefixes
 * or secondary IPs the pool holds for its pods (the real pool, run by plugin/simulate), and the subnet's room
 * (pkg/core/ec2/subnet-usage.ts).
 *
 * What a node advertises after the switch depends on who manages it: the winprefix controller advertises
 * only what the ENI can deliver; the AWS VPC Resource Controller advertises the new mode's nominal capacity
 * at once (docs/upstream-differences.md), which is what over-advertises. Nodes without our status
 * annotation are taken to be the AWS controller's.
 */
import { ADDRESSES_PER_PREFIX, ConfigKeys, COOL_DOWN_MS, NODE_STATUS_ANNOTATION, RESOURCE_NAME } from '../../pkg/core/contract.ts';
import { primaryEniSlots, supportsPrefixDelegation } from '../../pkg/core/ec2/instance-limits.ts';
import { SubnetUsage } from '../../pkg/core/ec2/subnet-usage.ts';
import { resolveClusterConfig, resolveNodeConfig, TRUE_WORDS } from '../../pkg/core/ipam/config.ts';
import { EniLedger } from '../../pkg/core/ipam/ledger.ts';
import { deliverableCapacity, nominalCapacity, type Holding, type PoolState } from '../../pkg/core/ipam/state.ts';
import type { ClusterIpamConfig, Mode, NodeIpamConfig } from '../../pkg/core/ipam/types.ts';
import { formatCidr, parseCidr, parseIPv4 } from '../../pkg/core/net/ipv4.ts';
import { decodeNodeStatus } from '../../pkg/core/status/node-status.ts';
import { buildAddressBook } from '../describe/addresses.ts';
import type { ConfigMapRead } from '../describe/kube-reads.ts';
import { countQuantity } from '../describe/node-facts.ts';
import { readPods, type PodView } from '../describe/pods.ts';
import { REPORT_API_VERSION } from '../describe/report.ts';
import type { Ec2Place, PlanningNode, SubnetRead } from '../cluster/planning-reads.ts';
import { budgetsOnNode, type KubePodDisruptionBudget } from '../kube/disruption-budgets.ts';
import { plural, withArticle } from '../render/text.ts';
import { simulate } from '../simulate/simulate.ts';
import { MIGRATION_PLAN_KIND, type MigrateFinding, type MigrationPlan, type PlannedNode, type PlannedSubnet, type PlanStep } from './report.ts';

export interface MigrateInputs {
  now: Date;
  to: Mode;
  selector: string | null;
  ec2: Ec2Place;
  configMap: ConfigMapRead;
  budgets: { items: readonly KubePodDisruptionBudget[]; error: string | null };
  nodes: readonly PlanningNode[];
  subnets: readonly SubnetRead[];
}

const MODE_WORD: Record<Mode, string> = { prefix: 'prefix', secondary: 'secondary-IP' };
const other = (m: Mode): Mode => (m === 'prefix' ? 'secondary' : 'prefix');
/** What a mode puts on the ENI, one and many. */
const kindOf = (m: Mode) => (m === 'prefix' ? '/28 prefix' : 'secondary IP');
const kindsOf = (m: Mode) => (m === 'prefix' ? '/28 prefixes' : 'secondary IPs');

export function planMigration(inputs: MigrateInputs): MigrationPlan {
  const change = configChange(inputs.configMap, inputs.to);
  const clusterAfter = resolveClusterConfig(change.dataAfter);
  const nodes = [...inputs.nodes].sort((a, b) => a.name.localeCompare(b.name)).map((n) => planNode(n, inputs, clusterAfter));
  orderNodes(nodes);
  const subnets = subnetRoom(inputs, nodes);
  const findings = [...overAdvertised(nodes.map((p) => p.planned), inputs.to), ...subnetsShort(subnets, inputs.to)];
  const planned = nodes.map((p) => p.planned);
  return {
    apiVersion: REPORT_API_VERSION,
    kind: MIGRATION_PLAN_KIND,
    metadata: { generatedAt: inputs.now.toISOString(), to: inputs.to, selector: inputs.selector },
    ec2: inputs.ec2,
    configMap: {
      ref: inputs.configMap.ref,
      found: inputs.configMap.data !== undefined,
      error: inputs.configMap.error,
      ipamEnabled: inputs.configMap.data ? TRUE_WORDS.has(inputs.configMap.data[ConfigKeys.enableWindowsIpam] ?? '') : null,
      prefixDelegationEnabled: inputs.configMap.data ? TRUE_WORDS.has(inputs.configMap.data[ConfigKeys.enableWindowsPrefixDelegation] ?? '') : null,
      set: change.set,
      command: change.command,
      yaml: change.yaml,
      problems: clusterAfter.problems,
    },
    disruptionBudgets: { read: inputs.budgets.error === null, error: inputs.budgets.error },
    nodes: planned,
    subnets,
    steps: steps(planned, change, inputs),
    findings,
  };
}

interface ConfigChange {
  set: Array<{ key: string; from: string | null; to: string }>;
  command: string | null;
  yaml: string | null;
  /** The ConfigMap's data once changed, as the controller would read it. */
  dataAfter: Record<string, string>;
}

/** The keys to set for `to`: prefix delegation on or off, and Windows IPAM on when it is not. */
export function configChange(cm: ConfigMapRead, to: Mode): ConfigChange {
  const [namespace, name] = cm.ref.split('/') as [string, string];
  const data = cm.data;
  const known = data !== undefined;
  const wanted: Array<[string, string, (v: string | undefined) => boolean]> = [
    [ConfigKeys.enableWindowsIpam, 'true', (v) => v !== undefined && TRUE_WORDS.has(v)],
    [ConfigKeys.enableWindowsPrefixDelegation, to === 'prefix' ? 'true' : 'false', (v) => (to === 'prefix' ? v !== undefined && TRUE_WORDS.has(v) : v === undefined || !TRUE_WORDS.has(v))],
  ];
  // Unreadable: both keys are set, since what they hold is unknown.
  const set = wanted.filter(([key, , ok]) => cm.error !== null || !ok(data?.[key])).map(([key, value]) => ({ key, from: data?.[key] ?? null, to: value }));
  const dataAfter = { ...(data ?? {}), ...Object.fromEntries(set.map((s) => [s.key, s.to])) };
  if (set.length === 0) return { set, command: null, yaml: null, dataAfter };
  const create = !known && cm.error === null;
  // A merge patch when the ConfigMap exists (applying a partial manifest could drop keys another apply set).
  const yaml = create
    ? `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\ndata:\n${wanted.map(([key, value]) => `  ${key}: "${value}"`).join('\n')}\n`
    : `data:\n${set.map((s) => `  ${s.key}: "${s.to}"`).join('\n')}\n`;
  const command =
    create
      ? `kubectl create configmap ${name} -n ${namespace} ${wanted.map(([key, value]) => `--from-literal=${key}=${value}`).join(' ')}`
      : `kubectl patch configmap ${name} -n ${namespace} --type merge -p '${JSON.stringify({ data: Object.fromEntries(set.map((s) => [s.key, s.to])) })}'`;
  return { set, command, yaml, dataAfter: create ? Object.fromEntries(wanted.map(([k, v]) => [k, v])) : dataAfter };
}

interface NodeWork {
  planned: PlannedNode;
  node: PlanningNode;
  /** Pods that want an address (they have one or asked for one). */
  requesting: number;
  /** What the new mode's pool holds for them, beyond what the ENI holds today. */
  extra: number;
}

function planNode(n: PlanningNode, inputs: MigrateInputs, clusterAfter: ClusterIpamConfig): NodeWork {
  const to = inputs.to;
  const status = decodeNodeStatus(n.node.metadata?.annotations?.[NODE_STATUS_ANNOTATION]);
  const managedBy = status?.ok && status.status.mode !== 'unmanaged' ? 'winprefix' : 'aws-vpc-resource-controller';
  const eni = n.eni;
  const book = eni ? buildAddressBook([eni]) : undefined;
  const views = readPods(n.pods, inputs.now, book);
  const withAddress = views.filter((v) => v.report.address !== null);
  const requesting = views.filter((v) => v.report.address !== null || v.report.requestsAddress).length;
  const prefixes = eni?.prefixes.length ?? 0;
  const secondaryIps = eni?.secondaryIps.length ?? 0;
  const nowMode = !eni ? 'unknown' : prefixes > 0 && secondaryIps > 0 ? 'mixed' : prefixes > 0 ? 'prefix' : secondaryIps > 0 ? 'secondary' : 'none';
  const base: Omit<PlannedNode, 'after' | 'oldMode' | 'action' | 'why'> = {
    name: n.name,
    instanceId: n.instanceId,
    instanceType: n.instanceType,
    managedBy,
    cordoned: n.node.spec?.unschedulable === true,
    now: {
      mode: nowMode,
      advertised: countQuantity(n.node.status?.capacity?.[RESOURCE_NAME]),
      slots: n.limits ? primaryEniSlots(n.limits) : null,
      prefixes,
      secondaryIps,
      podsWithAddress: new Set(withAddress.map((v) => v.report.address)).size,
      maxPods: countQuantity(n.node.status?.allocatable?.pods),
    },
    order: null,
    budgets: [],
    subnetId: eni?.subnetId ?? null,
    unread: n.unread,
  };
  if (!eni || !n.limits || n.unread) {
    return {
      planned: {
        ...base,
        after: { mode: null, modeReason: 'unknown: the node could not be read from EC2', nominal: null, advertised: null, deliverable: null, overAdvertisedBy: 0, podsBeyondCapacity: 0, config: null, holdsForPods: null },
        oldMode: { mode: null, slots: 0, slotsHeldByPods: 0, pods: [] },
        action: 'unknown',
        why: n.unread ?? 'the node could not be read from EC2',
      },
      node: n,
      requesting,
      extra: 0,
    };
  }

  const slots = primaryEniSlots(n.limits);
  const config: NodeIpamConfig = resolveNodeConfig(clusterAfter, { instanceType: n.limits.instanceType, slots, prefixCapable: supportsPrefixDelegation(n.limits) });
  const target = config.mode;
  const old = other(target);
  const oldOnEni = old === 'secondary' ? eni.secondaryIps.map((ip) => ({ key: ip, isPrefix: false })) : eni.prefixes.map((cidr) => ({ key: cidr, isPrefix: true }));
  const oldPods = withAddress.filter((v) => (old === 'secondary' ? v.report.source.kind === 'secondary-ip' : v.report.source.kind === 'prefix'));
  const heldByPods = new Set(oldPods.map((v) => (v.report.source.kind === 'prefix' ? v.report.source.prefix : v.report.address!)));

  // The ENI once the old mode's unused addresses are released: the new mode's slots, and the old mode's under pods.
  const ledger = new EniLedger({ totalSlots: slots, coolDownMs: COOL_DOWN_MS });
  for (const cidr of eni.prefixes) if (target === 'prefix' || heldByPods.has(cidr)) ledger.addPrefix(parseCidr(cidr).base, undefined);
  for (const ip of eni.secondaryIps) if (target === 'secondary' || heldByPods.has(ip)) ledger.addSecondary(parseIPv4(ip), undefined);
  const state: PoolState = { ledger, pods: new Map(), vanished: new Map(), sharing: new Map() };
  for (const v of withAddress) {
    const holding: Holding = { ip: parseIPv4(v.report.address!), prefix: v.report.source.kind === 'prefix' ? v.report.source.prefix : undefined };
    const key = v.report.uid || `${v.report.namespace}/${v.report.name}`;
    if (v.report.source.kind === 'prefix' || v.report.source.kind === 'secondary-ip') state.pods.set(key, holding);
    else state.vanished.set(key, holding);
  }
  const nominal = nominalCapacity(target, slots);
  const deliverable = deliverableCapacity(state, target, 0);
  const advertised = managedBy === 'winprefix' ? deliverable : nominal;
  const holds = simulate({ limits: n.limits, cluster: clusterAfter, podCounts: [Math.min(requesting, config.capacity)] }).results[0]!;
  const holdsForPods = target === 'prefix' ? holds.attachedPrefixes : holds.secondaryIPs;
  const extra = Math.max(0, holdsForPods - (target === 'prefix' ? prefixes : secondaryIps));

  const oldSlots = oldOnEni.length;
  const slotsHeldByPods = oldOnEni.filter((s) => heldByPods.has(s.key)).length;
  const overAdvertisedBy = Math.max(0, advertised - deliverable);
  const podsBeyondCapacity = Math.max(0, requesting - advertised);
  let action: PlannedNode['action'];
  let why: string;
  const capacityText = `after the switch it ${managedBy === 'winprefix' ? 'advertises' : 'would advertise'} ${advertised} and can deliver ${deliverable}`;
  if (target !== to) {
    action = 'replace';
    why = `${withArticle(n.limits.instanceType)} is not a Nitro type, so it cannot hold /28 prefixes and stays in secondary-IP mode (capacity ${slots}): replace it with a Nitro type of the same size for prefix density (${nominalCapacity('prefix', slots)})`;
  } else if (oldPods.length > 0) {
    action = 'drain';
    why = `${plural(oldPods.length, 'pod keeps its', 'pods keep their')} ${kindsOf(old)} until ${oldPods.length === 1 ? 'it goes' : 'they go'}, so ${slotsHeldByPods} of ${plural(slots, 'slot')} ${slotsHeldByPods === 1 ? 'stays' : 'stay'} out of ${MODE_WORD[target]} mode: ${capacityText}`;
  } else if (oldSlots > 0) {
    action = 'release';
    why = `${plural(oldSlots, `unused ${kindOf(old)}`, `unused ${kindsOf(old)}`)} ${oldSlots === 1 ? 'is' : 'are'} released by the controller (no pod holds one), so there is nothing to drain; ${capacityText}`;
  } else {
    action = 'none';
    why = `${nowMode === target ? `already in ${MODE_WORD[target]} mode` : `no ${kindsOf(old)} on the ENI`}: it switches at once; ${capacityText}`;
  }
  if (podsBeyondCapacity > 0) why += `; ${plural(requesting, 'pod wants', 'pods want')} an address, so no new Windows pod lands there until ${podsBeyondCapacity} ${podsBeyondCapacity === 1 ? 'goes' : 'go'}`;
  const budgets = action === 'drain' || action === 'replace' ? budgetsOnNode(n.pods, inputs.budgets.items) : [];
  return {
    planned: {
      ...base,
      after: {
        mode: target,
        modeReason: config.modeReason,
        nominal,
        advertised,
        deliverable,
        overAdvertisedBy,
        podsBeyondCapacity,
        config: { sizing: config.sizing, warmIPTarget: config.warmIPTarget, minimumIPTarget: config.minimumIPTarget, warmPrefixTarget: config.warmPrefixTarget },
        holdsForPods,
      },
      oldMode: {
        mode: old,
        slots: oldSlots,
        slotsHeldByPods,
        pods: oldPods.map((v: PodView) => ({ namespace: v.report.namespace, name: v.report.name, address: v.report.address! })),
      },
      action,
      why,
      budgets,
    },
    node: n,
    requesting,
    extra,
  };
}

/**
 * Drains first, those no budget blocks before those one does, then the fewest pods to move (least
 * disruption, the quickest to finish), then by name; replacements after them.
 */
function orderNodes(nodes: NodeWork[]): void {
  const blocked = (p: PlannedNode) => (p.budgets.some((b) => b.blocks) ? 1 : 0);
  const drains = nodes.map((n) => n.planned).filter((p) => p.action === 'drain');
  drains.sort((a, b) => blocked(a) - blocked(b) || a.oldMode.pods.length - b.oldMode.pods.length || a.name.localeCompare(b.name));
  const replacements = nodes.map((n) => n.planned).filter((p) => p.action === 'replace').sort((a, b) => a.name.localeCompare(b.name));
  [...drains, ...replacements].forEach((p, i) => (p.order = i + 1));
}

/** Room in each subnet of the switching nodes, now and once their old-mode addresses are released. */
function subnetRoom(inputs: MigrateInputs, nodes: readonly NodeWork[]): PlannedSubnet[] {
  const to = inputs.to;
  const out: PlannedSubnet[] = [];
  for (const read of inputs.subnets) {
    const here = nodes.filter((w) => w.node.eni?.subnetId === read.subnet.subnetId && w.planned.after.mode === to);
    if (here.length === 0) continue;
    const switching = new Set(here.map((w) => w.node.eni!.networkInterfaceId));
    const released = read.interfaces.map((e) =>
      switching.has(e.networkInterfaceId) ? { ...e, ...(to === 'prefix' ? { secondaryIps: [] } : { prefixes: [] }) } : e,
    );
    const now = new SubnetUsage({ cidr: read.subnet.cidr, interfaces: read.interfaces, reservations: read.reservations });
    const after = new SubnetUsage({ cidr: read.subnet.cidr, interfaces: released, reservations: read.reservations });
    const room = (u: SubnetUsage) => (to === 'prefix' ? u.freeBlocks : u.addresses.free - u.free.inExplicitReservations);
    const needed = here.reduce((sum, w) => sum + w.extra, 0);
    out.push({
      subnetId: read.subnet.subnetId,
      cidr: formatCidr(parseCidr(read.subnet.cidr)),
      nodes: here.map((w) => w.planned.name),
      unit: to === 'prefix' ? 'prefixes' : 'addresses',
      needed,
      freeNow: room(now),
      freeAfterRelease: room(after),
      shortBy: Math.max(0, needed - room(after)),
    });
  }
  return out;
}

const names = (list: readonly string[], shown = 4) => (list.length <= shown ? list.join(', ') : `${list.slice(0, shown).join(', ')} and ${list.length - shown} more`);

function overAdvertised(nodes: readonly PlannedNode[], to: Mode): MigrateFinding[] {
  const over = nodes.filter((n) => n.after.overAdvertisedBy > 0);
  if (over.length === 0) return [];
  const detail = over
    .slice(0, 3)
    .map((n) => `${n.name} would advertise ${n.after.advertised} and can deliver ${n.after.deliverable} (${n.oldMode.slotsHeldByPods} of ${plural(n.now.slots ?? 0, 'slot')} ${n.oldMode.slotsHeldByPods === 1 ? 'keeps' : 'keep'} ${kindsOf(other(to))} of running pods)`)
    .join('; ');
  return [
    {
      kind: 'over-advertised-after-switch',
      nodes: over.map((n) => n.name),
      subnetId: null,
      cause: null,
      subject: over.length === 1 ? `node ${over[0]!.name}` : `${over.length} nodes`,
      message: `After the switch to ${MODE_WORD[to]} mode ${over.length === 1 ? 'this node' : 'these nodes'} would advertise more addresses than ${over.length === 1 ? 'its ENI' : 'their ENIs'} can deliver: ${detail}${over.length > 3 ? `, and ${over.length - 3} more` : ''}.`,
      meaning: `The AWS VPC Resource Controller advertises the new mode's full capacity at once, while the old mode's addresses stay on the ENI until their pods go. The scheduler then places pods on capacity that does not exist, and they wait in ContainerCreating without an address.`,
      action: `Cordon ${over.length === 1 ? 'it' : 'them'} before changing the ConfigMap, then drain ${over.length === 1 ? 'it' : 'them'} in the order of the plan (or replace ${over.length === 1 ? 'it' : 'them'}: new nodes start in the new mode), and uncordon each once describe node shows no ${kindOf(other(to))} left.`,
      commands: [`kubectl cordon ${over.map((n) => n.name).join(' ')}`],
      pods: over.flatMap((n) => n.oldMode.pods.map((p) => ({ namespace: p.namespace, name: p.name }))),
    },
  ];
}

function subnetsShort(subnets: readonly PlannedSubnet[], to: Mode): MigrateFinding[] {
  return subnets
    .filter((s) => s.shortBy > 0)
    .map((s) => {
      const unit = to === 'prefix' ? 'free /28 blocks' : 'free addresses';
      return {
        kind: 'subnet-short-after-switch' as const,
        nodes: s.nodes,
        subnetId: s.subnetId,
        cause: to === 'prefix' ? 'insufficient-cidr-blocks' : 'address-limit-exceeded',
        subject: `subnet ${s.subnetId}`,
        message: `In ${MODE_WORD[to]} mode the pods of ${names(s.nodes)} need ${plural(s.needed, to === 'prefix' ? 'more prefix' : 'more address', to === 'prefix' ? 'more prefixes' : 'more addresses')} than they hold, and ${s.subnetId} (${s.cidr}) has ${s.freeNow} ${unit}, ${s.freeAfterRelease} once their ${kindsOf(other(to))} are released: ${s.shortBy} short.`,
        meaning:
          to === 'prefix'
            ? 'Nodes that ask for a prefix the subnet cannot give get InsufficientCidrBlocks, and their pods wait in ContainerCreating.'
            : 'Nodes that ask for a secondary IP the subnet cannot give get InsufficientFreeAddressesInSubnet, and their pods wait in ContainerCreating.',
        action: `Make room first: \`kubectl winprefix subnets --subnet-id ${s.subnetId}\` shows what is stranded and what to free or reserve; or move the nodes to a subnet with room.`,
        commands: [`kubectl winprefix subnets --subnet-id ${s.subnetId}${to === 'prefix' ? ` --headroom ${s.needed * ADDRESSES_PER_PREFIX}` : ''}`],
        pods: [],
      };
    });
}

function steps(nodes: readonly PlannedNode[], change: ConfigChange, inputs: MigrateInputs): PlanStep[] {
  const to = inputs.to;
  const out: Array<Omit<PlanStep, 'step'>> = [];
  const over = nodes.filter((n) => n.after.overAdvertisedBy > 0 && !n.cordoned);
  const inPlace = nodes.filter((n) => n.action === 'none' || n.action === 'release');
  if (over.length > 0) {
    out.push({
      what: `Cordon the nodes that would advertise more than they can deliver, before the switch. Evicted pods need room elsewhere: ${inPlace.length > 0 ? `the nodes that switch in place (${names(inPlace.map((n) => n.name))}), or ` : ''}new nodes, which start in ${MODE_WORD[to]} mode.`,
      nodes: over.map((n) => n.name),
      commands: [`kubectl cordon ${over.map((n) => n.name).join(' ')}`],
    });
  }
  if (change.command) {
    out.push({
      what: `Change the ConfigMap ${inputs.configMap.ref}: ${change.set.map((s) => `${s.key} "${s.to}"${s.from !== null ? ` (now "${s.from}")` : ''}`).join(', ')}. The IPAM controller reads it at once; new pods get ${MODE_WORD[to]} addresses.`,
      nodes: [],
      commands: [change.command],
    });
  }
  const ordered = nodes.filter((n) => n.order !== null).sort((a, b) => a.order! - b.order!);
  for (const n of ordered) {
    const blockers = n.budgets.filter((b) => b.blocks);
    const budgetText = blockers.length > 0 ? ` The drain waits on ${names(blockers.map((b) => `PodDisruptionBudget ${b.namespace}/${b.name} (0 disruptions allowed)`), 2)}.` : '';
    if (n.action === 'drain') {
      out.push({
        what: `Drain ${n.name} (${plural(n.oldMode.pods.length, 'pod')} on ${kindsOf(other(to))}), or replace it; uncordon it once describe node shows no ${kindOf(other(to))} left.${budgetText}`,
        nodes: [n.name],
        commands: [`kubectl drain ${n.name} --ignore-daemonsets --delete-emptydir-data`, `kubectl winprefix describe node ${n.name}`, `kubectl uncordon ${n.name}`],
      });
    } else {
      out.push({
        what: `Replace ${n.name} (${n.instanceType ?? 'unknown type'}, not Nitro) with a Nitro type: until then it runs in secondary-IP mode.${budgetText}`,
        nodes: [n.name],
        commands: [`kubectl drain ${n.name} --ignore-daemonsets --delete-emptydir-data`],
      });
    }
  }
  return out.map((s, i) => ({ step: i + 1, ...s }));
}
