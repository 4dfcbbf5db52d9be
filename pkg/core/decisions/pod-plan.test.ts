import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planPods, podUpdateWakesNode, type PodFacts } from './pod-plan.ts';

const pod = (uid: string, over: Partial<PodFacts> = {}): PodFacts => ({
  uid, namespace: 'default', name: `p-${uid}`, requestsIp: true, terminal: false, annotation: undefined, createdAt: 0, hasAnnotations: false, ...over,
});

test('new pods requesting the resource are assigned, oldest first', () => {
  const plan = planPods({
    pods: [pod('b', { createdAt: 20 }), pod('a', { createdAt: 10 }), pod('c', { requestsIp: false })],
    assigned: new Set(),
    annotated: new Set(),
  });
  assert.deepEqual(plan.assign.map((p) => p.uid), ['a', 'b']);
  assert.deepEqual(plan.release, []);
});

test('finished pods and pods missing from the cache (missed deletes) are released', () => {
  const plan = planPods({
    pods: [pod('done', { terminal: true, annotation: '10.0.0.5/32' }), pod('running', { annotation: '10.0.0.6/32' })],
    assigned: new Set(['done', 'running', 'vanished-in-watch-gap']),
    annotated: new Set(['done', 'running']),
  });
  assert.deepEqual(plan.release.sort(), ['done', 'vanished-in-watch-gap']);
  assert.deepEqual(plan.assign, []);
});

test('an assignment whose annotation patch has not landed is retried; one that landed is left alone', () => {
  const plan = planPods({
    pods: [pod('patched'), pod('unpatched')],
    assigned: new Set(['patched', 'unpatched']),
    annotated: new Set(['patched']),
  });
  assert.deepEqual(plan.assign.map((p) => p.uid), ['unpatched']);
});

test('an annotated pod the pool does not know is reported, not reassigned', () => {
  const plan = planPods({ pods: [pod('x', { annotation: '10.9.9.9/32' })], assigned: new Set(), annotated: new Set() });
  assert.deepEqual(plan.assign, []);
  assert.deepEqual(plan.unknownAnnotated.map((p) => p.uid), ['x']);
});

test('a pod update wakes its node only when IPAM\'s fields change, and not for our own annotation coming back', () => {
  const pending = { uid: 'u1', nodeName: 'n1', terminal: false, requestsIp: true, annotation: undefined };
  const annotated = { ...pending, annotation: '10.0.0.5/32' };
  assert.equal(podUpdateWakesNode(pending, { ...pending }, false), false, 'status churn');
  assert.equal(podUpdateWakesNode(pending, annotated, false), true, 'annotated by someone else');
  assert.equal(podUpdateWakesNode(pending, annotated, true), false, 'our own write seen back');
  assert.equal(podUpdateWakesNode(pending, { ...annotated, terminal: true }, true), true, 'and finished in the same update');
  assert.equal(podUpdateWakesNode(pending, { ...annotated, requestsIp: false }, true), true, 'and no longer asking');
  assert.equal(podUpdateWakesNode(annotated, { ...annotated, annotation: '10.0.0.6/32' }, true), true, 'an annotation replaced is never only ours');
  assert.equal(podUpdateWakesNode(annotated, { ...annotated, annotation: undefined }, false), true, 'removed');
  assert.equal(podUpdateWakesNode(pending, { ...annotated, uid: 'u2' }, true), true, 're-created under the name');
  assert.equal(podUpdateWakesNode({ ...pending, nodeName: '' }, { ...annotated }, true), true, 'bound in the same update');
});
