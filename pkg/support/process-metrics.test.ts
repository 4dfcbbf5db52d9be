import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRegistry } from './metrics-registry.ts';
import { registerProcessMetrics } from './process-metrics.ts';

const value = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);

test('process metrics report memory and CPU when scraped, CPU as a counter that only goes up', () => {
  const r = createRegistry();
  registerProcessMetrics(r);
  const first = r.render();
  assert.ok(value(first, 'process_resident_memory_bytes') > 10 * 1024 * 1024, 'RSS in bytes');
  assert.ok(value(first, 'nodejs_heap_size_used_bytes') > 0);
  assert.ok(value(first, 'nodejs_heap_size_total_bytes') >= value(first, 'nodejs_heap_size_used_bytes'));
  const startedAt = value(first, 'process_start_time_seconds');
  assert.ok(Math.abs(startedAt - Date.now() / 1000) < 3600, 'a Unix time in seconds, near now');
  let spin = 0;
  for (let deadline = performance.now() + 30; performance.now() < deadline; ) spin++;
  assert.ok(spin > 0);
  const second = r.render();
  assert.ok(value(second, 'process_cpu_seconds_total') > value(first, 'process_cpu_seconds_total'), 'CPU spent between scrapes is added');
  assert.match(second, /^# TYPE process_cpu_seconds_total counter$/m);
});
