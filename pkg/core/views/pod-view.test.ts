import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { ipAnnotation, isTerminal, requestsIpResource, toPodView } from './pod-view.ts';

const R = 'vpc.amazonaws.com/PrivateIPv4Address';

test('typed model and wire JSON give the same stripped view', () => {
  const typed: V1Pod = {
    metadata: {
      name: 'p', namespace: 'ns', uid: 'u', resourceVersion: '7', creationTimestamp: new Date('2026-11-22T01:00:00Z'),
      annotations: { [R]: '10.0.0.5/32', 'vpc.amazonaws.com/other': 'x', 'kubectl.kubernetes.io/last-applied-configuration': '{"huge":1}' },
      managedFields: [{ manager: 'kubectl' }],
    },
    spec: { nodeName: 'n1', containers: [{ name: 'a', resources: { requests: { [R]: '1', cpu: '1' } } }, { name: 'b', resources: { limits: { [R]: '1' } } }] },
    status: { phase: 'Running' },
  };
  const wire = JSON.parse(JSON.stringify(typed)) as V1Pod;
  const expected = {
    namespace: 'ns', name: 'p', uid: 'u', nodeName: 'n1', phase: 'Running', deletionTimestamp: undefined,
    creationTimestamp: '2026-11-22T01:00:00.000Z', annotations: { [R]: '10.0.0.5/32', 'vpc.amazonaws.com/other': 'x' }, hasAnnotations: true,
    ipRequest: 2, hostNetwork: false, resourceVersion: '7',
  };
  assert.deepEqual(toPodView(typed), expected);
  assert.deepEqual(toPodView(wire), expected);
  assert.equal(ipAnnotation(toPodView(typed)), '10.0.0.5/32');
  assert.equal(requestsIpResource(toPodView(typed)), true);
});

test('helpers: terminal phases, hostNetwork and pods without the resource', () => {
  const v = toPodView({ metadata: { name: 'x', annotations: { [R]: '' } }, spec: { hostNetwork: true, containers: [{ name: 'c', resources: { requests: { [R]: '1' } } }] }, status: { phase: 'Succeeded' } });
  assert.equal(isTerminal(v), true);
  assert.equal(requestsIpResource(v), false);
  assert.equal(ipAnnotation(v), undefined);
  assert.equal(isTerminal({ ...v, phase: 'Failed' }), true);
  assert.equal(isTerminal({ ...v, phase: 'Running' }), false);
  assert.equal(toPodView({ spec: { containers: [{ name: 'c' }] } }).ipRequest, 0);
});
