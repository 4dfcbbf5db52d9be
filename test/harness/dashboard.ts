/**
 * @module
 * The shipped Grafana dashboard (docs/grafana-dashboard.json) as the tests read it: every query with
 * its panel, Grafana's template variables replaced so a Prometheus parser accepts the text, and the
 * metric names each query reads; and the families pkg/controller/metrics.ts and the process's own series
 * (pkg/support/process-metrics.ts) declare, to hold both the dashboard and the live exposition to.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createRegistry } from '../../pkg/support/metrics-registry.ts';
import { createControllerMetrics } from '../../pkg/controller/metrics.ts';
import { registerProcessMetrics } from '../../pkg/support/process-metrics.ts';

export const DASHBOARD_PATH = join(resolve(import.meta.dirname, '../..'), 'docs', 'grafana-dashboard.json');

export interface DashboardQuery {
  panel: string;
  refId: string;
  /** As written in the dashboard, with Grafana variables. */
  expr: string;
}

interface Panel {
  title?: string;
  type?: string;
  panels?: Panel[];
  targets?: Array<{ expr?: string; refId?: string }>;
}

/** Parses the file (throws with the JSON error when it is not JSON). */
export function loadDashboard(path = DASHBOARD_PATH): { panels: Panel[]; templating?: { list?: Array<{ name: string; definition?: string; query?: unknown }> } } & Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** Every panel query, rows' nested panels included. */
export function dashboardQueries(dashboard = loadDashboard()): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  const walk = (panels: Panel[] | undefined) => {
    for (const p of panels ?? []) {
      for (const t of p.targets ?? []) if (t.expr) out.push({ panel: p.title ?? '(untitled)', refId: t.refId ?? '', expr: t.expr });
      walk(p.panels);
    }
  };
  walk(dashboard.panels);
  return out;
}

/** Grafana's variables as a Prometheus parser needs them: a node regex that matches all, a fixed range. */
export function asPromql(expr: string): string {
  return expr.replaceAll('$__rate_interval', '5m').replaceAll('$__interval', '1m').replaceAll('$__range', '1h').replaceAll('$node', '.*');
}

/** Metric names a query reads, histogram series (_bucket, _sum, _count) folded to their family. */
export function metricNames(expr: string, histograms: ReadonlySet<string>): string[] {
  const names = new Set<string>();
  for (const m of expr.matchAll(/\b((?:winprefix|process|nodejs)_[a-z0-9_]+)\b/g)) {
    const name = m[1]!;
    const family = name.replace(/_(bucket|sum|count)$/, '');
    names.add(family !== name && histograms.has(family) ? family : name);
  }
  return [...names];
}

/** Name -> type of every family the controller's registry holds (its metrics and the process's), read from the registry. */
export function declaredMetricFamilies(): Map<string, string> {
  const registry = createRegistry();
  createControllerMetrics(registry);
  registerProcessMetrics(registry);
  return new Map([...registry.render().matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
}
