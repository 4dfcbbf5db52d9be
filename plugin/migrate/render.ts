/**
 * @module
 * A {@link MigrationPlan} for people: the switch and the ConfigMap change, one row per node (what it holds
 * now, what it would advertise and deliver after, what to do), the subnets' room, the findings, then the
 * plan step by step with its commands. Fitted to the width; `-o wide` adds why for each node, the pods that
 * keep old-mode addresses and the budgets in the way.
 */
import { continued, hanging, labelled, renderFindings, shellLines } from '../render/blocks.ts';
import type { Style } from '../render/style.ts';
import { fitTable, type Cell, type Column } from '../render/table.ts';
import { displayWidth, plural } from '../render/text.ts';
import type { MigrationPlan, PlannedNode } from './report.ts';

export interface PlanHumanOptions {
  wide: boolean;
  style: Style;
  width: number;
}

const MODE_WORD = { prefix: 'prefix', secondary: 'secondary-IP' } as const;
const dash = (v: number | string | null) => (v === null ? '-' : String(v));

export function renderPlan(p: MigrationPlan, o: PlanHumanOptions): string {
  return [header(p, o), nodes(p, o), subnets(p, o), findings(p, o), steps(p, o)].filter((s) => s !== '').join('\n');
}

function header(p: MigrationPlan, o: PlanHumanOptions): string {
  const field = (label: string, value: string, paint?: (t: string) => string) => labelled(label, value, { width: o.width, paint });
  const counts = new Map<string, number>();
  for (const n of p.nodes) counts.set(n.action, (counts.get(n.action) ?? 0) + 1);
  const summary = ['drain', 'replace', 'release', 'none', 'unknown']
    .filter((a) => counts.has(a))
    .map((a) => `${counts.get(a)} ${a === 'none' ? 'switch at once' : a === 'release' ? 'release unused addresses' : a === 'unknown' ? 'could not be read' : `to ${a}`}`)
    .join(', ');
  let out = field('Switch', `to ${MODE_WORD[p.metadata.to]} mode: ${plural(p.nodes.length, 'Windows node')}${p.metadata.selector ? ` matching ${p.metadata.selector}` : ''}${summary ? ` (${summary})` : ''}; nothing is changed by this command`);
  const cm = p.configMap;
  const now = cm.error ? `not read (${cm.error})` : !cm.found ? 'does not exist' : `windows IPAM ${cm.ipamEnabled ? 'on' : 'off'}, prefix delegation ${cm.prefixDelegationEnabled ? 'on' : 'off'}`;
  out += field('ConfigMap', `${cm.ref}: ${now}; ${cm.set.length === 0 ? `already selects ${MODE_WORD[p.metadata.to]} mode` : `set ${cm.set.map((s) => `${s.key}: "${s.to}"`).join(', ')}`}`);
  for (const problem of cm.problems) out += continued(`! ${problem.key}="${problem.value}": ${problem.message}`, { width: o.width, paint: o.style.yellow });
  if (!p.disruptionBudgets.read) out += field('Budgets', `not read: ${p.disruptionBudgets.error ?? 'unknown error'} (what blocks a drain is unknown)`, o.style.yellow);
  return out;
}

const ACTION_TEXT: Record<PlannedNode['action'], string> = { none: 'none', release: 'release', drain: 'DRAIN', replace: 'REPLACE', unknown: '?' };

function tableOptions(o: PlanHumanOptions) {
  return { width: o.width, indent: '  ', ellipsis: o.style.rich ? '…' : '...', mayDrop: !o.wide };
}

function nodes(p: MigrationPlan, o: PlanHumanOptions): string {
  if (p.nodes.length === 0) return labelled('Nodes', 'no Windows node matches', { width: o.width });
  const old = p.metadata.to === 'prefix' ? 'on secondary' : 'on prefixes';
  const columns: Column[] = [
    { heading: 'node', fit: 'truncate', key: true, minWidth: 16 },
    { heading: 'now' },
    { heading: 'slots', drop: 3 },
    { heading: 'pods', drop: 2 },
    { heading: old },
    { heading: 'advertised', drop: 1 },
    { heading: 'after' },
    { heading: 'deliverable' },
    { heading: 'action' },
    { heading: 'order' },
    ...(o.wide ? [{ heading: 'why', fit: 'below' as const, minWidth: 30 }] : []),
  ];
  const sorted = [...p.nodes].sort((a, b) => (a.order ?? 1e9) - (b.order ?? 1e9) || a.name.localeCompare(b.name));
  const rows = sorted.map((n): Array<string | Cell> => {
    const over = n.after.overAdvertisedBy > 0;
    return [
      n.name,
      n.now.mode,
      dash(n.now.slots),
      String(n.now.podsWithAddress),
      String(n.oldMode.pods.length),
      dash(n.now.advertised),
      over ? { text: `${n.after.advertised}!`, paint: o.style.red } : dash(n.after.advertised),
      dash(n.after.deliverable),
      n.action === 'drain' || n.action === 'replace' ? { text: ACTION_TEXT[n.action], paint: o.style.bold } : ACTION_TEXT[n.action],
      dash(n.order),
      ...(o.wide ? [wideWhy(n)] : []),
    ];
  });
  const table = fitTable(columns, rows, tableOptions(o));
  let out = `Nodes (${p.nodes.length}):\n${table.text}`;
  out += note(`AFTER: what the node advertises after the switch (! more than it can deliver); ${old.toUpperCase()}: pods on old-mode addresses, kept until they go`, o);
  if (table.dropped.length > 0) out += note(`(${table.dropped.map((d) => d.toUpperCase()).join(', ')} left out to fit ${o.width} columns; -o wide shows ${table.dropped.length === 1 ? 'it' : 'them'})`, o);
  return out;
}

function wideWhy(n: PlannedNode): string {
  const pods = n.oldMode.pods;
  const podText = pods.length === 0 ? '' : `; keeping old-mode addresses: ${pods.slice(0, 5).map((x) => `${x.namespace}/${x.name} ${x.address}`).join(', ')}${pods.length > 5 ? ` and ${pods.length - 5} more` : ''}`;
  const budgets = n.budgets.length === 0 ? '' : `; budgets: ${n.budgets.map((b) => `${b.namespace}/${b.name} allows ${b.disruptionsAllowed} (${plural(b.pods.length, 'pod')} here)`).join(', ')}`;
  return `${n.why}${podText}${budgets}`;
}

function subnets(p: MigrationPlan, o: PlanHumanOptions): string {
  if (p.subnets.length === 0) return '';
  const unit = p.metadata.to === 'prefix' ? '/28 blocks' : 'addresses';
  const columns: Column[] = [{ heading: 'subnet', key: true }, { heading: 'cidr', drop: 1 }, { heading: 'nodes', drop: 2 }, { heading: 'needed' }, { heading: 'free now' }, { heading: 'after release' }, { heading: 'short' }];
  const rows = p.subnets.map((s): Array<string | Cell> => [s.subnetId, s.cidr, String(s.nodes.length), String(s.needed), String(s.freeNow), String(s.freeAfterRelease), s.shortBy > 0 ? { text: String(s.shortBy), paint: o.style.red } : '0']);
  return `Subnets (${unit} for the new mode):\n${fitTable(columns, rows, tableOptions(o)).text}${note(`NEEDED: what the pools hold for today's pods in the new mode, beyond what the nodes hold; AFTER RELEASE: free once the switching nodes' old-mode addresses are gone`, o)}`;
}

function findings(p: MigrationPlan, o: PlanHumanOptions): string {
  if (p.findings.length === 0) {
    return labelled('Findings', `${o.style.green('none')}: no node would advertise more than it can deliver, and every subnet has room`, { width: o.width });
  }
  return renderFindings(p.findings, { width: o.width, style: o.style });
}

function steps(p: MigrationPlan, o: PlanHumanOptions): string {
  if (p.steps.length === 0) return labelled('Plan', 'nothing to do: the ConfigMap already selects this mode and no node holds old-mode addresses under pods', { width: o.width });
  let out = `Plan (${plural(p.steps.length, 'step')}):\n`;
  for (const s of p.steps) {
    const lead = `  ${s.step}. `;
    out += hanging(lead, s.what, { width: o.width, hang: displayWidth(lead) });
    for (const command of s.commands) {
      const lines = shellLines(command, Math.max(30, o.width - 12));
      out += lines.map((l, i) => `${i === 0 ? '     run: ' : ' '.repeat(10)}${l}`).join('\n') + '\n';
    }
  }
  const quiet = p.nodes.filter((n) => n.action === 'none' || n.action === 'release');
  if (quiet.length > 0) {
    const text = `Nothing to do on ${quiet.map((n) => (n.action === 'release' ? `${n.name} (releases ${plural(n.oldMode.slots, 'unused address', 'unused addresses')} by itself)` : n.name)).join(', ')}.`;
    out += hanging('  ', text, { width: o.width, hang: 2, paint: o.style.dim });
  }
  if (p.configMap.yaml) {
    const [namespace, name] = p.configMap.ref.split('/');
    const how = p.configMap.found || p.configMap.error ? `as a merge patch: kubectl patch configmap ${name} -n ${namespace} --type merge --patch-file FILE` : 'as a manifest: kubectl apply -f FILE';
    out += hanging('  ', `The ConfigMap change ${how}`, { width: o.width, hang: 4 });
    out += `${p.configMap.yaml.split('\n').filter((l) => l !== '').map((l) => `    ${l}`).join('\n')}\n`;
  }
  return out;
}

function note(text: string, o: PlanHumanOptions): string {
  if (displayWidth(text) + 2 <= o.width) return `  ${o.style.dim(text)}\n`;
  return hanging('  ', text, { width: o.width, hang: 2, paint: o.style.dim });
}
