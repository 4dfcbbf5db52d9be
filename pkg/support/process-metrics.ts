/**
 * @module
 * The process's own series under the names Prometheus client libraries use (process_*, nodejs_*), read
 * when scraped: what a dashboard needs to tell a leak from load, and what the benchmark reads.
 */
import type { MetricsRegistry } from './metrics-registry.ts';

export function registerProcessMetrics(r: MetricsRegistry): void {
  const rss = r.gauge({ name: 'process_resident_memory_bytes', help: 'Resident memory size in bytes' });
  const cpu = r.counter({ name: 'process_cpu_seconds_total', help: 'User and system CPU time spent in seconds' });
  const start = r.gauge({ name: 'process_start_time_seconds', help: 'Start time of the process since the Unix epoch in seconds' });
  const heapUsed = r.gauge({ name: 'nodejs_heap_size_used_bytes', help: 'JavaScript heap in use in bytes' });
  const heapTotal = r.gauge({ name: 'nodejs_heap_size_total_bytes', help: 'JavaScript heap reserved in bytes' });
  const external = r.gauge({ name: 'nodejs_external_memory_bytes', help: 'Memory of C++ objects bound to JavaScript objects in bytes' });
  start.set({}, Math.round((Date.now() - performance.now()) / 1000));
  let cpuSeen = 0;
  r.beforeRender(() => {
    const m = process.memoryUsage();
    rss.set({}, m.rss);
    heapUsed.set({}, m.heapUsed);
    heapTotal.set({}, m.heapTotal);
    external.set({}, m.external);
    const u = process.cpuUsage();
    const seconds = (u.user + u.system) / 1e6;
    // A counter only goes up: add what was spent since the last scrape.
    if (seconds > cpuSeen) cpu.inc({}, seconds - cpuSeen);
    cpuSeen = Math.max(cpuSeen, seconds);
  });
}
