/**
 * `npm run package`: an executable and archive for every krew platform, the krew manifest and
 * SHA256SUMS, all reproducible. Checked: the manifest against krew's rules, the archives it names and
 * the committed krew.yaml; each executable's format, signature and SEA blob, read from the bytes; the
 * linux-amd64 executable from its archive against a real kube-apiserver and the EC2 simulator,
 * directly and through kubectl; a second build byte for byte. Where Go is available, krew itself
 * validates the manifest and installs every platform from the local archives; where qemu-user is
 * installed, the linux-arm64 executable runs too.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { load } from 'js-yaml';
import { startEc2Simulator, type Ec2Simulator } from '../../pkg/ec2sim/server.ts';
import type { NodeReport } from '../../plugin/describe/report.ts';
import { validateNodeReport } from '../../plugin/describe/report.ts';
import { findSeaBlob, inspectExecutable, machOSegments, peChecksum, SEA_BLOB_MAGIC } from '../../scripts/binary-formats.ts';
import { fetchNodeBuild, TARGETS, targetName } from '../../scripts/node-builds.ts';
import { archiveFileName, CHECKSUMS_FILE, DEFAULT_RELEASE_BASE, executableFileName, MANIFEST_FILE, packagePlugin, SEA_FUSE, THIRD_PARTY_FILE, type PackageResult } from '../../scripts/package.ts';
import { findKubectl } from '../harness/assets.ts';
import { findOrBuildKrew, krewUnavailable, type KrewTools } from '../harness/krew.ts';
import { useControlPlane } from '../harness/suite.ts';
import { hasLicenseFile, validateKrewManifest } from './krew-rules.ts';
import { AWS_TEST_ENV, cleanEnv, runProcess, seeder, seedNode, seedPod, worldFor, type Seeder } from './scenario.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const plane = useControlPlane();

interface Manifest {
  spec: { version: string; platforms: Array<{ selector: Record<string, unknown>; uri: string; sha256: string; bin: string }> };
}

/** Entries of a zip, read here from its central directory (independently of scripts/archives.ts's writer). */
function readZip(zipFile: Buffer): Map<string, { data: Buffer; mode: number }> {
  const end = zipFile.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(end >= 0, 'no end of central directory');
  const count = zipFile.readUInt16LE(end + 10);
  let at = zipFile.readUInt32LE(end + 16);
  const entries = new Map<string, { data: Buffer; mode: number }>();
  for (let i = 0; i < count; i++) {
    assert.equal(zipFile.readUInt32LE(at), 0x02014b50);
    const method = zipFile.readUInt16LE(at + 10);
    const compressedSize = zipFile.readUInt32LE(at + 20);
    const nameLength = zipFile.readUInt16LE(at + 28);
    const extraLength = zipFile.readUInt16LE(at + 30);
    const commentLength = zipFile.readUInt16LE(at + 32);
    const mode = zipFile.readUInt32LE(at + 38) >>> 16;
    const local = zipFile.readUInt32LE(at + 42);
    const name = zipFile.toString('utf8', at + 46, at + 46 + nameLength);
    const dataStart = local + 30 + zipFile.readUInt16LE(local + 26) + zipFile.readUInt16LE(local + 28);
    const raw = zipFile.subarray(dataStart, dataStart + compressedSize);
    entries.set(name, { data: method === 8 ? inflateRawSync(raw) : raw, mode });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('the packaged plugin', () => {
  let pkg: PackageResult;
  let out: string;
  let extracted: string;
  const scratch: string[] = [];
  let sim: Ec2Simulator;
  let s: Seeder;
  const committedManifest = readFile(join(ROOT, MANIFEST_FILE), 'utf8');
  const dirOf = (name: string) => join(extracted, name);

  before(async () => {
    out = await mkdtemp(join(tmpdir(), 'winprefix-pkg-'));
    extracted = await mkdtemp(join(tmpdir(), 'winprefix-pkg-x-'));
    scratch.push(out, extracted);
    pkg = await packagePlugin({ outDir: out, releaseBase: DEFAULT_RELEASE_BASE, log: () => {} });
    for (const t of TARGETS) {
      const dir = dirOf(targetName(t));
      await mkdir(dir);
      const archive = join(out, archiveFileName(t));
      if (t.os === 'windows') {
        for (const [name, { data }] of readZip(await readFile(archive))) await writeFile(join(dir, name), data);
      } else {
        const untar = await runProcess('tar', ['-xzf', archive, '-C', dir], cleanEnv({}));
        assert.equal(untar.code, 0, untar.stderr);
      }
    }

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
  }, { timeout: 15 * 60_000 });

  after(async () => {
    s?.ec2.destroy();
    await sim?.close();
    // About 1 GB per build: five executables and four archives.
    for (const dir of scratch) await rm(dir, { recursive: true, force: true });
  });

  it('writes one archive per platform, the manifest and SHA256SUMS into the output folder, and nothing into the tree', async () => {
    const expected = [...TARGETS.map(archiveFileName), MANIFEST_FILE, CHECKSUMS_FILE, 'kubectl-winprefix'].sort();
    assert.deepEqual((await readdir(out)).sort(), expected);
    const sums = (await readFile(join(out, CHECKSUMS_FILE), 'utf8')).trim().split('\n');
    assert.deepEqual(sums, await Promise.all(TARGETS.map(async (t) => `${sha256(await readFile(join(out, archiveFileName(t))))}  ${archiveFileName(t)}`)));
    assert.equal(await readFile(join(ROOT, MANIFEST_FILE), 'utf8'), await committedManifest, 'npm run package must not rewrite the committed krew.yaml');
  });

  it('krew.yaml passes krew rules and names every archive by the release URI and its sha256', async () => {
    const manifest = load(await readFile(pkg.manifest, 'utf8')) as Manifest;
    assert.deepEqual(validateKrewManifest(manifest, 'winprefix.yaml'), []);
    assert.equal(manifest.spec.version, pkg.version);
    assert.equal(manifest.spec.platforms.length, TARGETS.length);
    for (const [i, t] of TARGETS.entries()) {
      const platform = manifest.spec.platforms[i]!;
      const archive = await readFile(join(out, archiveFileName(t)));
      assert.equal(platform.uri, `${DEFAULT_RELEASE_BASE}/${pkg.version}/${archiveFileName(t)}`);
      assert.equal(platform.sha256, sha256(archive));
      assert.equal(platform.bin, executableFileName(t));
      const entries = (await readdir(dirOf(targetName(t)))).sort();
      assert.deepEqual(entries, ['LICENSE', THIRD_PARTY_FILE, executableFileName(t)].sort());
      assert.ok(hasLicenseFile(entries));
      const notices = await readFile(join(dirOf(targetName(t)), THIRD_PARTY_FILE), 'utf8');
      assert.match(notices, new RegExp(`^Node\\.js ${t.node.version.replaceAll('.', '\\.')}$`, 'm'));
      assert.match(notices, /^yargs@\S+ \(MIT\)$/m);
    }
    // Apple silicon gets the Intel build (Rosetta 2), and says so.
    const darwin = manifest.spec.platforms.find((p) => JSON.stringify(p.selector).includes('darwin'))!;
    assert.deepEqual(darwin.selector, { matchLabels: { os: 'darwin' }, matchExpressions: [{ key: 'arch', operator: 'In', values: ['amd64', 'arm64'] }] });
    assert.match((load(await readFile(pkg.manifest, 'utf8')) as { spec: { caveats: string } }).spec.caveats, /Rosetta 2/);
  });

  it('the committed krew.yaml is exactly what this commit releases', async () => {
    assert.ok(
      (await committedManifest) === (await readFile(pkg.manifest, 'utf8')),
      `krew.yaml does not match the archives built from this commit (${pkg.commit}). After changing the plugin's sources, ` +
        'commit them, then run `npm run package && cp dist/krew.yaml krew.yaml` and commit krew.yaml (docs/plugin.md, "Releasing").',
    );
  });

  it("each executable is its platform's format, without a signature, with the SEA blob where Node looks for it", async () => {
    const blobs = new Set<string>();
    for (const t of TARGETS) {
      const name = targetName(t);
      const exe = await readFile(join(dirOf(name), executableFileName(t)));
      if (t.os === 'linux') {
        assert.equal(exe.toString('latin1', 0, 4), '\x7fELF', name);
        assert.equal(exe.readUInt16LE(18), t.arch === 'amd64' ? 62 : 183, `${name} ELF machine`);
      } else if (t.os === 'darwin') {
        assert.equal(exe.readUInt32LE(0), 0xfeedfacf, `${name} is a 64-bit Mach-O`);
        assert.equal(exe.readUInt32LE(4), 0x01000007, `${name} is x86_64`);
        assert.ok(machOSegments(exe).some((seg) => seg.name === 'NODE_SEA'), `${name} has the NODE_SEA segment`);
      } else {
        assert.equal(exe.toString('latin1', 0, 2), 'MZ', name);
        const pe = exe.readUInt32LE(0x3c);
        assert.equal(exe.toString('latin1', pe, pe + 4), 'PE\0\0', name);
        assert.equal(exe.readUInt16LE(pe + 4), 0x8664, `${name} is x64`);
        assert.equal(exe.readUInt32LE(pe + 24 + 64), peChecksum(exe), `${name} PE checksum`);
      }
      const info = inspectExecutable(exe);
      assert.equal(info.signed, false, `${name}: Node's signature is removed (it no longer matches once the blob is in)`);
      const blob = findSeaBlob(exe);
      assert.ok(blob, `${name} carries the SEA blob`);
      assert.equal(blob.readUInt32LE(0), SEA_BLOB_MAGIC, `${name} blob magic`);
      assert.ok(blob.includes('sea-main.cjs') && blob.includes('kubectl-winprefix.cjs'), `${name} blob holds the loader and the plugin`);
      assert.ok(!blob.includes(tmpdir()), `${name} blob names no temporary folder`);
      blobs.add(sha256(blob));
      const fuse = Buffer.from(`${SEA_FUSE}:`);
      assert.equal(exe.indexOf(fuse), exe.lastIndexOf(fuse), `${name} has one fuse`);
      assert.equal(String.fromCharCode(exe[exe.indexOf(fuse) + fuse.length]!), '1', `${name}: the SEA fuse is blown`);
    }
    assert.equal(blobs.size, 1, 'no code cache: every platform carries the same blob');
    // The checksum formula against one Microsoft's linker wrote: Node's own node.exe, as published.
    const published = await readFile(fetchNodeBuild(TARGETS.find((t) => t.os === 'windows')!.node, () => {}).binary);
    assert.equal(peChecksum(published), published.readUInt32LE(published.readUInt32LE(0x3c) + 24 + 64));
  });

  it('runs from the extracted archive: describe node against the cluster and the simulator', async () => {
    const exe = join(dirOf('linux_amd64'), 'kubectl-winprefix');
    const env = cleanEnv({ ...AWS_TEST_ENV, HOME: extracted });
    const run = await runProcess(exe, ['describe', 'node', 'win-pkg', '--kubeconfig', plane().kubeconfigPath, '--ec2-endpoint', sim.endpoint, '-o', 'json'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '', 'no SEA or optional-module warnings');
    const report = JSON.parse(run.stdout) as NodeReport;
    assert.deepEqual(validateNodeReport(report), []);
    assert.equal(report.pods[0]!.source.kind, 'prefix');
  });

  it('kubectl finds the packaged executable on PATH', async () => {
    const bin = dirOf('linux_amd64');
    const env = cleanEnv({ ...AWS_TEST_ENV, HOME: extracted, PATH: `${bin}:${process.env.PATH ?? ''}` });
    const run = await runProcess(findKubectl(), ['winprefix', 'describe', 'node', 'win-pkg', '--kubeconfig', plane().kubeconfigPath, '--ec2-endpoint', sim.endpoint], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Node: +win-pkg/m);
    assert.match(run.stdout, /\[#\.{15}\]/);
  });

  it('kubectl winprefix version names the release, the commit and the single executable', async () => {
    const run = await runProcess(join(dirOf('linux_amd64'), 'kubectl-winprefix'), ['version'], cleanEnv({ HOME: extracted }));
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `version: ${pkg.version}\ncommit:  ${pkg.commit}\nruntime: Node.js v${TARGETS[0]!.node.version} (linux/x64, single executable)\n`);
    assert.match(pkg.commit, /^([0-9a-f]{40}(-dirty)?|unknown)$/);
  });

  const arm64Libraries = '/usr/aarch64-linux-gnu';
  const qemu = ['/usr/bin/qemu-aarch64', '/usr/bin/qemu-aarch64-static'].find((p) => existsSync(p));
  const noQemu = !qemu || !existsSync(join(arm64Libraries, 'lib', 'ld-linux-aarch64.so.1')) ? 'needs qemu-user and the arm64 C libraries (apt-get install qemu-user libc6-arm64-cross libstdc++6-arm64-cross)' : false;
  it('the linux-arm64 executable runs (under qemu-user)', { skip: noQemu }, async () => {
    const env = cleanEnv({ HOME: extracted, QEMU_LD_PREFIX: arm64Libraries });
    const exe = join(dirOf('linux_arm64'), 'kubectl-winprefix');
    const version = await runProcess(qemu!, [exe, 'version'], env, 120_000);
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, /^runtime: Node\.js v\S+ \(linux\/arm64, single executable\)$/m);
    const simulate = await runProcess(qemu!, [exe, 'simulate', '--instance-type', 'c5.large', '--pods', '0,17', '-o', 'json'], env, 120_000);
    assert.equal(simulate.code, 0, simulate.stderr);
    assert.equal((JSON.parse(simulate.stdout) as { instanceType: string }).instanceType, 'c5.large');
  });

  describe('krew itself', { skip: krewUnavailable() ?? false }, () => {
    let krew: KrewTools;
    before(async () => {
      krew = await findOrBuildKrew(() => {});
    }, { timeout: 15 * 60_000 });

    it('validate-krew-manifest (the krew-index check) accepts the manifest', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'winprefix-krew-validate-'));
      scratch.push(dir);
      // The index files a plugin's manifest under its name, and the validator insists on it.
      await copyFile(pkg.manifest, join(dir, 'winprefix.yaml'));
      const run = await runProcess(krew.validateKrewManifest, ['-manifest', join(dir, 'winprefix.yaml'), '-skip-install'], cleanEnv({ HOME: dir }));
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /structural validation OK/);
    });

    for (const t of TARGETS) {
      for (const arch of [t.arch, ...t.alsoServes]) {
        it(`krew installs ${t.os}/${arch} from ${archiveFileName(t)}, checking its sha256`, async () => {
          const root = await mkdtemp(join(tmpdir(), 'winprefix-krew-root-'));
          scratch.push(root);
          const env = cleanEnv({ HOME: root, KREW_ROOT: root, KREW_OS: t.os, KREW_ARCH: arch });
          const run = await runProcess(krew.krew, ['install', `--manifest=${pkg.manifest}`, `--archive=${join(out, archiveFileName(t))}`], env, 120_000);
          assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
          const store = join(root, 'store', 'winprefix', pkg.version);
          assert.deepEqual((await readdir(store)).sort(), ['LICENSE', THIRD_PARTY_FILE, executableFileName(t)].sort());
          assert.ok((await lstat(join(root, 'bin', executableFileName(t)))).isSymbolicLink());
          if (t.os === 'linux' && arch === 'amd64') {
            const path = `${join(root, 'bin')}:${process.env.PATH ?? ''}`;
            const version = await runProcess(findKubectl(), ['winprefix', 'version'], cleanEnv({ HOME: root, PATH: path }));
            assert.equal(version.code, 0, version.stderr);
            assert.match(version.stdout, new RegExp(`^commit:  ${pkg.commit}$`, 'm'));
          }
        });
      }
    }

    it('krew refuses an archive whose bytes differ from the manifest', async () => {
      const root = await mkdtemp(join(tmpdir(), 'winprefix-krew-root-'));
      scratch.push(root);
      const tampered = join(root, archiveFileName(TARGETS[0]!));
      const bytes = await readFile(pkg.archive);
      bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1);
      await writeFile(tampered, bytes);
      const run = await runProcess(krew.krew, ['install', `--manifest=${pkg.manifest}`, `--archive=${tampered}`], cleanEnv({ HOME: root, KREW_ROOT: root, KREW_OS: 'linux', KREW_ARCH: 'amd64' }));
      assert.notEqual(run.code, 0);
      assert.match(run.stderr, /checksum does not match/);
    });
  });

  it('building again from the same commit gives byte-identical archives, manifest and checksums', { timeout: 15 * 60_000 }, async () => {
    const again = await mkdtemp(join(tmpdir(), 'winprefix-pkg-again-'));
    scratch.push(again);
    const second = await packagePlugin({ outDir: again, releaseBase: DEFAULT_RELEASE_BASE, log: () => {} });
    assert.equal(second.commit, pkg.commit);
    for (const file of [...TARGETS.map(archiveFileName), MANIFEST_FILE, CHECKSUMS_FILE, 'kubectl-winprefix']) {
      const [a, b] = [await readFile(join(out, file)), await readFile(join(again, file))];
      assert.ok(a.equals(b), `${file} differs between two builds (${sha256(a)} vs ${sha256(b)})`);
    }
  });
});
