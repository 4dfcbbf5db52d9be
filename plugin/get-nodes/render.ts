/**
 * @module
 * `get nodes` for people: a kubectl-style table, one row per node, fitted to the terminal (long names shorten
 * first, then the least needed columns go, with a note), the totals and what the slashed columns hold. The row
 * cells are also what `--watch` prints in a pipe, one changed row at a time.
 */
import { labelled } from '../render/blocks.ts';
import { formatAge } from '../render/age.ts';
import type { Style } from '../render/style.ts';
import { fitTable, type Cell, type Column } from '../render/table.ts';
import { plural, wrapText } from '../render/text.ts';
import type { NodeRow, NodeTotals } from './schema.ts';

export interface TableOptions {
  wide: boolean;
  style: Style;
  width: number;
  noHeaders: boolean;
}

const MANAGER: Record<NodeRow['managedBy'], string> = { winprefix: 'winprefix', 'aws-vpc-resource-controller': 'aws', unknown: '-' };

const dash = (v: number | null | undefined) => (v === null || v === undefined ? '-' : String(v));
const slashed = (...parts: Array<number | null | undefined>) => parts.map(dash).join('/');

export function columns(wide: boolean): Column[] {
  return [
    { heading: 'name', key: true, fit: 'truncate', minWidth: 16 },
    { heading: 'mode' },
    { heading: 'by', drop: 2 },
    { heading: 'prefixes' },
    { heading: 'addresses' },
    { heading: 'pods' },
    { heading: 'capacity', drop: 3 },
    { heading: 'findings' },
    { heading: 'status', drop: 1 },
    ...(wide ? [{ heading: 'type' }, { heading: 'zone' }, { heading: 'instance' }, { heading: 'slots' }, { heading: 'ec2' }] : []),
  ];
}

export function rowCells(r: NodeRow, o: { wide: boolean; style: Style }): Array<string | Cell> {
  const s = o.style;
  const status = r.status.error ? { text: 'invalid', paint: s.yellow } : r.status.ageSeconds === null ? '-' : formatAge(r.status.ageSeconds);
  return [
    r.name,
    `${r.mode}${r.modeSource === 'inferred' ? '*' : ''}`,
    MANAGER[r.managedBy],
    r.prefixes ? slashed(r.prefixes.attached, r.prefixes.full, r.prefixes.free) : '-',
    slashed(r.addresses.used, r.addresses.free, r.addresses.cooling),
    r.pods.withoutAddress > 0 ? { text: slashed(r.pods.withAddress, r.pods.withoutAddress), paint: s.yellow } : slashed(r.pods.withAddress, r.pods.withoutAddress),
    slashed(r.capacity.advertised, r.capacity.deliverable, r.capacity.maxPods),
    r.findings.count > 0 ? { text: String(r.findings.count), paint: s.red } : '0',
    status,
    ...(o.wide
      ? [
          r.instanceType ?? '-',
          r.zone ?? '-',
          r.instanceId ?? '-',
          slashed(r.slots.total, r.slots.prefixes, r.slots.secondaryIps, r.slots.free),
          r.ec2.read ? 'read' : r.occupancySource === 'status-annotation' ? 'status' : '-',
        ]
      : []),
  ];
}

export function renderTableText(rows: readonly NodeRow[], o: TableOptions): { text: string; dropped: string[] } {
  const table = fitTable(
    columns(o.wide),
    rows.map((r) => rowCells(r, o)),
    { width: o.width, ellipsis: o.style.rich ? '…' : '...', mayDrop: !o.wide, dropOnlyWhenShrinkingFails: true },
  );
  const text = o.noHeaders ? table.text.split('\n').slice(1).join('\n') : table.text;
  return { text, dropped: table.dropped };
}

/** The table, the totals and the legend: the whole `get nodes` output for people. */
export function renderNodes(rows: readonly NodeRow[], totals: NodeTotals, o: TableOptions & { ec2: boolean }): string {
  if (rows.length === 0) return '';
  const { text, dropped } = renderTableText(rows, o);
  if (o.noHeaders) return text;
  const notes = [
    dropped.length > 0 ? `(${dropped.map((d) => d.toUpperCase()).join(', ')} left out to fit ${o.width} columns; -o wide shows every column)` : '',
    legend(o.ec2),
  ].filter((n) => n !== '');
  return `${text}\n${labelled('Total', totalsText(totals), { width: o.width })}${notes.map((n) => o.style.dim(wrapPlain(n, o.width))).join('\n')}\n`;
}

function wrapPlain(text: string, width: number): string {
  return wrapText(text, width).join('\n');
}

export function totalsText(t: NodeTotals): string {
  const managers = [
    t.byManager.winprefix ? `${t.byManager.winprefix} winprefix` : '',
    t.byManager.awsVpcResourceController ? `${t.byManager.awsVpcResourceController} AWS VPC Resource Controller` : '',
    t.byManager.unknown ? `${t.byManager.unknown} unmanaged or unknown` : '',
  ].filter((x) => x !== '');
  const parts = (items: Array<[number | null, string]>) =>
    items
      .filter(([n]) => n !== null)
      .map(([n, what]) => `${n} ${what}`)
      .join(', ');
  return [
    `${plural(t.nodes, 'Windows node')}${managers.length > 0 ? ` (${managers.join(', ')})` : ''}`,
    t.prefixes ? `${plural(t.prefixes.attached, 'prefix', 'prefixes')} (${t.prefixes.full} full, ${t.prefixes.free} free)` : 'prefixes not known (--ec2 reads them)',
    `addresses ${parts([[t.addresses.used, 'used'], [t.addresses.free, 'free'], [t.addresses.cooling, 'cooling']])}`,
    `${plural(t.pods.withAddress, 'pod')} with an address, ${t.pods.withoutAddress} without`,
    ...(t.capacity.advertised !== null || t.capacity.deliverable !== null ? [`capacity ${parts([[t.capacity.advertised, 'advertised'], [t.capacity.deliverable, 'deliverable']])}`] : []),
    t.findings > 0 ? `${plural(t.findings, 'finding')} on ${plural(t.nodesWithFindings, 'node')} (kubectl winprefix check)` : 'no findings',
  ].join('; ');
}

function legend(ec2: boolean): string {
  return `PREFIXES attached/full/free, ADDRESSES used/free/cooling, PODS with/without an address, CAPACITY advertised/deliverable/max-pods; * inferred (no winprefix status on the node); ${
    ec2 ? 'occupancy from EC2' : "occupancy from the winprefix controller's status (-: not published) and findings from Kubernetes alone: --ec2 reads the ENIs"
  }.`;
}
