/**
 * @module
 * A {@link NodeReport} for people: sections in the order an operator asks questions (what is this
 * node, is anything wrong, how full is it, who holds what), fitted to the terminal's width (long
 * values fold under their label, tables drop or shorten columns before they overflow), 16-cell bars.
 * `-o wide` shows every column and every pod, never more sections. Machine formats live in
 * render/structured.ts.
 */
import { RESOURCE_NAME } from '../../pkg/core/contract.ts';
import { formatAge } from '../render/age.ts';
import { barLegend, occupancyBar } from '../render/bar.ts';
import { continued, labelled, renderFindings } from '../render/blocks.ts';
import type { Style } from '../render/style.ts';
import { fitTable, type Cell, type Column } from '../render/table.ts';
import { plural } from '../render/text.ts';
import type { NodeReport, PodSource, ReportEvent } from './report.ts';

export interface HumanOptions {
  wide: boolean;
  style: Style;
  now: Date;
  /** Columns the output may use (render/width.ts). */
  width: number;
}

const MANAGED_BY: Record<NodeReport['node']['managedBy'], string> = {
  winprefix: 'winprefix controller',
  'aws-vpc-resource-controller': 'AWS VPC Resource Controller',
  unknown: 'unknown (no status annotation, no controller events)',
};

/** In the default output, more pods than this without an address are summed up rather than listed. */
const LISTED_PODS_WITHOUT_ADDRESS = 3;

const orDash = (v: string | number | null | undefined) => (v === null || v === undefined || v === '' ? '-' : String(v));
const ago = (now: Date, at: string) => formatAge((now.getTime() - Date.parse(at)) / 1000);

export function renderHuman(report: NodeReport, o: HumanOptions): string {
  return [header(report, o), findings(report, o), prefixes(report, o), secondaryIps(report, o), pods(report, o), pool(report, o), events(report, o)]
    .filter((s) => s !== '')
    .join('\n');
}

function header(r: NodeReport, o: HumanOptions): string {
  const n = r.node;
  const s = o.style;
  const field = (label: string, value: string, paint?: (t: string) => string) => labelled(label, value, { width: o.width, paint });
  const where = [n.instanceId, n.instanceType, n.zone].filter((x) => x !== null).join(', ');
  let out = field('Node', `${n.name}${where ? ` (${where})` : ''}`);
  out += field('Managed by', MANAGED_BY[n.managedBy]);
  const since = r.statusAnnotation.at ? `, status written ${ago(o.now, r.statusAnnotation.at)} ago` : '';
  out += field('Mode', `${r.mode.mode} (${r.mode.source === 'status-annotation' ? `from the controller${since}` : 'inferred'}): ${r.mode.reason}`);
  if (r.statusAnnotation.error) out += field('Status', 'unreadable annotation: see Findings', s.yellow);
  const work = pendingText(r.controller.pending);
  if (work) out += field('Pending EC2', work);
  const last = r.controller.lastError;
  if (last) out += field('Last error', `${last.reason} ${ago(o.now, last.at)} ago: ${last.message}`, s.yellow);
  out += field('Slots', slotsLine(r));
  out += field('Capacity', capacityLine(r));
  out += field('Config', configLine(r));
  for (const p of r.config.problems) out += continued(`! ${p.key}="${p.value}": ${p.message}`, { width: o.width, paint: s.yellow });
  if (r.config.error) out += continued(`! ${r.config.error}`, { width: o.width, paint: s.yellow });
  if (!r.ec2.available) out += field('EC2', `not read: ${r.ec2.error ?? 'unknown error'} (ENI sections are missing)`, s.red);
  else if (o.wide) out += field('EC2', `region ${orDash(r.ec2.region)}${r.ec2.endpoint ? ` at ${r.ec2.endpoint}` : ''}; ${r.interfaces.map((i) => `${i.id} (device ${orDash(i.deviceIndex)}, ${i.subnetId}, ${i.primaryIp})`).join('; ')}`);
  return out.replace(/^Node: +(\S+)/, (whole, name: string) => whole.replace(name, s.bold(name))).replace(/^(Mode: +)(\S+)/m, (_w, head: string, mode: string) => `${head}${s.bold(mode)}`);
}

function pendingText(p: NodeReport['controller']['pending']): string {
  if (!p) return '';
  const parts = [
    p.assignPrefixes ? `assign ${plural(p.assignPrefixes, 'prefix', 'prefixes')}` : '',
    p.assignSecondaryIps ? `assign ${plural(p.assignSecondaryIps, 'secondary IP')}` : '',
    p.unassignPrefixes ? `release ${plural(p.unassignPrefixes, 'prefix', 'prefixes')}` : '',
    p.unassignSecondaryIps ? `release ${plural(p.unassignSecondaryIps, 'secondary IP')}` : '',
    p.resync ? 're-sync with EC2' : '',
  ].filter((x) => x !== '');
  return parts.join(', ');
}

function slotsLine(r: NodeReport): string {
  const s = r.slots;
  if (s.total === null && s.prefixes === null) return 'unknown (instance type not known and EC2 not read)';
  const count = (n: number | null, one: string, many: string) => (n === null ? `- ${many}` : plural(n, one, many));
  const parts = [count(s.prefixes, 'prefix', 'prefixes'), count(s.secondaryIps, 'secondary IP', 'secondary IPs'), `${orDash(s.free)} free`];
  const primary = r.interfaces.find((i) => i.deviceIndex === 0) ?? r.interfaces[0];
  return `${orDash(s.total)} on the primary ENI${primary ? ` ${primary.id}` : ''}: ${parts.join(', ')}`;
}

function capacityLine(r: NodeReport): string {
  const c = r.capacity;
  let line = `advertised ${orDash(c.advertised)}, deliverable ${orDash(c.deliverable)}, kubelet max-pods ${orDash(c.maxPods)}; ${plural(c.requested, 'pod')} ${c.requested === 1 ? 'requests' : 'request'} ${RESOURCE_NAME}`;
  const ipLimit = Math.min(c.advertised ?? Infinity, c.deliverable ?? Infinity);
  if (c.maxPods !== null && Number.isFinite(ipLimit) && c.maxPods < ipLimit) line += ' (max-pods, not addresses, limits this node)';
  return line;
}

function configLine(r: NodeReport): string {
  const c = r.config;
  const from = c.source === 'status-annotation' ? 'as the controller applies it' : `resolved from ${c.configMap}${c.found ? '' : ' (not found: defaults)'}`;
  // Without the ConfigMap its switches are unknown, not "off": say which ConfigMap is missing.
  const flags = c.found || c.error ? `windows IPAM ${c.ipamEnabled ? 'on' : 'off'}, prefix delegation ${c.prefixDelegationEnabled ? 'on' : 'off'}` : `ConfigMap ${c.configMap} not found`;
  if (c.sizing === null) return `${flags}; warm targets unknown (instance type${r.node.instanceType ? ` ${r.node.instanceType}` : ''} not known), ${from}`;
  const targets =
    c.sizing === 'prefix-target' ? `warm-prefix-target ${c.warmPrefixTarget}` : `warm-ip-target ${c.warmIPTarget}, minimum-ip-target ${c.minimumIPTarget}`;
  return `${flags}; ${targets}, ${from}`;
}

function findings(r: NodeReport, o: HumanOptions): string {
  if (r.findings.length === 0) {
    return r.ec2.available ? labelled('Findings', `${o.style.green('none')}: Kubernetes and EC2 agree`, { width: o.width }) : '';
  }
  return renderFindings(r.findings, { width: o.width, style: o.style });
}

function tableOptions(o: HumanOptions) {
  return { width: o.width, indent: '  ', ellipsis: o.style.rich ? '…' : '...', mayDrop: !o.wide };
}

/** The note under a table that left columns out to fit. */
function droppedNote(dropped: readonly string[], o: HumanOptions): string {
  return dropped.length === 0 ? '' : `  ${o.style.dim(`(${dropped.map((d) => d.toUpperCase()).join(', ')} left out to fit ${o.width} columns; -o wide shows ${dropped.length === 1 ? 'it' : 'them'})`)}\n`;
}

function prefixes(r: NodeReport, o: HumanOptions): string {
  if (r.prefixes.length === 0) return '';
  const columns: Column[] = [
    { heading: 'prefix', key: true },
    ...(o.wide ? [{ heading: 'eni' }] : []),
    { heading: 'used' },
    { heading: 'cooling', drop: 1 },
    { heading: 'free' },
    { heading: 'occupancy' },
  ];
  const rows = r.prefixes.map((p) => [p.cidr, ...(o.wide ? [p.interfaceId] : []), String(p.used), String(p.cooling), String(p.free), occupancyBar(p.cells, o.style)]);
  const table = fitTable(columns, rows, tableOptions(o));
  return `Prefixes (${r.prefixes.length}):\n${table.text}  ${o.style.dim(barLegend(o.style))}\n${droppedNote(table.dropped, o)}`;
}

function secondaryIps(r: NodeReport, o: HumanOptions): string {
  if (r.secondaryIps.length === 0) return '';
  const columns: Column[] = [{ heading: 'address', key: true }, ...(o.wide ? [{ heading: 'eni' }] : []), { heading: 'state' }, { heading: 'pod', fit: 'truncate' as const }];
  const rows = r.secondaryIps.map((s) => [s.ip, ...(o.wide ? [s.interfaceId] : []), s.state, s.pod ? `${s.pod.namespace}/${s.pod.name}` : '-']);
  const table = fitTable(columns, rows, tableOptions(o));
  return `Secondary IPs (${r.secondaryIps.length}):\n${table.text}${droppedNote(table.dropped, o)}`;
}

function sourceText(s: PodSource, wide: boolean): string {
  switch (s.kind) {
    case 'prefix':
      return wide ? `prefix ${s.prefix}` : s.prefix;
    case 'secondary-ip':
      return 'secondary IP';
    case 'not-on-eni':
      return 'NOT ON ENI';
    case 'none':
      return '-';
    case 'unknown':
      return '? (EC2 not read)';
  }
}

function pods(r: NodeReport, o: HumanOptions): string {
  const scope = r.metadata.podNamespace ? ` in namespace ${r.metadata.podNamespace}` : '';
  if (r.pods.length === 0) return labelled('Pods', `none${scope} with an address or an address request`, { width: o.width });
  const waiting = r.pods.filter((p) => p.source.kind === 'none' && p.requestsAddress);
  // An incident's hundred pods without an address are one finding, not a hundred rows.
  const summarise = !o.wide && waiting.length > LISTED_PODS_WITHOUT_ADDRESS;
  const listed = summarise ? r.pods.filter((p) => !waiting.includes(p)) : r.pods;
  const namespaces = new Set(r.pods.map((p) => p.namespace));
  const oneNamespace = namespaces.size === 1 && !o.wide;
  const columns: Column[] = [
    ...(oneNamespace ? [] : [{ heading: 'namespace', fit: 'truncate' as const, key: true, minWidth: 9 }]),
    { heading: 'name', fit: 'truncate', key: true, minWidth: 12 },
    { heading: 'address' },
    { heading: 'source', fit: 'wrap' },
    ...(o.wide ? [{ heading: 'eni' }, { heading: 'annotation' }, { heading: 'phase' }, { heading: 'uid' }] : []),
    { heading: 'age', drop: 1 },
  ];
  const rows = listed.map((p): Array<string | Cell> => {
    const missingRequest = p.source.kind === 'none' && !p.requestsAddress;
    const source = missingRequest ? 'NO REQUEST' : sourceText(p.source, o.wide);
    return [
      ...(oneNamespace ? [] : [p.namespace]),
      p.name,
      orDash(p.address ?? p.annotation),
      p.source.kind === 'not-on-eni' || missingRequest ? { text: source, paint: o.style.red } : source,
      ...(o.wide ? [p.source.kind === 'prefix' || p.source.kind === 'secondary-ip' ? p.source.interfaceId : '-', orDash(p.annotation), p.phase, p.uid] : []),
      p.ageSeconds === null ? '-' : formatAge(p.ageSeconds),
    ];
  });
  const title = `Pods (${r.pods.length}${scope}${oneNamespace ? `, namespace ${[...namespaces][0]}` : ''}):\n`;
  const table = listed.length > 0 ? fitTable(columns, rows, tableOptions(o)) : { text: '', dropped: [] };
  const rest = summarise
    ? `  ${o.style.dim(`+ ${plural(waiting.length, 'pod')} without an address, grouped under Findings (-o wide lists them here)`)}\n`
    : '';
  return `${title}${table.text}${rest}${droppedNote(table.dropped, o)}`;
}

/** Lists at most this many addresses inline; the JSON has them all. */
const INLINE_ADDRESSES = 8;

function addressList(list: { count: number; addresses: string[] }, wide: boolean): string {
  if (list.count === 0) return '0';
  const shown = wide ? list.addresses : list.addresses.slice(0, INLINE_ADDRESSES);
  return `${list.count} (${shown.join(', ')}${list.count > shown.length ? ', ...' : ''})`;
}

function pool(r: NodeReport, o: HumanOptions): string {
  if (!r.ec2.available) return '';
  return (
    labelled('Warm', addressList(r.warm, o.wide), { width: o.width }) +
    labelled('Cooling', `${addressList(r.cooling, o.wide)}${r.statusAnnotation.present ? '' : ' (only the winprefix controller publishes cooling addresses)'}`, { width: o.width })
  );
}

/** Events that differ only in which pod they are about, shown as one row in the default output. */
function groupEvents(events: readonly ReportEvent[], wide: boolean): Array<{ event: ReportEvent; others: number }> {
  if (wide) return events.map((event) => ({ event, others: 0 }));
  const groups = new Map<string, { event: ReportEvent; others: number }>();
  for (const e of events) {
    const message = e.object.kind === 'Pod' ? e.message.split(e.object.name).join('POD') : e.message;
    const key = `${e.type}\u0000${e.reason}\u0000${e.object.kind}\u0000${message}`;
    const g = groups.get(key);
    if (g) g.others++;
    else groups.set(key, { event: e, others: 0 });
  }
  return [...groups.values()];
}

function events(r: NodeReport, o: HumanOptions): string {
  if (r.events.length === 0) return labelled('Events', 'no recent IPAM events', { width: o.width });
  const columns: Column[] = [
    { heading: 'last seen' },
    { heading: 'type', drop: 2 },
    { heading: 'reason', fit: 'truncate', minWidth: 14 },
    { heading: 'object', fit: 'truncate', minWidth: 16 },
    ...(o.wide ? [{ heading: 'source' }, { heading: 'count' }] : []),
    { heading: 'message', fit: 'below', minWidth: 30 },
  ];
  const rows = groupEvents(r.events, o.wide).map(({ event: e, others }): Array<string | Cell> => [
    e.lastSeen ? ago(o.now, e.lastSeen) : '-',
    e.type === 'Warning' ? { text: e.type, paint: o.style.yellow } : e.type,
    e.reason,
    `${e.object.kind.toLowerCase()}/${e.object.namespace ? `${e.object.namespace}/` : ''}${e.object.name}${others > 0 ? ` (+${others} more)` : ''}`,
    ...(o.wide ? [orDash(e.source), String(e.count)] : []),
    e.message,
  ]);
  const table = fitTable(columns, rows, tableOptions(o));
  return `Events (${r.events.length}, newest first):\n${table.text}${droppedNote(table.dropped, o)}`;
}

