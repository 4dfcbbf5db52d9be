/**
 * @module
 * Measures the test control plane: start-up, stop and memory over N runs (docs/testing.md quotes it).
 * Usage: node test/harness/measure-startup.ts [RUNS]   (default 5)
 */
import { execFileSync } from 'node:child_process';
import { startControlPlane } from './control-plane.ts';

const runs = Number(process.argv[2] ?? 5);
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`RUNS must be a positive integer, got "${process.argv[2]}"`);
  process.exit(2);
}
const starts: number[] = [];
const stops: number[] = [];
for (let i = 0; i < runs; i++) {
  const plane = await startControlPlane({ log: (line) => console.error(line.replace(/; dir .*\)$/, ')')) });
  const rss = execFileSync('ps', ['-o', 'rss=,comm=', '-p', `${plane.pids.etcd},${plane.pids.kubeApiserver}`], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .map(([kb, name]) => `${name} ${Math.round(Number(kb) / 1024)} MiB`)
    .join(', ');
  const t = performance.now();
  await plane.stop();
  const stopMs = Math.round(performance.now() - t);
  starts.push(plane.startupMs);
  stops.push(stopMs);
  console.log(`run ${i + 1}: start ${plane.startupMs} ms, stop ${stopMs} ms, RSS ${rss}`);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `start median ${median(starts)} ms (min ${Math.min(...starts)}, max ${Math.max(...starts)}); ` +
    `stop median ${median(stops)} ms`,
);
