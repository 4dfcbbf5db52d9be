/**
 * `controller manifests` from the shipped bundle: a complete, parseable install manifest whose
 * flags reach the objects (namespace, image, ConfigMap, replicas, IRSA role).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadAll } from 'js-yaml';
import { BUNDLE, requireBundle } from './support.ts';

type Obj = { kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> }; spec?: Record<string, unknown> };

test('node dist/controller.js manifests prints the install manifest with the given options', () => {
  requireBundle();
  const text = execFileSync(process.execPath, [BUNDLE, 'manifests', '--namespace', 'ipam', '--image', 'example.com/winprefix:1.2.3', '--configmap', 'ipam/winprefix-config', '--replicas', '3'], { encoding: 'utf8' });
  const docs = (loadAll(text) as unknown[]).filter(Boolean) as Obj[];
  const kinds = docs.map((d) => d.kind);
  for (const kind of ['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'Issuer', 'Certificate', 'Deployment', 'Service', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
    assert.ok(kinds.includes(kind), `manifest has a ${kind}`);
  }
  const deployment = docs.find((d) => d.kind === 'Deployment')!;
  assert.equal(deployment.metadata.namespace, 'ipam');
  assert.equal(deployment.spec?.replicas, 3);
  assert.match(JSON.stringify(deployment), /example\.com\/winprefix:1\.2\.3/);
  assert.match(JSON.stringify(deployment), /--configmap=ipam\/winprefix-config/);
  const configRole = docs.find((d) => d.kind === 'Role' && d.metadata.namespace === 'ipam' && d.metadata.name.endsWith('-config'));
  assert.ok(configRole, 'the ConfigMap Role lives in the ConfigMap namespace');
  assert.match(text, /^# kind: ConfigMap$/m, 'a commented example ConfigMap');
});

test('--role-arn puts the IRSA annotation on the ServiceAccount; by default the image is this release', () => {
  requireBundle();
  const arn = 'arn:aws:iam::111122223333:role/winprefix-controller';
  const docs = (loadAll(execFileSync(process.execPath, [BUNDLE, 'manifests', '--role-arn', arn], { encoding: 'utf8' })) as unknown[]).filter(Boolean) as Obj[];
  const sa = docs.find((d) => d.kind === 'ServiceAccount')!;
  assert.deepEqual(sa.metadata.annotations, { 'eks.amazonaws.com/role-arn': arn });
  const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  const deployment = docs.find((d) => d.kind === 'Deployment') as unknown as { spec: { template: { spec: { containers: Array<{ image: string }> } } } };
  assert.equal(deployment.spec.template.spec.containers[0]!.image, `ghcr.io/winprefix/controller:${version}`);
});
