/**
 * Benchmark: `kubectl winprefix describe node` on a node with 100 pods, against the by-hand baseline
 * `kubectl get node NAME -o json` followed by `kubectl get pods --field-selector spec.nodeName=NAME -o json`,
 * in one run on one real kube-apiserver and the EC2 simulator; start-up of the bundle and of the packaged
 * executable; executable and archive sizes.
 *   node test/bench/describe.bench.ts [--runs N] [--pods N]
 * Uses dist/kubectl-winprefix and dist/winprefix_linux_amd64.tar.gz when `npm run package` made them,
 * else packages into a temporary folder first (about 30 s).
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { startEc2Simulator } from '../../pkg/ec2sim/server.ts';
import { packagePlugin } from '../../scripts/package.ts';
import { findKubectl } from '../harness/assets.ts';
import { startControlPlane } from '../harness/control-plane.ts';
import { AWS_TEST_ENV, buildPluginBundle, cleanEnv, runPlugin, runProcess, seeder, seedNode, seedPod, worldFor } from '../plugin/scenario.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' }, pods: { type: 'string', default: '100' } } });
const RUNS = Number(values.runs);
const PODS = Number(values.pods);

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
const fmt = (ms: number) => `${ms.toFixed(0).padStart(6)} ms`;
const summary = (samples: number[]) => `${fmt(median(samples))}  (min ${Math.min(...samples).toFixed(0)}, max ${Math.max(...samples).toFixed(0)})`;

async function timed(run: () => Promise<{ code: number; stderr: string }>, okCodes: number[] = [0]): Promise<number> {
  const t0 = performance.now();
  const r = await run();
  const ms = performance.now() - t0;
  if (!okCodes.includes(r.code)) throw new Error(`exit ${r.code}: ${r.stderr}`);
  return ms;
}

const plane = await startControlPlane({ log: () => {} });
const sim = await startEc2Simulator({ world: worldFor(['m5.large']) });
const s = seeder(plane.kubeConfig(), sim.endpoint);
const scratch: string[] = [];
try {
  const { eniId } = await seedNode(s, { name: 'win-bench', instance: 1, instanceType: 'm5.large', advertised: 144 });
  const prefixes = await s.ec2.assignPrefixes(eniId, Math.ceil((PODS + 1) / 16));
  const base = (cidr: string) => cidr.split('/')[0]!.split('.').map(Number);
  for (let i = 0; i < PODS; i++) {
    const [a, b, c, d] = base(prefixes[Math.floor(i / 16)]!);
    await seedPod(s, { name: `bench-${i}`, node: 'win-bench', annotation: `${a}.${b}.${c}.${d! + (i % 16)}/32` });
  }

  const bundle = await buildPluginBundle();
  scratch.push(dirname(bundle));
  let executable = join('dist', 'kubectl-winprefix');
  let archive = join('dist', 'winprefix_linux_amd64.tar.gz');
  if (!existsSync(executable) || !existsSync(archive)) {
    const out = mkdtempSync(join(tmpdir(), 'winprefix-bench-pkg-'));
    scratch.push(out);
    const pkg = await packagePlugin({ outDir: out, releaseBase: 'https://example.invalid', targets: ['linux_amd64'], log: () => {} });
    executable = pkg.executable;
    archive = pkg.archive;
  }
  const kubectl = findKubectl();
  const home = mkdtempSync(join(tmpdir(), 'winprefix-bench-home-'));
  scratch.push(home);
  const env = cleanEnv({ ...AWS_TEST_ENV, HOME: home });
  const kc = plane.kubeconfigPath;
  const describeArgs = ['describe', 'node', 'win-bench', '--kubeconfig', kc, '--ec2-endpoint', sim.endpoint, '-o', 'json'];

  // One warm-up of each, then interleaved runs so drift hits every contender alike.
  const contenders: Record<string, () => Promise<number>> = {
    'kubectl get node + get pods (baseline)': async () =>
      (await timed(() => runProcess(kubectl, ['get', 'node', 'win-bench', '-o', 'json', '--kubeconfig', kc], env))) +
      (await timed(() => runProcess(kubectl, ['get', 'pods', '-A', '--field-selector', 'spec.nodeName=win-bench', '-o', 'json', '--kubeconfig', kc], env))),
    'node bundle describe node -o json': () => timed(() => runProcess(process.execPath, [bundle, ...describeArgs], env)),
    'SEA executable describe node -o json': () => timed(() => runProcess(executable, describeArgs, env)),
    'in-process describe node (no start-up)': () => timed(() => runPlugin(describeArgs)),
    'node bundle --help (start-up)': () => timed(() => runProcess(process.execPath, [bundle, '--help'], env)),
    'SEA executable --help (start-up)': () => timed(() => runProcess(executable, ['--help'], env)),
    'node -e 0 (runtime floor)': () => timed(() => runProcess(process.execPath, ['-e', '0'], env)),
  };
  Object.assign(process.env, AWS_TEST_ENV);
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  for (const run of Object.values(contenders)) await run();
  for (let i = 0; i < RUNS; i++) {
    for (const [name, run] of Object.entries(contenders)) samples[name]!.push(await run());
  }

  const baseline = median(samples['kubectl get node + get pods (baseline)']!);
  console.log(`describe.bench: node with ${PODS} pods, ${RUNS} runs each (median, min, max), node ${process.version}, kubectl ${kubectl}`);
  for (const [name, list] of Object.entries(samples)) console.log(`${name.padEnd(42)} ${summary(list)}`);
  console.log(`ratio node bundle / baseline              ${(median(samples['node bundle describe node -o json']!) / baseline).toFixed(2)}`);
  console.log(`ratio SEA executable / baseline           ${(median(samples['SEA executable describe node -o json']!) / baseline).toFixed(2)}`);
  // The bundle is a small entry plus chunks beside it (scripts/build.ts ENTRY_OPTIONS): count them all.
  const chunkDir = bundle.replace(/\.js$/, '.chunks');
  const chunkBytes = existsSync(chunkDir) ? readdirSync(chunkDir).reduce((sum, f) => sum + statSync(join(chunkDir, f)).size, 0) : 0;
  console.log(`bundle (ESM, minified, entry + chunks)    ${(statSync(bundle).size + chunkBytes).toLocaleString('en')} bytes`);
  console.log(`SEA executable                            ${statSync(executable).size.toLocaleString('en')} bytes`);
  console.log(`archive (tar.gz)                          ${statSync(archive).size.toLocaleString('en')} bytes`);
} finally {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  s.ec2.destroy();
  await sim.close();
  await plane.stop();
}
