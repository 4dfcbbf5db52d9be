/**
 * docs/grafana-dashboard.json against the series this module declares: valid JSON Grafana can import,
 * and every metric a query reads is one the controller exposes, so a renamed series fails here
 * instead of leaving an empty panel. (test/controller/metrics.test.ts parses every query with promtool.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dashboardQueries, declaredMetricFamilies as declaredFamilies, loadDashboard, metricNames } from '../../test/harness/dashboard.ts';

function histogramsOf(families: Map<string, string>): Set<string> {
  return new Set([...families].filter(([, type]) => type === 'histogram').map(([name]) => name));
}

test('the dashboard is importable: JSON with a uid, a Prometheus datasource variable, and panels on a 24-column grid', () => {
  const d = loadDashboard();
  assert.equal(typeof d.title, 'string');
  assert.equal(d.uid, 'winprefix-ipam');
  assert.ok(Number.isInteger(d.schemaVersion));
  const vars = d.templating?.list ?? [];
  const ds = vars.find((v) => v.name === 'datasource') as { type?: string; query?: string } | undefined;
  assert.deepEqual([ds?.type, ds?.query], ['datasource', 'prometheus'], 'a datasource variable, so the importer picks their Prometheus');
  const text = JSON.stringify(d);
  assert.doesNotMatch(text, /"uid":"(?!\$\{datasource\}|winprefix-ipam)[^"]*"/, 'no hard-coded datasource uid');
  const ids = new Set<number>();
  for (const p of d.panels as Array<{ id: number; type: string; title: string; gridPos: { x: number; y: number; w: number; h: number }; datasource?: { uid?: string }; targets?: unknown[] }>) {
    assert.ok(!ids.has(p.id), `panel id ${p.id} is unique`);
    ids.add(p.id);
    assert.ok(p.gridPos.x >= 0 && p.gridPos.w > 0 && p.gridPos.x + p.gridPos.w <= 24, `${p.title} fits the 24-column grid`);
    if (p.type === 'row') continue;
    assert.equal(p.datasource?.uid, '${datasource}', `${p.title} uses the datasource variable`);
    assert.ok((p.targets ?? []).length > 0, `${p.title} has a query`);
  }
});

test('every metric the dashboard queries is declared in pkg/controller/metrics.ts or pkg/support/process-metrics.ts', () => {
  const families = declaredFamilies();
  const histograms = histogramsOf(families);
  const queries = dashboardQueries();
  assert.ok(queries.length >= 20, `the dashboard has its queries (found ${queries.length})`);
  const unknown: string[] = [];
  for (const q of queries) {
    const names = metricNames(q.expr, histograms);
    assert.ok(names.length > 0, `${q.panel} ${q.refId} reads a series of the controller's: ${q.expr}`);
    for (const name of names) if (!families.has(name)) unknown.push(`${q.panel}: ${name}`);
  }
  const variables = loadDashboard().templating?.list ?? [];
  for (const v of variables) for (const name of metricNames(v.definition ?? '', histograms)) if (!families.has(name)) unknown.push(`variable $${v.name}: ${name}`);
  assert.deepEqual(unknown, [], 'rename the series in docs/grafana-dashboard.json too (and in docs/controller.md)');
  // Histograms are read through their buckets with histogram_quantile, never as plain series.
  for (const q of queries) {
    for (const h of histograms) {
      if (q.expr.includes(h)) assert.match(q.expr, new RegExp(`histogram_quantile\\(.*${h}_bucket`), `${q.panel} reads ${h} through its buckets`);
    }
  }
});

test('each series the SRE panels need is on the dashboard', (t) => {
  const families = declaredFamilies();
  const used = new Set(dashboardQueries().flatMap((q) => metricNames(q.expr, histogramsOf(families))));
  for (const name of ['winprefix_quarantined_addresses', 'winprefix_ec2_resyncs_total', 'winprefix_ec2_contradictions_total', 'winprefix_ec2_resync_pass_duration_seconds', 'winprefix_pod_annotation_latency_seconds', 'winprefix_allocation_failures_total', 'winprefix_ec2_calls_total', 'winprefix_ec2_errors_total', 'winprefix_ec2_call_duration_seconds', 'winprefix_node_addresses', 'winprefix_node_capacity', 'winprefix_queue_depth', 'winprefix_reconcile_total', 'winprefix_leader', 'process_resident_memory_bytes', 'winprefix_heap_live_bytes']) {
    assert.ok(used.has(name), `${name} has a panel`);
  }
  const notShown = [...families.keys()].filter((f) => !used.has(f));
  if (notShown.length > 0) t.diagnostic(`declared but on no panel: ${notShown.join(', ')}`);
});
