/**
 * @module
 * The main script of the packaged executable (a Node SEA, scripts/package.ts): runs the plugin's
 * CommonJS bundle, embedded as a SEA asset, through vm.Script with a V8 code cache kept on disk.
 *
 * Why: a SEA's own `useCodeCache` is made when the blob is built, right after compiling the main
 * script, so it holds only eagerly compiled code. The plugin's modules sit in lazily compiled
 * initialisers, so every run compiled the Kubernetes client, the EC2 SDK and undici again
 * (docs/plugin.md, "Start-up"). `createCachedData()` taken at exit also holds every function the
 * run compiled, so later runs of the same command compile almost nothing. This cache, made on the
 * user's machine, is also why the blob carries none (scripts/package.ts): the blob's differed from
 * build to build, which made the executables unreproducible, and it belonged to one platform.
 *
 * One cache file per payload build, Node version, architecture and command (describe, simulate,
 * anything else), so `--help` does not leave a cache without the describe code in it. V8 rejects
 * a cache made by another V8 or with other flags, and a rejected or missing cache is rewritten; a
 * cache that cannot be read or written only means no cache. NODE_DISABLE_COMPILE_CACHE=1 turns it
 * off, as it does Node's own compile cache. This module may import only Node built-ins: a SEA's
 * require() loads nothing else.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { getAsset, isSea } from 'node:sea';
import { Script } from 'node:vm';
import { userCacheDir } from './compile-cache.ts';

/** The asset name scripts/package.ts embeds the bundle under. */
export const PAYLOAD_ASSET = 'kubectl-winprefix.cjs';

/** Defined by scripts/package.ts at build time: a digest of the payload, so a new build never reads an old cache. */
declare const WINPREFIX_SEA_PAYLOAD_ID: string;

const COMMANDS = ['describe', 'simulate'] as const;

export function codeCacheFile(o: { cacheRoot: string; payloadId: string; nodeVersion: string; arch: string; argv: readonly string[] }): string {
  const command = COMMANDS.find((c) => o.argv.includes(c)) ?? 'other';
  return join(o.cacheRoot, 'winprefix', 'sea-code-cache', `${o.payloadId}-${o.nodeVersion}-${o.arch}-${command}.bin`);
}

function cachePath(): string | undefined {
  if (process.env.NODE_DISABLE_COMPILE_CACHE) return undefined;
  try {
    return codeCacheFile({
      cacheRoot: userCacheDir(process.env, process.platform, homedir()),
      payloadId: WINPREFIX_SEA_PAYLOAD_ID,
      nodeVersion: process.version,
      arch: process.arch,
      argv: process.argv.slice(2),
    });
  } catch {
    return undefined;
  }
}

/** Caches of earlier builds are never read again; without this each upgrade would leave about 6 MB behind. */
function removeOtherBuilds(dir: string, payloadId: string): void {
  for (const name of readdirSync(dir)) {
    if (name.endsWith('.bin') && !name.startsWith(`${payloadId}-`)) rmSync(join(dir, name), { force: true });
  }
}

function run(): void {
  const source = getAsset(PAYLOAD_ASSET, 'utf8');
  const file = cachePath();
  let cachedData: Buffer | undefined;
  if (file) {
    try {
      cachedData = readFileSync(file);
    } catch {
      // First run of this command with this build: compile from source and write the cache at exit.
    }
  }
  // The CommonJS wrapper Node itself puts around a module.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: PAYLOAD_ASSET,
    ...(cachedData ? { cachedData } : {}),
  });
  if (file && (!cachedData || script.cachedDataRejected)) {
    // At exit, so the cache holds what this run compiled; renamed into place so a concurrent run never reads half a file.
    process.once('exit', () => {
      try {
        mkdirSync(dirname(file), { recursive: true });
        const partial = `${file}.${process.pid}.tmp`;
        writeFileSync(partial, script.createCachedData());
        renameSync(partial, file);
        removeOtherBuilds(dirname(file), WINPREFIX_SEA_PAYLOAD_ID);
      } catch {
        // Read-only or missing home folder: the next run compiles again, as without a cache.
      }
    });
  }
  const payloadModule = { exports: {} };
  (script.runInThisContext() as (...args: unknown[]) => void)(payloadModule.exports, require, payloadModule, __filename, __dirname);
}

// Only inside the executable; tests import codeCacheFile.
if (isSea()) run();
