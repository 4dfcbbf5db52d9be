/**
 * @module
 * The binary lookup order (envtest's), the cache folder, the error without Go, and build-assets.sh's progress
 * filter (diagnostics printed, package names counted).
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assetCacheDir, findKubectl, MissingAssetsError, pinnedVersions, resolveControlPlaneAssets } from './assets.ts';

const VARS = ['TEST_ASSET_KUBE_APISERVER', 'TEST_ASSET_ETCD', 'TEST_ASSET_KUBECTL', 'KUBEBUILDER_ASSETS', 'WINPREFIX_CACHE_DIR', 'PATH'];

function fakeBinary(dir: string, name: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, '#!/bin/sh\nexit 0\n');
  chmodSync(path, 0o755);
  return path;
}

describe('binary lookup', () => {
  let scratch = '';
  let saved: Record<string, string | undefined> = {};
  beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), 'winprefix-assets-test-'));
    saved = Object.fromEntries(VARS.map((v) => [v, process.env[v]]));
    for (const v of VARS) delete process.env[v];
    process.env.PATH = join(scratch, 'empty-path');
    process.env.WINPREFIX_CACHE_DIR = join(scratch, 'cache');
  });
  afterEach(() => {
    for (const v of VARS) {
      if (saved[v] === undefined) delete process.env[v];
      else process.env[v] = saved[v];
    }
    rmSync(scratch, { recursive: true, force: true });
  });

  test('the cache folder is keyed by the pinned versions', () => {
    const { kubernetes, etcd } = pinnedVersions();
    assert.equal(kubernetes, 'v1.36.3');
    assert.equal(etcd, 'v3.6.8');
    assert.equal(assetCacheDir(), join(scratch, 'cache', 'envtest', `k8s-v1.36.3-etcd-v3.6.8-linux-${process.arch === 'x64' ? 'amd64' : process.arch}`));
  });

  test('TEST_ASSET_* wins over KUBEBUILDER_ASSETS, which wins over the cache', async () => {
    const cached = [fakeBinary(assetCacheDir(), 'kube-apiserver'), fakeBinary(assetCacheDir(), 'etcd')];
    assert.deepEqual(await resolveControlPlaneAssets({}), { dir: assetCacheDir(), kubeApiserver: cached[0], etcd: cached[1] });

    const kb = join(scratch, 'kb');
    const kbBins = [fakeBinary(kb, 'kube-apiserver'), fakeBinary(kb, 'etcd')];
    process.env.KUBEBUILDER_ASSETS = kb;
    assert.deepEqual(await resolveControlPlaneAssets({}), { dir: kb, kubeApiserver: kbBins[0], etcd: kbBins[1] });

    const own = fakeBinary(join(scratch, 'own'), 'my-etcd');
    process.env.TEST_ASSET_ETCD = own;
    assert.deepEqual(await resolveControlPlaneAssets({}), { dir: kb, kubeApiserver: kbBins[0], etcd: own });
  });

  test('a TEST_ASSET_* path that is not an executable file is an error naming it', async () => {
    process.env.TEST_ASSET_KUBE_APISERVER = join(scratch, 'missing');
    await assert.rejects(resolveControlPlaneAssets({}), (err: unknown) => {
      assert.ok(err instanceof MissingAssetsError);
      assert.match(err.message, /TEST_ASSET_KUBE_APISERVER=.*missing is not an executable file/);
      return true;
    });
  });

  test('without binaries and without Go, the error says so and how to provide them', async () => {
    fakeBinary(assetCacheDir(), 'etcd');
    await assert.rejects(resolveControlPlaneAssets({}), (err: unknown) => {
      assert.ok(err instanceof MissingAssetsError);
      assert.match(err.message, /^kube-apiserver not found/);
      assert.match(err.message, /the `go` command is not on PATH/);
      assert.match(err.message, /KUBEBUILDER_ASSETS/);
      assert.match(err.message, /TEST_ASSET_KUBE_APISERVER and TEST_ASSET_ETCD/);
      return true;
    });
  });

  test('when the build fails (e.g. no network for the module proxy), the error has its last lines', async () => {
    const bin = join(scratch, 'bin');
    mkdirSync(bin);
    // A stand-in `go` that fails as Go does when the module proxy cannot be reached.
    writeFileSync(join(bin, 'go'), '#!/bin/sh\necho "go: k8s.io/kubernetes@v1.36.3: dial tcp: lookup proxy.golang.org: no such host" >&2\nexit 1\n');
    chmodSync(join(bin, 'go'), 0o755);
    process.env.PATH = `${bin}:/usr/bin:/bin`;
    const logged: string[] = [];
    await assert.rejects(resolveControlPlaneAssets({ log: (l) => logged.push(l) }), (err: unknown) => {
      assert.ok(err instanceof MissingAssetsError);
      assert.match(err.message, /build-assets\.sh failed \(exit 1\)/);
      assert.match(err.message, /no network/);
      assert.match(err.message, /no such host/);
      return true;
    });
    assert.ok(logged.some((l) => l.includes('no such host')), 'the build output is streamed to log');
  });

  test('kubectl: TEST_ASSET_KUBECTL, then KUBEBUILDER_ASSETS, then PATH', () => {
    assert.throws(() => findKubectl(), /kubectl not found .*TEST_ASSET_KUBECTL/);
    const onPath = fakeBinary(join(scratch, 'bin'), 'kubectl');
    process.env.PATH = `${join(scratch, 'nothing')}:${join(scratch, 'bin')}`;
    assert.equal(findKubectl(), onPath);
    const inAssets = fakeBinary(join(scratch, 'kb'), 'kubectl');
    process.env.KUBEBUILDER_ASSETS = join(scratch, 'kb');
    assert.equal(findKubectl(), inAssets);
    const own = fakeBinary(join(scratch, 'own'), 'kubectl-1.36');
    process.env.TEST_ASSET_KUBECTL = own;
    assert.equal(findKubectl(), own);
  });
});

test('build-assets.sh progress: prints compiler diagnostics and its own lines, counts packages', () => {
  const script = readFileSync(new URL('../envtest/build-assets.sh', import.meta.url), 'utf8');
  const progress = script.split('\n').find((l) => l.startsWith('progress() {'));
  assert.ok(progress, 'build-assets.sh defines progress()');
  const goBuildOutput = [
    ...Array.from({ length: 450 }, (_, i) => `k8s.io/some/package${i}`),
    '# k8s.io/kubernetes/pkg/broken',
    'pkg/broken/x.go:12:3: undefined: frobnicate',
    'go: downloading k8s.io/api v0.36.3',
    '[envtest] 01:02:03 kube-apiserver built in 15.0 s, peak memory 1799 MiB',
  ].join('\n');
  const r = spawnSync('bash', ['-c', `${progress}\nprogress`], { input: goBuildOutput, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stderr.trimEnd().split('\n');
  assert.deepEqual(lines, [
    '[envtest]   ... 200 packages compiled (last: k8s.io/some/package199)',
    '[envtest]   ... 400 packages compiled (last: k8s.io/some/package399)',
    '[envtest]   # k8s.io/kubernetes/pkg/broken',
    '[envtest]   pkg/broken/x.go:12:3: undefined: frobnicate',
    '[envtest]   go: downloading k8s.io/api v0.36.3',
    '[envtest] 01:02:03 kube-apiserver built in 15.0 s, peak memory 1799 MiB',
    '[envtest]   450 packages compiled',
  ]);
});
