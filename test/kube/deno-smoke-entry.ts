/**
 * @module
 * Run under Deno (bundled) by deno.test.ts: exercises the adapters whose behaviour differs
 * between runtimes (docs/platform-notes.md, "Deno": undici connections, AbortError on stop, node:https servers,
 * TLS reload) against the real kube-apiserver, and prints one JSON line with what it saw.
 * Usage: deno run ... bundle.js <kubeconfig> <webhook cert dir> <tcp proxy port> <unique tag> <rotated cert dir>
 * The webhook cert dir is replaced with the rotated pair during the run (the test grants write access to it only).
 */
import { request, Agent } from 'undici';
import { copyFileSync, readFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { closeSharedConnections, createKubeClients, loadKubeConfig } from '../../pkg/adapters/kube/client.ts';
import { startReflector } from '../../pkg/adapters/kube/reflector.ts';
import { runLeaderElection } from '../../pkg/adapters/kube/leader-election.ts';
import { createEventRecorder } from '../../pkg/adapters/kube/events.ts';
import { createLogger } from '../../pkg/support/log.ts';
import { startAdmissionServer, mutatePod, MUTATE_POD_PATH } from '../../pkg/adapters/http/admission.ts';
import { startProbeServer } from '../../pkg/adapters/http/probes.ts';
import { createRegistry, PROMETHEUS_CONTENT_TYPE } from '../../pkg/support/metrics-registry.ts';

const [kubeconfig, certDir, proxyPort, tag, rotatedDir] = process.argv.slice(2) as [string, string, string, string, string];
const out: Record<string, unknown> = { runtime: typeof (globalThis as { Deno?: unknown }).Deno === 'object' ? 'deno' : 'node' };
const log = createLogger({ level: 'error' });

// Through the counting proxy: how many connections do 30 calls take?
const kc = loadKubeConfig({ kubeconfig });
const cluster = kc.getCurrentCluster()!;
const viaProxy = loadKubeConfig({ kubeconfig });
viaProxy.loadFromOptions({
  clusters: [{ ...cluster, server: `https://127.0.0.1:${proxyPort}` }],
  users: viaProxy.getUsers(), contexts: viaProxy.getContexts(), currentContext: viaProxy.getCurrentContext(),
});
const pc = createKubeClients(viaProxy);
for (let i = 0; i < 30; i++) await pc.core.listNamespace();
await closeSharedConnections(viaProxy);

const clients = createKubeClients(kc);
// Reflector: sync, see an add, stop cleanly (Node reports an AbortError on stop, Deno does not).
let lists = 0;
const seen: string[] = [];
const r = startReflector({
  kc, path: '/api/v1/namespaces/default/configmaps',
  list: () => { lists++; return clients.core.listNamespacedConfigMap({ namespace: 'default' }); },
  transform: (cm: { metadata?: { name?: string } }) => cm.metadata?.name ?? '', key: (n: string) => n,
  onUpsert: (n) => seen.push(n), log,
});
const until = async (cond: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((ok) => setTimeout(ok, 20));
  }
};
await until(() => r.synced());
await clients.core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: `from-${tag}` } } });
await until(() => seen.includes(`from-${tag}`));
await r.stop();
await new Promise((ok) => setTimeout(ok, 300));
out.reflector = { lists, sawAdd: seen.includes(`from-${tag}`) };

// Leader election: acquire, then release.
const cancel = new AbortController();
let led = false;
const election = runLeaderElection({
  clients, namespace: 'default', name: `smoke-${tag}`, identity: 'deno-1', leaseDurationMs: 2000, renewDeadlineMs: 1500, retryPeriodMs: 200,
  signal: cancel.signal, releaseOnCancel: true, onStartedLeading: () => (led = true), onStoppedLeading: () => {}, log,
});
await until(() => led);
cancel.abort();
await election;
const lease = await clients.coordination.readNamespacedLease({ namespace: 'default', name: `smoke-${tag}` });
out.lease = { led, holderAfterRelease: lease.spec?.holderIdentity ?? '' };

// Events.
const rec = createEventRecorder({ clients, component: 'winprefix-controller', instance: 'deno' });
rec.emit({ kind: 'Node', name: `node-${tag}` }, { type: 'Normal', reason: 'DenoSmoke', message: 'hello' });
rec.emit({ kind: 'Node', name: `node-${tag}` }, { type: 'Normal', reason: 'DenoSmoke', message: 'hello' });
await rec.flush();
const evs = await clients.core.listNamespacedEvent({ namespace: 'default', fieldSelector: `involvedObject.uid=node-${tag}` });
out.events = evs.items.map((e) => ({ reason: e.reason, count: e.count }));

// Admission server over TLS (its certificate is replaced below) and the probe server.
const adm = await startAdmissionServer({ host: '127.0.0.1', port: 0, certDir, log, certPollMs: 50, handlers: { [MUTATE_POD_PATH]: (rv) => mutatePod(rv, { ipamEnabled: () => true }) } });
const agent = new Agent({ connect: { ca: readFileSync(join(certDir, 'ca.crt')) } });
const res = await request(`https://127.0.0.1:${adm.port}${MUTATE_POD_PATH}`, {
  method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { group: '', version: 'v1', resource: 'pods' }, operation: 'CREATE', userInfo: {}, object: { spec: { nodeSelector: { 'kubernetes.io/os': 'windows' }, containers: [{}] } } } }),
});
const review = (await res.body.json()) as { response?: { patch?: string } };
out.admission = { status: res.statusCode, patched: Boolean(review.response?.patch) };
await agent.close();
const served = () =>
  new Promise<string>((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port: adm.port, rejectUnauthorized: false }, () => {
      resolve(sock.getPeerX509Certificate()?.fingerprint256 ?? '');
      sock.end();
    });
    sock.on('error', reject);
  });
const before = await served();
copyFileSync(join(rotatedDir, 'tls.key'), join(certDir, 'tls.key'));
copyFileSync(join(rotatedDir, 'tls.crt'), join(certDir, 'tls.crt'));
const want = new X509Certificate(readFileSync(join(rotatedDir, 'tls.crt'))).fingerprint256;
const reloadStart = Date.now();
let reloaded = false;
while (Date.now() - reloadStart < 5_000) {
  if ((await served()) === want) {
    reloaded = true;
    break;
  }
  await new Promise((ok) => setTimeout(ok, 50));
}
out.certReload = { changed: before !== want, reloaded };
await adm.close();
const metrics = createRegistry();
metrics.counter({ name: 'deno_smoke_total', help: 'h' }).inc();
const probes = await startProbeServer({ host: '127.0.0.1', port: 0, routes: { '/metrics': () => ({ status: 200, body: metrics.render(), contentType: PROMETHEUS_CONTENT_TYPE }) } });
const m = await request(`http://127.0.0.1:${probes.port}/metrics`);
out.metrics = { status: m.statusCode, hasCounter: (await m.body.text()).includes('deno_smoke_total 1') };
await probes.close();
await closeSharedConnections(kc);
process.stdout.write(JSON.stringify(out) + '\n');
