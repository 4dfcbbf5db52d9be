import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { continueFrom, toPodView } from './pod-view.ts';

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
    namespace: 'ns', name: 'p', uid: 'u', nodeName: 'n1', phase: 'Running', terminal: false,
    createdAt: Date.parse('2026-11-22T01:00:00Z'), annotation: '10.0.0.5/32', hasAnnotations: true,
    requestsIp: true, resourceVersion: '7', seenAt: undefined,
  };
  assert.deepEqual(toPodView(typed), expected);
  assert.deepEqual(toPodView(wire), expected);
});

test('terminal phases, hostNetwork, an empty annotation and pods without the resource', () => {
  const v = toPodView({ metadata: { name: 'x', annotations: { [R]: '' } }, spec: { hostNetwork: true, containers: [{ name: 'c', resources: { requests: { [R]: '1' } } }] }, status: { phase: 'Succeeded' } });
  assert.equal(v.terminal, true);
  assert.equal(v.requestsIp, false, 'host network');
  assert.equal(v.annotation, undefined);
  assert.equal(v.hasAnnotations, true);
  assert.equal(toPodView({ status: { phase: 'Failed' } }).terminal, true);
  assert.equal(toPodView({ status: { phase: 'Running' } }).terminal, false);
  assert.equal(toPodView({ spec: { containers: [{ name: 'c' }] } }).requestsIp, false);
  assert.equal(toPodView({ spec: { containers: [{ name: 'c', resources: { limits: { [R]: 'x' } } }] } }).requestsIp, false, 'not a whole number');
  assert.equal(toPodView({ metadata: { creationTimestamp: 'not a time' } }).createdAt, undefined);
});

test('the node name comes from sameString, so the pods of a node can share one copy of it', () => {
  const held = ['ip-10-0-0-1.ec2.internal'].join('');
  const v = toPodView({ spec: { nodeName: 'ip-10-0-0-1.ec2.internal' } }, (s) => (s === held ? held : s));
  assert.equal(v.nodeName, held);
  assert.equal(toPodView({ spec: {} }, () => 'never').nodeName, '', 'unbound: not asked');
});

test('every pod has the same fields in the same order, seenAt included (one hidden class, no property store)', () => {
  const keys = (o: object) => Object.keys(o).join(',');
  assert.equal(keys(toPodView({})), keys(toPodView({ metadata: { name: 'a', annotations: { [R]: '10.0.0.5/32' } }, spec: { nodeName: 'n' }, status: { phase: 'Running' } })));
  assert.ok(Object.hasOwn(toPodView({}), 'seenAt'));
});

test('an update keeps the first sighting; a new uid under the same name is a new pod, first seen now', () => {
  const first = toPodView({ metadata: { namespace: 'ns', name: 'p', uid: 'u1' } });
  continueFrom(first, undefined, 1_000);
  assert.equal(first.seenAt, 1_000);
  const update = toPodView({ metadata: { namespace: 'ns', name: 'p', uid: 'u1' }, status: { phase: 'Running' } });
  continueFrom(update, first, 2_000);
  assert.equal(update.seenAt, 1_000);
  assert.deepEqual([update.uid, update.name, update.phase], ['u1', 'p', 'Running']);
  const unseen = { ...first, seenAt: undefined };
  const next = toPodView({ metadata: { namespace: 'ns', name: 'p', uid: 'u1' } });
  continueFrom(next, unseen, 3_000);
  assert.equal(next.seenAt, 3_000, 'a previous view never stamped is stamped now');
  const recreated = toPodView({ metadata: { namespace: 'ns', name: 'p', uid: 'u2' } });
  continueFrom(recreated, update, 4_000);
  assert.deepEqual([recreated.uid, recreated.seenAt], ['u2', 4_000]);
});
