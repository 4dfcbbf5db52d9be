/**
 * @module
 * Node keeps the V8 code cache it read for a module (NODE_COMPILE_CACHE) in memory until the process exits,
 * in case it has to be written back: 2.1 MiB for the controller's bundle, for a single-module program whose
 * cache is used once, when the bundle loads. `module.flushCompileCache()` writes what needs writing (a cache
 * Node made because none matched) and drops them: with 4 nodes, RSS at rest 85-93 -> 81-82 MiB
 * (docs/platform-notes.md, "Controller memory"). Writing then rather than at exit also keeps a cache made by
 * a controller that is later killed rather than stopped.
 */
import module from 'node:module';

/** Flushes and drops Node's in-memory compile cache; false where there is none to flush (no such API: Deno). */
export function releaseCompileCache(): boolean {
  const flush = (module as { flushCompileCache?: () => void }).flushCompileCache;
  if (typeof flush !== 'function') return false;
  flush();
  return true;
}
