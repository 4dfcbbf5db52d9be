import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as esbuild from 'esbuild';
import { bundledInstanceLimits, bundledInstanceTypes } from '../pkg/core/ec2/instance-limits.ts';
import { COMMON_OPTIONS, sourceCommit } from './build.ts';

const repo = mkdtempSync(join(tmpdir(), 'winprefix-commit-'));
after(() => rmSync(repo, { recursive: true, force: true }));

function git(...args: string[]): string {
  const r = spawnSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

function commitFile(path: string, text: string): string {
  mkdirSync(join(repo, path, '..'), { recursive: true });
  writeFileSync(join(repo, path), text);
  git('add', path);
  git('commit', '-q', '-m', `change ${path}`);
  return git('rev-parse', 'HEAD');
}

const noOverride = {};

test('the commit is the last one that changed a build input: krew.yaml, docs and tests do not count', () => {
  git('init', '-q');
  const source = commitFile('pkg/a.ts', 'export const a = 1;\n');
  commitFile('krew.yaml', 'sha256: 1\n');
  commitFile('docs/plugin.md', '# docs\n');
  commitFile('pkg/a.test.ts', '// test\n');
  commitFile('test/plugin/x.ts', '// harness\n');
  assert.equal(sourceCommit(undefined, repo, noOverride), source);
  const changed = commitFile('scripts/package.ts', '// packager\n');
  assert.equal(sourceCommit(undefined, repo, noOverride), changed);
});

test('uncommitted changes to a build input, or a new file among them, mark the commit -dirty; others do not', () => {
  const head = sourceCommit(undefined, repo, noOverride);
  writeFileSync(join(repo, 'docs', 'plugin.md'), '# changed docs\n');
  writeFileSync(join(repo, 'krew.yaml'), 'sha256: 2\n');
  assert.equal(sourceCommit(undefined, repo, noOverride), head);
  writeFileSync(join(repo, 'pkg', 'new.ts'), 'export {};\n');
  assert.equal(sourceCommit(undefined, repo, noOverride), `${head}-dirty`);
  rmSync(join(repo, 'pkg', 'new.ts'));
  writeFileSync(join(repo, 'pkg', 'a.ts'), 'export const a = 2;\n');
  assert.equal(sourceCommit(undefined, repo, noOverride), `${head}-dirty`);
});

test('WINPREFIX_COMMIT names the commit of a build from a source tarball; outside git it is unknown', () => {
  assert.equal(sourceCommit(undefined, repo, { WINPREFIX_COMMIT: 'v0.1.0-tarball' }), 'v0.1.0-tarball');
  const plain = mkdtempSync(join(tmpdir(), 'winprefix-nogit-'));
  try {
    assert.equal(sourceCommit(undefined, plain, noOverride), 'unknown');
  } finally {
    rmSync(plain, { recursive: true, force: true });
  }
});

/** `source` bundled as the build bundles (COMMON_OPTIONS, minified) in a scratch folder; the folder goes afterwards. */
async function withBundleOf(source: string, use: (outfile: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'winprefix-bundle-'));
  try {
    const entry = join(dir, 'entry.ts');
    writeFileSync(entry, source);
    const outfile = join(dir, 'bundle.mjs');
    await esbuild.build({ ...COMMON_OPTIONS, entryPoints: [entry], outfile, minify: true, logLevel: 'silent', nodePaths: [join(import.meta.dirname, '../node_modules')] });
    await use(outfile);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the bundles hold fewer instance columns, and every type reads the same limits as from the source', async () => {
  const module = JSON.stringify(join(import.meta.dirname, '../pkg/core/ec2/instance-limits.ts'));
  await withBundleOf(`export { bundledInstanceLimits, bundledInstanceTypes } from ${module};\n`, async (outfile) => {
    const bundled = (await import(outfile)) as typeof import('../pkg/core/ec2/instance-limits.ts');
    assert.deepEqual(bundled.bundledInstanceTypes(), bundledInstanceTypes());
    assert.ok(bundledInstanceTypes().length > 1000);
    for (const type of bundledInstanceTypes()) assert.deepEqual(bundled.bundledInstanceLimits(type), bundledInstanceLimits(type), type);
    assert.doesNotMatch(readFileSync(outfile, 'utf8'), /branchInterface|isTrunkingCompatible/, 'columns nothing reads are left out');
  });
});

test('client-ec2 bundles only the schemas of the commands used: one command is about 0.3 MB, not 0.85', async () => {
  await withBundleOf("export { EC2Client, DescribeNetworkInterfacesCommand } from '@aws-sdk/client-ec2';\n", async (outfile) => {
    const text = readFileSync(outfile, 'utf8');
    // Structure schemas are arrays that start with 3 (client-ec2's schemas_0.js).
    const structures = text.match(/\[3,[\w$]+,[\w$]+,/g)?.length ?? 0;
    assert.ok(structures > 0 && structures < 200, `${structures} structure schemas bundled for one command; client-ec2 has ~2,600`);
    assert.match(text, /NetworkInterfaceSet|networkInterfaceSet/);
    assert.doesNotMatch(text, /"?WithdrawByoipCidrResult"?\b/, 'an unrelated structure is left out');
  });
});

test('string-width builds its Segmenter and Unicode-property expressions on first use, and measures as before', async () => {
  const copies = [join(import.meta.dirname, '../node_modules/string-width/index.js')];
  const samples = ['', 'plain ascii', '\u001b[31mred\u001b[39m', 'narrow\u00e9 e\u0301', '\u5bbd\u5b57\u7b26', 'emoji \u{1F600} \u{1F44D}\u{1F3FD} \u{1F468}\u200D\u{1F469}\u200D\u{1F467}', '1\u20E3 \u2764\uFE0F', '\u1100\u1161\u11A8'];
  for (const copy of copies) {
    await withBundleOf(`export { default } from ${JSON.stringify(copy)};\n`, async (outfile) => {
      const text = readFileSync(outfile, 'utf8');
      const made = text.match(/new Intl\.Segmenter/g)?.length ?? 0;
      assert.equal(made, 1, copy);
      assert.match(text, /\?\?=\s*new Intl\.Segmenter/, `${copy}: the Segmenter is made when the module loads`);
      assert.doesNotMatch(text, /[,;{]\s*(var|let|const)\s+[\w$]+\s*=\s*(new RegExp\("[^"]*\\\\p\{|\/[^/\n]*\\p\{)/, `${copy}: a Unicode-property expression is built when the module loads`);
      const bundled = ((await import(outfile)) as { default: (s: string) => number }).default;
      const original = ((await import(copy)) as { default: (s: string) => number }).default;
      for (const s of samples) assert.equal(bundled(s), original(s), `${copy}: width of ${JSON.stringify(s)}`);
    });
  }
});
