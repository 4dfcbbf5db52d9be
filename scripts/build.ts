/**
 * Bundles each entry point in cmd/ into one ESM file in dist/ that runs unchanged on Node >= 22 and Deno 2.
 * Usage: node scripts/build.ts [--minify] [name ...]
 * (the plugin is always minified and split; see ENTRY_OPTIONS)
 */
import * as esbuild from 'esbuild';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

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
}

/**
 * Why the plugin differs: a CLI starts per invocation, and its start-up is mostly V8 compiling the
 * bundle (docs/plugin.md, "Start-up"). Minified, there is less to parse. Split, `--help` and
 * `simulate` never load the Kubernetes and EC2 chunks, the dynamically imported modules are
 * tree-shaken (in one file esbuild keeps every module of a lazily imported package, e.g. all 800 EC2
 * commands and the aggregated EC2 class), and Node's compile cache (plugin/compile-cache.ts) can cover
 * the chunks. The controller and the simulator are long-running and keep one unminified file.
 */
export const ENTRY_OPTIONS: Readonly<Partial<Record<string, EntryOptions>>> = {
  'kubectl-winprefix': { minify: true, split: true },
};

/** Bundles cmd/NAME.ts into OUTDIR/NAME.js (plus OUTDIR/NAME.chunks/ when split); returns the entry file. */
export async function buildEntry(name: string, outDir: string, opts: { minify: boolean }): Promise<string> {
  const entry = ENTRY_OPTIONS[name] ?? {};
  const minify = opts.minify || entry.minify === true;
  const outfile = join(outDir, `${name}.js`);
  if (!entry.split) {
    await esbuild.build({ ...COMMON_OPTIONS, entryPoints: [`cmd/${name}.ts`], outfile, minify });
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
  logLevel: 'warning',
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
