import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { buildInfo, compareVersions, minNodeFromEngines, runtimeName, runtimeProblem, versionText } from './build-info.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string; engines: { node: string } };

test('run from source, the build info is package.json with an unknown commit', () => {
  assert.deepEqual(buildInfo(), { version: `v${pkg.version}`, commit: 'unknown', minNode: minNodeFromEngines(pkg.engines.node) });
});

test('the lowest Node comes from package.json engines, which must be a plain lower bound', () => {
  assert.equal(minNodeFromEngines('>=22.19'), '22.19');
  assert.equal(minNodeFromEngines('>= 22.19.1'), '22.19.1');
  assert.throws(() => minNodeFromEngines('^22 || ^24'), /write it as ">=MAJOR.MINOR"/);
  assert.throws(() => minNodeFromEngines(undefined), /engines\.node/);
});

test('versions compare by number, missing parts as zero', () => {
  assert.equal(compareVersions('22.19.0', '22.19'), 0);
  assert.equal(compareVersions('v22.9.0', '22.19'), -1);
  assert.equal(compareVersions('24.0.0', '22.19'), 1);
  assert.equal(compareVersions('22.19.1-pre', '22.19'), 1);
});

test('Node older than the lowest supported gets one line saying what it found and what to do', () => {
  const problem = runtimeProblem({ node: '20.20.2', deno: undefined }, '22.19');
  assert.match(problem!, /^winprefix needs Node >= 22\.19 \(found v20\.20\.2\): /);
  assert.doesNotMatch(problem!, /\n/);
  assert.match(problem!, /Deno 2/);
  assert.equal(runtimeProblem({ node: '22.18.0', deno: undefined }, '22.19') !== undefined, true);
  assert.equal(runtimeProblem({ node: '22.19.0', deno: undefined }, '22.19'), undefined);
  assert.equal(runtimeProblem({ node: '24.21.0', deno: undefined }, '22.19'), undefined);
});

test('Deno is judged by its own version, not the Node version it reports', () => {
  assert.equal(runtimeProblem({ node: '20.11.1', deno: '2.9.6' }, '22.19'), undefined);
  assert.match(runtimeProblem({ node: '18.0.0', deno: '1.46.3' }, '22.19')!, /^winprefix needs Deno >= 2 \(found 1\.46\.3\)/);
});

test('version text: one key: value line each', () => {
  assert.equal(
    versionText({ version: 'v1.2.3', commit: 'abc', minNode: '22.19' }, 'Node.js v24.21.0 (linux/x64)'),
    'version: v1.2.3\ncommit:  abc\nruntime: Node.js v24.21.0 (linux/x64)\n',
  );
});

test('logs name the runtime in short: node or deno and its version', () => {
  assert.equal(runtimeName({ node: '24.21.0', deno: undefined }), 'node 24.21.0');
  assert.equal(runtimeName({ node: '26.3.0', deno: '2.9.6' }), 'deno 2.9.6');
});
