/**
 * Pod and node patches, events and RBAC error messages against the real kube-apiserver.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useControlPlane } from '../harness/suite.ts';
import { createOrReplaceObjects, createWindowsNode, createWindowsPod, deletePodNow, ensureNamespace } from '../harness/cluster-objects.ts';
import { closeSharedConnections, createKubeClients, isForbidden, KubeApiError, loadKubeConfig, type KubeClients } from '../../pkg/adapters/kube/client.ts';
import { annotatePod, patchNodeAnnotations, patchNodeCapacity, setPodAnnotationOnce } from '../../pkg/adapters/kube/patches.ts';
import { createEventRecorder } from '../../pkg/adapters/kube/events.ts';
import { RESOURCE_NAME, POD_IP_ANNOTATION } from '../../pkg/core/contract.ts';
import { fenceOf, isNotLeading } from '../../pkg/support/fence.ts';

const plane = useControlPlane();

function adminClients(t: { after(fn: () => Promise<void>): void }): KubeClients {
  const c = createKubeClients(plane().kubeConfig());
  t.after(() => closeSharedConnections(c.kc));
  return c;
}

test('annotatePod: patched for the right UID, replaced for a re-created pod, gone after delete', async (t) => {
  const c = adminClients(t);
  const admin = plane().kubeConfig();
  await ensureNamespace(admin, 'annotate');
  const first = await createWindowsPod(admin, { name: 'web-0', namespace: 'annotate' });
  const uid = first.metadata!.uid!;
  assert.equal(await annotatePod(c, { namespace: 'annotate', name: 'web-0', uid, annotations: { [POD_IP_ANNOTATION]: '10.0.0.5/32' } }), 'patched');
  const read = await c.core.readNamespacedPod({ namespace: 'annotate', name: 'web-0' });
  assert.equal(read.metadata?.annotations?.[POD_IP_ANNOTATION], '10.0.0.5/32');
  assert.equal(await annotatePod(c, { namespace: 'annotate', name: 'web-0', uid, annotations: { [POD_IP_ANNOTATION]: null } }), 'patched');
  assert.equal((await c.core.readNamespacedPod({ namespace: 'annotate', name: 'web-0' })).metadata?.annotations?.[POD_IP_ANNOTATION], undefined);

  // A StatefulSet-style re-create under the same name must not get the old pod's address.
  await deletePodNow(admin, 'web-0', 'annotate');
  await createWindowsPod(admin, { name: 'web-0', namespace: 'annotate' });
  assert.equal(await annotatePod(c, { namespace: 'annotate', name: 'web-0', uid, annotations: { [POD_IP_ANNOTATION]: '10.0.0.5/32' } }), 'replaced');
  assert.equal((await c.core.readNamespacedPod({ namespace: 'annotate', name: 'web-0' })).metadata?.annotations?.[POD_IP_ANNOTATION], undefined);

  await deletePodNow(admin, 'web-0', 'annotate');
  assert.equal(await annotatePod(c, { namespace: 'annotate', name: 'web-0', uid, annotations: { [POD_IP_ANNOTATION]: '10.0.0.5/32' } }), 'gone');
});

test('setPodAnnotationOnce: written once, never over another value, never on a re-created pod, whatever the cache said', async (t) => {
  const c = adminClients(t);
  const admin = plane().kubeConfig();
  await ensureNamespace(admin, 'once');
  const ann = async (name: string) => (await c.core.readNamespacedPod({ namespace: 'once', name })).metadata?.annotations ?? {};
  const set = (name: string, uid: string, hasAnnotations: boolean, value: string) =>
    setPodAnnotationOnce(c, { namespace: 'once', name, uid, hasAnnotations, key: POD_IP_ANNOTATION, value });

  // A pod with no annotations map at all, and the cache right about it.
  const bare = (await createWindowsPod(admin, { name: 'bare', namespace: 'once' })).metadata!.uid!;
  assert.equal(await set('bare', bare, false, '10.0.0.5/32'), 'patched');
  assert.equal((await ann('bare'))[POD_IP_ANNOTATION], '10.0.0.5/32');
  // A second writer (a deposed leader, say) loses, in either form.
  assert.equal(await set('bare', bare, true, '10.0.0.6/32'), 'refused');
  assert.equal(await set('bare', bare, false, '10.0.0.6/32'), 'refused');
  assert.equal((await ann('bare'))[POD_IP_ANNOTATION], '10.0.0.5/32');

  // Other annotations are kept, and a cache that wrongly says "no annotations" still works.
  const other = (await createWindowsPod(admin, { name: 'other', namespace: 'once' })).metadata!.uid!;
  await annotatePod(c, { namespace: 'once', name: 'other', uid: other, annotations: { team: 'a' } });
  assert.equal(await set('other', other, false, '10.0.0.7/32'), 'patched');
  assert.deepEqual(await ann('other'), { team: 'a', [POD_IP_ANNOTATION]: '10.0.0.7/32' });

  // A cache that wrongly says "has annotations" on a bare pod still works.
  const late = (await createWindowsPod(admin, { name: 'late', namespace: 'once' })).metadata!.uid!;
  assert.equal(await set('late', late, true, '10.0.0.8/32'), 'patched');
  assert.equal((await ann('late'))[POD_IP_ANNOTATION], '10.0.0.8/32');

  // Re-created under the same name: refused; deleted: gone.
  await deletePodNow(admin, 'late', 'once');
  await createWindowsPod(admin, { name: 'late', namespace: 'once' });
  assert.equal(await set('late', late, false, '10.0.0.9/32'), 'refused');
  assert.equal((await ann('late'))[POD_IP_ANNOTATION], undefined);
  await deletePodNow(admin, 'late', 'once');
  assert.equal(await set('late', late, false, '10.0.0.9/32'), 'gone');
});

test('a write whose fence closes after the client checked it, while it waits for its connection, is not sent', async (t) => {
  const admin = plane().kubeConfig();
  await ensureNamespace(admin, 'fenced');
  const uid = (await createWindowsPod(admin, { name: 'web', namespace: 'fenced' })).metadata!.uid!;
  // Open for the client's check after the rate limiter, closed by the time the request would be written
  // (as after a SIGSTOP in a TLS handshake): the second check, on the connection, refuses it.
  let checks = 0;
  const c = createKubeClients(loadKubeConfig({ kubeconfig: plane().kubeconfigPath }), { fence: fenceOf(() => ++checks === 1) });
  t.after(() => closeSharedConnections(c.kc));
  await assert.rejects(
    setPodAnnotationOnce(c, { namespace: 'fenced', name: 'web', uid, hasAnnotations: false, key: POD_IP_ANNOTATION, value: '10.0.0.5/32' }),
    (err: unknown) => isNotLeading(err) && /PATCH \/api\/v1\/namespaces\/fenced\/pods\/web/.test(String((err as Error).cause ?? err)),
  );
  assert.equal(checks, 2, 'checked before and at the send');
  const pod = await createKubeClients(admin).core.readNamespacedPod({ namespace: 'fenced', name: 'web' });
  assert.equal(pod.metadata?.annotations?.[POD_IP_ANNOTATION], undefined, 'nothing written');
  await closeSharedConnections(admin);
});

test('patchNodeCapacity writes status.capacity through the status subresource, leaves other keys, null removes', async (t) => {
  const c = adminClients(t);
  await createWindowsNode(plane().kubeConfig(), { name: 'cap-node', instanceId: 'i-0cap', instanceType: 'm5.large', zone: 'us-west-2a' });
  await patchNodeCapacity(c, 'cap-node', RESOURCE_NAME, 144);
  let node = await c.core.readNode({ name: 'cap-node' });
  assert.equal(node.status?.capacity?.[RESOURCE_NAME], '144');
  assert.ok(node.status?.capacity?.pods, 'kubelet-reported capacity kept');
  assert.ok((node.status?.conditions ?? []).some((x) => x.type === 'Ready'), 'conditions kept');
  await patchNodeCapacity(c, 'cap-node', RESOURCE_NAME, 9);
  assert.equal((await c.core.readNode({ name: 'cap-node' })).status?.capacity?.[RESOURCE_NAME], '9');
  await patchNodeCapacity(c, 'cap-node', RESOURCE_NAME, null);
  node = await c.core.readNode({ name: 'cap-node' });
  assert.equal(node.status?.capacity?.[RESOURCE_NAME], undefined);
  await assert.rejects(patchNodeCapacity(c, 'cap-node', RESOURCE_NAME, 1.5), /whole number/);

  await patchNodeAnnotations(c, 'cap-node', { 'winprefix.io/ipam-status': '{"v":1}', other: 'x' });
  await patchNodeAnnotations(c, 'cap-node', { other: null });
  const ann = (await c.core.readNode({ name: 'cap-node' })).metadata?.annotations ?? {};
  assert.equal(ann['winprefix.io/ipam-status'], '{"v":1}');
  assert.equal(ann.other, undefined);
  await assert.rejects(patchNodeCapacity(c, 'no-such-node', RESOURCE_NAME, 1), (err: unknown) => err instanceof KubeApiError && err.reason === 'NotFound');
});

test('events are visible through the API, folded into one object with a count; node events are found by uid = node name', async (t) => {
  const c = adminClients(t);
  const admin = plane().kubeConfig();
  await ensureNamespace(admin, 'events');
  const pod = await createWindowsPod(admin, { name: 'ev-pod', namespace: 'events' });
  const rec = createEventRecorder({ clients: c, component: 'winprefix-controller', instance: 'test-replica' });
  const target = { kind: 'Pod' as const, name: 'ev-pod', namespace: 'events', uid: pod.metadata!.uid! };
  for (let i = 0; i < 3; i++) rec.emit(target, { type: 'Warning', reason: 'ResourceAllocationFailed', message: 'no free address on node n1; the pod will be retried' });
  rec.emit({ kind: 'Node', name: 'cap-node' }, { type: 'Warning', reason: 'InsufficientCidrBlocks', message: 'subnet has no free /28; free addresses or add a CIDR reservation' });
  await rec.flush();
  const podEvents = await c.core.listNamespacedEvent({ namespace: 'events', fieldSelector: `involvedObject.uid=${pod.metadata!.uid}` });
  assert.equal(podEvents.items.length, 1);
  assert.equal(podEvents.items[0]!.count, 3);
  assert.equal(podEvents.items[0]!.reason, 'ResourceAllocationFailed');
  assert.equal(podEvents.items[0]!.source?.component, 'winprefix-controller');
  // What `kubectl describe node cap-node` asks for.
  const nodeEvents = await c.core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.kind=Node,involvedObject.uid=cap-node' });
  assert.equal(nodeEvents.items.length, 1);
  assert.equal(nodeEvents.items[0]!.reason, 'InsufficientCidrBlocks');
});

test('a forbidden call names the user, verb and resource to grant', async (t) => {
  const admin = plane().kubeConfig();
  await ensureNamespace(admin, 'rbac');
  await createWindowsPod(admin, { name: 'guarded', namespace: 'rbac' });
  // May read pods, not patch them.
  await createOrReplaceObjects(admin, [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'pod-reader', namespace: 'rbac' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'pod-reader', namespace: 'rbac' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'reader' }] },
  ]);
  const kc = loadKubeConfig({ kubeconfig: await plane().mintKubeconfig({ name: 'reader' }) });
  const c = createKubeClients(kc);
  t.after(() => closeSharedConnections(kc));
  const uid = (await c.core.readNamespacedPod({ namespace: 'rbac', name: 'guarded' })).metadata!.uid!;
  await assert.rejects(annotatePod(c, { namespace: 'rbac', name: 'guarded', uid, annotations: { a: 'b' } }), (err: unknown) => {
    assert.ok(isForbidden(err));
    assert.ok(err instanceof KubeApiError);
    assert.deepEqual(err.permission, { user: 'reader', verb: 'patch', resource: 'pods', group: '', namespace: 'rbac' });
    assert.match(err.message, /grant the verb "patch" on resource "pods"/);
    return true;
  });
  await assert.rejects(patchNodeCapacity(c, 'cap-node', RESOURCE_NAME, 1), (err: unknown) => err instanceof KubeApiError && err.permission?.resource === 'nodes/status' && err.permission.verb === 'patch');
});

test('client-side rate limit spaces calls at qps after the burst', async (t) => {
  const c = createKubeClients(plane().kubeConfig(), { qps: 20, burst: 2 });
  t.after(() => closeSharedConnections(c.kc));
  const started = performance.now();
  await Promise.all(Array.from({ length: 12 }, () => c.core.readNamespace({ name: 'default' })));
  const ms = performance.now() - started;
  // 2 at once, then 10 more at 20/s: at least ~500 ms.
  assert.ok(ms >= 450, `12 calls at qps 20 burst 2 took only ${ms.toFixed(0)} ms`);
});

test('requestTimeoutMs from loadKubeConfig aborts a call that takes too long', async (t) => {
  const kc = loadKubeConfig({ kubeconfig: plane().kubeconfigPath, requestTimeoutMs: 1 });
  const c = createKubeClients(kc);
  t.after(() => closeSharedConnections(kc));
  await assert.rejects(c.core.listNamespace(), (err: unknown) => /abort|timeout/i.test(String((err as Error).name) + String((err as Error).message)));
});
