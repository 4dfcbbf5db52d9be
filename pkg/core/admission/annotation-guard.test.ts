import { test } from 'node:test';
import assert from 'node:assert/strict';
import { guardPodAnnotation } from './annotation-guard.ts';
import type { AdmissionReview } from './review.ts';
import { podReview } from './testing/cases.ts';

const A = 'vpc.amazonaws.com/PrivateIPv4Address';
const CONTROLLER = 'system:serviceaccount:kube-system:winprefix-controller';
const opts = { controllerUsernames: [CONTROLLER], enabled: () => true };

function review(operation: 'CREATE' | 'UPDATE' | 'DELETE', user: string, before: string | undefined, after: string | undefined): AdmissionReview {
  const pod = (v: string | undefined) => ({ metadata: { name: 'p', annotations: v === undefined ? { other: 'x' } : { [A]: v, other: 'x' } } });
  return podReview({
    uid: 'r1',
    operation,
    username: user,
    ...(operation === 'DELETE' ? {} : { object: pod(after) }),
    ...(operation === 'CREATE' ? {} : { oldObject: pod(before) }),
  });
}

test('others may not add, change or remove the IP annotation; the message says who may', () => {
  for (const [op, before, after] of [
    ['CREATE', undefined, '10.0.0.5/32'],
    ['UPDATE', undefined, '10.0.0.5/32'],
    ['UPDATE', '10.0.0.5/32', '10.0.0.6/32'],
    ['UPDATE', '10.0.0.5/32', undefined],
  ] as const) {
    const out = guardPodAnnotation(review(op, 'alice', before, after), opts);
    assert.equal(out.response?.allowed, false, `${op} ${before} -> ${after}`);
    assert.equal(out.response?.uid, 'r1');
    assert.equal(out.response?.status?.code, 403);
    assert.match(out.response!.status!.message!, new RegExp(CONTROLLER));
    assert.match(out.response!.status!.message!, /user "alice"/);
  }
});

test('the controller may add, change and remove it', () => {
  assert.equal(guardPodAnnotation(review('UPDATE', CONTROLLER, undefined, '10.0.0.5/32'), opts).response?.allowed, true);
  assert.equal(guardPodAnnotation(review('UPDATE', CONTROLLER, '10.0.0.5/32', '10.0.0.7/32'), opts).response?.allowed, true);
  assert.equal(guardPodAnnotation(review('UPDATE', CONTROLLER, '10.0.0.5/32', undefined), opts).response?.allowed, true);
});

test('updates that leave the annotation as it was, creates without it, and deletes are allowed for anyone', () => {
  assert.equal(guardPodAnnotation(review('UPDATE', 'alice', '10.0.0.5/32', '10.0.0.5/32'), opts).response?.allowed, true);
  assert.equal(guardPodAnnotation(review('UPDATE', 'alice', undefined, undefined), opts).response?.allowed, true);
  assert.equal(guardPodAnnotation(review('CREATE', 'alice', undefined, undefined), opts).response?.allowed, true);
  assert.equal(guardPodAnnotation(review('DELETE', 'alice', '10.0.0.5/32', undefined), opts).response?.allowed, true);
});

test('disabled guard allows everything', () => {
  assert.equal(guardPodAnnotation(review('UPDATE', 'alice', undefined, '10.0.0.5/32'), { ...opts, enabled: () => false }).response?.allowed, true);
});

test('pods/status writes are guarded like the pod itself', () => {
  const r = review('UPDATE', 'alice', '10.0.0.5/32', '10.0.0.6/32');
  r.request!.subResource = 'status';
  const out = guardPodAnnotation(r, opts);
  assert.equal(out.response?.allowed, false);
  assert.match(out.response!.status!.message!, /tried to change it from "10.0.0.5\/32" to "10.0.0.6\/32"/);
});

test('a pods/binding carrying the annotation is refused: the API server copies its annotations onto the pod', () => {
  const binding: AdmissionReview = {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'b1',
      kind: { group: '', version: 'v1', kind: 'Binding' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      subResource: 'binding',
      operation: 'CREATE',
      userInfo: { username: 'alice' },
      object: { metadata: { name: 'p', annotations: { [A]: '10.0.0.9/32' } }, target: { kind: 'Node', name: 'n1' } },
    },
  };
  assert.equal(guardPodAnnotation(binding, opts).response?.allowed, false);
  const plain = structuredClone(binding);
  (plain.request!.object as { metadata: { annotations?: unknown } }).metadata.annotations = { other: 'x' };
  assert.equal(guardPodAnnotation(plain, opts).response?.allowed, true, 'a scheduler-style binding passes');
  const fromController = structuredClone(binding);
  fromController.request!.userInfo.username = CONTROLLER;
  assert.equal(guardPodAnnotation(fromController, opts).response?.allowed, true);
});

test('writes to other resources are not judged', () => {
  const r = review('UPDATE', 'alice', undefined, '10.0.0.5/32');
  r.request!.resource = { group: '', version: 'v1', resource: 'configmaps' };
  assert.equal(guardPodAnnotation(r, opts).response?.allowed, true);
});

test('the denial names every controller identity and says what to do', () => {
  const out = guardPodAnnotation(review('UPDATE', 'alice', undefined, '10.0.0.5/32'), { ...opts, controllerUsernames: [CONTROLLER, 'ops-bot'] });
  assert.equal(
    out.response?.status?.message,
    `the pod annotation ${A} is managed by the IPAM controller and only "${CONTROLLER}" or "ops-bot" may set it; ` +
      'user "alice" tried to add it (value "10.0.0.5/32"). Leave this annotation out of your change: the controller assigns the address',
  );
  const none = guardPodAnnotation(review('UPDATE', 'alice', '10.0.0.5/32', undefined), { ...opts, controllerUsernames: [] });
  assert.match(none.response!.status!.message!, /only the winprefix controller may set it; user "alice" tried to remove it \(was "10.0.0.5\/32"\)/);
});
