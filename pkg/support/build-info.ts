/**
 * @module
 * What this build is (version, commit) and what it runs on, for `version` commands, the controller's
 * start-up log and the runtime check every bundle makes before loading anything else.
 *
 * scripts/build.ts defines WINPREFIX_BUILD when it bundles (version from package.json, the commit from
 * git, the lowest Node from package.json's engines). Run from source (tests, `node cmd/x.ts`) there is
 * no build: the version and the lowest Node come from package.json and the commit is "unknown".
 */
import { readFileSync } from 'node:fs';

export interface BuildInfo {
  /** With a leading v, as release tags and krew spec a version: v0.1.0. */
  version: string;
  /** The git commit the bundle was built from, "<sha>-dirty" with uncommitted changes, or "unknown". */
  commit: string;
  /** The lowest Node the bundles support, from package.json's engines.node (">=22.19" -> "22.19"). */
  minNode: string;
}

declare const WINPREFIX_BUILD: BuildInfo | undefined;

/** package.json's engines.node, which must be a plain lower bound (">=22.19"). */
export function minNodeFromEngines(engines: string | undefined): string {
  const m = /^>=\s*(\d+(?:\.\d+){0,2})$/.exec((engines ?? '').trim());
  if (!m) throw new Error(`package.json engines.node is "${engines}"; write it as ">=MAJOR.MINOR", which the runtime check reads`);
  return m[1]!;
}

function fromSource(): BuildInfo {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string; engines?: { node?: string } };
  return { version: `v${pkg.version}`, commit: 'unknown', minNode: minNodeFromEngines(pkg.engines?.node) };
}

let cached: BuildInfo | undefined;
export function buildInfo(): BuildInfo {
  cached ??= typeof WINPREFIX_BUILD === 'object' && WINPREFIX_BUILD !== null ? WINPREFIX_BUILD : fromSource();
  return cached;
}

/** -1, 0 or 1 as a is lower, equal or higher than b; missing parts count as 0 ("22.19" = "22.19.0"). */
export function compareVersions(a: string, b: string): number {
  const pa = a.replace(/^v/, '').split(/[.-]/).slice(0, 3).map(Number);
  const pb = b.replace(/^v/, '').split(/[.-]/).slice(0, 3).map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] || 0) - (pb[i] || 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

export interface RuntimeVersions {
  /** process.versions.node */
  node: string | undefined;
  /** Deno.version.deno when running under Deno (which also reports a Node version, for compatibility). */
  deno: string | undefined;
}

export function currentRuntime(): RuntimeVersions {
  const deno = (globalThis as { Deno?: { version?: { deno?: string } } }).Deno?.version?.deno;
  return { node: typeof process === 'object' ? process.versions?.node : undefined, deno };
}

/**
 * Why the bundles run on Node >= engines and Deno >= 2 and not older: undici 8 and client-node 2 use
 * APIs older runtimes lack (Node 20 fails loading undici with "Cannot read properties of undefined
 * (reading 'bind')"). Returns the one line to print, or undefined when this runtime is supported.
 */
export function runtimeProblem(runtime: RuntimeVersions, minNode: string): string | undefined {
  if (runtime.deno !== undefined) {
    if (compareVersions(runtime.deno, '2') >= 0) return undefined;
    return `winprefix needs Deno >= 2 (found ${runtime.deno}): upgrade Deno (deno upgrade) or run it with Node >= ${minNode}`;
  }
  if (runtime.node !== undefined && compareVersions(runtime.node, minNode) >= 0) return undefined;
  return (
    `winprefix needs Node >= ${minNode} (found ${runtime.node ? `v${runtime.node}` : 'no Node'}): upgrade Node.js, run it with Deno 2, ` +
    'or use a release build that brings its own Node (the krew plugin, the controller image)'
  );
}

/** The short form logs carry (the controller's `starting` line): "node 24.21.0" or "deno 2.9.6". */
export function runtimeName(runtime: RuntimeVersions = currentRuntime()): string {
  return runtime.deno !== undefined ? `deno ${runtime.deno}` : `node ${runtime.node}`;
}

/** "Node.js v24.21.0 (linux/x64)", "Deno 2.9.6 (linux/x64)", plus ", single executable" inside a SEA. */
export function runtimeDescription(): string {
  const runtime = currentRuntime();
  const where = `${process.platform}/${process.arch}`;
  if (runtime.deno !== undefined) return `Deno ${runtime.deno} (${where})`;
  return `Node.js v${runtime.node} (${where}${isSingleExecutable() ? ', single executable' : ''})`;
}

function isSingleExecutable(): boolean {
  try {
    const sea = process.getBuiltinModule?.('node:sea') as { isSea?: () => boolean } | undefined;
    return sea?.isSea?.() === true;
  } catch {
    return false;
  }
}

/** The text of `version` commands: one "key: value" line each. */
export function versionText(info: BuildInfo = buildInfo(), runtime: string = runtimeDescription()): string {
  return `version: ${info.version}\ncommit:  ${info.commit}\nruntime: ${runtime}\n`;
}
