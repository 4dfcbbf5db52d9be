/**
 * client-node 2.0.1 opens a TLS connection per API call (docs/platform-notes.md, "Connections"). shareConnections()
 * must bring 50 sequential calls down to one or two connections, and fenced writes use HTTP/1.1 connections
 * of their own (pkg/adapters/kube/connections.ts, WRITE_CONNECTIONS). Connections are counted at a
 * loopback TCP forwarder in front of the real kube-apiserver.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { fenceOf } from '../../pkg/support/fence.ts';
import { useControlPlane } from '../harness/suite.ts';
import { startTcpProxy, serverAddress, type TcpProxy } from './tcp-proxy.ts';
import { closeSharedConnections, createKubeClients, shareConnections } from '../../pkg/adapters/kube/client.ts';
import { startReflector } from '../../pkg/adapters/kube/reflector.ts';
import { waitFor } from '../harness/wait.ts';

const plane = useControlPlane();
const proxies: TcpProxy[] = [];
after(async () => Promise.all(proxies.map((p) => p.close())));

const CALLS = 50;

test(`${CALLS} sequential API calls use at most 2 connections with shareConnections`, async () => {
  const proxy = await startTcpProxy(serverAddress(plane().kubeConfig()));
  proxies.push(proxy);
  const kc = proxy.kubeConfigVia(plane().kubeConfig());
  const clients = createKubeClients(kc);
  const started = performance.now();
  for (let i = 0; i < CALLS; i++) await clients.core.listNamespace();
  const ms = performance.now() - started;
  process.stderr.write(`shared: ${CALLS} listNamespace calls, ${proxy.accepted()} connections, ${ms.toFixed(0)} ms\n`);
  assert.ok(proxy.accepted() <= 2, `expected <= 2 connections, saw ${proxy.accepted()}`);
  await closeSharedConnections(kc);
});

test('without sharing, client-node opens one connection per call (the behaviour we work around)', async () => {
  const proxy = await startTcpProxy(serverAddress(plane().kubeConfig()));
  proxies.push(proxy);
  const kc = proxy.kubeConfigVia(plane().kubeConfig());
  const core = kc.makeApiClient(CoreV1Api);
  const started = performance.now();
  for (let i = 0; i < 10; i++) await core.listNamespace();
  const ms = performance.now() - started;
  process.stderr.write(`unshared: 10 listNamespace calls, ${proxy.accepted()} connections, ${ms.toFixed(0)} ms\n`);
  // If this starts failing, client-node began pooling by itself and shareConnections may be dropped.
  assert.ok(proxy.accepted() >= 9, `expected a connection per call, saw ${proxy.accepted()}`);
});

test('a watch and API calls share the pool; shareConnections is idempotent', async () => {
  const proxy = await startTcpProxy(serverAddress(plane().kubeConfig()));
  proxies.push(proxy);
  const kc = shareConnections(shareConnections(proxy.kubeConfigVia(plane().kubeConfig())));
  const clients = createKubeClients(kc);
  const r = startReflector({
    kc, path: '/api/v1/namespaces', list: () => clients.core.listNamespace(),
    transform: (n) => n.metadata?.name ?? '', key: (n) => n,
  });
  await waitFor('namespace reflector synced', async () => (r.synced() ? true : undefined));
  for (let i = 0; i < 20; i++) await clients.core.readNamespace({ name: 'default' });
  await r.stop();
  // One for the list and calls, one held by the watch stream (a stream occupies its socket).
  assert.ok(proxy.accepted() <= 3, `saw ${proxy.accepted()}`);
  await closeSharedConnections(kc);
});

test('fenced writes go over HTTP/1.1 connections of their own, reused; reads stay on the shared HTTP/2 one', async () => {
  const proxy = await startTcpProxy(serverAddress(plane().kubeConfig()));
  proxies.push(proxy);
  const kc = proxy.kubeConfigVia(plane().kubeConfig());
  const protocols: string[] = [];
  const onConnected = (m: unknown) => protocols.push(String((m as { socket?: { alpnProtocol?: unknown } }).socket?.alpnProtocol));
  diagnostics_channel.subscribe('undici:client:connected', onConnected);
  try {
    const clients = createKubeClients(kc, { fence: fenceOf(() => true) });
    for (let i = 0; i < 10; i++) await clients.core.listNamespace();
    assert.deepEqual(protocols, ['h2'], 'reads: one HTTP/2 connection');
    for (let i = 0; i < 20; i++) {
      await clients.core.patchNamespace({ name: 'default', body: { metadata: { labels: { 'winprefix.test/write': String(i) } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    }
    // undici opens a second socket for the second request on a fresh pool, then reuses them.
    assert.equal(protocols[0], 'h2');
    const writes = protocols.slice(1);
    assert.ok(writes.length >= 1 && writes.length <= 2 && writes.every((p) => p === 'http/1.1'), `20 sequential writes: HTTP/1.1 connections, reused: ${protocols.join(', ')}`);
    assert.equal(proxy.accepted(), protocols.length);
  } finally {
    diagnostics_channel.unsubscribe('undici:client:connected', onConnected);
    await closeSharedConnections(kc);
  }
});
