import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mutatePod } from './pod-mutator.ts';
import { decodePatch, type AdmissionReview } from './review.ts';

const R = 'vpc.amazonaws.com/PrivateIPv4Address';
const on = { ipamEnabled: () => true };

function review(spec: unknown, operation: 'CREATE' | 'UPDATE' = 'CREATE'): AdmissionReview {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'u-1',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      operation,
      userInfo: { username: 'alice' },
      object: { metadata: { name: 'p' }, spec },
    },
  };
}

/** Applies the "add" operations of a patch to a copy of the spec, as the API server would. */
function apply(spec: Record<string, unknown>, out: AdmissionReview): Record<string, unknown> {
  const pod = structuredClone({ spec });
  for (const op of decodePatch(out.response)) {
    assert.equal(op.op, 'add');
    const parts = op.path.split('/').slice(1).map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
    let cur: Record<string, unknown> = pod as Record<string, unknown>;
    for (const p of parts.slice(0, -1)) cur = cur[p] as Record<string, unknown>;
    cur[parts.at(-1)!] = (op as { value: unknown }).value;
  }
  return pod.spec as Record<string, unknown>;
}

const resourcesOf = (spec: Record<string, unknown>) => (spec.containers as Array<{ resources: { limits: Record<string, string>; requests: Record<string, string> } }>)[0]!.resources;

for (const label of ['kubernetes.io/os', 'beta.kubernetes.io/os']) {
  test(`nodeSelector ${label}=windows gets request and limit 1, maps created when absent`, () => {
    const spec = { nodeSelector: { [label]: 'windows' }, containers: [{ name: 'c' }, { name: 'd' }] };
    const out = mutatePod(review(spec), on);
    assert.equal(out.response?.allowed, true);
    assert.equal(out.response?.uid, 'u-1');
    assert.equal(out.response?.patchType, 'JSONPatch');
    assert.deepEqual(decodePatch(out.response), [{ op: 'add', path: '/spec/containers/0/resources', value: { limits: { [R]: '1' }, requests: { [R]: '1' } } }]);
    const after = apply(spec, out);
    assert.deepEqual(resourcesOf(after), { limits: { [R]: '1' }, requests: { [R]: '1' } });
  });
}

test('existing limits and requests maps get one escaped key each and keep their entries', () => {
  const spec = { nodeSelector: { 'kubernetes.io/os': 'windows' }, containers: [{ resources: { limits: { cpu: '1' }, requests: { memory: '1Gi' } } }] };
  const out = mutatePod(review(spec), on);
  assert.deepEqual(decodePatch(out.response), [
    { op: 'add', path: '/spec/containers/0/resources/limits/vpc.amazonaws.com~1PrivateIPv4Address', value: '1' },
    { op: 'add', path: '/spec/containers/0/resources/requests/vpc.amazonaws.com~1PrivateIPv4Address', value: '1' },
  ]);
  assert.deepEqual(resourcesOf(apply(spec, out)), { limits: { cpu: '1', [R]: '1' }, requests: { memory: '1Gi', [R]: '1' } });
});

test('resources present but only one map: the missing map is added whole', () => {
  const spec = { nodeSelector: { 'kubernetes.io/os': 'windows' }, containers: [{ resources: { limits: { cpu: '2' } } }] };
  const out = mutatePod(review(spec), on);
  assert.deepEqual(resourcesOf(apply(spec, out)), { limits: { cpu: '2', [R]: '1' }, requests: { [R]: '1' } });
});

test('required node affinity on the OS label In [windows] counts as Windows', () => {
  for (const key of ['kubernetes.io/os', 'beta.kubernetes.io/os']) {
    const spec = {
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'x', operator: 'Exists' }, { key, operator: 'In', values: ['windows'] }] }] } } },
      containers: [{}],
    };
    assert.equal(decodePatch(mutatePod(review(spec), on).response).length, 1, key);
  }
});

test('affinity that also allows Linux, only preferred, NotIn, or one term without the OS is left alone', () => {
  const req = (terms: unknown) => ({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } }, containers: [{}] });
  const cases = [
    req([{ matchExpressions: [{ key: 'kubernetes.io/os', operator: 'In', values: ['windows', 'linux'] }] }]),
    req([{ matchExpressions: [{ key: 'kubernetes.io/os', operator: 'NotIn', values: ['linux'] }] }]),
    req([{ matchExpressions: [{ key: 'kubernetes.io/os', operator: 'In', values: ['windows'] }] }, { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }]),
    req([]),
    { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: 'kubernetes.io/os', operator: 'In', values: ['windows'] }] } }] } }, containers: [{}] },
    { nodeSelector: { 'kubernetes.io/os': 'linux' }, containers: [{}] },
    { containers: [{}] },
  ];
  for (const spec of cases) {
    const out = mutatePod(review(spec), on);
    assert.equal(out.response?.allowed, true);
    assert.equal(out.response?.patch, undefined, JSON.stringify(spec));
  }
});

test('hostNetwork Windows pods are left alone', () => {
  const out = mutatePod(review({ hostNetwork: true, nodeSelector: { 'kubernetes.io/os': 'windows' }, containers: [{}] }), on);
  assert.equal(out.response?.allowed, true);
  assert.equal(out.response?.patch, undefined);
});

test('a pod that already requests or limits the resource on any container is left alone', () => {
  for (const resources of [{ requests: { [R]: '2' } }, { limits: { [R]: '1' } }]) {
    const out = mutatePod(review({ nodeSelector: { 'kubernetes.io/os': 'windows' }, containers: [{}, { resources }] }), on);
    assert.equal(out.response?.patch, undefined);
  }
});

test('IPAM disabled: allowed, no patch; UPDATE and non-pod requests untouched', () => {
  const spec = { nodeSelector: { 'kubernetes.io/os': 'windows' }, containers: [{}] };
  assert.equal(mutatePod(review(spec), { ipamEnabled: () => false }).response?.patch, undefined);
  assert.equal(mutatePod(review(spec, 'UPDATE'), on).response?.patch, undefined);
  const cm = review(spec);
  cm.request!.kind.kind = 'ConfigMap';
  assert.equal(mutatePod(cm, on).response?.allowed, true);
  assert.equal(mutatePod(cm, on).response?.patch, undefined);
});

test('a pod without containers is allowed unpatched (the API server rejects it anyway)', () => {
  assert.equal(mutatePod(review({ nodeSelector: { 'kubernetes.io/os': 'windows' }, containers: [] }), on).response?.patch, undefined);
});
