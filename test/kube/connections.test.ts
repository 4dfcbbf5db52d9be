/**
 * client-node 2.0.1 opens a TLS connection per API call (docs/platform-notes.md, "Connections"). shareConnections()
 * must bring 50 sequential calls down to one or two connections, and fenced writes use HTTP/1.1 connections
 * of their own (pkg/adapters/kube/connections.ts, WRITE_CONNECTIONS), which resume the TLS session when they
 * reopen and which warmWriteConnections keeps open for the next burst. Connections are counted at a loopback
 * TCP forwarder in front of the real kube-apiserver.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import type { TLSSocket } from 'node:tls';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { Agent, buildConnector, request } from 'undici';
import { fenceOf } from '../../pkg/support/fence.ts';
import { useControlPlane } from '../harness/suite.ts';
import { startTcpProxy, serverAddress, type TcpProxy } from './tcp-proxy.ts';
import { closeSharedConnections, createKubeClients, shareConnections } from '../../pkg/adapters/kube/client.ts';
import { resumingConnector, writeConnectionCounts } from '../../pkg/adapters/kube/connections.ts';
import { startReflector } from '../../pkg/adapters/kube/reflector.ts';
import { waitFor } from '../harness/wait.ts';

const plane = useControlPlane();
const proxies: TcpProxy[] = [];
after(async () => Promise.all(proxies.map((p) => p.close())));

const CALLS = 50;

/** A kubeconfig through a counting proxy, and the ALPN protocol of each connection undici opens while `body` runs. */
async function withConnectionLog(body: (o: { kc: KubeConfig; proxy: TcpProxy; protocols: string[] }) => Promise<void>): Promise<void> {
  const proxy = await startTcpProxy(serverAddress(plane().kubeConfig()));
  proxies.push(proxy);
  const kc = proxy.kubeConfigVia(plane().kubeConfig());
  const protocols: string[] = [];
  const onConnected = (m: unknown) => protocols.push(String((m as { socket?: { alpnProtocol?: unknown } }).socket?.alpnProtocol));
  diagnostics_channel.subscribe('undici:client:connected', onConnected);
  try {
    await body({ kc, proxy, protocols });
  } finally {
    diagnostics_channel.unsubscribe('undici:client:connected', onConnected);
    await closeSharedConnections(kc);
  }
}

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

test('fenced writes go over HTTP/1.1 connections of their own, reused; reads stay on the shared HTTP/2 one', () =>
  withConnectionLog(async ({ kc, proxy, protocols }) => {
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
  }));

test('warmWriteConnections opens that many HTTP/1.1 write connections, which the next writes find open', () =>
  withConnectionLog(async ({ kc, proxy, protocols }) => {
    const methods: string[] = [];
    const clients = createKubeClients(kc, { fence: fenceOf(() => true), onRequest: (m) => methods.push(m) });
    /** `n` writes at once, each a label of its own on the default namespace. */
    const patches = (n: number, label: string) =>
      Promise.all(
        Array.from({ length: n }, (_, i) =>
          clients.core.patchNamespace({ name: 'default', body: { metadata: { labels: { [`winprefix.test/${label}-${i}`]: 'x' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)),
        ),
      );
    assert.equal(await clients.warmWriteConnections(6), 6, 'six answers');
    assert.deepEqual(protocols, Array(6).fill('http/1.1'), 'six write connections and no HTTP/2 one');
    assert.deepEqual(methods, Array(6).fill('GET'), 'counted like any other call');
    await waitFor('six idle write connections', async () => (writeConnectionCounts(kc).idle === 6 ? true : undefined));
    await patches(6, 'warm');
    assert.equal(protocols.length, 6, `six writes at once found the connections open: ${protocols.join(', ')}`);
    assert.equal(clients.writeConnectionsUsed(), 6, 'each of the six carried one of the writes');
    await waitFor('six idle write connections again', async () => (writeConnectionCounts(kc).idle === 6 ? true : undefined));
    assert.equal(await clients.warmWriteConnections(6), 6);
    assert.equal(protocols.length, 6, 'the next round goes over the same connections, keeping them');
    assert.equal(clients.writeConnectionsUsed(), 0, "a round's own requests are not counted as used");
    await waitFor('the same six, idle', async () => (writeConnectionCounts(kc).idle === 6 ? true : undefined));
    assert.equal(writeConnectionCounts(kc).open, 6);
    assert.equal(proxy.accepted(), 6);
    await patches(9, 'burst');
    assert.equal(protocols.length, 9, 'nine writes at once: three more connections');
    assert.equal(clients.writeConnectionsUsed(), 9, 'the six kept and the three opened, what the keeper keeps next');
  }));

test('write connections opened after the others closed resume the TLS session, also once V8 has collected', async (t) => {
  const kc = plane().kubeConfig();
  const cluster = kc.getCurrentCluster()!;
  const tlsMaterial: Record<string, unknown> = {};
  await kc.applyToHTTPSOptions(tlsMaterial);
  const opts = kc.createDispatcherOptions(cluster, tlsMaterial);
  assert.equal(opts.type, 'agent', 'the test control plane is reached over TLS with a client certificate');
  if (opts.type !== 'agent') return;
  // undici keeps sessions through a WeakRef; collecting is what a quiet minute does to them.
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const collect = async () => {
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((r) => setImmediate(r));
    }
  };

  /** Two pools one after the other on one connector, as a write pool's connections close and reopen. */
  const twoRounds = async (connector: buildConnector.connector) => {
    // Whether each connection resumed, read as it connects (a closed socket no longer says).
    const rounds: boolean[][] = [[], []];
    const protocols = new Set<string>();
    let tickets = 0;
    for (const [i, sockets] of rounds.entries()) {
      const agent = new Agent({
        allowH2: false,
        connections: 6,
        connect: (o, cb) => connector(o, (...args: Parameters<buildConnector.Callback>) => {
          const socket = args[1] as TLSSocket | null;
          if (socket) {
            sockets.push(socket.isSessionReused());
            protocols.add(String(socket.alpnProtocol));
            socket.on('session', () => tickets++);
          }
          cb(...args);
        }),
      });
      await Promise.all(Array.from({ length: 6 }, () => request(`${cluster.server}/api/v1/namespaces/default`, { dispatcher: agent }).then((r) => {
        assert.equal(r.statusCode, 200);
        return r.body.dump();
      })));
      // TLS 1.3 sends its session tickets after the handshake.
      if (i === 0) await waitFor('a session ticket', async () => (tickets > 0 ? true : undefined));
      await agent.close();
      await collect();
    }
    assert.deepEqual([...protocols], ['http/1.1']);
    return rounds.map((reused) => `${reused.filter(Boolean).length} of ${reused.length}`);
  };

  const ours = await twoRounds(resumingConnector(opts.connect));
  assert.match(ours[0]!, /^0 of [1-6]$/, 'the first connections are full handshakes');
  const [resumed, total] = ours[1]!.split(' of ').map(Number) as [number, number];
  assert.ok(total >= 1 && resumed === total, `every reopened connection resumed the session: ${ours[1]}`);
  const undicis = await twoRounds(buildConnector({ ...opts.connect, allowH2: false }));
  // If undici starts keeping sessions strongly, resumingConnector's session half can go.
  t.diagnostic(`undici's own connector, reopened connections resumed: ${undicis[1]}`);
});
