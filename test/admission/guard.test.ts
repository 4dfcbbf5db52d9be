/**
 * The IP-annotation guard on a real kube-apiserver, every way a user can write a pod's annotations:
 * create, update (PUT), merge / strategic-merge / JSON patch, server-side apply, `pods/status`
 * (patch and PUT) and `pods/binding` (whose annotations the API server copies onto the pod). A user
 * with full rights on pods and those subresources may not set, change or remove the IP annotation
 * through any of them:
 * - with the guard as the shipped ValidatingAdmissionPolicy (no controller process exists at all);
 * - with the guard as the shipped validating webhook, its server running;
 * - with that webhook's server stopped (failurePolicy Fail: refused, never let through).
 * The policy and the webhook refuse with the same words, the ones the handler writes; the
 * controller's identity may write the annotation in every case, even with the webhook down.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { guardPolicyObjects } from '../../pkg/core/admission/admission-policies.ts';
import { guardPodAnnotation } from '../../pkg/core/admission/annotation-guard.ts';
import { ConfigKeys, POD_IP_ANNOTATION } from '../../pkg/core/contract.ts';
import { KubeApiError, loadKubeConfig } from '../../pkg/adapters/kube/client.ts';
import { webhookConfigurations } from '../../pkg/manifests/webhooks.ts';
import { VALIDATE_POD_PATH } from '../../pkg/adapters/http/admission.ts';
import { createOrReplaceObjects, ensureNamespace, waitFor } from '../harness/cluster-objects.ts';
import { useControlPlane } from '../harness/suite.ts';
import { CONFIG_MAP, CONTROLLER_USER, ruleMessage, scopedTo, setIpamConfigMap, startWebhookServer, type WebhookServer } from './support.ts';

const plane = useControlPlane();
const NS = { policy: 'guard-policy', webhook: 'guard-webhook' } as const;
type Form = keyof typeof NS;
const A = POD_IP_ANNOTATION;
const JSON_PATCH_KEY = `/metadata/annotations/${A.replace('/', '~1')}`;
const ON = { [ConfigKeys.enableWindowsIpam]: 'true' };
const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const STRATEGIC = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
const JSON_PATCH = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
const APPLY = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);

interface WritePath {
  how: string;
  /** A CREATE on a subresource: the API server sends no old object, so the rule sees an add. */
  seenAsAdd?: boolean;
  write: (core: CoreV1Api, ns: string, pod: string) => Promise<unknown>;
}

/** Every write path that can add or change the annotation to `value`. */
function setPaths(value: string): WritePath[] {
  const annotations = { [A]: value };
  return [
    { how: 'update (PUT)', write: async (c, namespace, name) => {
      const pod = await c.readNamespacedPod({ namespace, name });
      return c.replaceNamespacedPod({ namespace, name, body: { ...pod, metadata: { ...pod.metadata, annotations: { ...pod.metadata?.annotations, ...annotations } } } });
    } },
    { how: 'merge patch', write: (c, namespace, name) => c.patchNamespacedPod({ namespace, name, body: { metadata: { annotations } } }, MERGE) },
    { how: 'strategic merge patch', write: (c, namespace, name) => c.patchNamespacedPod({ namespace, name, body: { metadata: { annotations } } }, STRATEGIC) },
    { how: 'JSON patch', write: (c, namespace, name) => c.patchNamespacedPod({ namespace, name, body: [{ op: 'add', path: JSON_PATCH_KEY, value }] }, JSON_PATCH) },
    { how: 'server-side apply', write: (c, namespace, name) =>
      c.patchNamespacedPod({ namespace, name, fieldManager: 'intruder', force: true, body: { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, annotations } } }, APPLY) },
    { how: 'pods/status merge patch', write: (c, namespace, name) => c.patchNamespacedPodStatus({ namespace, name, body: { metadata: { annotations } } }, MERGE) },
    { how: 'pods/status PUT', write: async (c, namespace, name) => {
      const pod = await c.readNamespacedPodStatus({ namespace, name });
      return c.replaceNamespacedPodStatus({ namespace, name, body: { ...pod, metadata: { ...pod.metadata, annotations: { ...pod.metadata?.annotations, ...annotations } } } });
    } },
    { how: 'pods/binding', seenAsAdd: true, write: (c, namespace, name) =>
      c.createNamespacedPodBinding({ namespace, name, body: { metadata: { name, annotations }, target: { kind: 'Node', name: 'win-1' } } }) },
  ];
}

/** Every write path that can remove the annotation. */
const REMOVE_PATHS: WritePath[] = [
  { how: 'update (PUT) without it', write: async (c, namespace, name) => {
    const pod = await c.readNamespacedPod({ namespace, name });
    const { [A]: _gone, ...rest } = pod.metadata?.annotations ?? {};
    return c.replaceNamespacedPod({ namespace, name, body: { ...pod, metadata: { ...pod.metadata, annotations: rest } } });
  } },
  { how: 'merge patch null', write: (c, namespace, name) => c.patchNamespacedPod({ namespace, name, body: { metadata: { annotations: { [A]: null } } } }, MERGE) },
  { how: 'strategic merge patch null', write: (c, namespace, name) => c.patchNamespacedPod({ namespace, name, body: { metadata: { annotations: { [A]: null } } } }, STRATEGIC) },
  { how: 'JSON patch remove', write: (c, namespace, name) => c.patchNamespacedPod({ namespace, name, body: [{ op: 'remove', path: JSON_PATCH_KEY }] }, JSON_PATCH) },
  { how: 'pods/status merge patch null', write: (c, namespace, name) => c.patchNamespacedPodStatus({ namespace, name, body: { metadata: { annotations: { [A]: null } } } }, MERGE) },
];

/** The words the handler uses for this change; the policy must use exactly these too. */
function expectedMessage(user: string, before: string | undefined, after: string | undefined): string {
  const pod = (v: string | undefined) => ({ metadata: { annotations: v === undefined ? {} : { [A]: v } } });
  const out = guardPodAnnotation(
    {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: { uid: 'x', kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { group: '', version: 'v1', resource: 'pods' }, operation: 'UPDATE', userInfo: { username: user }, object: pod(after), oldObject: pod(before) },
    },
    { controllerUsernames: [CONTROLLER_USER], enabled: () => true },
  );
  return out.response!.status!.message!;
}

async function refusal(attempt: Promise<unknown>): Promise<KubeApiError> {
  try {
    await attempt;
  } catch (err) {
    const e = KubeApiError.from(err);
    if (e instanceof KubeApiError) return e;
    throw err;
  }
  assert.fail('the write was allowed');
}

describe('IP-annotation guard: every write path, policy and webhook', () => {
  let server: WebhookServer;
  let kc: KubeConfig;
  let intruder: CoreV1Api;
  let controller: CoreV1Api;
  let counter = 0;

  const clientFor = async (name: string) => loadKubeConfig({ kubeconfig: await plane().mintKubeconfig({ name }) }).makeApiClient(CoreV1Api);

  /** A pod with another annotation (so JSON patches have a map to add to), optionally with the IP annotation set by the controller. */
  async function makePod(ns: string, ip?: string): Promise<string> {
    const name = `p-${++counter}`;
    await intruder.createNamespacedPod({ namespace: ns, body: { metadata: { name, annotations: { team: 'a' } }, spec: { containers: [{ name: 'app', image: 'x' }] } } });
    if (ip) await controller.patchNamespacedPod({ namespace: ns, name, body: { metadata: { annotations: { [A]: ip } } } }, MERGE);
    return name;
  }

  const ipOf = async (ns: string, name: string) => (await controller.readNamespacedPod({ namespace: ns, name })).metadata?.annotations?.[A];

  /** Kube-apiserver learns of registrations through informers: wait until a forbidden write in the namespace is refused by the rule. */
  const waitForGuard = (form: Form) =>
    waitFor(`the guard as ${form} to be in force`, async () => {
      const err = await refusal(intruder.createNamespacedPod({ namespace: NS[form], dryRun: 'All', body: forgedPod('probe') })).catch(() => undefined);
      return err && /managed by the IPAM controller/.test(err.serverMessage) ? true : undefined;
    }, { timeoutMs: 20_000 });

  before(async () => {
    kc = plane().kubeConfig();
    for (const ns of Object.values(NS)) await ensureNamespace(kc, ns);
    await setIpamConfigMap(kc, ON);
    const subjects = ['intruder', CONTROLLER_USER].map((name) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name }));
    await createOrReplaceObjects(kc, [
      {
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'pod-admin' },
        rules: [{ apiGroups: [''], resources: ['pods', 'pods/status', 'pods/binding'], verbs: ['get', 'list', 'create', 'update', 'patch', 'delete'] }],
      },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'pod-admin' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'pod-admin' }, subjects },
    ]);
    intruder = await clientFor('intruder');
    controller = await clientFor(CONTROLLER_USER);
    server = await startWebhookServer(plane());
    const serving = await plane().webhookServing();
    await createOrReplaceObjects(kc, [
      ...scopedTo(NS.policy, guardPolicyObjects({ configMap: CONFIG_MAP, controllerUsernames: [CONTROLLER_USER] })),
      ...scopedTo(NS.webhook, webhookConfigurations({ kind: 'url', baseUrl: `https://127.0.0.1:${server.port}`, caBundle: serving.caBundle }, { mutation: false, controllerUsernames: [CONTROLLER_USER] })),
    ]);
    await Promise.all([waitForGuard('policy'), waitForGuard('webhook')]);
  });
  after(async () => server?.stop());

  const forgedPod = (name: string): V1Pod => ({ metadata: { name, annotations: { [A]: '10.20.0.41/32' } }, spec: { containers: [{ name: 'app', image: 'x' }] } });

  /** Runs every forbidden write against `ns` and checks each refusal and that nothing changed. */
  async function everyForbiddenWrite(ns: string, check: (err: KubeApiError, expected: string, how: string) => void): Promise<void> {
    check(await refusal(intruder.createNamespacedPod({ namespace: ns, body: forgedPod(`forged-${++counter}`) })), expectedMessage('intruder', undefined, '10.20.0.41/32'), 'create');
    const fresh = await makePod(ns);
    for (const p of setPaths('10.20.0.41/32')) {
      check(await refusal(p.write(intruder, ns, fresh)), expectedMessage('intruder', undefined, '10.20.0.41/32'), `add by ${p.how}`);
      assert.equal(await ipOf(ns, fresh), undefined, `add by ${p.how} left no annotation`);
    }
    for (const p of setPaths('10.20.0.41/32')) {
      const assigned = await makePod(ns, '10.20.0.33/32');
      check(await refusal(p.write(intruder, ns, assigned)), expectedMessage('intruder', p.seenAsAdd ? undefined : '10.20.0.33/32', '10.20.0.41/32'), `change by ${p.how}`);
      assert.equal(await ipOf(ns, assigned), '10.20.0.33/32', `change by ${p.how} left the controller's value`);
    }
    for (const p of REMOVE_PATHS) {
      const assigned = await makePod(ns, '10.20.0.33/32');
      check(await refusal(p.write(intruder, ns, assigned)), expectedMessage('intruder', '10.20.0.33/32', undefined), `remove by ${p.how}`);
      assert.equal(await ipOf(ns, assigned), '10.20.0.33/32', `remove by ${p.how} left the controller's value`);
    }
  }

  /** What the intruder may still do, and what the controller may do, in `ns`. */
  async function allowedWrites(ns: string): Promise<void> {
    const pod = await makePod(ns, '10.20.0.33/32');
    await intruder.patchNamespacedPod({ namespace: ns, name: pod, body: { metadata: { annotations: { team: 'b' } } } }, MERGE);
    await intruder.patchNamespacedPodStatus({ namespace: ns, name: pod, body: { status: { conditions: [{ type: 'Ready', status: 'False' }] } } }, STRATEGIC);
    await controller.patchNamespacedPod({ namespace: ns, name: pod, body: { metadata: { annotations: { [A]: '10.20.0.34/32' } } } }, MERGE);
    assert.equal(await ipOf(ns, pod), '10.20.0.34/32', 'the controller changed it');
    await controller.patchNamespacedPod({ namespace: ns, name: pod, body: { metadata: { annotations: { [A]: null } } } }, MERGE);
    assert.equal(await ipOf(ns, pod), undefined, 'the controller removed it');
    await controller.createNamespacedPodBinding({ namespace: ns, name: pod, body: { metadata: { name: pod, annotations: { [A]: '10.20.0.35/32' } }, target: { kind: 'Node', name: 'win-1' } } });
    assert.equal(await ipOf(ns, pod), '10.20.0.35/32', 'the controller may bind with it');
  }

  const sameWordsAsTheHandler = (err: KubeApiError, expected: string, how: string) => {
    assert.equal(err.status, 403, `${how}: ${err.serverMessage}`);
    assert.equal(ruleMessage(err.serverMessage), expected, how);
  };

  test('as a ValidatingAdmissionPolicy (no controller process at all): refused with the handler\'s words', async () => {
    await everyForbiddenWrite(NS.policy, sameWordsAsTheHandler);
    await allowedWrites(NS.policy);
  });

  test('as a webhook with its server running: refused with the same words; other writes never reach it', async () => {
    await everyForbiddenWrite(NS.webhook, sameWordsAsTheHandler);
    // Match conditions keep the webhook out of writes that leave the annotation alone and out of the controller's own.
    const callsBefore = server.calls[VALIDATE_POD_PATH];
    await allowedWrites(NS.webhook);
    assert.equal(server.calls[VALIDATE_POD_PATH], callsBefore);
  });

  test('with IPAM off in the ConfigMap, neither form guards (as the webhook always did); back on, both do again', async () => {
    await setIpamConfigMap(kc, { [ConfigKeys.enableWindowsIpam]: 'false' });
    for (const form of Object.keys(NS) as Form[]) {
      await waitFor(`the guard as ${form} to see IPAM off`, async () => {
        await intruder.createNamespacedPod({ namespace: NS[form], dryRun: 'All', body: forgedPod('probe') });
        return true;
      }, { timeoutMs: 20_000 });
    }
    await setIpamConfigMap(kc, ON);
    await Promise.all([waitForGuard('policy'), waitForGuard('webhook')]);
  });

  test('as a webhook with its server stopped: still refused (fails closed); the controller and ordinary pod writes are not blocked', async () => {
    await server.close();
    await everyForbiddenWrite(NS.webhook, (err, _expected, how) => {
      assert.equal(err.status, 500, `${how}: ${err.serverMessage}`);
      assert.match(err.serverMessage, /failed calling webhook "vpod\.winprefix\.io"/, how);
    });
    await allowedWrites(NS.webhook);
  });
});
