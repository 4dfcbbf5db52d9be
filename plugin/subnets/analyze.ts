/**
 * @module
 * From what `subnets` read to a {@link SubnetReport}: each subnet's address space as EC2 accounts it
 * (pkg/core/ec2/subnet-usage.ts), the Windows nodes drawing from it, how many more Windows pods it can serve
 * in prefix mode, and a finding, with the exact reservation command, for every subnet that cannot give a
 * node its next prefix or will not after --headroom more pods. Pure: `now` comes in.
 */
import { ADDRESSES_PER_PREFIX } from '../../pkg/core/contract.ts';
import { primaryEniSlots } from '../../pkg/core/ec2/instance-limits.ts';
import { SubnetUsage, type RangeChoice } from '../../pkg/core/ec2/subnet-usage.ts';
import { formatCidr } from '../../pkg/core/net/ipv4.ts';
import { buildAddressBook } from '../describe/addresses.ts';
import { readPods } from '../describe/pods.ts';
import type { Ec2Place, PlanningNode, SubnetRead } from '../cluster/planning-reads.ts';
import { prefixReservationCommand } from '../ipam-causes.ts';
import { plural } from '../render/text.ts';
import { REPORT_API_VERSION } from '../describe/report.ts';
import { SUBNET_REPORT_KIND, type SubnetEntry, type SubnetFinding, type SubnetNode, type SubnetReport } from './report.ts';

export interface SubnetsInputs {
  now: Date;
  selector: string | null;
  subnetIds: readonly string[];
  headroomWanted: number | null;
  withMap: boolean;
  ec2: Ec2Place;
  /** Every Windows node listed, read or not. */
  nodes: readonly PlanningNode[];
  subnets: readonly SubnetRead[];
}

export function analyzeSubnets(inputs: SubnetsInputs): SubnetReport {
  const entries = inputs.subnets.map((s) => analyzeOne(s, inputs));
  const findings = entries.flatMap(({ findings }) => findings);
  return {
    apiVersion: REPORT_API_VERSION,
    kind: SUBNET_REPORT_KIND,
    metadata: { generatedAt: inputs.now.toISOString(), selector: inputs.selector, subnetIds: [...inputs.subnetIds], headroomWanted: inputs.headroomWanted },
    ec2: inputs.ec2,
    subnets: entries.map(({ entry }) => entry),
    skippedNodes: inputs.nodes.filter((n) => !n.eni).map((n) => ({ name: n.name, reason: n.unread ?? 'its primary ENI was not read' })),
    findings,
  };
}

function analyzeOne(read: SubnetRead, inputs: SubnetsInputs): { entry: SubnetEntry; findings: SubnetFinding[] } {
  const { subnet } = read;
  const here = inputs.nodes.filter((n) => n.eni?.subnetId === subnet.subnetId).sort((a, b) => a.name.localeCompare(b.name));
  const ours = new Set(here.map((n) => n.eni!.networkInterfaceId));
  const usage = new SubnetUsage({ cidr: subnet.cidr, interfaces: read.interfaces, reservations: read.reservations, ours });
  const nodes = here.map((n) => nodeRow(n, inputs.now));
  const unused = nodes.reduce((sum, n) => sum + n.unusedInPrefixes, 0);
  const freeSlots = nodes.reduce((sum, n) => sum + (n.freeSlots ?? 0), 0);
  const headroom = {
    pods: usage.freeBlocks * ADDRESSES_PER_PREFIX + unused,
    fromFreeBlocks: usage.freeBlocks * ADDRESSES_PER_PREFIX,
    unusedInNodePrefixes: unused,
    freeSlotsOnNodes: freeSlots,
    podsNodesCanTake: unused + Math.min(usage.freeBlocks, freeSlots) * ADDRESSES_PER_PREFIX,
  };
  const entry: SubnetEntry = {
    subnetId: subnet.subnetId,
    vpcId: subnet.vpcId,
    cidr: formatCidr(usage.cidr),
    zone: subnet.availabilityZone,
    ec2AvailableIpAddressCount: subnet.availableIpAddressCount,
    addresses: {
      total: usage.addresses.total,
      awsReserved: usage.addresses.awsReserved,
      usable: usage.addresses.usable,
      inUse: usage.addresses.inUse,
      inUseByWindowsNodes: usage.addresses.inUseOurs,
      free: usage.addresses.free,
    },
    free: { ...usage.free },
    strandedShare: usage.strandedShare,
    blocks: {
      total: usage.blocks.total,
      free: usage.blocks.free,
      prefixes: usage.blocks.prefixes,
      prefixesOfWindowsNodes: usage.blocks.prefixesOurs,
      fragmented: usage.blocks.fragmented,
      full: usage.blocks.full,
      edge: usage.blocks.edge,
    },
    headroom,
    largestFreeRange: usage.largestFreeRange ? { cidr: usage.largestFreeRange.cidr, blocks: usage.largestFreeRange.blocks } : null,
    freeRanges: usage.freeRanges.map((r) => ({ cidr: r.cidr, blocks: r.blocks })),
    reservations: usage.reservations.map((r) => ({
      id: r.reservationId,
      cidr: r.cidr,
      type: r.type,
      addresses: r.addresses,
      inUse: r.inUse,
      free: r.free,
      freeBlocks: r.freeBlocks,
      prefixes: r.prefixes,
    })),
    nodes,
    otherInterfaces: read.interfaces.filter((e) => !ours.has(e.networkInterfaceId)).length,
    map: inputs.withMap ? usage.blockKinds().map((_, b) => ({ cidr: formatCidr({ base: usage.cidr.base + b * ADDRESSES_PER_PREFIX, prefixLength: 28 }), cells: usage.blockMap(b) })) : null,
  };
  const nodeOf = new Map(here.map((n) => [n.eni!.networkInterfaceId, n.name]));
  return { entry, findings: findingsFor(entry, usage, { nodeOf, region: inputs.ec2.region, headroomWanted: inputs.headroomWanted }) };
}

function nodeRow(n: PlanningNode, now: Date): SubnetNode {
  const eni = n.eni!;
  const slots = n.limits ? primaryEniSlots(n.limits) : null;
  const book = buildAddressBook([eni]);
  const pods = readPods(n.pods, now, book);
  const inPrefixes = new Set(pods.flatMap((p) => (p.report.source.kind === 'prefix' && p.report.address ? [p.report.address] : [])));
  const prefixes = eni.prefixes.length;
  const secondaryIps = eni.secondaryIps.length;
  return {
    name: n.name,
    instanceId: n.instanceId ?? '',
    instanceType: n.instanceType,
    interfaceId: eni.networkInterfaceId,
    mode: prefixes > 0 && secondaryIps > 0 ? 'mixed' : prefixes > 0 ? 'prefix' : secondaryIps > 0 ? 'secondary' : 'none',
    slots,
    prefixes,
    secondaryIps,
    freeSlots: slots === null ? null : Math.max(0, slots - prefixes - secondaryIps),
    podsWithAddress: new Set(pods.flatMap((p) => (p.report.address ? [p.report.address] : []))).size,
    unusedInPrefixes: prefixes * ADDRESSES_PER_PREFIX - inPrefixes.size,
  };
}

/** Reservation commands a finding prints at most, largest range first. */
const RANGES_ADVISED = 3;

const percent = (share: number | null) => (share === null ? '0%' : `${Math.round(share * 100)}%`);

function holdersText(range: RangeChoice, nodeOf: ReadonlyMap<string, string>): string {
  const names = range.holders.map((eni) => (nodeOf.has(eni) ? `${eni} (node ${nodeOf.get(eni)})` : eni));
  return names.length <= 4 ? names.join(', ') : `${names.slice(0, 4).join(', ')} and ${names.length - 4} more`;
}

function findingsFor(
  s: SubnetEntry,
  usage: SubnetUsage,
  c: { nodeOf: ReadonlyMap<string, string>; region: string; headroomWanted: number | null },
): SubnetFinding[] {
  const nodesText = s.nodes.length === 0 ? 'no listed Windows node draws from it yet' : `${plural(s.nodes.length, 'Windows node')} ${s.nodes.length === 1 ? 'draws' : 'draw'} from it`;
  const regionFlag = ` --region ${c.region}`;
  if (s.blocks.free === 0) {
    // Room for --headroom pods if a range that large fits, else the largest that does.
    let range: RangeChoice | null = null;
    for (let wanted = Math.max(1, Math.ceil((c.headroomWanted ?? ADDRESSES_PER_PREFIX) / ADDRESSES_PER_PREFIX)); !range; wanted = Math.ceil(wanted / 2)) {
      range = usage.leastUsedRange(wanted);
      if (wanted === 1) break;
    }
    const where = [
      `${s.free.stranded} stranded in ${plural(s.blocks.fragmented, 'block')} beside addresses in use`,
      ...(s.free.nextToAwsReserved ? [`${s.free.nextToAwsReserved} beside AWS's reserved addresses`] : []),
      ...(s.free.inExplicitReservations ? [`${s.free.inExplicitReservations} kept by explicit reservations`] : []),
    ];
    const commands: string[] = [];
    if (range && range.holders.length > 0) {
      commands.push(`aws ec2 describe-network-interfaces${regionFlag} --network-interface-ids ${range.holders.join(' ')} --query "NetworkInterfaces[].[NetworkInterfaceId,Description]"`);
    }
    if (range) commands.push(prefixReservationCommand({ region: c.region, subnetId: s.subnetId, cidr: range.cidr }));
    return [
      {
        kind: 'no-free-prefix-block',
        subnetId: s.subnetId,
        cause: 'insufficient-cidr-blocks',
        subject: `subnet ${s.subnetId}`,
        message: `${s.subnetId} (${s.cidr}) has no aligned /28 block left for a prefix, though ${plural(s.addresses.free, 'address is', 'addresses are')} free: ${where.join(', ')}; ${nodesText}.`,
        meaning:
          s.nodes.length === 0
            ? 'A Windows node in prefix mode here would get no prefix at all: EC2 answers InsufficientCidrBlocks and its pods wait in ContainerCreating.'
            : `The next prefix any of these nodes asks for fails with InsufficientCidrBlocks, so new Windows pods wait in ContainerCreating once the ${plural(s.headroom.unusedInNodePrefixes, 'unused address', 'unused addresses')} in the nodes' prefixes ${s.headroom.unusedInNodePrefixes === 1 ? 'is' : 'are'} taken.`,
        action: range
          ? `Free the ${plural(range.inUse, 'address', 'addresses')} in use in ${range.cidr} (held by ${holdersText(range, c.nodeOf)}), then reserve it for prefixes, so that secondary IPs cannot take it again: a reservation keeps only addresses that are free. It holds ${plural(range.blocks, 'block')} (${range.blocks * ADDRESSES_PER_PREFIX} pods). Or run the Windows nodes in a subnet with room.`
          : 'No /28 of this subnet is clear of reservations and of AWS\'s reserved addresses, so there is nothing left to reserve: free addresses inside its prefix reservations, or run the Windows nodes in a subnet with room.',
        commands,
        pods: [],
      },
    ];
  }
  if (c.headroomWanted !== null && s.headroom.pods < c.headroomWanted) {
    const ranges = s.freeRanges.slice(0, RANGES_ADVISED);
    const range = ranges[0];
    const rest = s.freeRanges.slice(RANGES_ADVISED);
    const restBlocks = rest.reduce((n, r) => n + r.blocks, 0);
    const reserveText = ranges.length === 1 ? `${range!.cidr} (${plural(range!.blocks, 'free block')}, the largest aligned free range)` : `${ranges.map((r) => r.cidr).join(', ')} (${plural(ranges.reduce((n, r) => n + r.blocks, 0), 'free block')}; the first is the largest aligned free range)`;
    return [
      {
        kind: 'headroom-below',
        subnetId: s.subnetId,
        cause: null,
        subject: `subnet ${s.subnetId}`,
        message: `${s.subnetId} (${s.cidr}) can give ${s.headroom.pods} more Windows ${s.headroom.pods === 1 ? 'pod' : 'pods'} an address in prefix mode (${plural(s.blocks.free, 'free /28 block')} and ${plural(s.headroom.unusedInNodePrefixes, 'unused address', 'unused addresses')} in the nodes' prefixes), fewer than --headroom ${c.headroomWanted}; ${nodesText}.`,
        meaning: `After ${s.headroom.pods} more Windows pods the next prefix fails with InsufficientCidrBlocks and pods wait in ContainerCreating. ${percent(s.strandedShare)} of its free addresses outside reservations are stranded where no prefix fits.`,
        action: range
          ? `Reserve ${reserveText} for prefixes: secondary IPs of other ENIs then keep out, so the blocks stay whole for Windows nodes.${rest.length > 0 ? ` ${plural(restBlocks, 'more free block')} ${restBlocks === 1 ? 'lies' : 'lie'} in ${plural(rest.length, 'smaller range')} (freeRanges in -o json).` : ''} That keeps the headroom; it does not add to it: to raise it, free addresses (${s.free.stranded} are stranded in fragmented blocks) or run the Windows nodes in a subnet with room.`
          : `Its free blocks are all inside prefix reservations already. To raise the headroom, free addresses (${s.free.stranded} are stranded in fragmented blocks) or run the Windows nodes in a subnet with room.`,
        commands: ranges.map((r) => prefixReservationCommand({ region: c.region, subnetId: s.subnetId, cidr: r.cidr })),
        pods: [],
      },
    ];
  }
  return [];
}
