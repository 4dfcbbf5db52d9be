/**
 * @module
 * Finds the kube-apiserver, etcd and kubectl binaries the way envtest does, and builds them from Go modules
 * when nothing provides them (kubectl at the API server's version, so plugin tests stay inside kubectl's
 * supported version skew; the machine's kubectl is the fallback when Go is missing). Lookup order, first hit wins (each binary separately):
 *   1. TEST_ASSET_KUBE_APISERVER / TEST_ASSET_ETCD (a file path)
 *   2. $KUBEBUILDER_ASSETS/<name>
 *   3. /usr/local/kubebuilder/bin/<name> (envtest's historical default)
 *   4. the build cache: $WINPREFIX_CACHE_DIR or ${XDG_CACHE_HOME:-~/.cache}/winprefix, then
 *      envtest/k8s-<version>-etcd-<version>-<os>-<arch>/ (versions read from test/envtest/*\/go.mod)
 *   5. build them into that cache with test/envtest/build-assets.sh (Go and the module proxy needed).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { winprefixCacheDir } from '../../scripts/cache-dir.ts';
import { isExecutableFile, onPath } from './executables.ts';

export interface ControlPlaneAssets {
  /** The folder holding kube-apiserver (fit for KUBEBUILDER_ASSETS when both binaries live together). */
  dir: string;
  kubeApiserver: string;
  etcd: string;
}

export class MissingAssetsError extends Error {
  override name = 'MissingAssetsError';
}

const ENVTEST_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'envtest');
const BUILD_SCRIPT = join(ENVTEST_DIR, 'build-assets.sh');
const LEGACY_ENVTEST_DIR = '/usr/local/kubebuilder/bin';

function requireVersion(goMod: string, modulePath: string): string {
  const text = readFileSync(join(ENVTEST_DIR, goMod), 'utf8');
  const line = text.split('\n').find((l) => l.startsWith(`require ${modulePath} `));
  const version = line?.split(/\s+/)[2];
  if (!version) throw new Error(`test/envtest/${goMod} has no "require ${modulePath} vX.Y.Z" line; restore it`);
  return version;
}

/** Versions pinned by the wrapper Go modules: what the tests are meant to run against. */
export function pinnedVersions(): { kubernetes: string; etcd: string } {
  return {
    kubernetes: requireVersion('kubernetes/go.mod', 'k8s.io/kubernetes'),
    etcd: requireVersion('etcd/go.mod', 'go.etcd.io/etcd/server/v3'),
  };
}

/** The cache folder build-assets.sh fills; computed here too so a cached build is found without Go. */
export function assetCacheDir(): string {
  const { kubernetes, etcd } = pinnedVersions();
  const root = winprefixCacheDir();
  const goArch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm' };
  const goOs = process.platform === 'win32' ? 'windows' : process.platform;
  return join(root, 'envtest', `k8s-${kubernetes}-etcd-${etcd}-${goOs}-${goArch[process.arch] ?? process.arch}`);
}

type BinaryName = 'kube-apiserver' | 'etcd' | 'kubectl';
const ENV_OVERRIDE: Record<BinaryName, string> = {
  'kube-apiserver': 'TEST_ASSET_KUBE_APISERVER',
  etcd: 'TEST_ASSET_ETCD',
  kubectl: 'TEST_ASSET_KUBECTL',
};

/** Steps 1-4 for one binary; undefined when none of them has it. */
function findProvided(name: BinaryName): string | undefined {
  const override = process.env[ENV_OVERRIDE[name]];
  if (override) {
    if (!isExecutableFile(override)) {
      throw new MissingAssetsError(
        `${ENV_OVERRIDE[name]}=${override} is not an executable file; point it at a ${name} binary or unset it`,
      );
    }
    return override;
  }
  const dirs = [process.env.KUBEBUILDER_ASSETS, LEGACY_ENVTEST_DIR, assetCacheDir()];
  for (const dir of dirs) {
    if (dir && isExecutableFile(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

const HOW_TO_PROVIDE =
  'Provide the binaries instead: put kube-apiserver and etcd (Kubernetes >= 1.35, etcd 3.6.x) in one folder and ' +
  'set KUBEBUILDER_ASSETS to it (for example the folder `setup-envtest use -p path` prints), or set ' +
  'TEST_ASSET_KUBE_APISERVER and TEST_ASSET_ETCD to the two files. See docs/testing.md.';

/** Runs build-assets.sh, streaming its progress lines to `log`; resolves to the folder it printed last. */
async function buildAssets(log: (line: string) => void): Promise<string> {
  const child = spawn('bash', [BUILD_SCRIPT], { stdio: ['ignore', 'pipe', 'pipe'] });
  const recent: string[] = [];
  let stdout = '';
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      log(line);
      recent.push(line);
      if (recent.length > 30) recent.shift();
    }
  });
  const code = await new Promise<number>((ok, fail) => {
    child.on('error', fail);
    child.on('close', (c, signal) => ok(c ?? (signal ? 128 : 1)));
  });
  if (partial) {
    log(partial);
    recent.push(partial);
  }
  if (code !== 0) {
    throw new MissingAssetsError(
      `building kube-apiserver and etcd with test/envtest/build-assets.sh failed (exit ${code}). ` +
        `If the Go module proxy cannot be reached (no network), the build cannot succeed here. ` +
        `${HOW_TO_PROVIDE}\nLast lines of the build:\n${recent.join('\n')}`,
    );
  }
  const dir = stdout.trim().split('\n').pop() ?? '';
  if (!dir) throw new MissingAssetsError('test/envtest/build-assets.sh succeeded but printed no folder');
  return dir;
}

/**
 * kube-apiserver and etcd for the test control plane; builds them (minutes, once per machine) when no
 * environment variable, envtest folder or cache provides them.
 */
export async function resolveControlPlaneAssets(
  opts: { log?: (line: string) => void } = {},
): Promise<ControlPlaneAssets> {
  const log = opts.log ?? (() => {});
  let kubeApiserver = findProvided('kube-apiserver');
  let etcd = findProvided('etcd');
  // A matching kubectl is wanted only when nothing names one explicitly; it is cheap once kube-apiserver built.
  const wantsKubectl =
    !process.env.TEST_ASSET_KUBECTL &&
    !(process.env.KUBEBUILDER_ASSETS && isExecutableFile(join(process.env.KUBEBUILDER_ASSETS, 'kubectl'))) &&
    !isExecutableFile(join(assetCacheDir(), 'kubectl'));
  if (kubeApiserver && etcd && wantsKubectl && onPath('go') !== undefined) {
    log(`[envtest] building kubectl ${pinnedVersions().kubernetes} into ${assetCacheDir()} (first time only)`);
    await buildAssets(log);
  }
  if (!kubeApiserver || !etcd) {
    if (onPath('go') === undefined) {
      const missing = [!kubeApiserver && 'kube-apiserver', !etcd && 'etcd'].filter(Boolean).join(' and ');
      throw new MissingAssetsError(
        `${missing} not found (looked at TEST_ASSET_*, $KUBEBUILDER_ASSETS, ${LEGACY_ENVTEST_DIR}, ` +
          `${assetCacheDir()}), and the \`go\` command is not on PATH, so they cannot be built from Go modules either. ` +
          `Install Go >= 1.26 (and allow access to the Go module proxy), or: ${HOW_TO_PROVIDE}`,
      );
    }
    log(`[envtest] kube-apiserver/etcd not found; building them into ${assetCacheDir()} (first time only)`);
    const built = await buildAssets(log);
    kubeApiserver ??= join(built, 'kube-apiserver');
    etcd ??= join(built, 'etcd');
  }
  return { dir: dirname(kubeApiserver), kubeApiserver, etcd };
}

/** The real kubectl: TEST_ASSET_KUBECTL, then $KUBEBUILDER_ASSETS/kubectl, then PATH. */
export function findKubectl(): string {
  const override = process.env.TEST_ASSET_KUBECTL;
  if (override) {
    if (!isExecutableFile(override)) {
      throw new MissingAssetsError(`TEST_ASSET_KUBECTL=${override} is not an executable file; fix or unset it`);
    }
    return override;
  }
  const assets = process.env.KUBEBUILDER_ASSETS;
  if (assets && isExecutableFile(join(assets, 'kubectl'))) return join(assets, 'kubectl');
  const fromPath = onPath('kubectl');
  if (fromPath) return fromPath;
  throw new MissingAssetsError(
    'kubectl not found (looked at TEST_ASSET_KUBECTL, $KUBEBUILDER_ASSETS/kubectl and PATH); install kubectl ' +
      'or set TEST_ASSET_KUBECTL to its path',
  );
}
