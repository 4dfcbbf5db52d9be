import { test } from 'node:test';
import assert from 'node:assert/strict';
import { guardPodAnnotation } from './annotation-guard.ts';
import type { AdmissionReview } from './review.ts';

const A = 'vpc.amazonaws.com/PrivateIPv4Address';
const CONTROLLER = 'system:serviceaccount:kube-system:winprefix-controller';
const opts = { controllerUsernames: [CONTROLLER], enabled: () => true };

function review(operation: 'CREATE' | 'UPDATE' | 'DELETE', user: string, before: string | undefined, after: string | undefined): AdmissionReview {
  const pod = (v: string | undefined) => ({ metadata: { name: 'p', annotations: v === undefined ? { other: 'x' } : { [A]: v, other: 'x' } } });
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'r1',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      operation,
      userInfo: { username: user },
      ...(operation === 'DELETE' ? { oldObject: pod(before) } : { object: pod(after) }),
      ...(operation === 'UPDATE' ? { oldObject: pod(before) } : {}),
    },
  };
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
