/**
 * @module
 * The folder outside the repository where builds keep what they download or compile once: the envtest
 * binaries (test/envtest/build-assets.sh computes the same path), Node builds for other platforms
 * (scripts/node-builds.ts) and krew (test/harness/krew.ts).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function winprefixCacheDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return env.WINPREFIX_CACHE_DIR || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'winprefix');
}
