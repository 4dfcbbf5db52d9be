import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRegistry } from './metrics-registry.ts';

test('counter, gauge and histogram render in Prometheus text format with HELP and TYPE', () => {
  const r = createRegistry();
  const calls = r.counter({ name: 'winprefix_ec2_calls_total', help: 'EC2 calls by action.', labelNames: ['action'] });
  const free = r.gauge({ name: 'winprefix_node_addresses', help: 'Addresses per node and state.', labelNames: ['node', 'state'] });
  const lat = r.histogram({ name: 'winprefix_pod_ip_latency_seconds', help: 'Pod creation to annotation.', labelNames: [], buckets: [1, 0.1] });
  calls.inc({ action: 'AssignPrivateIpAddresses' });
  calls.inc({ action: 'AssignPrivateIpAddresses' }, 2);
  free.set({ node: 'n1', state: 'warm' }, 14);
  free.inc({ node: 'n1', state: 'used' });
  free.dec({ node: 'n1', state: 'used' }, 3);
  lat.observe({}, 0.05);
  lat.observe({}, 0.5);
  lat.observe({}, 7);
  assert.equal(
    r.render(),
    [
      '# HELP winprefix_ec2_calls_total EC2 calls by action.',
      '# TYPE winprefix_ec2_calls_total counter',
      'winprefix_ec2_calls_total{action="AssignPrivateIpAddresses"} 3',
      '# HELP winprefix_node_addresses Addresses per node and state.',
      '# TYPE winprefix_node_addresses gauge',
      'winprefix_node_addresses{node="n1",state="warm"} 14',
      'winprefix_node_addresses{node="n1",state="used"} -2',
      '# HELP winprefix_pod_ip_latency_seconds Pod creation to annotation.',
      '# TYPE winprefix_pod_ip_latency_seconds histogram',
      'winprefix_pod_ip_latency_seconds_bucket{le="0.1"} 1',
      'winprefix_pod_ip_latency_seconds_bucket{le="1"} 2',
      'winprefix_pod_ip_latency_seconds_bucket{le="+Inf"} 3',
      'winprefix_pod_ip_latency_seconds_sum 7.55',
      'winprefix_pod_ip_latency_seconds_count 3',
      '',
    ].join('\n'),
  );
});

test('label values and help text are escaped; unlabelled metrics start at 0; remove drops a series', () => {
  const r = createRegistry();
  const g = r.gauge({ name: 'g', help: 'a \\ back\nslash', labelNames: ['v'] });
  g.set({ v: 'quote" back\\ nl\n' }, 1);
  g.set({ v: 'gone' }, 2);
  g.remove({ v: 'gone' });
  r.counter({ name: 'c_total', help: 'h' });
  const text = r.render();
  assert.match(text, /# HELP g a \\\\ back\\nslash\n/);
  assert.ok(text.includes('g{v="quote\\" back\\\\ nl\\n"} 1\n'));
  assert.ok(!text.includes('gone'));
  assert.ok(text.includes('c_total 0\n'));
});

test('a gauge absent until set has no sample before its first set(), then one', () => {
  const r = createRegistry();
  const g = r.gauge({ name: 'live_bytes', help: 'h', absentUntilSet: true });
  assert.equal(r.render(), '# HELP live_bytes h\n# TYPE live_bytes gauge\n');
  g.set({}, 42);
  assert.ok(r.render().includes('\nlive_bytes 42\n'));
});

test('a labelled histogram puts le after its own labels, escaped values and all', () => {
  const r = createRegistry();
  const h = r.histogram({ name: 'h_seconds', help: 'h', labelNames: ['action', 'node'], buckets: [0.5] });
  h.observe({ node: 'a"b', action: 'Assign' }, 0.25);
  assert.equal(
    r.render(),
    [
      '# HELP h_seconds h',
      '# TYPE h_seconds histogram',
      'h_seconds_bucket{action="Assign",node="a\\"b",le="0.5"} 1',
      'h_seconds_bucket{action="Assign",node="a\\"b",le="+Inf"} 1',
      'h_seconds_sum{action="Assign",node="a\\"b"} 0.25',
      'h_seconds_count{action="Assign",node="a\\"b"} 1',
      '',
    ].join('\n'),
  );
});

test('mistakes fail loudly: duplicate names, unknown or missing labels, negative counter increments, bad names', () => {
  const r = createRegistry();
  const c = r.counter({ name: 'x_total', help: 'h', labelNames: ['a'] });
  assert.throws(() => r.counter({ name: 'x_total', help: 'h' }), /already registered/);
  assert.throws(() => c.inc({ b: '1' }), /no label "b"/);
  assert.throws(() => c.inc({}), /needs a value for label "a"/);
  assert.throws(() => c.inc({ a: '1' }, -1), /only go up/);
  assert.throws(() => r.gauge({ name: 'bad-name', help: 'h' }), /invalid metric name/);
  assert.throws(() => r.histogram({ name: 'h', help: 'h', labelNames: ['le'], buckets: [1] }), /invalid label name "le"/);
  assert.throws(() => r.histogram({ name: 'h2', help: 'h', buckets: [1, 2, 1] }), /bucket bound twice/);
});

test('names promtool check metrics would flag are refused when the metric is created', () => {
  const r = createRegistry();
  const refused: Array<[() => unknown, RegExp]> = [
    [() => r.counter({ name: 'winprefix_ec2_calls', help: 'h' }), /must end in "_total"/],
    [() => r.gauge({ name: 'winprefix_pods_total', help: 'h' }), /must not end in "_total"/],
    [() => r.gauge({ name: 'winprefix_pods_count', help: 'h' }), /must not end in "_count"/],
    [() => r.gauge({ name: 'winprefix_latency_ms', help: 'h' }), /abbreviates a unit/],
    [() => r.histogram({ name: 'winprefix_latency_milliseconds', help: 'h', buckets: [1] }), /base unit "seconds"/],
    [() => r.gauge({ name: 'winprefix_uptime_hours', help: 'h' }), /base unit "seconds"/],
    [() => r.gauge({ name: 'winprefix_queue_gauge', help: 'h' }), /names its type "gauge"/],
    [() => r.gauge({ name: 'winprefixQueueDepth', help: 'h' }), /snake_case/],
    [() => r.gauge({ name: 'winprefix:queue_depth', help: 'h' }), /recording rules/],
    [() => r.gauge({ name: 'winprefix_queue_depth', help: ' ' }), /no help text/],
    [() => r.gauge({ name: 'winprefix_x', help: 'h', labelNames: ['quantile'] }), /invalid label name "quantile"/],
    [() => r.gauge({ name: 'winprefix_y', help: 'h', labelNames: ['nodeName'] }), /invalid label name "nodeName"/],
    [() => r.gauge({ name: 'winprefix_z', help: 'h', labelNames: ['node', 'node'] }), /listed twice/],
  ];
  for (const [make, says] of refused) assert.throws(make, says);
  // Allowed: base units; "_sum" inside a name; a one-letter first word (promtool looks for "_h", not "h").
  assert.doesNotThrow(() => r.histogram({ name: 'winprefix_ec2_call_duration_seconds', help: 'h', buckets: [1] }));
  assert.doesNotThrow(() => r.counter({ name: 'winprefix_checksum_errors_total', help: 'h' }));
  assert.doesNotThrow(() => r.gauge({ name: 'h', help: 'h' }));
});

test('beforeRender collectors run on every render, before the families are written', () => {
  const r = createRegistry();
  const g = r.gauge({ name: 'scraped_value', help: 'A value read when scraped' });
  let reads = 0;
  r.beforeRender(() => g.set({}, ++reads));
  assert.match(r.render(), /^scraped_value 1$/m);
  assert.match(r.render(), /^scraped_value 2$/m);
});
