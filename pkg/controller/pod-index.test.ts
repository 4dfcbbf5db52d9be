import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PodIndex } from './pod-index.ts';
import type { PodView } from '../core/views/pod-view.ts';

const pod = (name: string, nodeName: string, uid = name): PodView => ({
  namespace: 'default', name, uid, nodeName, phase: 'Running', deletionTimestamp: undefined, creationTimestamp: undefined,
  annotations: {}, hasAnnotations: false, ipRequest: 1, hostNetwork: false, resourceVersion: '1',
});

test('pods are found by node and a binding or move wakes both nodes', () => {
  const idx = new PodIndex();
  assert.deepEqual(idx.upsert(pod('a', '')), []);
  assert.deepEqual(idx.upsert(pod('a', 'n1')), ['n1']);
  assert.deepEqual(idx.upsert(pod('b', 'n1')), ['n1']);
  assert.deepEqual(idx.onNode('n1').map((p) => p.name).sort(), ['a', 'b']);
  assert.deepEqual(idx.upsert(pod('a', 'n2')).sort(), ['n1', 'n2']);
  assert.deepEqual(idx.onNode('n1').map((p) => p.name), ['b']);
});

test('remove tells which node lost the pod; unknown pods are ignored', () => {
  const idx = new PodIndex();
  idx.upsert(pod('a', 'n1'));
  assert.equal(idx.remove({ namespace: 'default', name: 'a' }), 'n1');
  assert.equal(idx.remove({ namespace: 'default', name: 'a' }), undefined);
  assert.deepEqual(idx.onNode('n1'), []);
  assert.equal(idx.size, 0);
});
