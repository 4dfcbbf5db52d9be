/**
 * Exec credential plugins (the `aws eks get-token` mechanism) keep working through
 * loadKubeConfig + shareConnections, and a rotated client certificate from the plugin gets a new
 * connection pool (a pooled connection would otherwise keep presenting the old certificate).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthenticationV1Api, KubeConfig } from '@kubernetes/client-node';
import { useControlPlane } from '../harness/suite.ts';
import { startTcpProxy, serverAddress } from './tcp-proxy.ts';
import { closeSharedConnections, createKubeClients, loadKubeConfig, shareConnections } from '../../pkg/adapters/kube/client.ts';

const plane = useControlPlane();
const dir = mkdtempSync(join(tmpdir(), 'winprefix-exec-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The client certificate and key (PEM) of a minted identity. */
async function identity(name: string): Promise<{ cert: string; key: string }> {
  const kc = new KubeConfig();
  kc.loadFromFile(await plane().mintKubeconfig({ name, groups: ['system:masters'] }));
  const u = kc.getCurrentUser()!;
  return { cert: Buffer.from(u.certData!, 'base64').toString(), key: Buffer.from(u.keyData!, 'base64').toString() };
}

function writeCredential(path: string, id: { cert: string; key: string }, expiresInMs: number): void {
  writeFileSync(path, JSON.stringify({
    apiVersion: 'client.authentication.k8s.io/v1',
    kind: 'ExecCredential',
    status: { clientCertificateData: id.cert, clientKeyData: id.key, expirationTimestamp: new Date(Date.now() + expiresInMs).toISOString() },
  }));
}

test('an exec plugin identity works, shares one connection, and a rotated certificate gets a new pool', async (t) => {
  const proxy = await startTcpProxy(serverAddress(plane().kubeConfig()));
  t.after(() => proxy.close());
  const credential = join(dir, 'credential.json');
  const plugin = join(dir, 'get-token.sh');
  writeFileSync(plugin, `#!/bin/sh\ncat '${credential}'\n`);
  chmodSync(plugin, 0o755);
  const caData = Buffer.from(plane().caPem).toString('base64');
  const kubeconfig = join(dir, 'kubeconfig.json');
  writeFileSync(kubeconfig, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'eks',
    clusters: [{ name: 'eks', cluster: { server: `https://127.0.0.1:${proxy.port}`, 'certificate-authority-data': caData } }],
    users: [{ name: 'eks-user', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, interactiveMode: 'Never' } } }],
    contexts: [{ name: 'eks', context: { cluster: 'eks', user: 'eks-user' } }],
  }));

  writeCredential(credential, await identity('exec-first'), 1_500);
  const kc = shareConnections(loadKubeConfig({ kubeconfig }));
  const clients = createKubeClients(kc);
  t.after(() => closeSharedConnections(kc));
  const auth = kc.makeApiClient(AuthenticationV1Api);
  const whoami = async () => (await auth.createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } })).status?.userInfo?.username;

  assert.equal(await whoami(), 'exec-first');
  for (let i = 0; i < 20; i++) await clients.core.listNamespace();
  assert.equal(proxy.accepted(), 1, 'one pooled connection for the exec identity');

  // The plugin now hands out another certificate; client-node re-runs it once the old one expires.
  writeCredential(credential, await identity('exec-second'), 60_000);
  await new Promise((ok) => setTimeout(ok, 1_600));
  assert.equal(await whoami(), 'exec-second');
  for (let i = 0; i < 20; i++) await clients.core.listNamespace();
  assert.equal(proxy.accepted(), 2, 'exactly one new connection for the new certificate');
});
