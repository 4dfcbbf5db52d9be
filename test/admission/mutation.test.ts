/**
 * The pod mutation in both forms on a real kube-apiserver: the shipped MutatingAdmissionPolicy and the
 * shipped mutating webhook (our server, the real handler) give the same pods for the shared cases
 * (pkg/core/admission/testing/cases.ts, which the handler's unit tests run too), follow the IPAM
 * switch in the ConfigMap alike, and a malformed pod never gets a 500 from the webhook.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { Buffer } from 'node:buffer';
import { Agent, request } from 'undici';
import { mutationPolicyObjects } from '../../pkg/core/admission/admission-policies.ts';
import { ipResources, MUTATION_CASES, podCreateReview, SWITCH_CASES, SWITCH_POD_SPEC } from '../../pkg/core/admission/testing/cases.ts';
import { ConfigKeys } from '../../pkg/core/contract.ts';
import { MUTATE_POD_PATH } from '../../pkg/adapters/http/admission.ts';
import { webhookConfigurations } from '../../pkg/manifests/webhooks.ts';
import { createOrReplaceObjects, ensureNamespace, waitFor } from '../harness/cluster-objects.ts';
import { useControlPlane } from '../harness/suite.ts';
import { CONFIG_MAP, CONTROLLER_USER, scopedTo, setIpamConfigMap, startWebhookServer, type WebhookServer } from './support.ts';

const plane = useControlPlane();
const FORMS = { webhook: 'mutate-webhook', policy: 'mutate-policy' } as const;
type Form = keyof typeof FORMS;
const ON = { [ConfigKeys.enableWindowsIpam]: 'true' };
const OFF = { [ConfigKeys.enableWindowsIpam]: 'false' };

describe('pod mutation: MutatingAdmissionPolicy and webhook', () => {
  let server: WebhookServer;
  let core: CoreV1Api;

  /** Creates the pod (dry run: admitted and defaulted, not stored) in the form's namespace. */
  const admit = async (form: Form, spec: Record<string, unknown>): Promise<V1Pod> =>
    core.createNamespacedPod({ namespace: FORMS[form], dryRun: 'All', body: { metadata: { name: 'case' }, spec: spec as unknown as V1Pod['spec'] } });

  const mutated = async (form: Form) => ipResources((await admit(form, SWITCH_POD_SPEC)).spec)[0]![0] === '1';

  /** The API server applies ConfigMap and registration changes through informers: wait until each form shows `enabled`. */
  const waitForSwitch = (enabled: boolean, what: string) =>
    Promise.all(
      (Object.keys(FORMS) as Form[]).map((form) =>
        waitFor(`the ${form} form to see IPAM ${enabled ? 'on' : 'off'} (${what})`, async () => ((await mutated(form)) === enabled ? true : undefined), { timeoutMs: 20_000 }),
      ),
    );

  before(async () => {
    const kc = plane().kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    for (const ns of Object.values(FORMS)) await ensureNamespace(kc, ns);
    await setIpamConfigMap(kc, ON);
    server = await startWebhookServer(plane());
    const serving = await plane().webhookServing();
    await createOrReplaceObjects(kc, [
      ...scopedTo(FORMS.webhook, webhookConfigurations({ kind: 'url', baseUrl: `https://127.0.0.1:${server.port}`, caBundle: serving.caBundle }, { guard: false })),
      ...scopedTo(FORMS.policy, mutationPolicyObjects({ configMap: CONFIG_MAP, controllerUsernames: [CONTROLLER_USER] })),
    ]);
    await waitForSwitch(true, 'registration');
  });
  after(async () => server?.stop());

  test('the shared cases give the same pods through the policy and through the webhook', async () => {
    for (const c of MUTATION_CASES) {
      const viaWebhook = await admit('webhook', c.spec);
      const viaPolicy = await admit('policy', c.spec);
      assert.deepEqual(ipResources(viaWebhook.spec), c.expect, `webhook: ${c.name}`);
      assert.deepEqual(ipResources(viaPolicy.spec), c.expect, `policy: ${c.name}`);
      assert.deepEqual(viaPolicy.spec?.containers.map((x) => x.resources), viaWebhook.spec?.containers.map((x) => x.resources), `same resources: ${c.name}`);
    }
  });

  test('both follow enable-windows-ipam in the ConfigMap, including a missing ConfigMap', async (t) => {
    t.after(() => setIpamConfigMap(plane().kubeConfig(), ON));
    for (const c of SWITCH_CASES) {
      // Each case starts from the opposite state, so every expectation is a change both forms must notice.
      await setIpamConfigMap(plane().kubeConfig(), c.enabled ? OFF : ON);
      await waitForSwitch(!c.enabled, `before "${c.name}"`);
      await setIpamConfigMap(plane().kubeConfig(), c.data);
      await waitForSwitch(c.enabled, c.name);
    }
  });

  test('UPDATEs are not mutated, and a pod that is already mutated stays as it is', async () => {
    const kc = plane().kubeConfig();
    await setIpamConfigMap(kc, ON);
    await waitForSwitch(true, 'back on');
    for (const form of Object.keys(FORMS) as Form[]) {
      const pod = await core.createNamespacedPod({ namespace: FORMS[form], body: { metadata: { name: 'stored' }, spec: SWITCH_POD_SPEC as unknown as V1Pod['spec'] } });
      assert.deepEqual(ipResources(pod.spec), [['1', '1']], form);
      const updated = await core.replaceNamespacedPod({ namespace: FORMS[form], name: 'stored', body: { ...pod, metadata: { ...pod.metadata, labels: { touched: 'yes' } } } });
      assert.deepEqual(ipResources(updated.spec), [['1', '1']], form);
      await core.deleteNamespacedPod({ namespace: FORMS[form], name: 'stored', gracePeriodSeconds: 0 });
    }
  });

  test('a malformed pod gets an allow without a patch from the webhook, never a 500; the API server rejects it itself', async () => {
    const serving = await plane().webhookServing();
    const agent = new Agent({ connect: { ca: Buffer.from(serving.caBundle, 'base64').toString('utf8') } });
    try {
      const review = podCreateReview({ nodeSelector: { 'kubernetes.io/os': 'windows' }, containers: { app: { name: 'app' } } });
      const res = await request(`https://127.0.0.1:${server.port}${MUTATE_POD_PATH}`, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(review),
      });
      const body = (await res.body.json()) as { response?: { allowed?: boolean; patch?: string } };
      assert.equal(res.statusCode, 200);
      assert.equal(body.response?.allowed, true);
      assert.equal(body.response?.patch, undefined);
    } finally {
      await agent.close();
    }
    // The same pod sent to the API server never reaches admission: decoding it fails first.
    const admin = new Agent({ connect: { ca: plane().caPem, ...adminCredentials(plane().kubeConfig()) } });
    try {
      const res = await request(`${plane().server}/api/v1/namespaces/${FORMS.webhook}/pods?dryRun=All`, {
        method: 'POST',
        dispatcher: admin,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'malformed' }, spec: { nodeSelector: { 'kubernetes.io/os': 'windows' }, containers: { app: { name: 'app' } } } }),
      });
      const text = await res.body.text();
      assert.equal(res.statusCode, 400, text);
    } finally {
      await admin.close();
    }
  });
});

function adminCredentials(kc: ReturnType<ReturnType<typeof plane>['kubeConfig']>): { cert: string; key: string } {
  const user = kc.getCurrentUser();
  const decode = (b64: string | undefined) => Buffer.from(b64 ?? '', 'base64').toString('utf8');
  return { cert: decode(user?.certData), key: decode(user?.keyData) };
}
