import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mutatePod } from './pod-mutator.ts';
import { decodePatch, type AdmissionReview } from './review.ts';
import { resolveClusterConfig } from '../ipam/config.ts';
import { applyAddPatch, ipResources, MUTATION_CASES, podCreateReview, podReview, SWITCH_CASES, SWITCH_POD_SPEC } from './testing/cases.ts';

const R = 'vpc.amazonaws.com/PrivateIPv4Address';
const on = { ipamEnabled: () => true };

function review(spec: unknown, operation: 'CREATE' | 'UPDATE' = 'CREATE'): AdmissionReview {
  return podReview({ uid: 'u-1', operation, username: 'alice', object: { metadata: { name: 'p' }, spec } });
}

/** The spec after the API server applied the response's patch. */
function apply(spec: Record<string, unknown>, out: AdmissionReview): Record<string, unknown> {
  return applyAddPatch({ spec }, decodePatch(out.response)).spec;
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

test('the shared cases (also run through the webhook and the policy on a real API server)', () => {
  for (const c of MUTATION_CASES) {
    const out = mutatePod(podCreateReview(c.spec), on);
    assert.equal(out.response?.allowed, true, c.name);
    assert.deepEqual(ipResources(applyAddPatch({ spec: c.spec }, decodePatch(out.response)).spec), c.expect, c.name);
  }
});

test('the IPAM switch reads enable-windows-ipam as the controller does', () => {
  for (const c of SWITCH_CASES) {
    const ipamEnabled = () => resolveClusterConfig(c.data).ipamEnabled;
    const out = mutatePod(podCreateReview(SWITCH_POD_SPEC), { ipamEnabled });
    assert.equal(decodePatch(out.response).length > 0, c.enabled, c.name);
  }
});

test('a malformed pod is allowed unpatched, never thrown on (the transport would answer 500)', () => {
  const malformed: unknown[] = [
    { nodeSelector: { [`kubernetes.io/os`]: 'windows' }, containers: { app: { name: 'app' } } },
    { nodeSelector: { 'kubernetes.io/os': 'windows' }, containers: 'app' },
    { nodeSelector: { 'kubernetes.io/os': 'windows' }, containers: [null, 7] },
    { nodeSelector: { 'kubernetes.io/os': 'windows' }, containers: [{ resources: 'lots' }] },
    { nodeSelector: { 'kubernetes.io/os': 'windows' }, containers: [{ resources: { limits: 'lots' } }] },
    { nodeSelector: { 'kubernetes.io/os': 'windows' }, containers: [{ resources: { limits: [1] } }] },
    { nodeSelector: 'windows', containers: [{}] },
    { nodeSelector: null, affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: { a: 1 } } } }, containers: [{}] },
    { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [null, 'x', { matchExpressions: 'x' }] } } }, containers: [{}] },
    { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/os', operator: 'In', values: 'windows' }] }] } } }, containers: [{}] },
    { affinity: 'x', containers: [{}] },
    [],
    'spec',
    null,
  ];
  for (const spec of malformed) {
    const r = review(spec);
    const out = mutatePod(r, on);
    assert.equal(out.response?.allowed, true, JSON.stringify(spec));
    assert.equal(out.response?.patch, undefined, JSON.stringify(spec));
  }
  for (const object of [null, 'pod', [], { spec: 'x' }, { metadata: null }]) {
    const r = review({});
    r.request!.object = object;
    assert.equal(mutatePod(r, on).response?.allowed, true, JSON.stringify(object));
  }
});
