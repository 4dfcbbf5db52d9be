/**
 * Bundles dist/ (as npm test does), then runs the benchmarks in test/bench/ one after another and prints their figures.
 * Usage: node scripts/bench.ts [name ...]   (name = file stem, e.g. `pool`, `ec2-simulator`)
 * Benchmarks measure; they never fail on a threshold. Each one is also runnable on its own:
 * `node test/bench/<name>.bench.ts`.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { build, ENTRY_POINTS } from './build.ts';

const wanted = process.argv.slice(2);
const all = readdirSync('test/bench').filter((f) => f.endsWith('.bench.ts')).sort();
const names = all.map((f) => f.replace(/\.bench\.ts$/, ''));
const unknown = wanted.filter((w) => !names.includes(w));
if (unknown.length > 0) {
  console.error(`no benchmark named ${unknown.join(', ')}; known: ${names.join(', ')} (to pass options, run one file: node test/bench/NAME.bench.ts, options in its header)`);
  process.exit(2);
}
const files = all.filter((f, i) => wanted.length === 0 || wanted.includes(names[i]!));
// The controller benchmark runs dist/controller.js: bundle the working tree first, as npm test does.
await build(ENTRY_POINTS, { minify: false });
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
