import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseAdmissionForm, describeForm, parseKubernetesVersion, versionFromServerInfo } from './admission-form.ts';

test('versions as users and servers write them', () => {
  assert.deepEqual(parseKubernetesVersion('1.33'), { major: 1, minor: 33 });
  assert.deepEqual(parseKubernetesVersion('v1.36.3'), { major: 1, minor: 36 });
  assert.deepEqual(parseKubernetesVersion('v1.32.9-eks-113cf36'), { major: 1, minor: 32 });
  assert.deepEqual(parseKubernetesVersion('1.31+'), { major: 1, minor: 31 });
  for (const bad of ['', '1', 'one.two', '1.x', 'latest']) assert.throws(() => parseKubernetesVersion(bad), /use MAJOR\.MINOR/, bad);
  assert.deepEqual(versionFromServerInfo({ major: '1', minor: '31+', gitVersion: 'v1.31.4-gke.1' }), { major: 1, minor: 31 });
  assert.deepEqual(versionFromServerInfo({ major: '', minor: '', gitVersion: 'v1.36.3' }), { major: 1, minor: 36 });
});

test('auto follows the table: policies on >= 1.36, the guard as a policy on 1.30 - 1.35, else webhooks', () => {
  const pick = (v: string) => {
    const f = chooseAdmissionForm('auto', parseKubernetesVersion(v), 'test');
    return [f.mutation, f.guard, f.webhookMatchConditions];
  };
  assert.deepEqual(pick('1.36'), ['policy', 'policy', true]);
  assert.deepEqual(pick('2.0'), ['policy', 'policy', true]);
  assert.deepEqual(pick('1.35'), ['webhook', 'policy', true]);
  assert.deepEqual(pick('1.30'), ['webhook', 'policy', true]);
  assert.deepEqual(pick('1.29'), ['webhook', 'webhook', true]);
  assert.deepEqual(pick('1.28'), ['webhook', 'webhook', true]);
  assert.deepEqual(pick('1.27'), ['webhook', 'webhook', false]);
});

test('auto without a version picks the form every Kubernetes >= 1.30 runs, and says how to choose', () => {
  const f = chooseAdmissionForm('auto', undefined, 'no kubeconfig found');
  assert.deepEqual([f.mutation, f.guard], ['webhook', 'policy']);
  assert.match(f.reason, /no kubeconfig found/);
  assert.match(f.reason, /--kubernetes-version/);
  assert.equal(describeForm(f), 'pod mutation as mutating webhook, IP-annotation guard as ValidatingAdmissionPolicy');
});

test('policy on a server without MutatingAdmissionPolicy v1 is refused with what to use instead', () => {
  assert.throws(() => chooseAdmissionForm('policy', { major: 1, minor: 33 }, 'the API server reports v1.33.1'), /needs Kubernetes >= 1\.36.*--admission auto/);
  assert.deepEqual([chooseAdmissionForm('policy', undefined, 'x').mutation, chooseAdmissionForm('policy', { major: 1, minor: 36 }, 'x').guard], ['policy', 'policy']);
});

test('webhook is honoured on any version; match conditions only where the server has them', () => {
  assert.equal(chooseAdmissionForm('webhook', { major: 1, minor: 36 }, 'x').guard, 'webhook');
  assert.equal(chooseAdmissionForm('webhook', { major: 1, minor: 27 }, 'x').webhookMatchConditions, false);
  assert.equal(chooseAdmissionForm('webhook', undefined, 'x').webhookMatchConditions, true);
});
