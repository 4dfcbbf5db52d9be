/**
 * The webhooks as kube-apiserver really calls them: pods created through the API are mutated by
 * our server, the annotation guard rejects a user and admits the controller's identity, and a
 * replaced serving certificate is picked up without a restart.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, copyFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { Buffer } from 'node:buffer';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { useControlPlane } from '../harness/suite.ts';
import { createOrReplaceObjects, ensureNamespace, installWebhookConfigurations, waitFor } from '../harness/cluster-objects.ts';
import { issueLoopbackServing } from '../harness/certs.ts';
import { closeSharedConnections, createKubeClients, KubeApiError, loadKubeConfig } from '../../pkg/adapters/kube/client.ts';
import { annotatePod } from '../../pkg/adapters/kube/patches.ts';
import { createLogger } from '../../pkg/support/log.ts';
import { guardPodAnnotation, mutatePod, MUTATE_POD_PATH, startAdmissionServer, VALIDATE_POD_PATH } from '../../pkg/adapters/http/admission.ts';
import { POD_IP_ANNOTATION, RESOURCE_NAME } from '../../pkg/core/contract.ts';

const plane = useControlPlane();
const CONTROLLER_USER = 'winprefix-controller';
const NS = 'webhooks';
const scratch = mkdtempSync(join(tmpdir(), 'winprefix-webhook-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

let server: { port: number; close(): Promise<void>; certDir: string } | undefined;
after(async () => server?.close());

/** Starts our server on a private copy of the serving cert and registers both webhooks with the API server. */
async function ensureWebhooks(): Promise<NonNullable<typeof server>> {
  if (server) return server;
  const serving = await plane().webhookServing();
  const certDir = join(scratch, 'certs');
  cpSync(serving.certDir, certDir, { recursive: true });
  const running = await startAdmissionServer({
    host: '127.0.0.1',
    port: 0,
    certDir,
    certPollMs: 100,
    log: createLogger({ level: 'error' }),
    handlers: {
      [MUTATE_POD_PATH]: (r) => mutatePod(r, { ipamEnabled: () => true }),
      [VALIDATE_POD_PATH]: (r) => guardPodAnnotation(r, { controllerUsernames: [CONTROLLER_USER], enabled: () => true }),
    },
  });
  server = { ...running, certDir };
  await installWebhookConfigurations(plane().kubeConfig(), webhookConfigurations(running.port, serving.caBundle));
  await ensureNamespace(plane().kubeConfig(), NS);
  await waitUntilCalled();
  return server;
}

/**
 * kube-apiserver learns of webhook configurations through an informer, so a pod written right after they were
 * created may be admitted without them (the mutator's failurePolicy Ignore would hide that). Dry-run writes,
 * which reach webhooks with sideEffects None and persist nothing, show when both are in use.
 */
async function waitUntilCalled(): Promise<void> {
  const core = plane().kubeConfig().makeApiClient(CoreV1Api);
  const windows = { nodeSelector: { 'kubernetes.io/os': 'windows' } };
  await waitFor('the API server to call the mutating webhook', async () => {
    const p = await core.createNamespacedPod({ namespace: NS, dryRun: 'All', body: podBody('probe', windows) });
    return ipResources(p).requests === '1' ? true : undefined;
  });
  await waitFor('the API server to call the validating webhook', async () => {
    const body = { ...podBody('probe', windows), metadata: { name: 'probe', namespace: NS, annotations: { [POD_IP_ANNOTATION]: '10.0.0.97/32' } } };
    try {
      await core.createNamespacedPod({ namespace: NS, dryRun: 'All', body });
      return undefined;
    } catch (err) {
      return /managed by the IPAM controller/.test(String((err as { body?: unknown }).body)) ? true : undefined;
    }
  });
}

function webhookConfigurations(port: number, caBundle: string): object[] {
  const rules = (ops: string[]) => [{ operations: ops, apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }];
  const common = { admissionReviewVersions: ['v1'], sideEffects: 'None', timeoutSeconds: 10 };
  return [
    {
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name: 'winprefix-test-mutating' },
      webhooks: [{ name: 'mpod.winprefix.io', ...common, failurePolicy: 'Ignore', rules: rules(['CREATE']), clientConfig: { url: `https://127.0.0.1:${port}${MUTATE_POD_PATH}`, caBundle } }],
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'winprefix-test-validating' },
      webhooks: [{ name: 'vpod.winprefix.io', ...common, failurePolicy: 'Fail', rules: rules(['CREATE', 'UPDATE']), clientConfig: { url: `https://127.0.0.1:${port}${VALIDATE_POD_PATH}`, caBundle } }],
    },
  ];
}

function podBody(name: string, spec: Partial<NonNullable<V1Pod['spec']>>): V1Pod {
  return { metadata: { name, namespace: NS }, spec: { containers: [{ name: 'app', image: 'mcr.microsoft.com/windows/nanoserver:ltsc2022' }, { name: 'sidecar', image: 'x' }], ...spec } };
}

const ipResources = (p: V1Pod) => ({
  requests: p.spec?.containers[0]?.resources?.requests?.[RESOURCE_NAME],
  limits: p.spec?.containers[0]?.resources?.limits?.[RESOURCE_NAME],
  second: p.spec?.containers[1]?.resources?.requests?.[RESOURCE_NAME],
});

test('kube-apiserver calls the mutator: Windows pods get the resource on container 0, others do not', async () => {
  await ensureWebhooks();
  const core = plane().kubeConfig().makeApiClient(CoreV1Api);
  const win = await core.createNamespacedPod({ namespace: NS, body: podBody('win', { nodeSelector: { 'kubernetes.io/os': 'windows' } }) });
  assert.deepEqual(ipResources(win), { requests: '1', limits: '1', second: undefined });
  const aff = await core.createNamespacedPod({
    namespace: NS,
    body: podBody('win-affinity', {
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/os', operator: 'In', values: ['windows'] }] }] } } },
      containers: [{ name: 'app', image: 'x', resources: { limits: { cpu: '1' } } }],
    }),
  });
  assert.deepEqual(ipResources(aff), { requests: '1', limits: '1', second: undefined });
  assert.equal(aff.spec?.containers[0]?.resources?.limits?.cpu, '1');
  const linux = await core.createNamespacedPod({ namespace: NS, body: podBody('linux', { nodeSelector: { 'kubernetes.io/os': 'linux' } }) });
  assert.deepEqual(ipResources(linux), { requests: undefined, limits: undefined, second: undefined });
  const hostNet = await core.createNamespacedPod({ namespace: NS, body: podBody('hostnet', { hostNetwork: true, nodeSelector: { 'kubernetes.io/os': 'windows' } }) });
  assert.deepEqual(ipResources(hostNet), { requests: undefined, limits: undefined, second: undefined });
});

test('the guard rejects a user with pod patch rights and admits the controller identity', async (t) => {
  await ensureWebhooks();
  const admin = plane().kubeConfig();
  await createOrReplaceObjects(admin, [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'pod-editor', namespace: NS }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'create', 'patch', 'update'] }] },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'pod-editor', namespace: NS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-editor' },
      subjects: [CONTROLLER_USER, 'alice'].map((name) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name })),
    },
  ]);
  const alice = createKubeClients(loadKubeConfig({ kubeconfig: await plane().mintKubeconfig({ name: 'alice' }) }));
  const controller = createKubeClients(loadKubeConfig({ kubeconfig: await plane().mintKubeconfig({ name: CONTROLLER_USER }) }));
  t.after(async () => {
    await closeSharedConnections(alice.kc);
    await closeSharedConnections(controller.kc);
  });
  const pod = await alice.core.createNamespacedPod({ namespace: NS, body: podBody('guarded', { nodeSelector: { 'kubernetes.io/os': 'windows' } }) });
  const uid = pod.metadata!.uid!;

  await assert.rejects(annotatePod(alice, { namespace: NS, name: 'guarded', uid, annotations: { [POD_IP_ANNOTATION]: '10.0.0.99/32' } }), (err: unknown) => {
    assert.ok(err instanceof KubeApiError);
    assert.equal(err.status, 403);
    assert.match(err.serverMessage, /denied the request/);
    assert.match(err.serverMessage, new RegExp(`only "${CONTROLLER_USER}" may set it`));
    assert.match(err.serverMessage, /user "alice" tried to add it/);
    return true;
  });
  // Creating a pod that carries the annotation is refused too.
  await assert.rejects(
    alice.core.createNamespacedPod({ namespace: NS, body: { ...podBody('sneaky', {}), metadata: { name: 'sneaky', namespace: NS, annotations: { [POD_IP_ANNOTATION]: '10.0.0.98/32' } } } }),
    (err: unknown) => (KubeApiError.from(err) as KubeApiError).status === 403,
  );

  assert.equal(await annotatePod(controller, { namespace: NS, name: 'guarded', uid, annotations: { [POD_IP_ANNOTATION]: '10.0.0.5/32' } }), 'patched');
  // Others may still change other annotations of the pod, but not this one.
  assert.equal(await annotatePod(alice, { namespace: NS, name: 'guarded', uid, annotations: { team: 'a' } }), 'patched');
  await assert.rejects(annotatePod(alice, { namespace: NS, name: 'guarded', uid, annotations: { [POD_IP_ANNOTATION]: null } }), /tried to remove it|denied/);
  const final = await controller.core.readNamespacedPod({ namespace: NS, name: 'guarded' });
  assert.equal(final.metadata?.annotations?.[POD_IP_ANNOTATION], '10.0.0.5/32');
  assert.equal(final.metadata?.annotations?.team, 'a');
});

test('a replaced serving certificate is served without a restart, and kube-apiserver accepts it', async () => {
  const s = await ensureWebhooks();
  const before = await servedCertificate(s.port);
  const rotated = join(scratch, 'rotated');
  mkdirSync(rotated);
  const { ca } = await issueLoopbackServing({ dir: rotated, caName: 'winprefix-test-rotated-ca', certFileName: 'tls.crt', keyFileName: 'tls.key' });
  // Key first, then certificate: between the two the pair does not match and the old one must stay in use.
  copyFileSync(join(rotated, 'tls.key'), join(s.certDir, 'tls.key'));
  await new Promise((ok) => setTimeout(ok, 250));
  assert.equal(await servedCertificate(s.port), before, 'a mismatched pair is not loaded');
  copyFileSync(join(rotated, 'tls.crt'), join(s.certDir, 'tls.crt'));
  const expected = new X509Certificate(readFileSync(join(rotated, 'tls.crt'))).fingerprint256;
  await waitFor('new certificate served', async () => ((await servedCertificate(s.port)) === expected ? true : undefined), { timeoutMs: 5_000 });

  // The API server trusts the new CA once the configurations carry it, and calls us again.
  await installWebhookConfigurations(plane().kubeConfig(), webhookConfigurations(s.port, Buffer.from(ca.certPem).toString('base64')));
  const core = plane().kubeConfig().makeApiClient(CoreV1Api);
  const pod = await waitFor('mutation with the rotated certificate', async () => {
    const name = `after-rotation-${Date.now()}`;
    const p = await core.createNamespacedPod({ namespace: NS, body: podBody(name, { nodeSelector: { 'kubernetes.io/os': 'windows' } }) });
    return ipResources(p).requests === '1' ? p : undefined;
  }, { timeoutMs: 10_000, intervalMs: 300 });
  assert.equal(ipResources(pod).limits, '1');
});

function servedCertificate(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, servername: 'localhost' }, () => {
      const fp = sock.getPeerX509Certificate()?.fingerprint256 ?? '';
      sock.end();
      resolve(fp);
    });
    sock.on('error', reject);
  });
}
