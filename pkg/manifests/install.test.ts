import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAll } from 'js-yaml';
import { checkRoleArn, controllerUsernames, DEFAULT_INSTALL, installObjects, rbacObjects, renderInstallManifest, type InstallOptions } from './install.ts';
import { chooseAdmissionForm, parseKubernetesVersion } from './admission-form.ts';
import { webhookConfigurations } from './webhooks.ts';

type Obj = { kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> }; [k: string]: unknown };

const at = (version: string): InstallOptions => ({ ...DEFAULT_INSTALL, admission: chooseAdmissionForm('auto', parseKubernetesVersion(version), '--kubernetes-version') });
const kinds = (o: InstallOptions) => (installObjects(o) as Obj[]).map((d) => d.kind);
const BASE = ['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'Role', 'RoleBinding', 'ClusterRole'];

test('the rendered manifest parses back to the install objects, plus a commented ConfigMap and the admission choice', () => {
  for (const o of [DEFAULT_INSTALL, at('1.36'), at('1.27')]) {
    const text = renderInstallManifest(o);
    const docs = (loadAll(text) as unknown[]).filter((d) => d !== null && d !== undefined) as Obj[];
    assert.deepEqual(docs, JSON.parse(JSON.stringify(installObjects(o))));
    assert.match(text, /^# {3}enable-windows-ipam: "true"/m);
    assert.match(text, /^# admission: pod mutation as .*, IP-annotation guard as .*$/m);
    assert.match(text, new RegExp(`^# {3}because: ${o.admission.reason.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  }
});

test('Kubernetes >= 1.36: both rules as policies, and no webhook server, Service or certificate at all', () => {
  const o = at('v1.36.3');
  assert.deepEqual(kinds(o), [...BASE, 'Deployment', 'MutatingAdmissionPolicy', 'MutatingAdmissionPolicyBinding', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']);
  const text = JSON.stringify(installObjects(o));
  assert.doesNotMatch(text, /cert-dir|webhook-port|webhook-cert|cert-manager/);
  assert.doesNotMatch(renderInstallManifest(o), /requires cert-manager/);
});

test('Kubernetes 1.30 - 1.35: the guard as a policy, the mutation as a webhook', () => {
  for (const v of ['1.30', '1.35']) {
    assert.deepEqual(kinds(at(v)), [...BASE, 'Issuer', 'Certificate', 'Deployment', 'Service', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding', 'MutatingWebhookConfiguration'], v);
  }
  assert.deepEqual(kinds(DEFAULT_INSTALL), kinds(at('1.33')), 'the default when the version is unknown');
});

test('older servers: both webhooks; the guard fails closed on pods and every pod subresource', () => {
  const objs = installObjects(at('1.29')) as Array<Obj & { webhooks?: Array<Record<string, unknown>> }>;
  assert.deepEqual(objs.map((o) => o.kind), [...BASE, 'Issuer', 'Certificate', 'Deployment', 'Service', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']);
  const guard = objs.find((o) => o.kind === 'ValidatingWebhookConfiguration')!.webhooks![0]!;
  assert.equal(guard.failurePolicy, 'Fail');
  assert.deepEqual((guard.rules as Array<{ resources: string[] }>)[0]!.resources, ['pods', 'pods/*']);
  assert.equal(guard.namespaceSelector, undefined, 'with match conditions it covers every namespace');
  const conditions = guard.matchConditions as Array<{ name: string; expression: string }>;
  assert.deepEqual(conditions.map((c) => c.name), ['changes-ip-annotation', 'not-the-controller']);
  assert.match(conditions[1]!.expression, /system:serviceaccount:winprefix-system:winprefix-controller/);
  const mutator = objs.find((o) => o.kind === 'MutatingWebhookConfiguration')!.webhooks![0]!;
  assert.equal(mutator.failurePolicy, 'Ignore');
});

test('before match conditions (< 1.28) the guard sees every pod write, so the system and own namespaces stay out', () => {
  const objs = installObjects(at('1.27')) as Array<Obj & { webhooks?: Array<Record<string, unknown>> }>;
  const guard = objs.find((o) => o.kind === 'ValidatingWebhookConfiguration')!.webhooks![0]!;
  assert.equal(guard.matchConditions, undefined);
  assert.deepEqual(guard.namespaceSelector, { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'kube-node-lease', 'winprefix-system'] }] });
});

test('the controller identities: the ServiceAccount plus --controller-username, in the policy, the webhook and the Deployment', () => {
  const o: InstallOptions = { ...at('1.29'), controllerUsernames: ['ops-bot'] };
  assert.deepEqual(controllerUsernames(o), ['system:serviceaccount:winprefix-system:winprefix-controller', 'ops-bot']);
  const text = JSON.stringify(installObjects(o));
  assert.match(text, /--controller-username=ops-bot/);
  assert.match(JSON.stringify(installObjects({ ...at('1.36'), controllerUsernames: ['ops-bot'] })), /\\"ops-bot\\"/);
});

test('the policies take the configured ConfigMap as their parameter, and treat a missing one as IPAM off', () => {
  const objs = installObjects({ ...at('1.36'), configMap: { namespace: 'ipam', name: 'winprefix-config' } }) as Array<Obj & { spec?: Record<string, unknown> }>;
  for (const b of objs.filter((o) => o.kind.endsWith('PolicyBinding'))) {
    assert.deepEqual(b.spec?.paramRef, { name: 'winprefix-config', namespace: 'ipam', parameterNotFoundAction: 'Allow' });
  }
});

test('webhook configurations carry the cert-manager CA annotation and point at the Service', () => {
  const hooks = installObjects(at('1.29')).filter((o) => String(o.kind).endsWith('WebhookConfiguration')) as Obj[];
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
  assert.match(text, /because the kubelet probes the pod IP/);
  assert.match(text, /# Bind Prometheus's service account to winprefix-metrics-reader/);
  // With both rules as policies there is no webhook certificate: metrics over HTTP, tokens still checked.
  const policies = installObjects(at('1.36')).find((o) => o.kind === 'Deployment') as typeof deployment;
  const pc = policies.spec.template.spec.containers[0]!;
  assert.ok(pc.args.includes('--metrics-bind-address=:8443') && !pc.args.some((a) => a.startsWith('--metrics-cert-dir')));
  assert.deepEqual(pc.ports.map((p) => `${p.name}:${p.containerPort}`), ['http-metrics:8443', 'health:8081']);
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
