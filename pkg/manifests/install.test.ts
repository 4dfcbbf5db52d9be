import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAll } from 'js-yaml';
import { DEFAULT_INSTALL, installObjects, rbacObjects, renderInstallManifest } from './install.ts';
import { webhookConfigurations } from './webhooks.ts';

type Obj = { kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> }; [k: string]: unknown };

test('the rendered manifest parses back to the install objects, plus a commented ConfigMap', () => {
  const text = renderInstallManifest(DEFAULT_INSTALL);
  const docs = (loadAll(text) as unknown[]).filter((d) => d !== null && d !== undefined) as Obj[];
  assert.deepEqual(docs, JSON.parse(JSON.stringify(installObjects(DEFAULT_INSTALL))));
  assert.deepEqual(docs.map((d) => d.kind), [
    'Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'Role', 'RoleBinding', 'ClusterRole',
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

test('listeners: health on every interface for the kubelet, metrics on every interface over HTTPS with token checks, each said why', () => {
  const text = renderInstallManifest(DEFAULT_INSTALL);
  const deployment = installObjects(DEFAULT_INSTALL).find((o) => o.kind === 'Deployment') as { spec: { template: { spec: { containers: Array<{ args: string[]; ports: Array<{ name: string; containerPort: number }>; livenessProbe: { httpGet: { port: number } } }> } } } };
  const c = deployment.spec.template.spec.containers[0]!;
  assert.ok(c.args.includes('--health-probe-bind-address=:8081'));
  assert.ok(c.args.includes('--metrics-bind-address=:8443'));
  assert.ok(c.args.includes('--metrics-cert-dir=/tmp/k8s-webhook-server/serving-certs'), 'metrics over HTTPS with the mounted certificate');
  assert.ok(!c.args.some((a) => a.startsWith('--metrics-auth')), 'authentication stays at its default (on off loopback)');
  assert.equal(c.livenessProbe.httpGet.port, 8081);
  assert.deepEqual(c.ports.map((p) => `${p.name}:${p.containerPort}`), ['webhook:9443', 'https-metrics:8443', 'health:8081']);
  assert.match(text, /the kubelet\n# probes the pod IP/);
  assert.match(text, /# Bind Prometheus's service account to winprefix-metrics-reader/);
});
