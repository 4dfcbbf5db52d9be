import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PodIndex } from './pod-index.ts';
import type { PodView } from '../core/views/pod-view.ts';

const pod = (name: string, nodeName: string, uid = name): PodView => ({
  namespace: 'default', name, uid, nodeName, phase: 'Running', terminal: false, createdAt: undefined,
  annotation: undefined, hasAnnotations: false, requestsIp: true, resourceVersion: '1', seenAt: undefined,
});

test('pods are found by node and a binding or move wakes both nodes', () => {
  const idx = new PodIndex();
  const unbound = pod('a', '');
  assert.deepEqual(idx.upsert(unbound, undefined), []);
  const a1 = pod('a', 'n1');
  assert.deepEqual(idx.upsert(a1, unbound), ['n1']);
  assert.deepEqual(idx.upsert(pod('b', 'n1'), undefined), ['n1']);
  assert.deepEqual(idx.onNode('n1').map((p) => p.name).sort(), ['a', 'b']);
  assert.deepEqual(idx.upsert(pod('a', 'n2'), a1).sort(), ['n1', 'n2']);
  assert.deepEqual(idx.onNode('n1').map((p) => p.name), ['b']);
  assert.equal(idx.size, 2);
});

test('an update replaces the pod object; a pod recreated under the same name replaces the old UID', () => {
  const idx = new PodIndex();
  const first = pod('a', 'n1', 'uid-1');
  idx.upsert(first, undefined);
  const updated = { ...first, phase: 'Succeeded', terminal: true };
  assert.deepEqual(idx.upsert(updated, first), ['n1']);
  assert.deepEqual(idx.onNode('n1'), [updated]);
  const recreated = pod('a', 'n1', 'uid-2');
  assert.deepEqual(idx.upsert(recreated, updated), ['n1']);
  assert.deepEqual(idx.onNode('n1'), [recreated]);
  assert.equal(idx.size, 1);
});

test('remove tells which node lost the pod; unknown pods are ignored', () => {
  const idx = new PodIndex();
  const a = pod('a', 'n1');
  idx.upsert(a, undefined);
  assert.equal(idx.remove(a), 'n1');
  assert.equal(idx.remove(a), undefined);
  assert.deepEqual(idx.onNode('n1'), []);
  assert.equal(idx.size, 0);
});
