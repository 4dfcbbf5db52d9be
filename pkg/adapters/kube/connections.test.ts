/**
 * Which pool an API call gets: the same one while the TLS material is the same, a fresh one (and the old one
 * closed) once the client certificate rotates. No server: client-node builds the dispatcher before any
 * connection is made. test/kube/connections.test.ts counts the connections against a real kube-apiserver.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpMethod, KubeConfig, RequestContext } from '@kubernetes/client-node';
import type { Dispatcher } from 'undici';
import { closeSharedConnections, shareConnections, writeDispatcherFor } from './connections.ts';

const pem = (label: string, body: string) => Buffer.from(`-----BEGIN ${label}-----\n${Buffer.from(body).toString('base64')}\n-----END ${label}-----\n`).toString('base64');

function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', caData: pem('CERTIFICATE', 'ca'), skipTLSVerify: false }],
    users: [{ name: 'u', certData: pem('CERTIFICATE', 'client one'), keyData: pem('PRIVATE KEY', 'key') }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

/** A shared KubeConfig for `fn`, its pools closed afterwards. */
async function withSharedConnections(fn: (kc: KubeConfig) => Promise<void>): Promise<void> {
  const kc = shareConnections(kubeConfig());
  try {
    await fn(kc);
  } finally {
    await closeSharedConnections(kc);
  }
}

async function dispatcherOfCall(kc: KubeConfig): Promise<Dispatcher> {
  const ctx = new RequestContext('https://127.0.0.1:6443/api/v1/pods', HttpMethod.GET);
  await kc.applySecurityAuthentication(ctx);
  return ctx.getDispatcher() as Dispatcher;
}

test('API calls with the same TLS material share one pool and its write pool', () =>
  withSharedConnections(async (kc) => {
    const first = await dispatcherOfCall(kc);
    const second = await dispatcherOfCall(kc);
    assert.equal(second, first);
    assert.ok(writeDispatcherFor(first), 'an HTTPS pool has an HTTP/1.1 write pool beside it');
  }));

test('a rotated client certificate gets a fresh pool, and the old pools are closed', () =>
  withSharedConnections(async (kc) => {
    const before = await dispatcherOfCall(kc);
    const beforeWrites = writeDispatcherFor(before)!;
    kc.users[0] = { ...kc.users[0]!, certData: pem('CERTIFICATE', 'client two') };
    const after = await dispatcherOfCall(kc);
    assert.notEqual(after, before);
    assert.notEqual(writeDispatcherFor(after), beforeWrites);
    assert.equal((before as Dispatcher & { closed: boolean }).closed, true);
    assert.equal((beforeWrites as Dispatcher & { closed: boolean }).closed, true);
    assert.equal(await dispatcherOfCall(kc), after, 'the new material is then shared as before');
  }));

test('a changed CA or server name also gets a fresh pool; the same bytes in new buffers do not', () =>
  withSharedConnections(async (kc) => {
    const first = await dispatcherOfCall(kc);
    kc.clusters[0] = { ...kc.clusters[0]!, caData: pem('CERTIFICATE', 'ca') };
    assert.equal(await dispatcherOfCall(kc), first, 'the same CA text, decoded again');
    kc.clusters[0] = { ...kc.clusters[0]!, caData: pem('CERTIFICATE', 'another ca') };
    const second = await dispatcherOfCall(kc);
    assert.notEqual(second, first);
    kc.clusters[0] = { ...kc.clusters[0]!, tlsServerName: 'kubernetes.default' };
    assert.notEqual(await dispatcherOfCall(kc), second);
  }));
