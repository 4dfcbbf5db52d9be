/**
 * Admission benchmark (not a timed test): what the IP-annotation guard costs the controller's own
 * annotation patch, and what the pod mutation costs a pod creation, per form, against a real
 * kube-apiserver in one run. The patch is the controller's (pkg/adapters/kube/patches.ts annotatePod,
 * a merge patch with the UID precondition) as the controller's identity, over one shared connection
 * (counted at a TCP forwarder in front of the API server). The webhook server is the real one with the
 * real handlers, in this process, as it is in the controller's.
 *
 * Guard forms: the shipped ValidatingAdmissionPolicy; the shipped webhook, whose match condition
 * exempts the controller; the same webhook without that exemption (every patch is sent to it); and no
 * guard at all, as the floor. Mutation forms: the shipped MutatingAdmissionPolicy and the shipped
 * mutating webhook (dry-run creates of a Windows pod: admission runs in full, nothing is stored).
 * Forms are measured in turns, several rounds, so drift on a shared machine hits each alike.
 *
 * Usage: node test/bench/admission.bench.ts [--patches 300] [--creates 150] [--rounds 3] [--json]
 */
import { parseArgs } from 'node:util';
import { CoreV1Api, KubernetesObjectApi, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { guardPolicyObjects, mutationPolicyObjects } from '../../pkg/core/admission/admission-policies.ts';
import { ConfigKeys, OS_LABEL, POD_IP_ANNOTATION, RESOURCE_NAME, WINDOWS } from '../../pkg/core/contract.ts';
import { MUTATE_POD_PATH, VALIDATE_POD_PATH } from '../../pkg/adapters/http/admission.ts';
import { closeSharedConnections, createKubeClients, loadKubeConfig, type KubeClients } from '../../pkg/adapters/kube/client.ts';
import { annotatePod } from '../../pkg/adapters/kube/patches.ts';
import { webhookConfigurations } from '../../pkg/manifests/webhooks.ts';
import { CONFIG_MAP, CONTROLLER_USER, setIpamConfigMap, startWebhookServer } from '../admission/support.ts';
import { createOrReplaceObjects, ensureNamespace, waitFor } from '../harness/cluster-objects.ts';
import { startControlPlane } from '../harness/control-plane.ts';
import { serverAddress, startTcpProxy } from '../kube/tcp-proxy.ts';

const { values: flags } = parseArgs({
  options: {
    patches: { type: 'string', default: '300' },
    creates: { type: 'string', default: '150' },
    rounds: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});
const PATCHES = Number(flags.patches);
const CREATES = Number(flags.creates);
const ROUNDS = Number(flags.rounds);
for (const [flag, n] of Object.entries({ patches: PATCHES, creates: CREATES, rounds: ROUNDS })) {
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} must be a whole number >= 1`);
}
const NS = 'bench';
const PODS = 20;
const WARMUP = 20;

const log = (line: string) => process.stderr.write(`${line}\n`);
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
const round1 = (n: number) => Math.round(n * 10) / 10;

type GuardForm = 'policy' | 'webhook, controller exempted' | 'webhook, no exemption' | 'none';
type MutationForm = 'policy' | 'webhook';
const GUARD_FORMS: GuardForm[] = ['policy', 'webhook, controller exempted', 'webhook, no exemption', 'none'];
const MUTATION_FORMS: MutationForm[] = ['policy', 'webhook'];

const plane = await startControlPlane({ log });
const server = await startWebhookServer(plane);
const proxy = await startTcpProxy(serverAddress(plane.kubeConfig()));
let clients: KubeClients | undefined;
try {
  const admin = plane.kubeConfig();
  const objects = KubernetesObjectApi.makeApiClient(admin);
  await ensureNamespace(admin, NS);
  await setIpamConfigMap(admin, { [ConfigKeys.enableWindowsIpam]: 'true' });
  await createOrReplaceObjects(admin, [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'bench-pods' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'create', 'patch'] }] },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'bench-pods' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'bench-pods' },
      subjects: [CONTROLLER_USER, 'intruder'].map((name) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name })),
    },
  ]);
  const controllerKc = loadKubeConfig({ kubeconfig: await plane.mintKubeconfig({ name: CONTROLLER_USER }) });
  clients = createKubeClients(proxy.kubeConfigVia(controllerKc), { userAgent: 'winprefix-admission-bench' });
  const intruder = loadKubeConfig({ kubeconfig: await plane.mintKubeconfig({ name: 'intruder' }) }).makeApiClient(CoreV1Api);
  const core = admin.makeApiClient(CoreV1Api);
  const pods: Array<{ name: string; uid: string }> = [];
  for (let i = 0; i < PODS; i++) {
    const p = await core.createNamespacedPod({ namespace: NS, body: { metadata: { name: `p-${i}` }, spec: { containers: [{ name: 'c', image: 'x' }] } } });
    pods.push({ name: `p-${i}`, uid: p.metadata!.uid! });
  }

  const serving = await plane.webhookServing();
  const policyInputs = { configMap: CONFIG_MAP, controllerUsernames: [CONTROLLER_USER] };
  const hookTarget = { kind: 'url' as const, baseUrl: `https://127.0.0.1:${server.port}`, caBundle: serving.caBundle };
  const ALL = {
    guardPolicy: guardPolicyObjects(policyInputs),
    mutationPolicy: mutationPolicyObjects(policyInputs),
    guardHookExempt: webhookConfigurations(hookTarget, { mutation: false, controllerUsernames: [CONTROLLER_USER] }),
    guardHookPlain: webhookConfigurations(hookTarget, { mutation: false }),
    mutationHook: webhookConfigurations(hookTarget, { guard: false }),
  };
  /** Leaves exactly `wanted` installed (the guard webhook with and without exemption share a name). */
  async function install(wanted: Array<Record<string, unknown>>): Promise<void> {
    const keep = new Set(wanted.map((o) => `${o.kind}/${(o.metadata as { name: string }).name}`));
    for (const o of [...ALL.guardPolicy, ...ALL.mutationPolicy, ...ALL.guardHookExempt, ...ALL.mutationHook] as KubernetesObject[]) {
      if (keep.has(`${o.kind}/${o.metadata!.name}`)) continue;
      await objects.delete(o).catch((err: { code?: number }) => {
        if (err.code !== 404) throw err;
      });
    }
    await createOrReplaceObjects(admin, wanted);
  }

  /** Who refuses the intruder's write now: the policy, the webhook, or nobody. */
  async function guardInForce(): Promise<'policy' | 'webhook' | 'none'> {
    try {
      await intruder.createNamespacedPod({ namespace: NS, dryRun: 'All', body: { metadata: { name: 'probe', annotations: { [POD_IP_ANNOTATION]: '10.0.0.1/32' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } });
      return 'none';
    } catch (err) {
      const body = String((err as { body?: unknown }).body);
      return /ValidatingAdmissionPolicy/.test(body) ? 'policy' : /admission webhook/.test(body) ? 'webhook' : 'none';
    }
  }

  /** Whether the controller's own patch is sent to the webhook now (probe patches, counted at the server). */
  async function controllerPatchReachesWebhook(): Promise<boolean> {
    const before = server.calls[VALIDATE_POD_PATH]!;
    await annotatePod(clients!, { namespace: NS, ...pods[0]!, annotations: { [POD_IP_ANNOTATION]: `10.9.${Math.floor(Math.random() * 250)}.1/32` } });
    return server.calls[VALIDATE_POD_PATH]! > before;
  }

  async function useGuard(form: GuardForm): Promise<void> {
    const objs = { policy: ALL.guardPolicy, 'webhook, controller exempted': ALL.guardHookExempt, 'webhook, no exemption': ALL.guardHookPlain, none: [] }[form];
    await install(objs);
    const expect = form === 'policy' ? 'policy' : form === 'none' ? 'none' : 'webhook';
    await waitFor(`the guard as ${form} in force`, async () => {
      if ((await guardInForce()) !== expect) return undefined;
      return (await controllerPatchReachesWebhook()) === (form === 'webhook, no exemption') ? true : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200 });
  }

  let value = 0;
  async function patchRun(n: number): Promise<number[]> {
    const ms: number[] = [];
    for (let i = 0; i < n; i++) {
      const pod = pods[i % pods.length]!;
      value++;
      const ip = `10.${(value >> 16) & 255}.${(value >> 8) & 255}.${value & 255}/32`;
      const t0 = performance.now();
      const result = await annotatePod(clients!, { namespace: NS, ...pod, annotations: { [POD_IP_ANNOTATION]: ip } });
      ms.push(performance.now() - t0);
      if (result !== 'patched') throw new Error(`patch ${i} of ${pod.name}: ${result}`);
    }
    return ms;
  }

  const windowsPod = { metadata: { name: 'bench-win' }, spec: { nodeSelector: { [OS_LABEL]: WINDOWS }, containers: [{ name: 'c', image: 'x' }] } };
  async function useMutation(form: MutationForm): Promise<void> {
    await install(form === 'policy' ? ALL.mutationPolicy : ALL.mutationHook);
    await waitFor(`the mutation as ${form} in force`, async () => {
      const calls = server.calls[MUTATE_POD_PATH]!;
      const p = await clients!.core.createNamespacedPod({ namespace: NS, dryRun: 'All', body: windowsPod });
      const mutated = p.spec?.containers[0]?.resources?.requests?.[RESOURCE_NAME] === '1';
      const viaWebhook = server.calls[MUTATE_POD_PATH]! > calls;
      return mutated && viaWebhook === (form === 'webhook') ? true : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200 });
  }
  async function createRun(n: number): Promise<number[]> {
    const ms: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const p = await clients!.core.createNamespacedPod({ namespace: NS, dryRun: 'All', body: windowsPod });
      ms.push(performance.now() - t0);
      if (p.spec?.containers[0]?.resources?.requests?.[RESOURCE_NAME] !== '1') throw new Error(`create ${i}: not mutated`);
    }
    return ms;
  }

  const patchMs = new Map<GuardForm, number[]>(GUARD_FORMS.map((f) => [f, []]));
  const webhookCallsPerPatch = new Map<GuardForm, number>();
  const createMs = new Map<MutationForm, number[]>(MUTATION_FORMS.map((f) => [f, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const form of GUARD_FORMS) {
      await useGuard(form);
      await patchRun(WARMUP);
      const before = server.calls[VALIDATE_POD_PATH]!;
      patchMs.get(form)!.push(...(await patchRun(PATCHES)));
      webhookCallsPerPatch.set(form, (server.calls[VALIDATE_POD_PATH]! - before) / PATCHES);
    }
    await install([]);
    for (const form of MUTATION_FORMS) {
      await useMutation(form);
      await createRun(WARMUP);
      createMs.get(form)!.push(...(await createRun(CREATES)));
    }
    await install([]);
    log(`[bench] round ${round}/${ROUNDS} done`);
  }

  const summary = (samples: number[]) => {
    const s = [...samples].sort((a, b) => a - b);
    return { n: s.length, meanMs: round1(s.reduce((a, b) => a + b, 0) / s.length), p50Ms: round1(percentile(s, 50)), p90Ms: round1(percentile(s, 90)), p99Ms: round1(percentile(s, 99)) };
  };
  const result = {
    patchesPerForm: PATCHES * ROUNDS,
    createsPerForm: CREATES * ROUNDS,
    apiConnections: proxy.accepted(),
    guard: GUARD_FORMS.map((form) => ({ form, webhookCallsPerPatch: webhookCallsPerPatch.get(form), ...summary(patchMs.get(form)!) })),
    mutation: MUTATION_FORMS.map((form) => ({ form, ...summary(createMs.get(form)!) })),
  };
  if (flags.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    const row = (label: string, r: ReturnType<typeof summary>, extra = '') =>
      `  ${label.padEnd(30)} p50 ${String(r.p50Ms).padStart(5)} ms  p90 ${String(r.p90Ms).padStart(5)} ms  p99 ${String(r.p99Ms).padStart(5)} ms  mean ${String(r.meanMs).padStart(5)} ms${extra}`;
    process.stdout.write(
      [
        `the controller's annotation patch, guard as (${result.patchesPerForm} patches each, ${ROUNDS} rounds):`,
        ...result.guard.map((g) => row(g.form, g, `  webhook calls/patch ${g.webhookCallsPerPatch}`)),
        `Windows pod create (dry run), mutation as (${result.createsPerForm} creates each):`,
        ...result.mutation.map((m) => row(m.form, m)),
        `API connections used by the client: ${result.apiConnections}`,
      ].join('\n') + '\n',
    );
  }
} finally {
  if (clients) await closeSharedConnections(clients.kc);
  await proxy.close();
  await server.stop();
  await plane.stop();
}
