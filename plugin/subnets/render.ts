/**
 * @module
 * A {@link SubnetReport} for people: one section per subnet (its addresses, where the free ones are, its
 * blocks, the headroom, the range to reserve, its reservations and the Windows nodes drawing from it, and
 * with --map the map), then the findings. Fitted to the width; `-o wide` shows every column and folds no
 * run of the map.
 */
import { continued, hanging, labelled, renderFindings } from '../render/blocks.ts';
import type { Style } from '../render/style.ts';
import { renderSubnetMap, subnetMapLegend } from '../render/subnet-map.ts';
import { fitTable, type Column } from '../render/table.ts';
import { displayWidth, plural } from '../render/text.ts';
import type { SubnetEntry, SubnetReport } from './report.ts';

export interface SubnetsHumanOptions {
  wide: boolean;
  style: Style;
  width: number;
}

/** 65531 -> "65,531": subnet counts run into the tens of thousands. */
export function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

const pct = (share: number | null) => (share === null ? '-' : `${Math.round(share * 100)}%`);

export function renderSubnets(report: SubnetReport, o: SubnetsHumanOptions): string {
  const parts: string[] = [];
  if (report.subnets.length === 0) {
    parts.push(labelled('Subnets', 'none: no Windows node with a readable primary ENI matches, and no --subnet-id was given', { width: o.width }));
  }
  for (const s of report.subnets) parts.push(subnetSection(s, report, o));
  parts.push(findings(report, o));
  if (report.skippedNodes.length > 0) {
    parts.push(
      `${o.style.yellow(`Skipped (${report.skippedNodes.length}):`)}\n` +
        report.skippedNodes.map((n) => continued(`${n.name}: ${n.reason}`, { width: o.width, labelWidth: 2 })).join(''),
    );
  }
  return parts.filter((p) => p !== '').join('\n');
}

function subnetSection(s: SubnetEntry, r: SubnetReport, o: SubnetsHumanOptions): string {
  const field = (label: string, value: string, paint?: (t: string) => string) => labelled(label, value, { width: o.width, paint });
  const st = o.style;
  let out = field('Subnet', `${s.subnetId} (${s.cidr}, ${s.zone}, ${s.vpcId})`).replace(s.subnetId, st.bold(s.subnetId));
  const a = s.addresses;
  out += field('Addresses', `${thousands(a.usable)} usable: ${thousands(a.inUse)} in use (${thousands(a.inUseByWindowsNodes)} by Windows nodes), ${thousands(a.free)} free; EC2 counts ${thousands(s.ec2AvailableIpAddressCount)} available`);
  const f = s.free;
  out += field(
    'Free',
    [
      `${thousands(f.inFreeBlocks)} in free /28 blocks`,
      `${thousands(f.stranded)} stranded beside addresses in use (${pct(s.strandedShare)} fragmented)`,
      `${thousands(f.nextToAwsReserved)} beside AWS's reserved addresses`,
      ...(f.inExplicitReservations ? [`${thousands(f.inExplicitReservations)} in explicit reservations`] : []),
    ].join(', '),
    s.strandedShare !== null && s.strandedShare >= 0.5 ? st.yellow : undefined,
  );
  const b = s.blocks;
  out += field(
    'Blocks',
    `${thousands(b.total)} /28: ${thousands(b.free)} free, ${thousands(b.prefixes)} ${b.prefixes === 1 ? 'prefix' : 'prefixes'} (${thousands(b.prefixesOfWindowsNodes)} of Windows nodes), ${thousands(b.fragmented)} fragmented, ${thousands(b.full)} full, ${b.edge} beside AWS's reserved addresses`,
    b.free === 0 ? st.red : undefined,
  );
  const h = s.headroom;
  out += field(
    'Headroom',
    `${thousands(h.pods)} more Windows pods in prefix mode before InsufficientCidrBlocks (${thousands(b.free)} free ${b.free === 1 ? 'block' : 'blocks'} x 16 + ${thousands(h.unusedInNodePrefixes)} unused in the nodes' prefixes); the nodes' ${plural(h.freeSlotsOnNodes, 'free slot')} take ${thousands(h.podsNodesCanTake)} of them`,
    r.metadata.headroomWanted !== null && h.pods < r.metadata.headroomWanted ? st.red : undefined,
  );
  out += field('To reserve', toReserve(s));
  out += reservations(s, o);
  out += nodes(s, o);
  out += field('Other ENIs', `${thousands(s.otherInterfaces)} in the subnet are not a listed Windows node's primary ENI`);
  if (s.map) {
    out += `Map (${plural(s.map.length, 'block')}, 16 addresses each):\n${renderSubnetMap(s.map, { width: o.width, style: st, wide: o.wide })}${note(subnetMapLegend(st), o)}`;
  }
  return out;
}

/** The free ranges outside reservations, largest first: what a reservation for prefixes could take. */
function toReserve(s: SubnetEntry): string {
  const ranges = s.freeRanges;
  if (ranges.length === 0) return 'no aligned /28 outside reservations is free';
  const shown = ranges.slice(0, 3);
  const blocks = ranges.reduce((n, r) => n + r.blocks, 0);
  const list = shown.map((r) => `${r.cidr} (${plural(r.blocks, 'block')})`).join(', ');
  const more = ranges.length > shown.length ? ` and ${plural(ranges.length - shown.length, 'smaller range')}` : '';
  return `${list}${more}: ${plural(blocks, 'free block')} outside reservations${ranges.length > 1 ? `, ${ranges[0]!.cidr} the largest aligned range` : ''}`;
}

/** A dim line under a table or map, folded to the width. */
function note(text: string, o: SubnetsHumanOptions): string {
  if (displayWidth(text) + 2 <= o.width) return `  ${o.style.dim(text)}\n`;
  return hanging('  ', text, { width: o.width, hang: 2, paint: o.style.dim });
}

function tableOptions(o: SubnetsHumanOptions) {
  return { width: o.width, indent: '  ', ellipsis: o.style.rich ? '…' : '...', mayDrop: !o.wide };
}

function reservations(s: SubnetEntry, o: SubnetsHumanOptions): string {
  if (s.reservations.length === 0) return labelled('Reservations', 'none', { width: o.width });
  const columns: Column[] = [{ heading: 'cidr', key: true }, { heading: 'type' }, ...(o.wide ? [{ heading: 'id' }] : []), { heading: 'in use' }, { heading: 'free' }, { heading: 'free blocks' }, { heading: 'prefixes', drop: 1 }];
  const rows = s.reservations.map((r) => [r.cidr, r.type, ...(o.wide ? [r.id] : []), thousands(r.inUse), thousands(r.free), r.type === 'prefix' ? thousands(r.freeBlocks) : '-', thousands(r.prefixes)]);
  return `Reservations (${s.reservations.length}):\n${fitTable(columns, rows, tableOptions(o)).text}`;
}

function nodes(s: SubnetEntry, o: SubnetsHumanOptions): string {
  if (s.nodes.length === 0) return labelled('Nodes', 'no listed Windows node has its primary ENI here', { width: o.width });
  const columns: Column[] = [
    { heading: 'node', fit: 'truncate', key: true, minWidth: 16 },
    ...(o.wide ? [{ heading: 'instance' }, { heading: 'type' }, { heading: 'eni' }] : []),
    { heading: 'mode' },
    { heading: 'prefixes' },
    { heading: 'secondary', drop: 2 },
    { heading: 'free slots' },
    { heading: 'pods', drop: 1 },
    { heading: 'unused' },
  ];
  const dash = (n: number | null) => (n === null ? '-' : String(n));
  const rows = s.nodes.map((n) => [
    n.name,
    ...(o.wide ? [n.instanceId, n.instanceType ?? '-', n.interfaceId] : []),
    n.mode,
    String(n.prefixes),
    String(n.secondaryIps),
    dash(n.freeSlots),
    String(n.podsWithAddress),
    String(n.unusedInPrefixes),
  ]);
  const table = fitTable(columns, rows, tableOptions(o));
  const dropped = table.dropped.length > 0 ? note(`(${table.dropped.map((d) => d.toUpperCase()).join(', ')} left out to fit ${o.width} columns; -o wide shows ${table.dropped.length === 1 ? 'it' : 'them'})`, o) : '';
  return `Nodes (${s.nodes.length}):\n${table.text}${note('UNUSED: addresses in the node\'s prefixes that no pod uses', o)}${dropped}`;
}

function findings(r: SubnetReport, o: SubnetsHumanOptions): string {
  if (r.findings.length === 0) {
    if (r.subnets.length === 0) return '';
    const wanted = r.metadata.headroomWanted;
    return labelled('Findings', `${o.style.green('none')}: every subnet can give its nodes their next prefix${wanted !== null ? ` and at least ${wanted} more Windows pods` : ''}`, { width: o.width });
  }
  return renderFindings(r.findings, { width: o.width, style: o.style });
}
