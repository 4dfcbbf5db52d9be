import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAll } from 'js-yaml';
import { checkRoleArn, DEFAULT_INSTALL, installObjects, rbacObjects, renderInstallManifest } from './install.ts';
import { webhookConfigurations } from './webhooks.ts';

type Obj = { kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> }; [k: string]: unknown };

test('the rendered manifest parses back to the install objects, plus a commented ConfigMap', () => {
  const text = renderInstallManifest(DEFAULT_INSTALL);
  const docs = (loadAll(text) as unknown[]).filter((d) => d !== null && d !== undefined) as Obj[];
  assert.deepEqual(docs, JSON.parse(JSON.stringify(installObjects(DEFAULT_INSTALL))));
  assert.deepEqual(docs.map((d) => d.kind), [
    'Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'Role', 'RoleBinding',
    'Issuer', 'Certificate', 'Deployment', 'Service', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration',
  ]);
  assert.match(text, /^# {3}enable-windows-ipam: "true"/m);
});

test('webhook configurations carry the cert-manager CA annotation and point at the Service', () => {
  const hooks = installObjects(DEFAULT_INSTALL).filter((o) => String(o.kind).endsWith('WebhookConfiguration')) as Obj[];
  assert.equal(hooks.length, 2);
  for (const h of hooks) {
    assert.equal(h.metadata.annotations?.['cert-manager.io/inject-ca-from'], 'winprefix-system/winprefix-controller-webhook');
  }
});

test('tests can register the same webhooks against a URL with a caBundle', () => {
  const [m, v] = webhookConfigurations({ kind: 'url', baseUrl: 'https://127.0.0.1:9443/', caBundle: 'Q0E=' }) as Array<{ webhooks: Array<{ clientConfig: Record<string, unknown> }>; metadata: Record<string, unknown> }>;
  assert.deepEqual(m!.webhooks[0]!.clientConfig, { url: 'https://127.0.0.1:9443/mutate-v1-pod', caBundle: 'Q0E=' });
  assert.deepEqual(v!.webhooks[0]!.clientConfig, { url: 'https://127.0.0.1:9443/validate-v1-pod', caBundle: 'Q0E=' });
  assert.equal(m!.metadata.annotations, undefined);
});

test('RBAC can be bound to a plain user for the least-privilege test', () => {
  const objs = rbacObjects(DEFAULT_INSTALL, { kind: 'User', name: 'winprefix-test' }) as Array<Obj & { subjects?: unknown[] }>;
  const bindings = objs.filter((o) => o.kind.endsWith('Binding'));
  assert.equal(bindings.length, 3);
  for (const b of bindings) assert.deepEqual(b.subjects, [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'winprefix-test' }]);
  const roles = objs.filter((o) => o.kind === 'Role');
  assert.deepEqual(roles.map((r) => r.metadata.namespace), ['kube-system', 'winprefix-system']);
});

test('--role-arn annotates the ServiceAccount for IRSA; without it there is no annotation', () => {
  const arn = 'arn:aws:iam::111122223333:role/winprefix-controller';
  const sa = (o: typeof DEFAULT_INSTALL) => installObjects(o).find((x) => x.kind === 'ServiceAccount') as Obj;
  assert.deepEqual(sa({ ...DEFAULT_INSTALL, roleArn: arn }).metadata.annotations, { 'eks.amazonaws.com/role-arn': arn });
  assert.equal(sa(DEFAULT_INSTALL).metadata.annotations, undefined);
  assert.match(renderInstallManifest({ ...DEFAULT_INSTALL, roleArn: arn }), /^ {4}eks\.amazonaws\.com\/role-arn: arn:aws:iam::111122223333:role\/winprefix-controller$/m);
});

test('a role ARN is checked, in every AWS partition', () => {
  for (const ok of ['arn:aws:iam::111122223333:role/a', 'arn:aws-cn:iam::111122223333:role/path/x-y_z', 'arn:aws-us-gov:iam::111122223333:role/w+=,.@-']) {
    assert.equal(checkRoleArn(ok), ok);
  }
  for (const bad of ['winprefix-controller', 'arn:aws:iam::1111:role/a', 'arn:aws:iam::111122223333:user/a', 'arn:aws:s3:::bucket']) {
    assert.throws(() => checkRoleArn(bad), /is not an IAM role ARN: give the role's ARN/);
  }
});
