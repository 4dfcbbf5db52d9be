/**
 * @module
 * What the controller's integration tests share: the EC2 simulator, dist/controller.js as a child
 * process (Node or Deno) with short time constants, the admission rules installed from the shipped
 * manifests (as policies, or as webhooks pointed at the controller), ConfigMap edits, and the
 * invariants checked after every scenario.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CoreV1Api, KubernetesObjectApi, type KubeConfig, type KubernetesObject, type V1Pod } from '@kubernetes/client-node';
import { Agent, request } from 'undici';
import { DEFAULT_CONFIGMAP_NAME, DEFAULT_CONFIGMAP_NAMESPACE, NODE_STATUS_ANNOTATION, OS_LABEL, POD_IP_ANNOTATION, RESOURCE_NAME, WINDOWS } from '../../pkg/core/contract.ts';
import { startEc2Simulator, type Ec2Simulator } from '../../pkg/ec2sim/server.ts';
import type { WorldSpec } from '../../pkg/ec2sim/world-spec.ts';
import { CONTROLLER_ENV, CONTROLLER_NODE_FLAGS } from '../../pkg/manifests/node-runtime.ts';
import { webhookConfigurations } from '../../pkg/manifests/webhooks.ts';
import { guardPolicyObjects, mutationPolicyObjects } from '../../pkg/core/admission/admission-policies.ts';
import { cidrContains, parseCidr, parseIPv4 } from '../../pkg/core/net/ipv4.ts';
import { decodeNodeStatus, type NodeStatus } from '../../pkg/core/status/node-status.ts';
import { createOrReplaceObjects, createWindowsNode, installWebhookConfigurations, waitFor } from '../harness/cluster-objects.ts';
import { scratchDir } from '../harness/cleanup.ts';
import type { ControlPlane } from '../harness/control-plane.ts';
import { freeLoopbackPorts } from '../harness/ports.ts';
import { spawnLogged, type ManagedProcess } from '../harness/process.ts';

export const REPO = resolve(import.meta.dirname, '../..');
export const BUNDLE = join(REPO, 'dist/controller.js');
export const DENO = join(REPO, 'node_modules/.bin/deno');

/** Time constants small enough for tests; production defaults stay in cmd/controller.ts. */
export const FAST_TIMINGS = [
  '--cool-down=1s',
  '--release-hold-down=1500ms',
  '--status-interval=200ms',
  '--unsupported-retry=2s',
  '--lease-duration=4s',
  '--renew-deadline=3s',
  '--retry-period=500ms',
];
/** Cool-down plus hold-down plus slack: after this an idle pool has given back what it will. */
export const SETTLE_MS = 6_000;

export function requireBundle(): void {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run "node scripts/build.ts controller" first (scripts/test.ts does)`);
}

/** A world with one /24 subnet (room for several /28s) and the given instances. */
export function world(instances: WorldSpec['instances'], extra: Partial<WorldSpec> = {}): WorldSpec {
  return {
    region: 'us-west-2',
    seed: 7,
    vpcs: [{ id: 'vpc-0d000001', cidr: '10.20.0.0/16' }],
    subnets: [{ id: 'subnet-0d000001', vpcId: 'vpc-0d000001', cidr: '10.20.0.0/22', availabilityZone: 'us-west-2a' }],
    instances,
    ...extra,
  };
}

export function startSimulator(spec: WorldSpec): Promise<Ec2Simulator> {
  return startEc2Simulator({ world: spec });
}

export interface ControllerProcess {
  proc: ManagedProcess;
  ports: { webhook: number; metrics: number; health: number };
  metrics(): Promise<string>;
  /** SIGTERM (graceful). */
  stop(): Promise<void>;
  /** SIGKILL, as a crash or an OOM kill would. */
  kill(): Promise<void>;
}

export interface StartControllerOptions {
  plane: ControlPlane;
  sim: Ec2Simulator;
  name: string;
  kubeconfigPath?: string;
  runtime?: 'node' | 'deno';
  args?: string[];
  /** Wait until this replica leads (its /metrics says winprefix_leader 1). Default true. */
  waitForLeader?: boolean;
  /** How often /readyz is asked while waiting for it (the start-up benchmark asks often). Default 100 ms. */
  readyPollMs?: number;
  /** Extra environment, e.g. AWS_ACCESS_KEY_ID so the simulator's journal tells replicas apart. */
  env?: Record<string, string>;
  /** Node options before the bundle (Node only), e.g. the image's CONTROLLER_NODE_FLAGS. */
  nodeFlags?: readonly string[];
  /**
   * How `metrics()` reaches a /metrics that needs credentials: a bearer token, and the CA of the
   * certificate when the controller runs with --metrics-cert-dir (then the URL is https).
   */
  metricsAccess?: { token: string; caPem?: string };
  /** Serve the admission webhooks (pass --cert-dir). Default true; false as where the API server runs the policies. */
  webhooks?: boolean;
}

/**
 * The controller's Node flags and environment as the image runs it (pkg/manifests/node-runtime.ts), with a
 * code cache of the bundle made the way the image's compile-cache stage makes it: `version` run once with the
 * same flags (V8 rejects a cache made under other flags).
 */
export function asTheImageRunsIt(): Pick<StartControllerOptions, 'nodeFlags' | 'env'> & { compileCacheDir: string } {
  requireBundle();
  const compileCacheDir = scratchDir('winprefix-compile-cache-');
  execFileSync(process.execPath, [...CONTROLLER_NODE_FLAGS, BUNDLE, 'version'], { env: { ...process.env, NODE_COMPILE_CACHE: compileCacheDir }, stdio: 'ignore' });
  return { nodeFlags: CONTROLLER_NODE_FLAGS, env: { NODE_COMPILE_CACHE: compileCacheDir, ...CONTROLLER_ENV }, compileCacheDir };
}

export async function startController(o: StartControllerOptions): Promise<ControllerProcess> {
  requireBundle();
  const webhooks = o.webhooks ?? true;
  const serving = webhooks ? await o.plane.webhookServing() : undefined;
  const [webhook, metricsPort, health] = (await freeLoopbackPorts(3)) as [number, number, number];
  const logDir = scratchDir(`winprefix-${o.name}-`);
  const args = [
    'run',
    `--kubeconfig=${o.kubeconfigPath ?? o.plane.kubeconfigPath}`,
    `--ec2-endpoint=${o.sim.endpoint}`,
    '--region=us-west-2',
    '--cluster-name=test',
    ...(serving ? [`--cert-dir=${serving.certDir}`] : []),
    '--webhook-host=127.0.0.1',
    `--webhook-port=${webhook}`,
    `--metrics-bind-address=127.0.0.1:${metricsPort}`,
    `--health-probe-bind-address=127.0.0.1:${health}`,
    '--log-level=debug',
    `--identity=${o.name}`,
    ...FAST_TIMINGS,
    ...(o.args ?? []),
  ];
  const runtime = o.runtime ?? 'node';
  const command = runtime === 'node' ? process.execPath : DENO;
  const fullArgs = runtime === 'node' ? [...(o.nodeFlags ?? []), BUNDLE, ...args] : ['run', '--allow-env', '--allow-read', '--allow-net', '--allow-sys', BUNDLE, ...args];
  const proc = spawnLogged({
    name: o.name,
    command,
    args: fullArgs,
    logPath: join(logDir, 'controller.log'),
    env: { ...process.env, AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'secret', AWS_REGION: 'us-west-2', NO_COLOR: '1', ...o.env },
  });
  const get = async (port: number, path: string) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: res.status, body: await res.text() };
  };
  const access = o.metricsAccess;
  const metricsAgent = access?.caPem ? new Agent({ connect: { ca: access.caPem } }) : undefined;
  const scrape = async (): Promise<string> => {
    if (!access) return (await get(metricsPort, '/metrics')).body;
    const res = await request(`${metricsAgent ? 'https' : 'http'}://127.0.0.1:${metricsPort}/metrics`, {
      headers: { authorization: `Bearer ${access.token}` },
      ...(metricsAgent ? { dispatcher: metricsAgent } : {}),
    });
    const body = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`GET /metrics with the test's token: HTTP ${res.statusCode}: ${body}`);
    return body;
  };
  const cp: ControllerProcess = {
    proc,
    ports: { webhook, metrics: metricsPort, health },
    metrics: scrape,
    stop: async () => {
      await proc.stop(10_000);
      await metricsAgent?.close();
    },
    kill: async () => {
      proc.killNow();
      await proc.exited;
      await metricsAgent?.close();
    },
  };
  try {
    await waitFor(`${o.name} /readyz`, async () => {
      if (proc.hasExited()) throw new Error(`controller exited early:\n${proc.tail(30)}`);
      return (await get(health, '/readyz')).status === 200 ? true : undefined;
    }, { timeoutMs: 30_000, intervalMs: o.readyPollMs ?? 100 });
    if (o.waitForLeader ?? true) {
      await waitFor(`${o.name} leads`, async () => (metricValue(await cp.metrics(), 'winprefix_leader') === 1 ? true : undefined), { timeoutMs: 30_000, intervalMs: 100 });
    }
  } catch (err) {
    await proc.stop(2_000);
    throw new Error(`${(err as Error).message}\n--- ${o.name} log tail ---\n${proc.tail(40)}`);
  }
  return cp;
}

/** IPAM on, prefix delegation on: the ConfigMap most scenarios start from. */
export const PD_ON: Readonly<Record<string, string>> = { 'enable-windows-ipam': 'true', 'enable-windows-prefix-delegation': 'true' };

export interface Stack {
  sim: Ec2Simulator;
  ctl: ControllerProcess;
  /** Stops the controller, then the simulator; safe in `after` even if start-up failed half way. */
  stop(): Promise<void>;
}

/** The test control plane's admin user, which the controller runs as unless a test gives it another identity. */
export const ADMIN_USER = 'admin';

export type AdmissionMode = 'policy' | 'webhook';

/**
 * What most test files run against: the EC2 simulator with `world`, the IPAM ConfigMap, one controller replica
 * (a leader), and the shipped admission rules: as admission policies (the default, as `controller manifests`
 * renders them for this Kubernetes 1.36 API server; the controller then serves no webhooks), or as the
 * shipped webhooks pointed at the controller.
 */
export async function startStack(o: {
  plane: ControlPlane;
  world: WorldSpec;
  config?: Record<string, string>;
  admission?: AdmissionMode;
  /** The username the controller runs as (the admission rules exempt it). Default: the admin user. */
  controllerUsername?: string;
  controller: Omit<StartControllerOptions, 'plane' | 'sim' | 'webhooks'>;
}): Promise<Stack> {
  const sim = await startSimulator(o.world);
  const admission = o.admission ?? 'policy';
  let started: ControllerProcess | undefined;
  try {
    const config = o.config ?? PD_ON;
    await setIpamConfig(o.plane.kubeConfig(), config);
    const ctl = (started = await startController({ ...o.controller, plane: o.plane, sim, webhooks: admission === 'webhook' }));
    await installAdmission(o.plane, { mode: admission, webhookPort: ctl.ports.webhook, controllerUsernames: [o.controllerUsername ?? ADMIN_USER] });
    // Only with IPAM on does the mutation change a pod, which is what shows that it is in force.
    if (config['enable-windows-ipam'] === 'true') await waitForPodMutation(o.plane.kubeConfig());
    return {
      sim,
      ctl,
      stop: async () => {
        await ctl.stop();
        await sim.close();
      },
    };
  } catch (err) {
    await started?.stop();
    await sim.close();
    throw err;
  }
}

/**
 * Installs the shipped admission rules in one form and removes the other form's objects, as switching an
 * install's form would. The webhooks point at one replica by URL.
 */
export async function installAdmission(plane: ControlPlane, o: { mode: AdmissionMode; webhookPort?: number; controllerUsernames: string[] }): Promise<void> {
  const kc = plane.kubeConfig();
  const policies = [
    ...mutationPolicyObjects({ configMap: { namespace: DEFAULT_CONFIGMAP_NAMESPACE, name: DEFAULT_CONFIGMAP_NAME }, controllerUsernames: o.controllerUsernames }),
    ...guardPolicyObjects({ configMap: { namespace: DEFAULT_CONFIGMAP_NAMESPACE, name: DEFAULT_CONFIGMAP_NAME }, controllerUsernames: o.controllerUsernames }),
  ];
  const serving = await plane.webhookServing();
  const hooks = webhookConfigurations({ kind: 'url', baseUrl: `https://127.0.0.1:${o.webhookPort ?? 1}`, caBundle: serving.caBundle }, { controllerUsernames: o.controllerUsernames });
  const api = KubernetesObjectApi.makeApiClient(kc);
  for (const obj of (o.mode === 'policy' ? hooks : policies) as KubernetesObject[]) {
    await api.delete(obj).catch((err: { code?: number }) => {
      if (err.code !== 404) throw err;
    });
  }
  if (o.mode === 'policy') await createOrReplaceObjects(kc, policies);
  else {
    if (o.webhookPort === undefined) throw new Error('installAdmission: the webhook form needs the controller\'s webhook port');
    await installWebhookConfigurations(kc, hooks);
  }
}

/** Registers a Windows node for a simulator instance and waits until the controller advertises `capacity`. */
export async function addManagedNode(kc: KubeConfig, o: { name: string; instanceId: string; instanceType?: string; capacity: number }): Promise<void> {
  await createWindowsNode(kc, { name: o.name, instanceId: o.instanceId, instanceType: o.instanceType ?? 'm5.large', zone: 'us-west-2a' });
  await waitForCapacity(kc, o.name, o.capacity);
}

/**
 * kube-apiserver learns of admission policies and webhook configurations through informers, so a pod created
 * right after installAdmission may be admitted without the resource request (and is never annotated). Waits
 * until a dry-run Windows pod (admitted, mutated, not stored) comes back with the request (or, `applied` false,
 * without it once IPAM is turned off).
 */
export async function waitForPodMutation(kc: KubeConfig, namespace = 'default', applied = true): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await waitFor(`the API server to ${applied ? 'apply' : 'stop applying'} the pod mutation`, async () => {
    const pod = await core.createNamespacedPod({
      namespace,
      dryRun: 'All',
      body: { metadata: { name: 'mutation-probe', namespace }, spec: { nodeSelector: { [OS_LABEL]: WINDOWS }, containers: [{ name: 'probe', image: 'probe' }] } },
    });
    return (pod.spec?.containers[0]?.resources?.requests?.[RESOURCE_NAME] === '1') === applied ? true : undefined;
  }, { timeoutMs: 20_000 });
}

export async function setIpamConfig(kc: KubeConfig, data: Record<string, string> | undefined): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const namespace = DEFAULT_CONFIGMAP_NAMESPACE;
  const name = DEFAULT_CONFIGMAP_NAME;
  if (data === undefined) {
    await core.deleteNamespacedConfigMap({ namespace, name }).catch(() => {});
    return;
  }
  try {
    await core.replaceNamespacedConfigMap({ namespace, name, body: { metadata: { name, namespace }, data } });
  } catch {
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name, namespace }, data } });
  }
}

export function annotationOf(pod: V1Pod): string | undefined {
  return pod.metadata?.annotations?.[POD_IP_ANNOTATION];
}

export async function waitForAnnotation(kc: KubeConfig, name: string, namespace = 'default', timeoutMs = 20_000): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  return waitFor(`IP annotation on ${namespace}/${name}`, async () => annotationOf(await core.readNamespacedPod({ name, namespace })), { timeoutMs, intervalMs: 50 });
}

export async function nodeStatus(kc: KubeConfig, node: string): Promise<NodeStatus | undefined> {
  const core = kc.makeApiClient(CoreV1Api);
  const n = await core.readNode({ name: node });
  const decoded = decodeNodeStatus(n.metadata?.annotations?.[NODE_STATUS_ANNOTATION]);
  return decoded?.ok ? decoded.status : undefined;
}

/** The status annotation is written rate-limited, after capacity and events: wait for it rather than read once. */
export async function waitForNodeStatus(kc: KubeConfig, node: string, accept: (s: NodeStatus) => boolean, what: string): Promise<NodeStatus> {
  return waitFor(`${node} status: ${what}`, async () => {
    const s = await nodeStatus(kc, node);
    return s && accept(s) ? s : undefined;
  });
}

export async function nodeCapacity(kc: KubeConfig, node: string): Promise<number | undefined> {
  const core = kc.makeApiClient(CoreV1Api);
  const n = await core.readNode({ name: node });
  const v = n.status?.capacity?.[RESOURCE_NAME];
  return v === undefined ? undefined : Number(v);
}

export async function waitForCapacity(kc: KubeConfig, node: string, expected: number | undefined, timeoutMs = 20_000): Promise<void> {
  await waitFor(`capacity ${expected} on ${node}`, async () => ((await nodeCapacity(kc, node)) === expected ? true : undefined), { timeoutMs });
}

/** Reasons of the events about an object, oldest first. */
export async function eventReasons(kc: KubeConfig, o: { kind: string; name: string; namespace?: string }): Promise<Array<{ reason: string; message: string; count: number }>> {
  const core = kc.makeApiClient(CoreV1Api);
  const list = await core.listEventForAllNamespaces({ fieldSelector: `involvedObject.kind=${o.kind},involvedObject.name=${o.name}` });
  return list.items
    .filter((e) => o.namespace === undefined || e.involvedObject?.namespace === o.namespace)
    .map((e) => ({ reason: e.reason ?? '', message: e.message ?? '', count: e.count ?? 1 }));
}

export async function waitForEvent(kc: KubeConfig, o: { kind: string; name: string; namespace?: string }, reason: string, timeoutMs = 20_000): Promise<string> {
  return waitFor(`event ${reason} on ${o.kind}/${o.name}`, async () => (await eventReasons(kc, o)).find((e) => e.reason === reason)?.message, { timeoutMs });
}

export function primaryEni(sim: Ec2Simulator, instanceId: string) {
  const eni = sim.world.instance(instanceId).interfaces.find((i) => i.deviceIndex === 0);
  if (!eni) throw new Error(`instance ${instanceId} has no primary ENI`);
  return eni;
}

export function eniHolds(sim: Ec2Simulator, instanceId: string, ip: string): boolean {
  const eni = primaryEni(sim, instanceId);
  if (eni.secondaryIps.includes(ip)) return true;
  const value = parseIPv4(ip);
  return eni.prefixes.some((p) => cidrContains(parseCidr(p), value));
}

/**
 * The invariants after every scenario: no address on two running pods, and every annotated address held
 * by its node's primary ENI in EC2.
 */
export async function checkInvariants(kc: KubeConfig, sim: Ec2Simulator, instances: Record<string, string>): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const pods = await core.listPodForAllNamespaces({});
  const owner = new Map<string, string>();
  for (const p of pods.items) {
    const value = annotationOf(p);
    if (!value || p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') continue;
    const ip = value.split('/')[0]!;
    const who = `${p.metadata?.namespace}/${p.metadata?.name}`;
    assert.equal(owner.get(ip), undefined, `address ${ip} is on two pods: ${owner.get(ip)} and ${who}`);
    owner.set(ip, who);
    const instanceId = instances[p.spec?.nodeName ?? ''];
    if (instanceId) assert.ok(eniHolds(sim, instanceId, ip), `${who} has ${value} but ${instanceId}'s ENI does not hold it`);
  }
}

/**
 * Nothing leaked: with no pods left and cool-down and hold-down passed, the node's ENI holds exactly
 * what the warm targets explain and the published status shows no address in use.
 */
export async function waitForIdlePool(kc: KubeConfig, sim: Ec2Simulator, node: string, instanceId: string, expect: { prefixes: number; secondaryIps: number }, timeoutMs = 20_000): Promise<void> {
  await waitFor(`${node} idle with ${expect.prefixes} prefix(es) and ${expect.secondaryIps} secondary IP(s)`, async () => {
    const eni = primaryEni(sim, instanceId);
    const status = await nodeStatus(kc, node);
    const used = (status?.prefixes ?? []).reduce((n, p) => n + p.used, 0) + (status?.secondaryIps?.used.length ?? 0);
    const ok = eni.prefixes.length === expect.prefixes && eni.secondaryIps.length === expect.secondaryIps && used === 0;
    return ok ? true : undefined;
  }, { timeoutMs, intervalMs: 200 }).catch((err: Error) => {
    const eni = primaryEni(sim, instanceId);
    throw new Error(`${err.message}\nENI now: prefixes ${JSON.stringify(eni.prefixes)}, secondary IPs ${JSON.stringify(eni.secondaryIps)}`);
  });
}

export async function deleteAllPods(kc: KubeConfig, namespace = 'default'): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await core.deleteCollectionNamespacedPod({ namespace, gracePeriodSeconds: 0 });
  await waitFor(`no pods left in ${namespace}`, async () => ((await core.listNamespacedPod({ namespace })).items.length === 0 ? true : undefined), { timeoutMs: 20_000 });
}

export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = m[2] ?? '';
    if (want.every((w) => got.includes(w))) return Number(m[3]);
  }
  return undefined;
}
