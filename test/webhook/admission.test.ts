/**
 * The webhook server as kube-apiserver really calls it: a replaced serving certificate is picked up
 * without a restart. (What the handlers decide, through the webhooks and through the admission
 * policies alike, is tested in test/admission/.)
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
import { ensureNamespace, installWebhookConfigurations, waitFor } from '../harness/cluster-objects.ts';
import { issueLoopbackServing } from '../harness/certs.ts';
import { createLogger } from '../../pkg/support/log.ts';
import { guardPodAnnotation, mutatePod, MUTATE_POD_PATH, startAdmissionServer, VALIDATE_POD_PATH } from '../../pkg/adapters/http/admission.ts';
import { POD_IP_ANNOTATION, RESOURCE_NAME } from '../../pkg/core/contract.ts';
import { webhookConfigurations as shippedWebhookConfigurations } from '../../pkg/manifests/webhooks.ts';

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

/** The shipped registrations, pointed at our server. */
function webhookConfigurations(port: number, caBundle: string): object[] {
  return shippedWebhookConfigurations({ kind: 'url', baseUrl: `https://127.0.0.1:${port}`, caBundle }, { controllerUsernames: [CONTROLLER_USER] });
}

function podBody(name: string, spec: Partial<NonNullable<V1Pod['spec']>>): V1Pod {
  return { metadata: { name, namespace: NS }, spec: { containers: [{ name: 'app', image: 'mcr.microsoft.com/windows/nanoserver:ltsc2022' }, { name: 'sidecar', image: 'x' }], ...spec } };
}

const ipResources = (p: V1Pod) => ({
  requests: p.spec?.containers[0]?.resources?.requests?.[RESOURCE_NAME],
  limits: p.spec?.containers[0]?.resources?.limits?.[RESOURCE_NAME],
  second: p.spec?.containers[1]?.resources?.requests?.[RESOURCE_NAME],
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
