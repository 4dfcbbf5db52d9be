/**
 * @module
 * One `get nodes` row per node, from that node's NodeReport (the analysis `describe node` makes) and the
 * controller's status annotation: occupancy from EC2 when it was read, else from the status the winprefix
 * controller publishes, else from the pods alone. Totals, and the orders `--sort-by` offers. Pure.
 */
import { ADDRESSES_PER_PREFIX, NODE_STATUS_ANNOTATION } from '../../pkg/core/contract.ts';
import { decodeNodeStatus } from '../../pkg/core/status/node-status.ts';
import type { ClusterAnalysis } from '../cluster/analyze.ts';
import type { NodeReport } from '../describe/report.ts';
import type { KubeNode } from '../kube/objects.ts';
import { naturalCompare } from '../render/text.ts';
import { NODE_LIST_KIND, type NodeList, type NodeRow, type NodeTotals } from './schema.ts';
import { REPORT_API_VERSION } from '../describe/report.ts';

export function nodeRow(report: NodeReport, node: KubeNode, crossNodeKinds: readonly string[], now: Date): NodeRow {
  const decoded = decodeNodeStatus(node.metadata?.annotations?.[NODE_STATUS_ANNOTATION]);
  const status = decoded?.ok ? decoded.status : undefined;
  const withAddress = report.pods.filter((p) => p.address !== null).length;
  let occupancySource: NodeRow['occupancySource'];
  let prefixes: NodeRow['prefixes'];
  let addresses: NodeRow['addresses'];
  if (report.ec2.available) {
    occupancySource = 'ec2';
    prefixes = prefixCounts(report.prefixes);
    const secondaryUsed = report.secondaryIps.filter((s) => s.state === 'used').length;
    addresses = { used: report.prefixes.reduce((n, p) => n + p.used, 0) + secondaryUsed, free: report.warm.count, cooling: report.cooling.count };
  } else if (status && status.mode !== 'unmanaged') {
    occupancySource = 'status-annotation';
    const published = status.prefixes ?? [];
    prefixes = prefixCounts(published);
    const ips = status.secondaryIps;
    addresses = {
      used: published.reduce((n, p) => n + p.used, 0) + (ips?.used.length ?? 0),
      free: published.reduce((n, p) => n + p.free, 0) + (ips?.free.length ?? 0),
      cooling: published.reduce((n, p) => n + p.cooling, 0) + (ips?.cooling.length ?? 0),
    };
  } else {
    occupancySource = 'pods';
    prefixes = null;
    addresses = { used: withAddress, free: null, cooling: null };
  }
  const at = report.statusAnnotation.at;
  return {
    name: report.node.name,
    instanceId: report.node.instanceId,
    instanceType: report.node.instanceType,
    zone: report.node.zone,
    managedBy: report.node.managedBy,
    mode: report.mode.mode,
    modeSource: report.mode.source,
    occupancySource,
    prefixes,
    addresses,
    pods: { withAddress, withoutAddress: report.pods.length - withAddress },
    capacity: { advertised: report.capacity.advertised, deliverable: report.capacity.deliverable, maxPods: report.capacity.maxPods },
    slots: { ...report.slots },
    findings: { count: report.findings.length + crossNodeKinds.length, kinds: [...new Set([...report.findings.map((f) => f.kind), ...crossNodeKinds])] },
    status: {
      present: report.statusAnnotation.present,
      at,
      ageSeconds: at ? Math.max(0, Math.floor((now.getTime() - Date.parse(at)) / 1000)) : null,
      error: report.statusAnnotation.error,
    },
    ec2: { read: report.ec2.available, error: report.ec2.available ? null : report.ec2.error },
  };
}

function prefixCounts(prefixes: ReadonlyArray<{ used: number; cooling: number }>): NonNullable<NodeRow['prefixes']> {
  return {
    attached: prefixes.length,
    full: prefixes.filter((p) => p.used === ADDRESSES_PER_PREFIX).length,
    free: prefixes.filter((p) => p.used === 0 && p.cooling === 0).length,
  };
}

/** Every row of the analysis, cross-node findings counted on each node they involve. */
export function nodeRows(analysis: ClusterAnalysis, nodes: readonly KubeNode[], now: Date): NodeRow[] {
  const crossKinds = new Map<string, string[]>();
  for (const f of analysis.crossNode) for (const n of f.nodes) crossKinds.set(n, [...(crossKinds.get(n) ?? []), f.kind]);
  return analysis.reports.map((r, i) => nodeRow(r, nodes[i]!, crossKinds.get(r.node.name) ?? [], now));
}

export function totalsOf(rows: readonly NodeRow[]): NodeTotals {
  const sum = (f: (r: NodeRow) => number | null | undefined) => rows.reduce((n, r) => n + (f(r) ?? 0), 0);
  const known = (f: (r: NodeRow) => number | null | undefined) => (rows.some((r) => f(r) !== null && f(r) !== undefined) ? Math.max(0, sum(f)) : null);
  return {
    nodes: rows.length,
    byManager: {
      winprefix: rows.filter((r) => r.managedBy === 'winprefix').length,
      awsVpcResourceController: rows.filter((r) => r.managedBy === 'aws-vpc-resource-controller').length,
      unknown: rows.filter((r) => r.managedBy === 'unknown').length,
    },
    prefixes: rows.some((r) => r.prefixes) ? { attached: sum((r) => r.prefixes?.attached), full: sum((r) => r.prefixes?.full), free: sum((r) => r.prefixes?.free) } : null,
    addresses: { used: sum((r) => r.addresses.used), free: known((r) => r.addresses.free), cooling: known((r) => r.addresses.cooling) },
    pods: { withAddress: sum((r) => r.pods.withAddress), withoutAddress: sum((r) => r.pods.withoutAddress) },
    capacity: { advertised: known((r) => r.capacity.advertised), deliverable: known((r) => r.capacity.deliverable) },
    findings: sum((r) => r.findings.count),
    nodesWithFindings: rows.filter((r) => r.findings.count > 0).length,
  };
}

export function nodeList(rows: NodeRow[], o: { now: Date; selector: string | null; ec2: boolean }): NodeList {
  return {
    apiVersion: REPORT_API_VERSION,
    kind: NODE_LIST_KIND,
    metadata: { generatedAt: o.now.toISOString(), selector: o.selector, ec2: o.ec2 },
    items: rows,
    totals: totalsOf(rows),
  };
}

/** What `--sort-by` accepts, each with the value it orders by (ascending, as kubectl sorts; unknowns last). */
export const SORT_KEYS = {
  name: (r: NodeRow) => r.name,
  mode: (r: NodeRow) => r.mode,
  'managed-by': (r: NodeRow) => r.managedBy,
  prefixes: (r: NodeRow) => r.prefixes?.attached ?? null,
  'free-prefixes': (r: NodeRow) => r.prefixes?.free ?? null,
  used: (r: NodeRow) => r.addresses.used,
  free: (r: NodeRow) => r.addresses.free,
  cooling: (r: NodeRow) => r.addresses.cooling,
  pods: (r: NodeRow) => r.pods.withAddress,
  waiting: (r: NodeRow) => r.pods.withoutAddress,
  advertised: (r: NodeRow) => r.capacity.advertised,
  deliverable: (r: NodeRow) => r.capacity.deliverable,
  'max-pods': (r: NodeRow) => r.capacity.maxPods,
  findings: (r: NodeRow) => r.findings.count,
  'status-age': (r: NodeRow) => r.status.ageSeconds,
} as const satisfies Record<string, (r: NodeRow) => string | number | null>;

export type SortKey = keyof typeof SORT_KEYS;

export function sortRows(rows: readonly NodeRow[], key: SortKey): NodeRow[] {
  const value = SORT_KEYS[key] as (r: NodeRow) => string | number | null;
  return [...rows].sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    if (va === null || vb === null) return va === vb ? naturalCompare(a.name, b.name) : va === null ? 1 : -1;
    const c = typeof va === 'number' && typeof vb === 'number' ? va - vb : naturalCompare(String(va), String(vb));
    return c || naturalCompare(a.name, b.name);
  });
}
