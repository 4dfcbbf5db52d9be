/**
 * `npm run package`: the SEA executable, its archive and krew.yaml. The manifest is checked against
 * krew's validation rules and the archive it names; the executable is run from the extracted archive
 * against a real kube-apiserver and the EC2 simulator, directly and through kubectl's plugin lookup.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { load } from 'js-yaml';
import { startEc2Simulator, type Ec2Simulator } from '../../pkg/ec2sim/server.ts';
import type { NodeReport } from '../../plugin/describe/report.ts';
import { validateNodeReport } from '../../plugin/describe/report.ts';
import { packagePlugin, type PackageResult } from '../../scripts/package.ts';
import { findKubectl } from '../harness/assets.ts';
import { useControlPlane } from '../harness/suite.ts';
import { hasLicenseFile, validateKrewManifest } from './krew-rules.ts';
import { AWS_TEST_ENV, cleanEnv, runProcess, seeder, seedNode, seedPod, worldFor, type Seeder } from './scenario.ts';

const plane = useControlPlane();

describe('the packaged plugin', () => {
  let pkg: PackageResult;
  let out: string;
  let extracted: string;
  let sim: Ec2Simulator;
  let s: Seeder;

  before(async () => {
    out = await mkdtemp(join(tmpdir(), 'winprefix-pkg-'));
    pkg = await packagePlugin({ outDir: out, manifestPath: join(out, 'krew.yaml'), releaseBase: 'https://example.invalid/releases', log: () => {} });
    extracted = await mkdtemp(join(tmpdir(), 'winprefix-krew-'));
    const untar = await runProcess('tar', ['-xzf', pkg.archive, '-C', extracted], cleanEnv({}));
    assert.equal(untar.code, 0, untar.stderr);

    sim = await startEc2Simulator({ world: worldFor(['m5.large']) });
    s = seeder(plane().kubeConfig(), sim.endpoint);
    // The IPAM ConfigMap a cluster running Windows IPAM has: without it, describe node reports configmap-not-found.
    await s.core.createNamespacedConfigMap({
      namespace: 'kube-system',
      body: { metadata: { name: 'amazon-vpc-cni', namespace: 'kube-system' }, data: { 'enable-windows-ipam': 'true', 'enable-windows-prefix-delegation': 'true' } },
    });
    const { eniId } = await seedNode(s, { name: 'win-pkg', instance: 1, instanceType: 'm5.large', advertised: 144 });
    const [prefix] = await s.ec2.assignPrefixes(eniId, 1);
    await seedPod(s, { name: 'web', node: 'win-pkg', annotation: `${prefix!.split('/')[0]}/32` });
  }, { timeout: 10 * 60_000 });

  after(async () => {
    s?.ec2.destroy();
    await sim?.close();
    // About 300 MB: two executables and the archive.
    for (const dir of [out, extracted]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('krew.yaml passes krew validation and names the archive it was built with', async () => {
    const manifest = load(await readFile(pkg.manifest, 'utf8')) as { spec: { platforms: Array<{ sha256: string; uri: string; bin: string }>; version: string } };
    assert.deepEqual(validateKrewManifest(manifest, 'winprefix.yaml'), []);
    const digest = createHash('sha256').update(await readFile(pkg.archive)).digest('hex');
    assert.equal(manifest.spec.platforms[0]!.sha256, digest);
    assert.equal(manifest.spec.version, pkg.version);
    assert.match(manifest.spec.platforms[0]!.uri, /\/v\d+\.\d+\.\d+\/winprefix_linux_amd64\.tar\.gz$/);
    const list = await runProcess('tar', ['-tzf', pkg.archive], cleanEnv({}));
    const entries = list.stdout.trim().split('\n');
    assert.deepEqual(entries.sort(), ['LICENSE', 'kubectl-winprefix']);
    assert.ok(hasLicenseFile(entries));
    assert.ok(entries.includes(manifest.spec.platforms[0]!.bin));
  });

  it('runs from the extracted archive: describe node against the cluster and the simulator', async () => {
    const exe = join(extracted, 'kubectl-winprefix');
    const env = cleanEnv({ ...AWS_TEST_ENV, HOME: extracted });
    const run = await runProcess(exe, ['describe', 'node', 'win-pkg', '--kubeconfig', plane().kubeconfigPath, '--ec2-endpoint', sim.endpoint, '-o', 'json'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '', 'no SEA or optional-module warnings');
    const report = JSON.parse(run.stdout) as NodeReport;
    assert.deepEqual(validateNodeReport(report), []);
    assert.equal(report.pods[0]!.source.kind, 'prefix');
  });

  it('kubectl finds the packaged executable on PATH', async () => {
    const env = cleanEnv({ ...AWS_TEST_ENV, HOME: extracted, PATH: `${extracted}:${process.env.PATH ?? ''}` });
    const run = await runProcess(findKubectl(), ['winprefix', 'describe', 'node', 'win-pkg', '--kubeconfig', plane().kubeconfigPath, '--ec2-endpoint', sim.endpoint], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Node: +win-pkg/m);
    assert.match(run.stdout, /\[#\.{15}\]/);
  });
});
