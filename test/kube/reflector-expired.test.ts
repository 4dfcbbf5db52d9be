/**
 * A watch from a compacted resourceVersion: the real API server answers with an ERROR event
 * (410, reason Expired) and the reflector must relist at once. This file starts its own control
 * plane because the answer needs the watch cache off and etcd compacting every second
 * (with the watch cache on, kube-apiserver serves old resourceVersions from etcd until compaction).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api, type V1ConfigMap } from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from '../harness/control-plane.ts';
import { waitFor } from '../harness/wait.ts';
import { closeSharedConnections, createKubeClients, shareConnections } from '../../pkg/adapters/kube/client.ts';
import { startReflector } from '../../pkg/adapters/kube/reflector.ts';

let plane: ControlPlane | undefined;
before(async () => {
  plane = await startControlPlane({ apiserverFlags: ['--etcd-compaction-interval=1s', '--watch-cache=false'], log: (l) => process.stderr.write(l + '\n') });
}, { timeout: 20 * 60_000 });
after(async () => plane?.stop());

test('a 410 Expired from the watch relists at once and the cache keeps working', async (t) => {
  const admin = plane!.kubeConfig();
  const core = admin.makeApiClient(CoreV1Api);
  const first = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'old' } } });
  const staleRv = first.metadata!.resourceVersion!;
  // Move etcd past that revision and let the API server compact it away. Its compactor runs every second and
  // compacts to the revision it saw one run earlier: rather than sleep a fixed time a loaded machine may not
  // honour, wait until the first later revision is gone too (a list at exactly it answers 410). A watch from
  // staleRv starts at the revision after it, so only then is the watch sure to be answered with 410.
  const later: string[] = [];
  for (let i = 0; i < 3; i++) {
    later.push((await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: `filler-${i}` } } })).metadata!.resourceVersion!);
  }
  await waitFor(`revision ${later[0]} compacted`, async () => {
    try {
      await core.listNamespacedConfigMap({ namespace: 'default', resourceVersion: later[0], resourceVersionMatch: 'Exact' });
      return undefined;
    } catch (err) {
      if ((err as { code?: number }).code === 410) return true;
      throw err;
    }
  }, { timeoutMs: 20_000, intervalMs: 100 });
  const kc = shareConnections(plane!.kubeConfig());
  const clients = createKubeClients(kc);
  let lists = 0;
  const upserts: string[] = [];
  const r = startReflector<V1ConfigMap, string>({
    kc,
    path: '/api/v1/namespaces/default/configmaps',
    list: async () => {
      lists++;
      const l = await clients.core.listNamespacedConfigMap({ namespace: 'default' });
      // First list claims the compacted revision, as a reflector coming back from a long gap would hold.
      return lists === 1 ? { items: l.items, metadata: { resourceVersion: staleRv } } : l;
    },
    transform: (cm) => cm.metadata!.name!,
    key: (n) => n,
    onUpsert: (n) => upserts.push(n),
    // A large backoff: if the 410 were treated as an ordinary error, the relist would come too late for the assertion.
    backoff: { initialMs: 30_000, maxMs: 30_000 },
  });
  t.after(async () => {
    await r.stop();
    await closeSharedConnections(kc);
  });
  const started = performance.now();
  await waitFor('relist after 410', async () => (lists >= 2 ? true : undefined), { timeoutMs: 10_000, intervalMs: 20 });
  const relistMs = performance.now() - started;
  assert.ok(relistMs < 5_000, `relisted after ${relistMs} ms`);
  await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'after-410' } } });
  await waitFor('event after the relist', async () => (r.get('after-410') ? true : undefined), { timeoutMs: 10_000, intervalMs: 20 });
  assert.equal(lists, 2);
  assert.ok(upserts.includes('old'));
});
