/**
 * Runs the benchmarks in test/bench/ one after another and prints their figures.
 * Usage: node scripts/bench.ts [name ...]   (name = file stem, e.g. `pool`, `ec2-simulator`)
 * Benchmarks measure; they never fail on a threshold. Each one is also runnable on its own:
 * `node test/bench/<name>.bench.ts`.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const wanted = process.argv.slice(2);
const files = readdirSync('test/bench')
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.includes(f.replace(/\.bench\.ts$/, '')))
  .sort();
if (files.length === 0) {
  console.error(`no benchmark matches ${wanted.join(', ')}; see test/bench/`);
  process.exit(2);
}
let failed = 0;
for (const file of files) {
  console.log(`\n### ${file}`);
  const r = spawnSync(process.execPath, [`test/bench/${file}`], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.error(`${file} did not finish (exit ${r.status ?? r.signal})`);
  }
}
process.exit(failed === 0 ? 0 : 1);
