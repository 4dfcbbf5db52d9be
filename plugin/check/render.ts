/**
 * @module
 * `check` for people: one line on what was checked and the verdict, a table of the nodes that need a look
 * (every node with -o wide), then the findings, grouped by the nodes they are about: the cross-node ones first,
 * each with what it means, what to do and the commands, as `describe node` prints its own.
 */
import { labelled, renderFindings } from '../render/blocks.ts';
import type { Style } from '../render/style.ts';
import { fitTable, type Cell, type Column } from '../render/table.ts';
import { plural } from '../render/text.ts';
import type { CheckFinding, ClusterCheck } from './schema.ts';

export interface CheckRenderOptions {
  wide: boolean;
  style: Style;
  width: number;
}

const MANAGER: Record<ClusterCheck['nodes'][number]['managedBy'], string> = { winprefix: 'winprefix', 'aws-vpc-resource-controller': 'aws', unknown: '-' };

export function renderCheck(c: ClusterCheck, o: CheckRenderOptions): string {
  const s = c.summary;
  const { style } = o;
  if (s.nodes === 0) return '';
  const verdict =
    s.findings === 0 && s.verified === s.nodes
      ? style.green('no findings: Kubernetes and EC2 agree on every node')
      : [
          s.findings > 0 ? `${plural(s.findings, 'finding')} on ${plural(s.nodesWithFindings, 'node')}${s.crossNodeFindings > 0 ? ` (${s.crossNodeFindings} across nodes)` : ''}` : 'no findings',
          s.verified < s.nodes ? `${s.nodes - s.verified} not verified: EC2 could not be read for ${s.nodes - s.verified === 1 ? 'it' : 'them'}` : '',
        ]
          .filter((x) => x !== '')
          .join('; ');
  let out = labelled('Checked', `${plural(s.nodes, 'Windows node')}, ${plural(s.pods, 'pod')} taking part in IPAM (${s.podsWithoutAddress} without an address): ${verdict}`, { width: o.width });

  const listed = o.wide ? c.nodes : c.nodes.filter((n) => n.findings > 0 || !n.ec2.read);
  if (listed.length > 0) {
    const columns: Column[] = [
      { heading: 'node', key: true, fit: 'truncate', minWidth: 16 },
      { heading: 'mode' },
      { heading: 'by', drop: 1 },
      { heading: 'pods' },
      { heading: 'waiting' },
      { heading: 'findings' },
      { heading: 'kinds', fit: 'wrap', minWidth: 20 },
    ];
    const rows = listed.map((n): Array<string | Cell> => [
      n.name,
      n.mode,
      MANAGER[n.managedBy],
      String(n.pods),
      n.podsWithoutAddress > 0 ? { text: String(n.podsWithoutAddress), paint: style.yellow } : '0',
      n.findings > 0 ? { text: String(n.findings), paint: style.red } : '0',
      n.ec2.read ? n.kinds.join(', ') || '-' : { text: `not verified: ${n.ec2.errorCode ?? 'EC2 not read'}`, paint: style.yellow },
    ]);
    out += `\n${fitTable(columns, rows, { width: o.width, ellipsis: style.rich ? '…' : '...', mayDrop: !o.wide, dropOnlyWhenShrinkingFails: true }).text}`;
    const quiet = c.nodes.length - listed.length;
    if (quiet > 0) out += style.dim(`(${plural(quiet, 'more node')} without findings; -o wide lists every node)\n`);
  }
  for (const [title, findings] of groups(c.findings)) out += `\n${renderFindings(findings, { width: o.width, style, title })}`;
  const unverified = c.nodes.filter((n) => !n.ec2.read);
  if (unverified.length > 0) {
    out += `\n${style.bold(style.yellow(`Not verified (${unverified.length}):`))}\n`;
    for (const n of unverified.slice(0, o.wide ? unverified.length : 5)) out += labelled(`  ${n.name}`, n.ec2.error ?? 'EC2 was not read', { width: o.width, labelWidth: Math.min(40, n.name.length + 4) });
    if (!o.wide && unverified.length > 5) out += style.dim(`  (and ${unverified.length - 5} more; -o wide or -o json lists them)\n`);
  }
  return out;
}

/** Findings by the nodes they are about: "Across nodes" first, then one group per node (or set of nodes). */
function groups(findings: readonly CheckFinding[]): Array<[string, CheckFinding[]]> {
  const out = new Map<string, CheckFinding[]>();
  const title = (f: CheckFinding) =>
    f.scope === 'cross-node' ? 'Across nodes' : f.nodes.length === 1 ? `On ${f.nodes[0]}` : f.nodes.length <= 3 ? `On ${f.nodes.join(', ')}` : `On ${f.nodes.length} nodes (${f.nodes.slice(0, 3).join(', ')}, ...)`;
  for (const f of findings) {
    const t = title(f);
    out.set(t, [...(out.get(t) ?? []), f]);
  }
  return [...out].sort(([a], [b]) => (a === 'Across nodes' ? -1 : b === 'Across nodes' ? 1 : 0));
}
