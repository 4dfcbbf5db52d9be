/**
 * Benchmark: `kubectl winprefix describe node` on a node with 100 pods against the by-hand baseline an
 * operator would type, `kubectl get node NAME -o json && kubectl get pods -A --field-selector
 * spec.nodeName=NAME -o json`, on one real kube-apiserver and the EC2 simulator, with the real kubectl at
 * the API server's version (test/harness/assets.ts findKubectl).
 *
 * Paired runs: each round runs the baseline and every contender back to back (their order alternating
 * between rounds), so drift on a shared machine hits both halves of a pair alike; the ratio of each pair is
 * taken, and the median ratio reported with its range. Wall time is measured around the process; peak RSS
 * with GNU time (`/usr/bin/time -f %M`); the baseline's peak is the larger of its two kubectl processes.
 * Also printed: the plugin through kubectl's own plugin lookup (`kubectl winprefix ...`), start-up alone
 * (`--help`), sizes. Each contender runs once before the rounds (filling its compile or code cache, as any
 * second run does).
 *
 *   node test/bench/describe.bench.ts [--runs N] [--pods N] [--no-sea]
 *
 * Uses dist/kubectl-winprefix (the packaged executable) when `npm run package` made it, else packages into a
 * temporary folder first (about 30 s); --no-sea skips the executable.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startEc2Simulator } from '../../pkg/ec2sim/server.ts';
import { packagePlugin } from '../../scripts/package.ts';
import { findKubectl } from '../harness/assets.ts';
import { startControlPlane } from '../harness/control-plane.ts';
import { AWS_TEST_ENV, buildPluginBundle, cleanEnv, runProcess, seeder, seedNode, seedPod, worldFor } from '../plugin/scenario.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' }, pods: { type: 'string', default: '100' }, 'no-sea': { type: 'boolean', default: false } } });
const RUNS = Number(values.runs);
const PODS = Number(values.pods);
const GNU_TIME = '/usr/bin/time';

interface Sample {
  ms: number;
  /** Peak resident set in KiB, or NaN without GNU time. */
  rssKiB: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const mib = (kib: number) => (Number.isNaN(kib) ? 'n/a' : `${(kib / 1024).toFixed(0)} MiB`);
const range = (xs: number[], digits = 2) => `${Math.min(...xs).toFixed(digits)}..${Math.max(...xs).toFixed(digits)}`;

const haveTime = existsSync(GNU_TIME);
const scratch: string[] = [];
const tmp = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
};
const rssFile = join(tmp('winprefix-bench-rss-'), 'rss');

/** One process: wall time around it, peak RSS from GNU time. Fails on an exit code outside `ok`. */
async function measure(command: string, args: string[], env: Record<string, string>, ok: number[] = [0]): Promise<Sample> {
  const [cmd, argv] = haveTime ? [GNU_TIME, ['-f', '%M', '-o', rssFile, command, ...args]] : [command, args];
  const t0 = performance.now();
  const r = await runProcess(cmd, argv, env);
  const ms = performance.now() - t0;
  if (!ok.includes(r.code)) throw new Error(`${command} ${args.join(' ')}: exit ${r.code}: ${r.stderr.slice(-500)}`);
  const rssKiB = haveTime ? Number(readFileSync(rssFile, 'utf8').trim().split('\n').at(-1)) : Number.NaN;
  return { ms, rssKiB };
}

const plane = await startControlPlane({ log: () => {} });
const sim = await startEc2Simulator({ world: worldFor(['m5.large']) });
const s = seeder(plane.kubeConfig(), sim.endpoint);
try {
  // A consistent node (exit 0): the IPAM ConfigMap as a cluster running Windows IPAM has it.
  await s.core.createNamespacedConfigMap({
    namespace: 'kube-system',
    body: { metadata: { name: 'amazon-vpc-cni', namespace: 'kube-system' }, data: { 'enable-windows-ipam': 'true', 'enable-windows-prefix-delegation': 'true' } },
  });
  const { eniId } = await seedNode(s, { name: 'win-bench', instance: 1, instanceType: 'm5.large', advertised: 144 });
  const prefixes = await s.ec2.assignPrefixes(eniId, Math.ceil((PODS + 1) / 16));
  const base = (cidr: string) => cidr.split('/')[0]!.split('.').map(Number);
  for (let i = 0; i < PODS; i++) {
    const [a, b, c, d] = base(prefixes[Math.floor(i / 16)]!);
    await seedPod(s, { name: `bench-${i}`, node: 'win-bench', annotation: `${a}.${b}.${c}.${d! + (i % 16)}/32` });
  }

  const bundle = await buildPluginBundle();
  scratch.push(dirname(bundle));
  let executable: string | undefined;
  let archive: string | undefined;
  if (!values['no-sea']) {
    executable = join('dist', 'kubectl-winprefix');
    archive = join('dist', 'winprefix_linux_amd64.tar.gz');
    if (!existsSync(executable) || !existsSync(archive)) {
      const out = tmp('winprefix-bench-pkg-');
      const pkg = await packagePlugin({ outDir: out, releaseBase: 'https://example.invalid', targets: ['linux_amd64'], log: () => {} });
      executable = pkg.executable;
      archive = pkg.archive;
    }
  }
  const kubectl = findKubectl();
  const home = tmp('winprefix-bench-home-');
  // kubectl finds `kubectl-winprefix` on PATH: a symlink to the executable, as krew links it (a shell
  // shim running the bundle with --no-sea).
  const krewBin = join(home, 'bin');
  mkdirSync(krewBin);
  const onPath = join(krewBin, 'kubectl-winprefix');
  if (executable) symlinkSync(resolve(executable), onPath);
  else {
    writeFileSync(onPath, `#!/bin/sh\nexec "${process.execPath}" "${bundle}" "$@"\n`);
    chmodSync(onPath, 0o755);
  }
  const env = cleanEnv({ ...AWS_TEST_ENV, HOME: home, PATH: `${krewBin}:${process.env.PATH ?? ''}` });
  const kc = plane.kubeconfigPath;
  const describeArgs = ['describe', 'node', 'win-bench', '--kubeconfig', kc, '--ec2-endpoint', sim.endpoint, '-o', 'json'];

  const baseline = async (): Promise<Sample> => {
    const node = await measure(kubectl, ['get', 'node', 'win-bench', '-o', 'json', '--kubeconfig', kc], env);
    const pods = await measure(kubectl, ['get', 'pods', '-A', '--field-selector', 'spec.nodeName=win-bench', '-o', 'json', '--kubeconfig', kc], env);
    return { ms: node.ms + pods.ms, rssKiB: Math.max(node.rssKiB, pods.rssKiB) };
  };
  const contenders: Record<string, () => Promise<Sample>> = {
    'bundle: node dist/kubectl-winprefix.js': () => measure(process.execPath, [bundle, ...describeArgs], env),
    ...(executable ? { 'executable (SEA), as krew installs it': () => measure(executable, describeArgs, env) } : {}),
    [`kubectl winprefix (${executable ? 'executable' : 'bundle'} on PATH)`]: () => measure(kubectl, ['winprefix', ...describeArgs], env),
  };
  const startup: Record<string, () => Promise<Sample>> = {
    'bundle --help': () => measure(process.execPath, [bundle, '--help'], env),
    ...(executable ? { 'executable --help': () => measure(executable, ['--help'], env) } : {}),
    'node -e 0 (runtime floor)': () => measure(process.execPath, ['-e', '0'], env),
  };

  for (const run of [baseline, ...Object.values(contenders), ...Object.values(startup)]) await run();
  const baselineSamples: Sample[] = [];
  const pairs: Record<string, Array<{ sample: Sample; base: Sample }>> = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  const startupSamples: Record<string, Sample[]> = Object.fromEntries(Object.keys(startup).map((k) => [k, []]));
  for (let round = 0; round < RUNS; round++) {
    for (const [name, run] of Object.entries(contenders)) {
      // Alternate which half of the pair goes first.
      let base: Sample;
      let sample: Sample;
      if (round % 2 === 0) {
        base = await baseline();
        sample = await run();
      } else {
        sample = await run();
        base = await baseline();
      }
      baselineSamples.push(base);
      pairs[name]!.push({ sample, base });
    }
    for (const [name, run] of Object.entries(startup)) startupSamples[name]!.push(await run());
  }

  console.log(`describe.bench: node with ${PODS} pods, ${RUNS} paired rounds, node ${process.version}, ${kubectl}, GNU time ${haveTime ? 'yes' : 'missing (no RSS)'}`);
  console.log('');
  console.log(`${'contender'.padEnd(44)} ${'wall (median)'.padStart(14)} ${'peak RSS'.padStart(9)} ${'wall / baseline'.padStart(16)} ${'RSS / baseline'.padStart(15)}`);
  console.log(
    `${'baseline: kubectl get node + get pods'.padEnd(44)} ${`${median(baselineSamples.map((x) => x.ms)).toFixed(0)} ms`.padStart(14)} ${mib(median(baselineSamples.map((x) => x.rssKiB))).padStart(9)}`,
  );
  for (const [name, list] of Object.entries(pairs)) {
    const wallRatios = list.map((p) => p.sample.ms / p.base.ms);
    const rssRatios = list.map((p) => p.sample.rssKiB / p.base.rssKiB);
    console.log(
      `${name.padEnd(44)} ${`${median(list.map((p) => p.sample.ms)).toFixed(0)} ms`.padStart(14)} ${mib(median(list.map((p) => p.sample.rssKiB))).padStart(9)} ` +
        `${`${median(wallRatios).toFixed(2)}x`.padStart(16)} ${(haveTime ? `${median(rssRatios).toFixed(2)}x` : 'n/a').padStart(15)}` +
        `   (wall ratios ${range(wallRatios)}${haveTime ? `, RSS ratios ${range(rssRatios)}` : ''})`,
    );
  }
  console.log('');
  for (const [name, list] of Object.entries(startupSamples)) {
    console.log(`${name.padEnd(44)} ${`${median(list.map((x) => x.ms)).toFixed(0)} ms`.padStart(14)} ${mib(median(list.map((x) => x.rssKiB))).padStart(9)}`);
  }
  const chunkDir = bundle.replace(/\.js$/, '.chunks');
  const chunkBytes = existsSync(chunkDir) ? readdirSync(chunkDir).reduce((sum, f) => sum + statSync(join(chunkDir, f)).size, 0) : 0;
  console.log('');
  console.log(`bundle (ESM, minified, entry + chunks)       ${(statSync(bundle).size + chunkBytes).toLocaleString('en')} bytes`);
  if (executable) console.log(`executable (SEA)                             ${statSync(executable).size.toLocaleString('en')} bytes`);
  if (archive) console.log(`archive (tar.gz)                             ${statSync(archive).size.toLocaleString('en')} bytes`);
} finally {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  s.ec2.destroy();
  await sim.close();
  await plane.stop();
}
