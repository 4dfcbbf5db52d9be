import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { parseBindAddress, type BindAddress } from '../support/bind-address.ts';
import { silentLogger } from '../support/log.ts';
import { createRegistry, PROMETHEUS_CONTENT_TYPE } from '../support/metrics-registry.ts';
import type { KubeClients } from '../adapters/kube/client.ts';
import { metricsAuthDefault, startHealthListener, startMetricsListener } from './listeners.ts';

const bind = (text: string) => parseBindAddress(text, '--metrics-bind-address');
/** Flags refuse port 0; tests use it to get a free port. */
const loopbackFreePort = (): BindAddress => ({ host: '127.0.0.1', port: 0, loopback: true, text: '127.0.0.1:0' });

test('authentication is on by default exactly when /metrics is reachable from other machines; the flag overrides', () => {
  assert.equal(metricsAuthDefault(bind('127.0.0.1:8080'), undefined), false);
  assert.equal(metricsAuthDefault(bind('[::1]:8080'), undefined), false);
  assert.equal(metricsAuthDefault(bind(':8443'), undefined), true);
  assert.equal(metricsAuthDefault(bind('0.0.0.0:8443'), undefined), true);
  assert.equal(metricsAuthDefault(bind('10.0.0.7:8443'), undefined), true);
  assert.equal(metricsAuthDefault(bind(':8443'), false), false);
  assert.equal(metricsAuthDefault(bind('127.0.0.1:8080'), true), true);
  assert.equal(metricsAuthDefault(undefined, undefined), false);
});

// Without authentication the listener never calls the API server: clients that throw prove it.
const unreachableClients = new Proxy({}, { get: () => { throw new Error('no API call expected'); } }) as unknown as Pick<KubeClients, 'authentication' | 'authorization'>;

test('on loopback without authentication /metrics serves the registry as Prometheus text', async (t) => {
  const registry = createRegistry();
  registry.gauge({ name: 'winprefix_example', help: 'Example' }).set({}, 3);
  const server = await startMetricsListener({ listen: { bind: loopbackFreePort(), auth: false, certDir: undefined }, registry, clients: unreachableClients, now: () => 0, log: silentLogger });
  assert.ok(server);
  t.after(() => server.close());
  const r = await request(`http://127.0.0.1:${server.port}/metrics`);
  assert.equal(r.statusCode, 200);
  assert.equal(r.headers['content-type'], PROMETHEUS_CONTENT_TYPE);
  assert.match(await r.body.text(), /^winprefix_example 3$/m);
});

test('address 0 turns a listener off; a taken port names the flag', async (t) => {
  assert.equal(await startMetricsListener({ listen: { bind: undefined, auth: true, certDir: undefined }, registry: createRegistry(), clients: unreachableClients, now: () => 0, log: silentLogger }), undefined);
  const health = await startHealthListener({ bind: loopbackFreePort(), ready: () => ({ status: 200, body: 'ready\n' }), log: silentLogger });
  assert.ok(health);
  t.after(() => health.close());
  assert.equal((await request(`http://127.0.0.1:${health.port}/readyz`)).statusCode, 200);
  await assert.rejects(
    startHealthListener({ bind: { ...loopbackFreePort(), port: health.port, text: `127.0.0.1:${health.port}` }, ready: () => ({ status: 200, body: '' }), log: silentLogger }),
    new RegExp(`--health-probe-bind-address=127\\.0\\.0\\.1:${health.port}: cannot listen there \\(EADDRINUSE`),
  );
});
