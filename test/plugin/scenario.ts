/**
 * @module
 * Seeds Windows nodes the way the AWS VPC Resource Controller (or ours) leaves them: addresses
 * assigned in the EC2 simulator through the unmodified SDK, pod annotations and node capacity
 * written directly, IPAM events created as their controllers would. Also runs the plugin.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { RESOURCE_NAME, UPSTREAM_COMPONENT } from '../../pkg/core/contract.ts';
import { createEc2Adapter, type Ec2Adapter } from '../../pkg/adapters/ec2/sdk-adapter.ts';
import type { WorldSpec } from '../../pkg/ec2sim/world-spec.ts';
import { annotatePod, patchNodeAnnotations, patchNodeCapacity } from '../../pkg/adapters/kube/patches.ts';
import { NODE_STATUS_ANNOTATION, type NodeStatus } from '../../pkg/core/status/node-status.ts';
import { main } from '../../plugin/main.ts';
import { buildEntry } from '../../scripts/build.ts';
import { createWindowsNode, createWindowsPod } from '../harness/cluster-objects.ts';

/** Static dummy credentials and no IMDS: nothing may try 169.254.169.254 (loopback only). */
export const AWS_TEST_ENV = {
  AWS_ACCESS_KEY_ID: 'AKIDWINPREFIXTEST',
  AWS_SECRET_ACCESS_KEY: 'winprefix-test-secret',
  AWS_EC2_METADATA_DISABLED: 'true',
} as const;

export const SUBNET = 'subnet-0a000001';
export const SUBNET_MASK = 20;
export const ZONE = 'us-west-2a';

export function instanceIdOf(n: number): string {
  return `i-${n.toString(16).padStart(17, '0')}`;
}

/** One /20 subnet and `instances` Windows instances of the given types, primary IPs 10.0.0.10, .11, ... */
export function worldFor(types: readonly string[], instanceTypes: WorldSpec['instanceTypes'] = {}): WorldSpec {
  return {
    region: 'us-west-2',
    instanceTypes,
    vpcs: [{ id: 'vpc-0a000001', cidr: '10.0.0.0/16' }],
    subnets: [{ id: SUBNET, vpcId: 'vpc-0a000001', cidr: `10.0.0.0/${SUBNET_MASK}`, availabilityZone: ZONE }],
    instances: types.map((type, k) => ({
      id: instanceIdOf(k + 1),
      type,
      subnetId: SUBNET,
      privateIp: `10.0.0.${10 + k}`,
      platform: 'windows' as const,
    })),
  };
}

export interface Seeder {
  kc: KubeConfig;
  core: CoreV1Api;
  ec2: Ec2Adapter;
}

export function seeder(kc: KubeConfig, ec2Endpoint: string): Seeder {
  return {
    kc,
    core: kc.makeApiClient(CoreV1Api),
    ec2: createEc2Adapter({ region: 'us-west-2', endpoint: ec2Endpoint, credentials: { accessKeyId: AWS_TEST_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: AWS_TEST_ENV.AWS_SECRET_ACCESS_KEY } }),
  };
}

export async function seedNode(
  s: Seeder,
  o: { name: string; instance: number; instanceType: string; advertised?: number; maxPods?: number; status?: NodeStatus },
): Promise<{ eniId: string; instanceId: string }> {
  const instanceId = instanceIdOf(o.instance);
  await createWindowsNode(s.kc, { name: o.name, instanceId, instanceType: o.instanceType, zone: ZONE, maxPods: o.maxPods ?? 110, internalIp: `10.0.0.${9 + o.instance}` });
  if (o.advertised !== undefined) await patchNodeCapacity(s, o.name, RESOURCE_NAME, o.advertised);
  if (o.status) await patchNodeAnnotations(s, o.name, { [NODE_STATUS_ANNOTATION]: JSON.stringify(o.status) });
  const [primary] = await s.ec2.describeInstanceInterfaces(instanceId);
  if (!primary) throw new Error(`simulator has no ENI for ${instanceId}`);
  return { eniId: primary.networkInterfaceId, instanceId };
}

/** A pod bound to `node`, requesting the address resource, with the address annotation when given. */
export async function seedPod(
  s: Seeder,
  o: { name: string; node: string; annotation?: string; namespace?: string; requestIp?: boolean; nodeSelector?: boolean },
): Promise<V1Pod> {
  const pod = await createWindowsPod(s.kc, {
    name: o.name,
    nodeName: o.node,
    requestIp: o.requestIp ?? true,
    ...(o.nodeSelector === undefined ? {} : { nodeSelector: o.nodeSelector }),
    ...(o.namespace ? { namespace: o.namespace } : {}),
  });
  if (o.annotation !== undefined) {
    await annotatePod(s, { namespace: pod.metadata!.namespace!, name: o.name, uid: pod.metadata!.uid!, annotations: { [RESOURCE_NAME]: o.annotation } });
  }
  return pod;
}

export async function seedEvent(
  s: Seeder,
  o: { kind: 'Node' | 'Pod'; name: string; namespace?: string; uid?: string; reason: string; type?: 'Normal' | 'Warning'; message: string; component?: string },
): Promise<void> {
  const namespace = o.namespace ?? 'default';
  const now = new Date();
  await s.core.createNamespacedEvent({
    namespace,
    body: {
      metadata: { generateName: `${o.name}.`, namespace },
      involvedObject: { kind: o.kind, name: o.name, ...(o.kind === 'Pod' ? { namespace } : {}), ...(o.uid ? { uid: o.uid } : {}), apiVersion: 'v1' },
      reason: o.reason,
      message: o.message,
      type: o.type ?? 'Normal',
      source: { component: o.component ?? UPSTREAM_COMPONENT },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    },
  });
}

export interface PluginRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the plugin in this process, as `kubectl winprefix ARGS` would. */
export async function runPlugin(args: string[], env: Record<string, string | undefined> = {}): Promise<PluginRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    env: { ...process.env, ...env },
    stdoutIsTTY: false,
    now: () => new Date(),
  });
  return { code, stdout, stderr };
}

/** Runs an executable to completion, collecting its output. */
export function runProcess(command: string, args: string[], env: Record<string, string | undefined>, timeoutMs = 60_000): Promise<PluginRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr }));
  });
}

/** dist/kubectl-winprefix.js (with its chunks), which scripts/test.ts has built before any test file runs. */
export const PLUGIN_BUNDLE = resolve(import.meta.dirname, '../../dist/kubectl-winprefix.js');

export function requirePluginBundle(): string {
  if (!existsSync(PLUGIN_BUNDLE)) throw new Error(`${PLUGIN_BUNDLE} is missing: run "node scripts/build.ts kubectl-winprefix" first (scripts/test.ts does)`);
  return PLUGIN_BUNDLE;
}

/** The plugin bundle, as npm run build makes it, built into a fresh folder (for the benchmark, which times a build of the working tree). */
export async function buildPluginBundle(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'winprefix-plugin-'));
  return buildEntry('kubectl-winprefix', dir, { minify: false });
}

/** An environment with nothing from AWS or Kubernetes in it, for spawned runs. */
export function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const keep = ['PATH', 'LANG', 'TZ', 'SYSTEMROOT'];
  const env: Record<string, string> = {};
  for (const k of keep) if (process.env[k] !== undefined) env[k] = process.env[k]!;
  return { ...env, ...extra };
}
