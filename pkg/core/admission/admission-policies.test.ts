import { test } from 'node:test';
import assert from 'node:assert/strict';
import { celString, guardPolicyObjects, IPAM_ENABLED_CEL, MUTATION_POLICY_NAME, mutationPolicyObjects, notControllerCel } from './admission-policies.ts';
import { TRUE_WORDS } from '../ipam/config.ts';

// What the policies decide is tested on a real API server (test/admission/), against the same cases
// as the handlers; these checks pin the shape that makes them safe.

const inputs = { configMap: { namespace: 'kube-system', name: 'amazon-vpc-cni' }, controllerUsernames: ['system:serviceaccount:w:c', 'o"dd\\name'] };
type Spec = Record<string, unknown> & { matchConstraints: { resourceRules: Array<{ operations: string[]; resources: string[] }> } };

test('CEL string literals survive quotes, backslashes and non-ASCII text', () => {
  assert.equal(celString('a"b\\c'), '"a\\"b\\\\c"');
  assert.equal(celString('ü\n'), '"ü\\n"');
  assert.match(notControllerCel(inputs.controllerUsernames), /^!\(request\.userInfo\.username in \["system:serviceaccount:w:c", "o\\"dd\\\\name"\]\)$/);
});

test('the IPAM switch accepts exactly the controller\'s true words', () => {
  for (const w of TRUE_WORDS) assert.ok(IPAM_ENABLED_CEL.includes(`"${w}"`), w);
  assert.match(IPAM_ENABLED_CEL, /^params\.\?data\[\?"enable-windows-ipam"\]/);
});

test('the guard covers pods and every subresource on create and update, fails closed, exempts the controller', () => {
  const [policy, binding] = guardPolicyObjects(inputs) as Array<{ kind: string; spec: Spec }>;
  assert.equal(policy!.kind, 'ValidatingAdmissionPolicy');
  assert.deepEqual(policy!.spec.matchConstraints.resourceRules[0]!.resources, ['pods', 'pods/*']);
  assert.deepEqual(policy!.spec.matchConstraints.resourceRules[0]!.operations, ['CREATE', 'UPDATE']);
  assert.equal(policy!.spec.failurePolicy, 'Fail');
  assert.deepEqual((policy!.spec.matchConditions as Array<{ name: string }>).map((c) => c.name), ['ipam-enabled', 'not-the-controller']);
  assert.deepEqual(binding!.spec.validationActions, ['Deny']);
  assert.deepEqual(binding!.spec.paramRef, { name: 'amazon-vpc-cni', namespace: 'kube-system', parameterNotFoundAction: 'Allow' });
});

test('the mutation applies to pod creation only and never blocks it', () => {
  const [policy, binding] = mutationPolicyObjects(inputs) as Array<{ kind: string; spec: Spec }>;
  assert.equal(policy!.kind, 'MutatingAdmissionPolicy');
  assert.deepEqual(policy!.spec.matchConstraints.resourceRules[0]!.resources, ['pods']);
  assert.deepEqual(policy!.spec.matchConstraints.resourceRules[0]!.operations, ['CREATE']);
  assert.equal(policy!.spec.failurePolicy, 'Ignore');
  assert.equal(binding!.spec.policyName, MUTATION_POLICY_NAME);
  assert.deepEqual(binding!.spec.paramRef, { name: 'amazon-vpc-cni', namespace: 'kube-system', parameterNotFoundAction: 'Allow' });
});
