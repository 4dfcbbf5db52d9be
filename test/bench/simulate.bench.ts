/**
 * Benchmark: run time of `kubectl winprefix simulate --pods 0..110` on a 224-address node
 * (c5.xlarge: 15 addresses per ENI, 14 slots, 14 * 16 = 224 in prefix mode).
 *   node test/bench/simulate.bench.ts [--runs N]
 *
 * Measures the pure simulation (111 independent node runs, 0 to 110 pods each, real pool code)
 * and the whole command through main() with JSON output, each as the median of --runs runs.
 */
import { parseArgs } from 'node:util';
import { bundledInstanceLimits } from '../../pkg/core/ec2/instance-limits.ts';
import { main } from '../../plugin/main.ts';
import { clusterConfigFor, parsePodCounts } from '../../plugin/simulate/inputs.ts';
import { simulate } from '../../plugin/simulate/simulate.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' } } });
const RUNS = Number(values.runs);
const limits = bundledInstanceLimits('c5.xlarge');
if (!limits) throw new Error('c5.xlarge missing from the bundled table');

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function time(fn: () => unknown): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const podCounts = parsePodCounts('0..110');
const cluster = clusterConfigFor(undefined, { mode: undefined, warmIPTarget: undefined, minimumIPTarget: undefined, warmPrefixTarget: undefined });
const first = time(() => simulate({ limits, cluster, podCounts }));
const pure: number[] = [];
for (let i = 0; i < RUNS; i++) pure.push(time(() => simulate({ limits, cluster, podCounts })));

const io = { stdout: () => {}, stderr: (t: string) => process.stderr.write(t), env: {}, stdoutIsTTY: false, now: () => new Date() };
const argv = ['simulate', '--instance-type', 'c5.xlarge', '--pods', '0..110', '-o', 'json'];
const command: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const t0 = process.hrtime.bigint();
  const code = await main(argv, io);
  command.push(Number(process.hrtime.bigint() - t0) / 1e6);
  if (code !== 0) throw new Error(`simulate exited ${code}`);
}

console.log(`simulate.bench: --pods 0..110 on c5.xlarge (224 addresses), ${RUNS} runs, node ${process.version}`);
console.log(`simulate() first run (cold)      ${first.toFixed(1).padStart(7)} ms`);
console.log(`simulate() median                ${median(pure).toFixed(1).padStart(7)} ms  (min ${Math.min(...pure).toFixed(1)}, max ${Math.max(...pure).toFixed(1)})`);
console.log(`main(simulate ... -o json) median ${median(command).toFixed(1).padStart(6)} ms  (min ${Math.min(...command).toFixed(1)}, max ${Math.max(...command).toFixed(1)})`);
