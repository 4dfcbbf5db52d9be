/**
 * The reflector against the real kube-apiserver, with a TCP forwarder in between so the tests
 * can break the connection the way networks and API server restarts do.
 */
import { test, after, beforeEach, type TestContext } from 'node:test';
beforeEach(() => ensureProxy());
import assert from 'node:assert/strict';
import { CoreV1Api, Watch, type V1Pod, type KubeConfig } from '@kubernetes/client-node';
import { useControlPlane } from '../harness/suite.ts';
import { createOrReplaceObjects, createWindowsPod, deletePodNow, ensureNamespace, waitFor } from '../harness/cluster-objects.ts';
import { startTcpProxy, serverAddress, type TcpProxy } from './tcp-proxy.ts';
import { closeSharedConnections, createKubeClients, loadKubeConfig } from '../../pkg/adapters/kube/client.ts';
import { createLogger } from '../../pkg/support/log.ts';
import { startReflector, type Reflector } from '../../pkg/adapters/kube/reflector.ts';
import { podKey, toPodView, type PodView } from '../../pkg/core/views/pod-view.ts';

const plane = useControlPlane();
let proxy: TcpProxy;
// Made in the first test, not in a before() hook: root-level hooks do not wait for the control plane's.
async function ensureProxy(): Promise<void> {
  proxy ??= await startTcpProxy(serverAddress(plane().kubeConfig()));
}
after(async () => proxy?.close());

interface Recorded {
  upserts: string[];
  deletes: string[];
  lists: number;
  synced: number;
}

/** A pod reflector on one namespace through the proxy, recording what it reports. */
function podReflector(
  t: TestContext,
  ns: string,
  o: { kc?: KubeConfig; firstListRv?: string; watchTimeoutMs?: number; pageSize?: number } = {},
): { r: Reflector<PodView>; rec: Recorded; kc: KubeConfig } {
  const kc = o.kc ?? proxy.kubeConfigVia(plane().kubeConfig());
  const { core } = createKubeClients(kc);
  const rec: Recorded = { upserts: [], deletes: [], lists: 0, synced: 0 };
  const r = startReflector<V1Pod, PodView>({
    kc,
    path: `/api/v1/namespaces/${ns}/pods`,
    ...(o.pageSize ? { pageSize: o.pageSize } : {}),
    list: async (page) => {
      if (!page?.continue) rec.lists++;
      const l = await core.listNamespacedPod({ namespace: ns, ...(page ? { limit: page.limit, _continue: page.continue } : {}) });
      // Lets a test start the watch from an ancient resourceVersion, which the API server answers with 410.
      if (rec.lists === 1 && o.firstListRv) return { items: l.items, metadata: { resourceVersion: o.firstListRv } };
      return l;
    },
    transform: toPodView,
    key: podKey,
    onUpsert: (p) => rec.upserts.push(p.name),
    onDelete: (p) => rec.deletes.push(p.name),
    onSynced: () => rec.synced++,
    backoff: { initialMs: 50, maxMs: 400 },
    ...(o.watchTimeoutMs
      ? {
          watchFactory: (k: KubeConfig) => {
            const w = new Watch(k);
            // client-node's inactivity timeout is a private field (30 s); shortened to see it fire.
            (w as unknown as { requestTimeoutMs: number }).requestTimeoutMs = o.watchTimeoutMs!;
            return w;
          },
        }
      : {}),
  });
  // Stopped even when an assertion fails, or a live watch keeps the test process from ending.
  t.after(async () => {
    await r.stop();
    await closeSharedConnections(kc);
  });
  return { r, rec, kc };
}

const until = (what: string, cond: () => boolean, timeoutMs = 15_000) => waitFor(what, async () => (cond() ? true : undefined), { timeoutMs, intervalMs: 25 });

test('lists, then delivers adds, updates and deletes from the watch', async (t) => {
  const admin = plane().kubeConfig();
  await ensureNamespace(admin, 'refl-basic');
  await createWindowsPod(admin, { name: 'before', namespace: 'refl-basic' });
  const { r, rec, kc } = podReflector(t, 'refl-basic');
  await until('synced', () => r.synced());
  assert.equal(rec.synced, 1);
  assert.deepEqual(r.list().map((p) => p.name), ['before']);
  await createWindowsPod(admin, { name: 'after', namespace: 'refl-basic' });
  await until('watch add', () => r.get('refl-basic/after') !== undefined);
  await admin.makeApiClient(CoreV1Api).patchNamespacedPod(
    { namespace: 'refl-basic', name: 'after', body: [{ op: 'add', path: '/metadata/annotations', value: { 'vpc.amazonaws.com/PrivateIPv4Address': '10.0.0.9/32' } }] },
  );
  await until('watch update', () => r.get('refl-basic/after')?.annotation === '10.0.0.9/32');
  await deletePodNow(admin, 'after', 'refl-basic');
  await until('watch delete', () => rec.deletes.includes('after'));
  assert.equal(r.get('refl-basic/after'), undefined);
});

test('a cut connection is survived; deletes during the outage fire onDelete after the relist', async (t) => {
  const admin = plane().kubeConfig();
  await ensureNamespace(admin, 'refl-gap');
  for (const n of ['a', 'b', 'c']) await createWindowsPod(admin, { name: n, namespace: 'refl-gap' });
  const { r, rec, kc } = podReflector(t, 'refl-gap');
  await until('synced', () => r.synced() && r.list().length === 3);

  // Outage: the watch dies and reconnects fail, while pods change behind our back.
  proxy.setDown(true);
  proxy.cutAll();
  await deletePodNow(admin, 'b', 'refl-gap');
  await createWindowsPod(admin, { name: 'd', namespace: 'refl-gap' });
  await new Promise((ok) => setTimeout(ok, 300));
  assert.ok(r.get('refl-gap/b'), 'no way to have seen the delete during the outage');

  proxy.setDown(false);
  await until('missed delete reported', () => rec.deletes.includes('b'));
  await until('missed add reported', () => r.get('refl-gap/d') !== undefined);
  assert.ok(rec.lists >= 2, `relisted (${rec.lists} lists)`);
  assert.equal(rec.synced, 1, 'onSynced fires once');
  assert.deepEqual(r.list().map((p) => p.name).sort(), ['a', 'c', 'd']);

  // And the new watch works.
  await deletePodNow(admin, 'c', 'refl-gap');
  await until('delete after recovery', () => rec.deletes.includes('c'));
});

test("client-node's inactivity timeout on a quiet resource rewatches from the last resourceVersion, without relisting", async (t) => {
  const admin = plane().kubeConfig();
  await ensureNamespace(admin, 'refl-quiet');
  const { r, rec, kc } = podReflector(t, 'refl-quiet', { watchTimeoutMs: 300 });
  await until('synced', () => r.synced());
  await new Promise((ok) => setTimeout(ok, 1_500)); // several timeouts
  await createWindowsPod(admin, { name: 'late', namespace: 'refl-quiet' });
  await until('event after timeouts', () => r.get('refl-quiet/late') !== undefined);
  assert.equal(rec.lists, 1);
});

test('stop() during an outage (list failing, in backoff) returns promptly and nothing restarts', async (t) => {
  const admin = plane().kubeConfig();
  await ensureNamespace(admin, 'refl-stop');
  const { r, rec, kc } = podReflector(t, 'refl-stop');
  await until('synced', () => r.synced());
  proxy.setDown(true);
  proxy.cutAll();
  await new Promise((ok) => setTimeout(ok, 300));
  const started = performance.now();
  await r.stop();
  const stopMs = performance.now() - started;
  const listsAtStop = rec.lists;
  proxy.setDown(false);
  await new Promise((ok) => setTimeout(ok, 600));
  assert.equal(rec.lists, listsAtStop, 'no list after stop');
  assert.ok(stopMs < 1_000, `stop took ${stopMs} ms`);
});

test('stop() while the watch is healthy aborts it; an AbortError does not bring it back', async (t) => {
  const admin = plane().kubeConfig();
  await ensureNamespace(admin, 'refl-stop2');
  const { r, rec, kc } = podReflector(t, 'refl-stop2');
  await until('synced', () => r.synced());
  await new Promise((ok) => setTimeout(ok, 100));
  await r.stop();
  await createWindowsPod(admin, { name: 'ignored', namespace: 'refl-stop2' });
  await new Promise((ok) => setTimeout(ok, 500));
  assert.deepEqual(rec.upserts, []);
  assert.equal(rec.lists, 1);
});

test('paged relists against the API server: pages of 2 give the full set and the watch continues from the list', async (t) => {
  const admin = plane().kubeConfig();
  await ensureNamespace(admin, 'refl-paged');
  for (let i = 0; i < 5; i++) await createWindowsPod(admin, { name: `p${i}`, namespace: 'refl-paged' });
  const { r, rec } = podReflector(t, 'refl-paged', { pageSize: 2 });
  await until('synced', () => r.synced());
  assert.deepEqual(r.list().map((p) => p.name).sort(), ['p0', 'p1', 'p2', 'p3', 'p4']);
  assert.equal(rec.lists, 1);
  await deletePodNow(admin, 'p3', 'refl-paged');
  await until('watch after paged list', () => rec.deletes.includes('p3'));
});

test('an identity that may list but not watch: the cache syncs and the log names the missing watch permission', async (t) => {
  const admin = plane().kubeConfig();
  await ensureNamespace(admin, 'refl-rbac');
  await createOrReplaceObjects(admin, [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'list-only', namespace: 'refl-rbac' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }] },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'list-only', namespace: 'refl-rbac' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'list-only' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'lister' }] },
  ]);
  const kc = loadKubeConfig({ kubeconfig: await plane().mintKubeconfig({ name: 'lister' }) });
  const { core } = createKubeClients(kc);
  const lines: Array<{ msg: string; err?: { message?: string } }> = [];
  const r = startReflector<V1Pod, PodView>({
    kc, path: '/api/v1/namespaces/refl-rbac/pods', list: () => core.listNamespacedPod({ namespace: 'refl-rbac' }),
    transform: toPodView, key: podKey, backoff: { initialMs: 50, maxMs: 200 },
    log: createLogger({ level: 'warn', write: (l) => lines.push(JSON.parse(l)) }),
  });
  t.after(async () => {
    await r.stop();
    await closeSharedConnections(kc);
  });
  await until('synced', () => r.synced());
  await until('watch denial logged', () => lines.some((l) => l.msg === 'watch failed; relisting after backoff'));
  const line = lines.find((l) => l.msg === 'watch failed; relisting after backoff')!;
  assert.match(line.err?.message ?? '', /denied "watch" on "pods" in API group core \(""\) in namespace "refl-rbac"/);
});
