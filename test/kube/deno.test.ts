/**
 * The Kubernetes adapters, webhook server, probe server and metrics bundled by esbuild (as
 * dist/controller.js is) and run under `deno run` with the permissions the README lists,
 * against the real kube-apiserver. The same entry also runs under Node as the control.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import { COMMON_OPTIONS } from '../../scripts/build.ts';
import { useControlPlane } from '../harness/suite.ts';
import { startTcpProxy, serverAddress } from './tcp-proxy.ts';
import { issueLoopbackServing } from '../harness/certs.ts';
import { cpSync, mkdirSync } from 'node:fs';

const run = promisify(execFile);
const plane = useControlPlane();
const dir = mkdtempSync(join(tmpdir(), 'winprefix-deno-smoke-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const DENO = join(import.meta.dirname, '../../node_modules/.bin/deno');
const bundle = join(dir, 'smoke.js');

async function smoke(runtime: 'node' | 'deno'): Promise<{ result: Record<string, any>; connections: number }> {
  if (!existsSync(bundle)) {
    await esbuild.build({ ...COMMON_OPTIONS, entryPoints: [join(import.meta.dirname, 'deno-smoke-entry.ts')], outfile: bundle });
  }
  const proxy = await startTcpProxy(serverAddress(plane().kubeConfig()));
  try {
    const serving = await plane().webhookServing();
    const rotated = join(dir, `rotated-${runtime}`);
    mkdirSync(rotated);
    await issueLoopbackServing({ dir: rotated, caName: 'rotated-ca', certFileName: 'tls.crt', keyFileName: 'tls.key' });
    // The run replaces the certificate in its own copy of the serving directory.
    const live = join(dir, `live-${runtime}`);
    cpSync(serving.certDir, live, { recursive: true });
    const args = [plane().kubeconfigPath, live, String(proxy.port), runtime, rotated];
    const cmd = runtime === 'deno'
      // The product's permissions, plus write access to the cert copy for the rotation step (test only).
      ? [DENO, ['run', '--allow-env', '--allow-read', '--allow-net', '--allow-sys', `--allow-write=${live}`, bundle, ...args]] as const
      : [process.execPath, [bundle, ...args]] as const;
    const { stdout } = await run(cmd[0], [...cmd[1]], { timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
    return { result: JSON.parse(stdout.trim().split('\n').at(-1)!), connections: proxy.accepted() };
  } finally {
    await proxy.close();
  }
}

for (const runtime of ['deno', 'node'] as const) {
  test(`adapters under ${runtime}: shared connections, reflector, lease, events, admission TLS and certificate reload, metrics`, async () => {
    if (runtime === 'deno') assert.ok(existsSync(DENO), `${DENO} is missing (devDependency deno)`);
    const { result, connections } = await smoke(runtime);
    process.stderr.write(`${runtime}: 30 API calls used ${connections} connection(s)\n`);
    assert.equal(result.runtime, runtime);
    assert.ok(connections <= 2, `${connections} connections for 30 calls`);
    assert.equal(result.reflector.sawAdd, true);
    assert.equal(result.reflector.lists, 1, 'stop() did not trigger a relist');
    assert.deepEqual(result.lease, { led: true, holderAfterRelease: '' });
    assert.ok(result.events.some((e: { reason: string; count: number }) => e.reason === 'DenoSmoke' && e.count >= 2));
    assert.deepEqual(result.admission, { status: 200, patched: true });
    assert.deepEqual(result.metrics, { status: 200, hasCounter: true });
    assert.deepEqual(result.certReload, { changed: true, reloaded: true });
  });
}
