/**
 * `controller manifests` from the shipped bundle: a complete, parseable install manifest whose
 * flags reach the objects (namespace, image, ConfigMap, replicas), and whose admission form follows
 * the API server's version: read from a real kube-apiserver, given by flag, or unknown; the IRSA role.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { POD_IP_ANNOTATION } from '../../pkg/core/contract.ts';
import { createOrReplaceObjects, waitFor } from '../harness/cluster-objects.ts';
import { freeLoopbackPorts } from '../harness/ports.ts';
import { useControlPlane } from '../harness/suite.ts';
import { BUNDLE, requireBundle } from './support.ts';

type Obj = { kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> }; spec?: Record<string, unknown> };

const plane = useControlPlane();
const scratch = mkdtempSync(join(tmpdir(), 'winprefix-manifests-test-'));
test.after(() => rmSync(scratch, { recursive: true, force: true }));

/** No kubeconfig anywhere unless a test passes one: KUBECONFIG unset, an empty home, not in a pod. */
function manifests(args: string[], env: Record<string, string> = {}) {
  requireBundle();
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'KUBECONFIG' && k !== 'KUBERNETES_SERVICE_HOST'));
  const r = spawnSync(process.execPath, [BUNDLE, 'manifests', ...args], { encoding: 'utf8', env: { ...clean, HOME: scratch, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, docs: (loadAll(r.stdout) as unknown[]).filter(Boolean) as Obj[] };
}

const kinds = (docs: Obj[]) => docs.map((d) => d.kind);

test('node dist/controller.js manifests prints the install manifest with the given options', () => {
  const r = manifests(['--namespace', 'ipam', '--image', 'example.com/winprefix:1.2.3', '--configmap', 'ipam/winprefix-config', '--replicas', '3', '--kubernetes-version', '1.33']);
  assert.equal(r.code, 0, r.stderr);
  for (const kind of ['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'Issuer', 'Certificate', 'Deployment', 'Service', 'MutatingWebhookConfiguration', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']) {
    assert.ok(kinds(r.docs).includes(kind), `manifest has a ${kind}`);
  }
  const deployment = r.docs.find((d) => d.kind === 'Deployment')!;
  assert.equal(deployment.metadata.namespace, 'ipam');
  assert.equal(deployment.spec?.replicas, 3);
  assert.match(JSON.stringify(deployment), /example\.com\/winprefix:1\.2\.3/);
  assert.match(JSON.stringify(deployment), /--configmap=ipam\/winprefix-config/);
  const configRole = r.docs.find((d) => d.kind === 'Role' && d.metadata.namespace === 'ipam' && d.metadata.name.endsWith('-config'));
  assert.ok(configRole, 'the ConfigMap Role lives in the ConfigMap namespace');
  assert.match(r.stdout, /^# kind: ConfigMap$/m, 'a commented example ConfigMap');
  const binding = r.docs.find((d) => d.kind === 'ValidatingAdmissionPolicyBinding')!;
  assert.deepEqual(binding.spec?.paramRef, { name: 'winprefix-config', namespace: 'ipam', parameterNotFoundAction: 'Allow' });
  assert.match(r.stdout, /"system:serviceaccount:ipam:winprefix-controller"/, 'the guard names the ServiceAccount');
  assert.equal(r.stderr, 'manifests: pod mutation as mutating webhook, IP-annotation guard as ValidatingAdmissionPolicy (--admission auto on Kubernetes 1.33 (--kubernetes-version): MutatingAdmissionPolicy v1 needs 1.36, so the mutation stays a webhook)\n');
});

test('--admission auto reads the version from the API server, and the policies it renders are accepted and guard as promised', async () => {
  const r = manifests(['--kubeconfig', plane().kubeconfigPath, '--namespace', 'winprefix-manifests']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^manifests: pod mutation as MutatingAdmissionPolicy, IP-annotation guard as ValidatingAdmissionPolicy \(--admission auto on Kubernetes 1\.36 \(the API server at https:\/\/127\.0\.0\.1:\d+ reports v1\.36\.3\)/);
  assert.match(r.stdout, /^# admission: pod mutation as MutatingAdmissionPolicy, IP-annotation guard as ValidatingAdmissionPolicy$/m);
  assert.match(r.stdout, /^# {3}because: --admission auto on Kubernetes 1\.36/m);
  assert.deepEqual(kinds(r.docs).filter((k) => /Webhook|Certificate|Issuer|Service$/.test(k)), [], 'no webhook, Service or certificate');
  assert.doesNotMatch(r.stdout, /--cert-dir/);

  // Everything but the commented ConfigMap is accepted by the API server as rendered.
  const kc = plane().kubeConfig();
  await createOrReplaceObjects(kc, r.docs);
  await createOrReplaceObjects(kc, [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'amazon-vpc-cni', namespace: 'kube-system' }, data: { 'enable-windows-ipam': 'true' } }]);
  const core = kc.makeApiClient(CoreV1Api);
  const created = await waitFor('the installed mutation policy to apply', async () => {
    const pod = await core.createNamespacedPod({ namespace: 'default', dryRun: 'All', body: { metadata: { name: 'win' }, spec: { nodeSelector: { 'kubernetes.io/os': 'windows' }, containers: [{ name: 'c', image: 'x' }] } } });
    return pod.spec?.containers[0]?.resources?.limits?.[POD_IP_ANNOTATION] === '1' ? pod : undefined;
  }, { timeoutMs: 20_000 });
  assert.equal(created.spec?.containers[0]?.resources?.requests?.[POD_IP_ANNOTATION], '1');
  // admin is not the controller's ServiceAccount, so the installed guard refuses it.
  const message = await waitFor('the installed guard to refuse', async () => {
    try {
      await core.createNamespacedPod({ namespace: 'default', dryRun: 'All', body: { metadata: { name: 'forged', annotations: { [POD_IP_ANNOTATION]: '10.0.0.9/32' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } });
      return undefined;
    } catch (err) {
      return String((err as { body?: unknown }).body);
    }
  }, { timeoutMs: 20_000 });
  assert.match(message, /only \\"system:serviceaccount:winprefix-manifests:winprefix-controller\\" may set it; user \\"admin\\" tried to add it/);
});

test('--kubernetes-version picks the form offline', () => {
  assert.deepEqual(kinds(manifests(['--kubernetes-version', 'v1.36.3']).docs).filter((k) => k.includes('Admission') || k.includes('Webhook')), [
    'MutatingAdmissionPolicy', 'MutatingAdmissionPolicyBinding', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding',
  ]);
  const old = manifests(['--kubernetes-version', '1.29']);
  assert.deepEqual(kinds(old.docs).filter((k) => k.includes('Admission') || k.includes('Webhook')), ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']);
  assert.match(old.stdout, /failurePolicy: Fail/);
  // Refusals (policy on an older server, a bad --admission or version) are in flags.test.ts.
});

test('without a version: no kubeconfig, or an unreachable default one, gives the form every Kubernetes >= 1.30 runs and says why', async () => {
  const none = manifests([]);
  assert.equal(none.code, 0, none.stderr);
  assert.match(none.stderr, /IP-annotation guard as ValidatingAdmissionPolicy \(--admission auto without a known server version \(no kubeconfig found\)/);
  assert.ok(kinds(none.docs).includes('MutatingWebhookConfiguration'));

  const [closedPort] = await freeLoopbackPorts(1);
  const unreachable = join(scratch, 'unreachable.kubeconfig');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'gone', server: `https://127.0.0.1:${closedPort}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'gone', cluster: 'gone', user: 'u' }],
    currentContext: 'gone',
  });
  writeFileSync(unreachable, kc.exportConfig());
  const implicit = manifests([], { KUBECONFIG: unreachable });
  assert.equal(implicit.code, 0, implicit.stderr);
  assert.match(implicit.stderr, /without a known server version \(the API server did not answer: GET https:\/\/127\.0\.0\.1:\d+\/version failed/);
  // Named explicitly, a kubeconfig that does not answer is an error: the user asked for that cluster.
  const explicit = manifests(['--kubeconfig', unreachable]);
  assert.equal(explicit.code, 2);
  assert.match(explicit.stderr, /cannot read the API server's version with --kubeconfig .*pass --kubernetes-version/);
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
