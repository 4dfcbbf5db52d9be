/**
 * The whole test suite, as CI runs it: type-check, bundle, get a real kube-apiserver and etcd,
 * then every node:test file. Usage: node scripts/test.ts [--unit] [extra node --test args]
 *   --unit   only the pure tests (no bundles, no control plane): seconds.
 */
import { spawnSync } from 'node:child_process';
import { build, ENTRY_POINTS } from './build.ts';
import { resolveControlPlaneAssets } from '../test/harness/assets.ts';
import { resolvePromtool } from '../test/harness/promtool.ts';

const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const passThrough = args.filter((a) => a !== '--unit');

function run(cmd: string, cmdArgs: string[], env: NodeJS.ProcessEnv = process.env): void {
  const r = spawnSync(cmd, cmdArgs, { stdio: 'inherit', env });
  if (r.status !== 0) {
    console.error(`\n${cmd} ${cmdArgs.join(' ')} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
}

const step = (what: string) => console.error(`\n== ${what}`);

step('type-check (tsc --noEmit; the core again without Node types)');
run('tsc', ['--noEmit', '-p', 'tsconfig.json']);
run('tsc', ['--noEmit', '-p', 'pkg/core/tsconfig.json']);

const unitGlobs = ['pkg/**/*.test.ts', 'plugin/**/*.test.ts', 'scripts/**/*.test.ts'];
const allGlobs = [...unitGlobs, 'test/**/*.test.ts'];
const env = { ...process.env };
if (!unitOnly) {
  step('bundle (esbuild)');
  await build(ENTRY_POINTS, { minify: false });
  step('control-plane binaries (kube-apiserver, etcd)');
  // The binaries are found or built once here, not by each test file; every file then finds them at once.
  const assets = await resolveControlPlaneAssets({ log: (line) => console.error(line) }).catch((err: unknown) => {
    console.error(`\ncannot run the integration tests: ${(err as Error).message}`);
    process.exit(1);
  });
  env.KUBEBUILDER_ASSETS = assets.dir;
  if (assets.kubeApiserver) env.TEST_ASSET_KUBE_APISERVER = assets.kubeApiserver;
  if (assets.etcd) env.TEST_ASSET_ETCD = assets.etcd;
  step('promtool (Prometheus\'s checker, for the /metrics and dashboard tests)');
  const promtool = await resolvePromtool({ log: (line) => console.error(line) });
  if ('path' in promtool) {
    env.PROMTOOL = promtool.path;
    console.error(`${promtool.version} (${promtool.source})`);
  } else {
    // The tests that need it skip and print this reason; everything else still runs.
    console.error(`promtool unavailable, its tests will skip: ${promtool.skip}`);
  }
}

step(unitOnly ? 'unit tests' : 'all tests');
// Two files at once: each integration file runs its own etcd + kube-apiserver, and CI has 2 cores.
run(process.execPath, ['--test', '--test-reporter=spec', '--test-concurrency=2', ...passThrough, ...(unitOnly ? unitGlobs : allGlobs)], env);
