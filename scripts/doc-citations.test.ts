/**
 * The repository cites only itself. Comments, test names, messages and docs point at docs/ in this
 * repository (docs/design.md, "Style notes"), never at notes a reader of the repository cannot open,
 * and every file in docs/ they cite exists, with the section ("Title" or 'Title' after a comma) or the
 * upstream entry (#N after docs/upstream-differences.md) they name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const SELF = relative(ROOT, import.meta.filename);
/** Generated or installed, not written here (see .gitignore). */
const SKIP_DIRS = new Set(['.git', 'node_modules', 'dist', '.tmp']);
const SKIP_FILES = new Set(['package-lock.json']);

/** Every text file of the repository, as paths relative to its root. */
function repositoryFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name)) walk(path);
      } else if (entry.isFile() && !SKIP_FILES.has(entry.name) && !entry.name.endsWith('.tsbuildinfo')) {
        files.push(relative(ROOT, path));
      }
    }
  };
  walk(ROOT);
  return files.filter((f) => statSync(join(ROOT, f)).size < 4_000_000 && !read(f).includes('\0'));
}

const cache = new Map<string, string>();
function read(file: string): string {
  let text = cache.get(file);
  if (text === undefined) {
    text = readFileSync(join(ROOT, file), 'utf8');
    cache.set(file, text);
  }
  return text;
}

const lineOf = (text: string, index: number) => text.slice(0, index).split('\n').length;

/** Outside notes and the ways they used to be cited. This file names them, so it is not scanned. */
const OUTSIDE = [
  /stack[- ]notes/i,
  /upstream study/i,
  /users-and-anchors/i,
  /upstream-windows-ipam/i,
  /style-anchors/i,
  /\.\.\/shared\b/,
  /\/work\/shared\b/,
  /\bupstream(?:'s)? bugs? \d/i,
];

test('no file cites notes from outside the repository', () => {
  const files = repositoryFiles();
  assert.ok(files.length > 100, `found only ${files.length} files under ${ROOT}`);
  const hits: string[] = [];
  for (const file of files) {
    if (file === SELF) continue;
    const text = read(file);
    for (const pattern of OUTSIDE) {
      for (const m of text.matchAll(new RegExp(pattern.source, pattern.flags + 'g'))) {
        hits.push(`${file}:${lineOf(text, m.index)}: "${m[0]}"`);
      }
    }
  }
  assert.deepEqual(hits, [], 'cite docs/platform-notes.md or docs/upstream-differences.md (or another file in docs/) instead');
});

/** Heading texts of a markdown file, outside code fences, without #, backticks or a "7." numbering. */
function headings(markdown: string): string[] {
  const found: string[] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const m = !fenced && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (m) found.push(m[1]!.replaceAll('`', '').replace(/^\d+\.\s+/, ''));
  }
  return found;
}

/** A quoted section may wrap across comment lines: join them as one line of text. */
const joinLines = (quoted: string) => quoted.replace(/\s*\n\s*(?:\*|\/\/|#)?\s*/g, ' ').trim();

const DOC = /(?<![\w./-])docs\/([\w-]+\.md)(?:,\s*(["'])([^"']{1,100}?)\2)?/g;
const UPSTREAM_ENTRIES = /(?<![\w./-])docs\/upstream-differences\.md((?:\s*(?:,|and)?\s*#\d+)+)/g;

test('every docs/*.md a file cites exists, with the section or upstream entry it names', () => {
  const problems: string[] = [];
  let citations = 0;
  for (const file of repositoryFiles()) {
    const text = read(file);
    for (const m of text.matchAll(DOC)) {
      citations++;
      const doc = `docs/${m[1]}`;
      const where = `${file}:${lineOf(text, m.index)}`;
      let target: string;
      try {
        target = read(doc);
      } catch {
        problems.push(`${where} cites ${doc}, which does not exist`);
        continue;
      }
      const section = m[3] === undefined ? undefined : joinLines(m[3]);
      if (section !== undefined && !headings(target).some((h) => h === section || h.startsWith(`${section} `))) {
        problems.push(`${where} cites ${doc}, "${section}", which has no such heading`);
      }
    }
    for (const m of text.matchAll(UPSTREAM_ENTRIES)) {
      const entries = headings(read('docs/upstream-differences.md'));
      for (const [, n] of m[1]!.matchAll(/#(\d+)/g)) {
        if (!entries.some((h) => h.startsWith(`#${n} `))) {
          problems.push(`${file}:${lineOf(text, m.index)} cites docs/upstream-differences.md #${n}, which has no such entry`);
        }
      }
    }
  }
  assert.ok(citations > 30, `found only ${citations} citations of docs/*.md`);
  assert.deepEqual(problems, []);
});

test("docs/upstream-differences.md keeps upstream's numbering: one entry for each of #1 to #29", () => {
  const entries = headings(read('docs/upstream-differences.md')).filter((h) => /^#\d+ /.test(h));
  assert.deepEqual(
    entries.map((h) => Number(/^#(\d+)/.exec(h)![1])),
    Array.from({ length: 29 }, (_, i) => i + 1),
  );
});
