/**
 * @module
 * Turns on Node's on-disk compile cache for the plugin bundle before its large chunks load.
 *
 * Why: most of a `describe node` run is V8 parsing and compiling the bundled Kubernetes client, EC2 SDK
 * and undici, on every run. With the cache, later runs reuse the compiled code (measured in
 * docs/plugin.md, "Start-up"). It must be called before those chunks are imported, so
 * cmd/kubectl-winprefix.ts calls it first and imports everything else dynamically; this module may
 * import only Node built-ins.
 *
 * Harmless where it cannot work: Deno's node:module has no enableCompileCache (feature-detected);
 * the SEA executable never calls this (plugin/sea-loader.ts keeps its own V8 code cache);
 * NODE_COMPILE_CACHE (another folder) and NODE_DISABLE_COMPILE_CACHE=1 keep Node's own meaning; an
 * unwritable cache folder only means no cache.
 */
import nodeModule from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The OS's per-user cache folder: XDG_CACHE_HOME or ~/.cache, ~/Library/Caches, %LOCALAPPDATA%. */
export function userCacheDir(env: Readonly<Record<string, string | undefined>>, platform: string, home: string): string {
  if (platform === 'win32') return env.LOCALAPPDATA || join(home, 'AppData', 'Local');
  if (platform === 'darwin') return join(home, 'Library', 'Caches');
  // XDG says a relative XDG_CACHE_HOME is invalid and must be ignored.
  const xdg = env.XDG_CACHE_HOME;
  return xdg && xdg.startsWith('/') ? xdg : join(home, '.cache');
}

/** Node keeps a subfolder per Node version and V8 flags, so one folder serves every Node. */
export function compileCacheDir(env: Readonly<Record<string, string | undefined>>, platform: string, home: string): string {
  return join(userCacheDir(env, platform, home), 'winprefix', 'compile-cache');
}

export function enablePluginCompileCache(): void {
  const enable = (nodeModule as { enableCompileCache?: (dir?: string) => unknown }).enableCompileCache;
  if (typeof enable !== 'function') return;
  try {
    // With NODE_COMPILE_CACHE set, Node has enabled it already and ignores the folder given here.
    enable(compileCacheDir(process.env, process.platform, homedir()));
  } catch {
    // No home folder or an unwritable one: run without the cache, exactly as before.
  }
}
