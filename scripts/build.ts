/**
 * Bundles each entry point in cmd/ into one ESM file in dist/ that runs unchanged on Node >= 22 and Deno 2.
 * Usage: node scripts/build.ts [--minify] [name ...]
 */
import * as esbuild from 'esbuild';
import { mkdir } from 'node:fs/promises';

export const ENTRY_POINTS = ['controller', 'kubectl-winprefix', 'ec2-simulator'] as const;

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
  await Promise.all(
    names.map((name) =>
      esbuild.build({
        ...COMMON_OPTIONS,
        entryPoints: [`cmd/${name}.ts`],
        outfile: `dist/${name}.js`,
        minify: opts.minify,
      }),
    ),
  );
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const names = args.filter((a) => !a.startsWith('--'));
  const unknown = names.filter((n) => !(ENTRY_POINTS as readonly string[]).includes(n));
  if (unknown.length > 0) {
    console.error(`unknown entry point(s): ${unknown.join(', ')}; known: ${ENTRY_POINTS.join(', ')}`);
    process.exit(2);
  }
  const started = performance.now();
  await build(names.length > 0 ? names : ENTRY_POINTS, { minify: args.includes('--minify') });
  console.error(`built ${(names.length > 0 ? names : ENTRY_POINTS).map((n) => `dist/${n}.js`).join(', ')} in ${Math.round(performance.now() - started)} ms`);
}
