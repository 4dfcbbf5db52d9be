/**
 * client-node 2.0.1 opens a TLS connection per API call (docs/platform-notes.md, "Connections"). shareConnections()
 * must bring 50 sequential calls down to one or two connections. Connections are counted at a
 * loopback TCP forwarder in front of the real kube-apiserver.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api } from '@kubernetes/client-node';
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
