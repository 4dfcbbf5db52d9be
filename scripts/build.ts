/**
 * Bundles each entry point in cmd/ into one ESM file in dist/ that runs unchanged on Node >= 22 and Deno 2.
 * Usage: node scripts/build.ts [--minify] [name ...]
 * (the plugin is always minified and split; see ENTRY_OPTIONS)
 */
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { READ_COLUMNS } from '../pkg/core/ec2/instance-limits.ts';
import { minNodeFromEngines, type BuildInfo } from '../pkg/support/build-info.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export const ENTRY_POINTS = ['controller', 'kubectl-winprefix', 'ec2-simulator'] as const;

export interface EntryOptions {
  /** Minified whether or not --minify is given. */
  minify?: boolean;
  /**
   * ESM code splitting: dist/NAME.js stays the file to run, and what it imports dynamically goes into
   * chunks in dist/NAME.chunks/ (emptied first, so no stale chunk survives a rebuild), with a
   * package.json saying they are ES modules so Node does not parse each one twice to find out.
   */
  split?: boolean;
  /**
   * A long-running process that keeps its bundle's source in memory for as long as it runs (V8 holds
   * the script text for lazy compilation and stack traces): names kept so stack traces and logs stay
   * readable, a linked source map beside it, legal comments in NAME.js.LEGAL.txt, and ASCII only, so
   * V8 stores the text one byte per character. (Unminified, comments with curly quotes made it a
   * two-byte string of 17 MB: docs/platform-notes.md, "Controller memory".)
   */
  lean?: boolean;
}

/**
 * Why the plugin differs: a CLI starts per invocation, and its start-up is mostly V8 compiling the
 * bundle (docs/plugin.md, "Start-up"). Minified, there is less to parse. Split, `--help` and
 * `simulate` never load the Kubernetes and EC2 chunks, the dynamically imported modules are
 * tree-shaken (in one file esbuild keeps every module of a lazily imported package, e.g. all 800 EC2
 * commands and the aggregated EC2 class), and Node's compile cache (plugin/compile-cache.ts) can cover
 * the chunks. The controller is long-running and stays one file, minified and lean (EntryOptions.lean);
 * the simulator keeps one unminified file.
 */
export const ENTRY_OPTIONS: Readonly<Partial<Record<string, EntryOptions>>> = {
  'kubectl-winprefix': { minify: true, split: true },
  controller: { minify: true, lean: true },
};

/** Bundles cmd/NAME.ts into OUTDIR/NAME.js (plus OUTDIR/NAME.chunks/ when split); returns the entry file. */
export async function buildEntry(name: string, outDir: string, opts: { minify: boolean }): Promise<string> {
  const entry = ENTRY_OPTIONS[name] ?? {};
  const minify = opts.minify || entry.minify === true;
  const outfile = join(outDir, `${name}.js`);
  if (!entry.split) {
    const lean: esbuild.BuildOptions = entry.lean ? { keepNames: true, sourcemap: 'linked', legalComments: 'external', charset: 'ascii' } : {};
    await esbuild.build({ ...COMMON_OPTIONS, ...lean, entryPoints: [`cmd/${name}.ts`], outfile, minify });
    return outfile;
  }
  const chunks = join(outDir, `${name}.chunks`);
  await rm(chunks, { recursive: true, force: true });
  await esbuild.build({
    ...COMMON_OPTIONS,
    entryPoints: { [name]: `cmd/${name}.ts` },
    outdir: outDir,
    splitting: true,
    chunkNames: `${name}.chunks/[name]-[hash]`,
    minify,
  });
  await writeFile(join(chunks, 'package.json'), '{ "type": "module" }\n');
  return outfile;
}

/**
 * Paths whose changes never reach a bundle or an archive: documentation, tests, examples, CI, the
 * container recipe, and krew.yaml. See {@link sourceCommit}.
 */
const NOT_BUILD_INPUTS = ['docs', 'test', 'examples', '.ci', '*.md', 'krew.yaml', 'Dockerfile', '.dockerignore'].map((p) => `:(exclude)${p}`).concat(':(exclude,glob)**/*.test.ts');

function git(root: string, args: string[]): string | undefined {
  const r = spawnSync('git', ['-C', root, ...args], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/**
 * The commit bundles record: WINPREFIX_COMMIT when set (a build from a source tarball), else the last
 * commit that changed a build input, with "-dirty" when the work tree changes one; "unknown" outside git.
 *
 * Why not HEAD: krew.yaml is committed with the sha256 of each archive, the archive holds the plugin,
 * and the plugin holds the commit. With HEAD, committing krew.yaml would change the very archives it
 * describes. Commits that touch only docs, tests or krew.yaml leave every byte of the builds as it
 * was, so they keep the commit of the last change that did not, and a release's archives can be
 * rebuilt byte for byte from any later commit with the same sources.
 */
export function sourceCommit(log: (line: string) => void = () => {}, root = ROOT, env: Readonly<Record<string, string | undefined>> = process.env): string {
  const override = env.WINPREFIX_COMMIT?.trim();
  if (override) return override;
  const commit = git(root, ['log', '-1', '--format=%H', '--', '.', ...NOT_BUILD_INPUTS]);
  if (!commit) return 'unknown';
  if (git(root, ['rev-parse', '--is-shallow-repository']) === 'true') {
    log(`warning: shallow clone: ${commit} may be older history's boundary rather than the last change to the sources; fetch with --unshallow for the true commit`);
  }
  const changes = git(root, ['status', '--porcelain', '--', '.', ...NOT_BUILD_INPUTS]);
  return changes ? `${commit}-dirty` : commit;
}

/** The version and lowest Node from package.json and the source commit: what bundles embed (pkg/build-info.ts). */
export function currentBuildInfo(log?: (line: string) => void): BuildInfo {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; engines?: { node?: string } };
  return { version: `v${pkg.version}`, commit: sourceCommit(log), minNode: minNodeFromEngines(pkg.engines?.node) };
}

/**
 * `import ... from 'node:http'` in an ES module makes Node build the module's ES facade, which reads every
 * export, and node:http's WebSocket, CloseEvent and MessageEvent are getters that load Node's own copy of
 * undici: 60-70 ms of start-up and its heap for nothing (docs/platform-notes.md, "Controller memory").
 * require() returns the exports object without touching them, so node:http is loaded that way.
 */
const requireNodeHttp: esbuild.Plugin = {
  name: 'require-node-http',
  setup(build) {
    // The require() inside the stand-in is the real built-in.
    build.onResolve({ filter: /^(node:)?http$/ }, (args) => (args.namespace === 'require-node-http' ? { path: 'node:http', external: true } : { path: 'node:http', namespace: 'require-node-http' }));
    build.onLoad({ filter: /.*/, namespace: 'require-node-http' }, () => ({ contents: 'module.exports = require("node:http");', loader: 'js' }));
  },
};

/** Upstream's instance table with only the columns pkg/core/ec2/instance-limits.ts reads: 50 KB less in each bundle. */
const instanceLimitsAsRead: esbuild.Plugin = {
  name: 'instance-limits-as-read',
  setup(build) {
    build.onLoad({ filter: /[\\/]pkg[\\/]core[\\/]ec2[\\/]instance-limits\.json$/ }, async (args) => {
      const table = JSON.parse(await readFile(args.path, 'utf8')) as Record<string, Record<string, unknown>>;
      const kept = Object.fromEntries(Object.entries(table).map(([type, row]) => [type, Object.fromEntries(READ_COLUMNS.map((c) => [c, row[c]]))]));
      return { contents: JSON.stringify(kept), loader: 'json' };
    });
  },
};

/**
 * client-ec2's schemas for all of EC2's ~2,600 structures sit in one module, and esbuild keeps every one,
 * used or not: their traits are objects with computed keys (`{ [_xN]: "..." }`, `_xN` a string constant), which
 * esbuild cannot prove free of side effects. With the constants written in as plain keys, the same objects,
 * only the structures our commands reach are bundled: about 0.45 MB less, and less to parse and hold at start-up.
 * Should a release change that module's layout, nothing is rewritten and the bundle is only larger
 * (scripts/build.test.ts notices).
 */
const treeShakeableEc2Schemas: esbuild.Plugin = {
  name: 'tree-shakeable-ec2-schemas',
  setup(build) {
    build.onLoad({ filter: /[\\/]@aws-sdk[\\/]client-ec2[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const strings = new Map<string, string>();
      for (const m of source.matchAll(/^const (_\w+) = ("[^"\\\n]*");$/gm)) strings.set(m[1]!, m[2]!);
      const contents = source.replace(/\[(_\w+)\]:/g, (key, name: string) => (strings.has(name) ? `${strings.get(name)}:` : key));
      return { contents, loader: 'js' };
    });
  },
};

/**
 * string-width (yargs measures its help text with it) builds an `Intl.Segmenter` and Unicode-property regular
 * expressions when it loads, which pulls in ICU's locale and property tables: 2.6 MiB of RSS for the Segmenter
 * alone in a bare Node. yargs renders a command's help whenever the command runs (to have it should the handler
 * ask), and string-width 8 measures printable ASCII without them (package.json's override makes cliui and
 * wrap-ansi use it too), so with each such top-level constant made on first use, the controller never makes
 * them. Should a release change those lines, nothing is rewritten and only memory is lost (scripts/build.test.ts
 * notices).
 */
const lazyStringWidthTables: esbuild.Plugin = {
  name: 'lazy-string-width-tables',
  setup(build) {
    build.onLoad({ filter: /[\\/]string-width[\\/]index\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const names: string[] = [];
      let contents = source.replace(/^const (\w+) = (new Intl\.Segmenter\(\)|\/.*\\p\{.*\/[a-z]*);$/gm, (_line, name: string, init: string) => {
        names.push(name);
        return `let ${name}$made;\nconst ${name}$get = () => (${name}$made ??= ${init});`;
      });
      for (const name of names) contents = contents.replace(new RegExp(`\\b${name}\\b(?![$])`, 'g'), `${name}$get()`);
      return { contents, loader: 'js' };
    });
  },
};

/**
 * Why the banner: undici and other dependencies are CommonJS and call require() for built-ins,
 * which an ESM bundle lacks ("Dynamic require of node:assert is not supported").
 * Why module-first mainFields: otherwise esbuild takes client-ec2's CJS build (+0.6 MB, +200 ms start-up).
 */
export const COMMON_OPTIONS: esbuild.BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  mainFields: ['module', 'main'],
  banner: { js: "import{createRequire as __wpcr}from'node:module';const require=__wpcr(import.meta.url);" },
  // Optional native accelerators that ws and debug probe for inside try/catch; never needed here.
  external: ['bufferutil', 'utf-8-validate', 'supports-color', '@aws-sdk/signature-v4-crt'],
  legalComments: 'none',
  sourcemap: false,
  plugins: [requireNodeHttp, instanceLimitsAsRead, treeShakeableEc2Schemas, lazyStringWidthTables],
  logLevel: 'warning',
  // Version, commit and lowest Node for `version` commands and the runtime check (pkg/build-info.ts).
  define: { WINPREFIX_BUILD: JSON.stringify(currentBuildInfo((line) => console.error(line))) },
};

export async function build(names: readonly string[], opts: { minify: boolean }): Promise<void> {
  await mkdir('dist', { recursive: true });
  await Promise.all(names.map((name) => buildEntry(name, 'dist', opts)));
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const names = args.filter((a) => !a.startsWith('--'));
  const badFlags = args.filter((a) => a.startsWith('--') && a !== '--minify');
  if (badFlags.length > 0) {
    console.error(`unknown option(s): ${badFlags.join(', ')}; usage: node scripts/build.ts [--minify] [${ENTRY_POINTS.join('|')} ...]`);
    process.exit(2);
  }
  const unknown = names.filter((n) => !(ENTRY_POINTS as readonly string[]).includes(n));
  if (unknown.length > 0) {
    console.error(`unknown entry point(s): ${unknown.join(', ')}; known: ${ENTRY_POINTS.join(', ')}`);
    process.exit(2);
  }
  const started = performance.now();
  await build(names.length > 0 ? names : ENTRY_POINTS, { minify: args.includes('--minify') });
  console.error(`built ${(names.length > 0 ? names : ENTRY_POINTS).map((n) => `dist/${n}.js`).join(', ')} in ${Math.round(performance.now() - started)} ms`);
}
