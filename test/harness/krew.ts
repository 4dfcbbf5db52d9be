/**
 * @module
 * krew itself, for the release tests: `krew` (installs a plugin from a manifest and a local archive,
 * checking its sha256) and `validate-krew-manifest` (the krew-index's own check), built from the Go
 * module proxy once into the cache folder outside the repository, as the envtest binaries are.
 * `go install` checks the modules against the Go checksum database.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { winprefixCacheDir } from '../../scripts/cache-dir.ts';

export const KREW_VERSION = 'v0.4.3';
const TOOLS = ['krew', 'validate-krew-manifest'] as const;

export interface KrewTools {
  krew: string;
  validateKrewManifest: string;
}

export function krewCacheDir(): string {
  return join(winprefixCacheDir(), 'krew', `${KREW_VERSION}-linux-amd64`);
}

function cached(dir: string): KrewTools | undefined {
  if (!TOOLS.every((t) => existsSync(join(dir, t)))) return undefined;
  return { krew: join(dir, 'krew'), validateKrewManifest: join(dir, 'validate-krew-manifest') };
}

/** Why krew cannot be had here, or undefined when it can (cached, or Go is there to build it). */
export function krewUnavailable(): string | undefined {
  if (cached(krewCacheDir())) return undefined;
  if (spawnSync('go', ['version']).status === 0) return undefined;
  return `Go is not installed and ${krewCacheDir()} holds no krew, so krew cannot be built (go install sigs.k8s.io/krew/cmd/krew@${KREW_VERSION})`;
}

/** krew and validate-krew-manifest from the cache, built there first when missing (about 1 to 4 minutes once). */
export async function findOrBuildKrew(log: (line: string) => void): Promise<KrewTools> {
  const dir = krewCacheDir();
  const found = cached(dir);
  if (found) return found;
  mkdirSync(join(dir, '..'), { recursive: true });
  const work = mkdtempSync(`${dir}.build-`);
  try {
    const started = performance.now();
    log(`building krew ${KREW_VERSION} and validate-krew-manifest from Go modules into ${dir} (first time only)`);
    const args = ['install', '-trimpath', ...TOOLS.map((t) => `sigs.k8s.io/krew/cmd/${t}@${KREW_VERSION}`)];
    const output = await new Promise<string>((ok, fail) => {
      const child = spawn('go', args, { env: { ...process.env, GOBIN: work, CGO_ENABLED: '0', GOTOOLCHAIN: 'local' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (text += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (text += c));
      child.on('error', fail);
      child.on('close', (code) => (code === 0 ? ok(text) : fail(new Error(`go ${args.join(' ')} failed (exit ${code}); it needs the Go module proxy:\n${text.trim().slice(-2000)}`))));
    });
    if (output.trim()) log(output.trim());
    try {
      renameSync(work, dir);
    } catch (err) {
      if (!cached(dir)) throw err;
    }
    log(`built krew in ${Math.round((performance.now() - started) / 1000)} s`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return cached(dir)!;
}
