/**
 * @module
 * A {@link NodeReport} for people: sections in the order an operator asks questions (what is this
 * node, is anything wrong, how full is it, who holds what), kubectl-like tables, 16-cell bars.
 * `wide` adds columns, never sections. Machine formats live in render/structured.ts.
 */
import { RESOURCE_NAME } from '../../pkg/core/contract.ts';
import { formatAge } from '../render/age.ts';
import { barLegend, occupancyBar } from '../render/bar.ts';
import type { Style } from '../render/style.ts';
import { renderTable } from '../render/table.ts';
import type { NodeReport, PodSource } from './report.ts';

export interface HumanOptions {
  wide: boolean;
  style: Style;
  now: Date;
}

const MANAGED_BY: Record<NodeReport['node']['managedBy'], string> = {
  winprefix: 'winprefix controller',
  'aws-vpc-resource-controller': 'AWS VPC Resource Controller',
  unknown: 'unknown (no status annotation, no controller events)',
};

const orDash = (v: string | number | null | undefined) => (v === null || v === undefined || v === '' ? '-' : String(v));

export function renderHuman(report: NodeReport, o: HumanOptions): string {
  return [header(report, o), findings(report, o), prefixes(report, o), secondaryIps(report, o), pods(report, o), pool(report), events(report, o)]
    .filter((s) => s !== '')
    .join('\n');
}

function field(label: string, value: string): string {
  return `${`${label}:`.padEnd(15)}${value}\n`;
}

function header(r: NodeReport, o: HumanOptions): string {
  const n = r.node;
  const where = [n.instanceId, n.instanceType, n.zone].filter((x) => x !== null).join(', ');
  let out = field('Node', `${o.style.bold(n.name)}${where ? ` (${where})` : ''}`);
  out += field('Managed by', MANAGED_BY[n.managedBy]);
  const since = r.statusAnnotation.at ? `, status written ${formatAge((o.now.getTime() - Date.parse(r.statusAnnotation.at)) / 1000)} ago` : '';
  out += field('Mode', `${o.style.bold(r.mode.mode)} (${r.mode.source === 'status-annotation' ? `from the controller${since}` : 'inferred'}): ${r.mode.reason}`);
  if (r.statusAnnotation.error) out += field('Status', o.style.yellow(r.statusAnnotation.error));
  const work = pendingText(r.controller.pending);
  if (work) out += field('Pending EC2', work);
  const last = r.controller.lastError;
  if (last) out += field('Last error', o.style.yellow(`${last.reason} ${formatAge((o.now.getTime() - Date.parse(last.at)) / 1000)} ago: ${last.message}`));
  out += field('Slots', slotsLine(r));
  out += field('Capacity', capacityLine(r));
  out += field('Config', configLine(r));
  for (const p of r.config.problems) out += `${''.padEnd(15)}${o.style.yellow('!')} ${p.key}="${p.value}": ${p.message}\n`;
  if (r.config.error) out += `${''.padEnd(15)}${o.style.yellow('!')} ${r.config.error}\n`;
  if (!r.ec2.available) out += field('EC2', o.style.red(`not read: ${r.ec2.error ?? 'unknown error'} (ENI sections are missing)`));
  else if (o.wide) out += field('EC2', `region ${orDash(r.ec2.region)}, ${r.interfaces.map((i) => `${i.id} (device ${orDash(i.deviceIndex)}, ${i.subnetId}, ${i.primaryIp})`).join('; ')}`);
  return out;
}

function pendingText(p: NodeReport['controller']['pending']): string {
  if (!p) return '';
  const parts = [
    p.assignPrefixes ? `assign ${p.assignPrefixes} prefix(es)` : '',
    p.assignSecondaryIps ? `assign ${p.assignSecondaryIps} secondary IP(s)` : '',
    p.unassignPrefixes ? `release ${p.unassignPrefixes} prefix(es)` : '',
    p.unassignSecondaryIps ? `release ${p.unassignSecondaryIps} secondary IP(s)` : '',
    p.resync ? 're-sync with EC2' : '',
  ].filter((x) => x !== '');
  return parts.join(', ');
}

function slotsLine(r: NodeReport): string {
  const s = r.slots;
  if (s.total === null && s.prefixes === null) return 'unknown (instance type not known and EC2 not read)';
  const parts = [`${orDash(s.prefixes)} prefixes`, `${orDash(s.secondaryIps)} secondary IPs`, `${orDash(s.free)} free`];
  const primary = r.interfaces.find((i) => i.deviceIndex === 0) ?? r.interfaces[0];
  return `${orDash(s.total)} on the primary ENI${primary ? ` ${primary.id}` : ''}: ${parts.join(', ')}`;
}

function capacityLine(r: NodeReport): string {
  const c = r.capacity;
  let line = `advertised ${orDash(c.advertised)}, deliverable ${orDash(c.deliverable)}, kubelet max-pods ${orDash(c.maxPods)}; ${c.requested} pod(s) request ${RESOURCE_NAME}`;
  const ipLimit = Math.min(c.advertised ?? Infinity, c.deliverable ?? Infinity);
  if (c.maxPods !== null && Number.isFinite(ipLimit) && c.maxPods < ipLimit) line += ` (max-pods, not addresses, limits this node)`;
  return line;
}

function configLine(r: NodeReport): string {
  const c = r.config;
  const from = c.source === 'status-annotation' ? 'as the controller applies it' : `resolved from ${c.configMap}${c.found ? '' : ' (not found: defaults)'}`;
  const flags = `windows IPAM ${c.ipamEnabled ? 'on' : 'off'}, prefix delegation ${c.prefixDelegationEnabled ? 'on' : 'off'}`;
  if (c.sizing === null) return `${flags}; warm targets unknown (instance type not known), ${from}`;
  const targets =
    c.sizing === 'prefix-target'
      ? `warm-prefix-target ${c.warmPrefixTarget}`
      : `warm-ip-target ${c.warmIPTarget}, minimum-ip-target ${c.minimumIPTarget}`;
  return `${flags}; ${targets}, ${from}`;
}

function findings(r: NodeReport, o: HumanOptions): string {
  if (r.findings.length === 0) {
    return r.ec2.available ? `Findings:      ${o.style.green('none')}: Kubernetes and EC2 agree\n` : '';
  }
  let out = `${o.style.bold(o.style.red(`Findings (${r.findings.length}):`))}\n`;
  for (const f of r.findings) {
    out += `  ${o.style.red(o.style.rich ? '✗' : 'x')} ${f.kind}: ${f.message}\n`;
    out += `      meaning: ${f.meaning}\n`;
    out += `      do:      ${f.action}\n`;
  }
  return out;
}

function prefixes(r: NodeReport, o: HumanOptions): string {
  if (r.prefixes.length === 0) return '';
  const headings = ['prefix', ...(o.wide ? ['eni'] : []), 'used', 'cooling', 'free', 'occupancy'];
  const rows = r.prefixes.map((p) => [p.cidr, ...(o.wide ? [p.interfaceId] : []), String(p.used), String(p.cooling), String(p.free), occupancyBar(p.cells, o.style)]);
  return `Prefixes (${r.prefixes.length}):\n${renderTable(headings, rows, { indent: '  ' })}  ${o.style.dim(barLegend(o.style))}\n`;
}

function secondaryIps(r: NodeReport, o: HumanOptions): string {
  if (r.secondaryIps.length === 0) return '';
  const headings = ['address', ...(o.wide ? ['eni'] : []), 'state', 'pod'];
  const rows = r.secondaryIps.map((s) => [s.ip, ...(o.wide ? [s.interfaceId] : []), s.state, s.pod ? `${s.pod.namespace}/${s.pod.name}` : '-']);
  return `Secondary IPs (${r.secondaryIps.length}):\n${renderTable(headings, rows, { indent: '  ' })}`;
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
  if (r.pods.length === 0) return 'Pods:          none with an address or an address request\n';
  const headings = ['namespace', 'name', 'address', 'source', ...(o.wide ? ['eni', 'annotation', 'phase', 'uid'] : []), 'age'];
  const rows = r.pods.map((p) => {
    const missingRequest = p.source.kind === 'none' && !p.requestsAddress;
    const source = missingRequest ? 'NO REQUEST' : sourceText(p.source, o.wide);
    return [
      p.namespace,
      p.name,
      orDash(p.address ?? p.annotation),
      p.source.kind === 'not-on-eni' || missingRequest ? o.style.red(source) : source,
      ...(o.wide
        ? [p.source.kind === 'prefix' || p.source.kind === 'secondary-ip' ? p.source.interfaceId : '-', orDash(p.annotation), p.phase, p.uid]
        : []),
      p.ageSeconds === null ? '-' : formatAge(p.ageSeconds),
    ];
  });
  return `Pods (${r.pods.length}):\n${renderTable(headings, rows, { indent: '  ' })}`;
}

/** Lists at most this many addresses inline; the JSON has them all. */
const INLINE_ADDRESSES = 8;

function addressList(list: { count: number; addresses: string[] }): string {
  if (list.count === 0) return '0';
  const shown = list.addresses.slice(0, INLINE_ADDRESSES).join(', ');
  return `${list.count} (${shown}${list.count > INLINE_ADDRESSES ? ', ...' : ''})`;
}

function pool(r: NodeReport): string {
  if (!r.ec2.available) return '';
  return field('Warm', addressList(r.warm)) + field('Cooling', `${addressList(r.cooling)}${r.statusAnnotation.present ? '' : ' (only the winprefix controller publishes cooling addresses)'}`);
}

function events(r: NodeReport, o: HumanOptions): string {
  if (r.events.length === 0) return 'Events:        no recent IPAM events\n';
  const headings = ['last seen', 'type', 'reason', 'object', ...(o.wide ? ['source', 'count'] : []), 'message'];
  const rows = r.events.map((e) => [
    e.lastSeen ? formatAge((o.now.getTime() - Date.parse(e.lastSeen)) / 1000) : '-',
    e.type === 'Warning' ? o.style.yellow(e.type) : e.type,
    e.reason,
    `${e.object.kind.toLowerCase()}/${e.object.namespace ? `${e.object.namespace}/` : ''}${e.object.name}`,
    ...(o.wide ? [orDash(e.source), String(e.count)] : []),
    e.message,
  ]);
  return `Events (${r.events.length}, newest first):\n${renderTable(headings, rows, { indent: '  ' })}`;
}
