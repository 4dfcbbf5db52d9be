/**
 * The core's boundary, checked on its source (the core tsconfig, without Node's types, checks the rest):
 * no Node built-in, no SDK or other package, nothing from the adapters, the support layer or the
 * controller, and no wall clock or randomness read directly. See docs/design.md.
 *
 * Tests (`*.test.ts`) and their support (`testing/` folders) are not the product and are not checked:
 * they may use node:test, and the EC2 simulator's in-process ENI (pkg/ec2sim/world-eni.ts) as the core's
 * EC2. What keeps that honest is the last test: nothing the product ships imports test support.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';

const CORE = import.meta.dirname;
const REPO = resolve(CORE, '..', '..');

function coreSources(): string[] {
  return readdirSync(CORE, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.split(sep).includes('testing'))
    .map((f) => join(CORE, f));
}

const SPECIFIER = /(?:^|\s)(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(?\s*['"]([^'"]+)['"]/g;
const AMBIENT = /\b(?:Date\.now|Math\.random|new Date\(\s*\)|setTimeout|setInterval|process\.|Buffer\.|globalThis\.)/;

test('the core imports only the core', () => {
  const sources = coreSources();
  assert.ok(sources.length > 20, `found only ${sources.length} core sources under ${CORE}`);
  const violations: string[] = [];
  for (const file of sources) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(SPECIFIER)) {
      const spec = (m[1] ?? m[2])!;
      const where = relative(CORE, file);
      if (!spec.startsWith('.')) {
        violations.push(`${where} imports '${spec}': the core may not import Node built-ins or packages`);
        continue;
      }
      const target = resolve(file, '..', spec);
      if (relative(CORE, target).startsWith('..')) violations.push(`${where} imports '${spec}', outside pkg/core`);
    }
  }
  assert.deepEqual(violations, []);
});

test('the core reads no wall clock, timer, randomness or process state of its own', () => {
  const violations: string[] = [];
  for (const file of coreSources()) {
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      const code = line.replace(/\/\/.*$/, '').replace(/^\s*\*.*$/, '');
      if (AMBIENT.test(code)) violations.push(`${relative(CORE, file)}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(violations, [], 'take `now` (or a clock) from the caller instead');
});

test('nothing the product ships imports test support', () => {
  const shipped = ['pkg', 'plugin', 'cmd'].flatMap((dir) =>
    readdirSync(join(REPO, dir), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.split(sep).includes('testing'))
      .map((f) => join(REPO, dir, f)),
  );
  assert.ok(shipped.length > 100, `found only ${shipped.length} shipped sources`);
  const violations: string[] = [];
  for (const file of shipped) {
    for (const m of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
      const spec = (m[1] ?? m[2])!;
      if (!spec.startsWith('.')) continue;
      const target = relative(REPO, resolve(file, '..', spec));
      if (target.split(sep).includes('testing') || target.endsWith('.test.ts')) violations.push(`${relative(REPO, file)} imports '${spec}'`);
    }
  }
  assert.deepEqual(violations, [], 'test support stays out of the bundles: move what the product needs out of testing/');
});
