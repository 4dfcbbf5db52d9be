/**
 * `get nodes` (and `--watch`), `check` and `why pod` against a real kube-apiserver, the EC2 simulator and the
 * winprefix controller (dist/controller.js), with Windows nodes in every state an operator meets: healthy and
 * settled, full (every slot holds a pod), a mode change draining (mixed), a subnet fragmented so no /28 is free,
 * a node the AWS controller manages (its ControllerVersionNotice; addresses left by hand as it leaves them), an
 * instance type nobody can manage. Then what only the cluster shows, made by hand: an address on pods of two
 * nodes, and a /28 moved out of band to another node's ENI while the first node's status still lists it. Each
 * stage of `why pod` is made to fail on purpose. The plugin runs in this process, as the bundle, and through the
 * real kubectl; `--watch` in a pipe and on a pseudo-terminal (util-linux `script`).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AssignPrivateIpAddressesCommand, EC2Client, UnassignPrivateIpAddressesCommand } from '@aws-sdk/client-ec2';
import { CoreV1Api, KubernetesObjectApi, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { DEFAULT_CONFIGMAP_NAME, DEFAULT_CONFIGMAP_NAMESPACE, EventReasons, NODE_STATUS_ANNOTATION, RESOURCE_NAME } from '../../pkg/core/contract.ts';
import { cidrContains, formatIPv4, parseCidr, parseIPv4 } from '../../pkg/core/net/ipv4.ts';
import { decodeNodeStatus } from '../../pkg/core/status/node-status.ts';
import { mutationPolicyObjects } from '../../pkg/core/admission/admission-policies.ts';
import { patchNodeCapacity } from '../../pkg/adapters/kube/patches.ts';
import { validateClusterCheck, type ClusterCheck } from '../../plugin/check/schema.ts';
import { validateNodeList, type NodeList, type NodeRow } from '../../plugin/get-nodes/schema.ts';
import { validatePodStory, type PodStory } from '../../plugin/why-pod/schema.ts';
import { ALT_SCREEN_OFF, ALT_SCREEN_ON, CURSOR_SHOW } from '../../plugin/render/live.ts';
import { findKubectl } from '../harness/assets.ts';
import { scratchDir } from '../harness/cleanup.ts';
import { createOrReplaceObjects, createWindowsNode, createWindowsPod, waitFor } from '../harness/cluster-objects.ts';
import { useControlPlane } from '../harness/suite.ts';
import { DENO, primaryEni, startStack, waitForAnnotation, waitForCapacity, waitForEvent, waitForPodMutation, world, type Stack } from '../controller/support.ts';
import { AWS_TEST_ENV, cleanEnv, requirePluginBundle, runPlugin, runProcess, seedEvent, seeder, type PluginRun, type Seeder } from './scenario.ts';

Object.assign(process.env, AWS_TEST_ENV);
delete process.env.AWS_PROFILE;
delete process.env.AWS_ENDPOINT_URL;
delete process.env.AWS_ENDPOINT_URL_EC2;

const plane = useControlPlane();
const MAIN = 'subnet-0e000001';
const FRAGMENTED = 'subnet-0e000002';
const I = {
  healthy: 'i-0e0000000000000a1',
  full: 'i-0e0000000000000a2',
  mixed: 'i-0e0000000000000a3',
  aws: 'i-0e0000000000000a4',
  unsupported: 'i-0e0000000000000a5',
  fragmented: 'i-0e0000000000000b1',
  filler: 'i-0e0000000000000b2',
} as const;
const NODES = ['win-healthy', 'win-full', 'win-mixed', 'win-aws', 'win-unsupported', 'win-fragmented'] as const;

let stack: Stack;
let kc: KubeConfig;
let core: CoreV1Api;
let s: Seeder;
let ec2: EC2Client;
let bundle: string;
const connection = () => ['--kubeconfig', plane().kubeconfigPath, '--ec2-endpoint', stack.sim.endpoint];
const run = (args: string[], env: Record<string, string> = {}): Promise<PluginRun> => runPlugin([...args, ...connection()], env);

async function json<T>(args: string[], validate: (v: unknown) => string[]): Promise<{ code: number; doc: T; stderr: string }> {
  const r = await run([...args, '-o', 'json']);
  let doc: T;
  try {
    doc = JSON.parse(r.stdout) as T;
  } catch {
    assert.fail(`${args.join(' ')} -o json printed no JSON (exit ${r.code}): ${r.stderr}`);
  }
  assert.deepEqual(validate(doc), [], `${args.join(' ')}: the document conforms to its schema`);
  return { code: r.code, doc, stderr: r.stderr };
}

const getNodes = (...extra: string[]) => json<NodeList>(['get', 'nodes', ...extra], validateNodeList);
const check = (...extra: string[]) => json<ClusterCheck>(['check', ...extra], validateClusterCheck);
const why = (pod: string) => json<PodStory>(['why', 'pod', pod], validatePodStory);
const row = (list: NodeList, name: string): NodeRow => {
  const r = list.items.find((x) => x.name === name);
  assert.ok(r, `${name} is listed: ${list.items.map((x) => x.name).join(', ')}`);
  return r;
};

async function podAddress(name: string): Promise<string> {
  return (await waitForAnnotation(kc, name)).split('/')[0]!;
}

async function addPods(node: string, prefix: string, count: number): Promise<string[]> {
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  for (const name of names) await createWindowsPod(kc, { name, nodeName: node });
  return names;
}

/** Annotates a pod as the AWS controller does (the test's admin identity is exempt from the guard). */
async function annotate(name: string, value: string): Promise<void> {
  await core.patchNamespacedPod({ name, namespace: 'default', body: [{ op: 'add', path: `/metadata/annotations`, value: { [RESOURCE_NAME]: value } }] });
}

/** A pod status as kubelet would report it (there is no kubelet here). */
async function markRunning(name: string): Promise<void> {
  const now = new Date().toISOString();
  await core.patchNamespacedPodStatus({
    name,
    namespace: 'default',
    body: [{ op: 'add', path: '/status', value: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }], containerStatuses: [{ name: 'app', ready: true, restartCount: 0, image: 'x', imageID: '', state: { running: { startedAt: now } } }] } }],
  });
}

async function seedCluster(): Promise<void> {
  kc = plane().kubeConfig();
  core = kc.makeApiClient(CoreV1Api);
  bundle = requirePluginBundle();
  stack = await startStack({
    plane: plane(),
    world: world(
      [
        { id: I.healthy, type: 'm5.large', subnetId: MAIN, privateIp: '10.20.0.10', platform: 'windows' },
        { id: I.full, type: 'm4.large', subnetId: MAIN, privateIp: '10.20.0.11', platform: 'windows' },
        { id: I.mixed, type: 'm5.large', subnetId: MAIN, privateIp: '10.20.0.12', platform: 'windows' },
        { id: I.aws, type: 'm5.large', subnetId: MAIN, privateIp: '10.20.0.13', platform: 'windows' },
        { id: I.unsupported, type: 'x0.tiny', subnetId: MAIN, privateIp: '10.20.0.14', platform: 'windows' },
        { id: I.fragmented, type: 'm5.large', subnetId: FRAGMENTED, privateIp: '10.20.8.10', platform: 'windows' },
        { id: I.filler, type: 'm5.large', subnetId: FRAGMENTED, privateIp: '10.20.8.11', platform: 'linux' },
      ],
      {
        subnets: [
          { id: MAIN, vpcId: 'vpc-0d000001', cidr: '10.20.0.0/22', availabilityZone: 'us-west-2a' },
          { id: FRAGMENTED, vpcId: 'vpc-0d000001', cidr: '10.20.8.0/26', availabilityZone: 'us-west-2a' },
        ],
        instanceTypes: { 'x0.tiny': { ipv4PerInterface: 1, interfaces: 1, hypervisor: 'nitro' } },
      },
    ),
    // The status of a node stays as the controller last saw its ENI until its next re-read: long here, so an
    // address moved out of band stays visible as such (the controller's own handling is tested elsewhere).
    controller: { name: 'views', args: ['--ec2-resync-period=10m'] },
  });
  s = seeder(kc, stack.sim.endpoint);
  ec2 = new EC2Client({ region: 'us-west-2', endpoint: stack.sim.endpoint, credentials: { accessKeyId: AWS_TEST_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: AWS_TEST_ENV.AWS_SECRET_ACCESS_KEY } });
  const eniOf = (instance: string) => primaryEni(stack.sim, instance).networkInterfaceId;

  // Fragmented: a /26 whose two inner /28s each hold one secondary IP of another ENI (the outer two touch
  // EC2's reserved addresses): 50 addresses free, not one aligned /28.
  await ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: eniOf(I.filler), PrivateIpAddresses: ['10.20.8.20', '10.20.8.40'] }));

  // Healthy: 20 pods, settled by the controller.
  await createWindowsNode(kc, { name: 'win-healthy', instanceId: I.healthy, instanceType: 'm5.large', zone: 'us-west-2a' });
  await waitForCapacity(kc, 'win-healthy', 144, 90_000);
  await addPods('win-healthy', 'web', 20);
  // Full: a Xen type stays in secondary mode, 9 slots; the tenth pod waits.
  await createWindowsNode(kc, { name: 'win-full', instanceId: I.full, instanceType: 'm4.large', zone: 'us-west-2a' });
  await waitForCapacity(kc, 'win-full', 9, 90_000);
  await addPods('win-full', 'iis', 10);
  // Mixed: secondary IPs with their pods left on the ENI by secondary mode, now prefix delegation is on.
  const leftOver = (await ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: eniOf(I.mixed), SecondaryPrivateIpAddressCount: 2 }))).AssignedPrivateIpAddresses!.map((a) => a.PrivateIpAddress!);
  await createWindowsPod(kc, { name: 'old-0', nodeName: 'win-mixed' });
  await createWindowsPod(kc, { name: 'old-1', nodeName: 'win-mixed' });
  await annotate('old-0', `${leftOver[0]}/22`);
  await annotate('old-1', `${leftOver[1]}/22`);
  await createWindowsNode(kc, { name: 'win-mixed', instanceId: I.mixed, instanceType: 'm5.large', zone: 'us-west-2a' });
  await addPods('win-mixed', 'new', 2);
  // The AWS controller's node: its notice, capacity it advertised, a prefix and pods it annotated.
  await seedEvent(s, { kind: 'Node', name: 'win-aws', reason: EventReasons.controllerVersionNotice, message: 'The node is managed by VPC resource controller version v1.7.0' });
  await createWindowsNode(kc, { name: 'win-aws', instanceId: I.aws, instanceType: 'm5.large', zone: 'us-west-2a' });
  await patchNodeCapacity(s, 'win-aws', RESOURCE_NAME, 144);
  const awsPrefix = (await ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: eniOf(I.aws), Ipv4PrefixCount: 1 }))).AssignedIpv4Prefixes![0]!.Ipv4Prefix!;
  const base = parseCidr(awsPrefix).base;
  for (let i = 0; i < 3; i++) {
    await createWindowsPod(kc, { name: `aws-${i}`, nodeName: 'win-aws' });
    await annotate(`aws-${i}`, `${formatIPv4(base + i)}/32`);
  }
  // Nobody can manage an instance type without a free slot.
  await createWindowsNode(kc, { name: 'win-unsupported', instanceId: I.unsupported, instanceType: 'x0.tiny', zone: 'us-west-2a' });
  await createWindowsPod(kc, { name: 'tiny-0', nodeName: 'win-unsupported' });
  // The fragmented subnet's node: its pods wait for a /28 EC2 cannot give.
  await createWindowsNode(kc, { name: 'win-fragmented', instanceId: I.fragmented, instanceType: 'm5.large', zone: 'us-west-2a' });
  await addPods('win-fragmented', 'frag', 2);

  // Settled: every pod that can get an address has it, and the controller has published what it sees. On a
  // loaded machine the controller takes its time: each wait is for a condition, with a generous deadline.
  const SETTLE = { timeoutMs: 90_000, intervalMs: 200 };
  const statusOf = async (node: string) => {
    const d = decodeNodeStatus((await core.readNode({ name: node })).metadata?.annotations?.[NODE_STATUS_ANNOTATION]);
    return d?.ok ? d.status : undefined;
  };
  const settled = (node: string, what: string, ok: (st: NonNullable<Awaited<ReturnType<typeof statusOf>>>) => boolean) =>
    waitFor(`${node} status: ${what}`, async () => {
      const st = await statusOf(node);
      return st && ok(st) ? true : undefined;
    }, SETTLE);
  for (let i = 0; i < 20; i++) await waitForAnnotation(kc, `web-${i}`, 'default', SETTLE.timeoutMs);
  // 20 pods at once are a burst: the pool may look ahead by a prefix, given back after the release hold-down.
  await settled('win-healthy', '20 addresses used in 2 prefixes', (st) => (st.prefixes ?? []).reduce((n, p) => n + p.used, 0) === 20 && st.prefixes?.length === 2);
  await settled('win-full', '9 secondary IPs used', (st) => (st.secondaryIps?.used.length ?? 0) === 9);
  await settled('win-mixed', 'mixed', (st) => st.mode === 'mixed');
  for (const p of ['new-0', 'new-1']) await waitForAnnotation(kc, p, 'default', SETTLE.timeoutMs);
  await settled('win-aws', 'refused: the AWS controller manages it', (st) => st.mode === 'unmanaged' && st.claimedBy !== undefined);
  await settled('win-unsupported', 'unsupported', (st) => st.mode === 'unmanaged');
  await waitForEvent(kc, { kind: 'Node', name: 'win-fragmented' }, 'InsufficientCidrBlocks', SETTLE.timeoutMs);
  await waitForEvent(kc, { kind: 'Pod', name: 'frag-0', namespace: 'default' }, EventReasons.resourceAllocationFailed, SETTLE.timeoutMs);
  await waitForEvent(kc, { kind: 'Pod', name: 'iis-9', namespace: 'default' }, EventReasons.resourceAllocationFailed, SETTLE.timeoutMs);
  await waitForEvent(kc, { kind: 'Pod', name: 'web-0', namespace: 'default' }, EventReasons.resourceAllocated, SETTLE.timeoutMs);
}

/** `kubectl winprefix ...` through the real kubectl, which finds the bundle on PATH as krew would link it. */
async function viaKubectl(args: string[], extraEnv: Record<string, string> = {}): Promise<PluginRun> {
  const bin = scratchDir('winprefix-bin-');
  const wrapper = join(bin, 'kubectl-winprefix');
  await writeFile(wrapper, `#!/bin/sh\nexec "${process.execPath}" "${bundle}" "$@"\n`);
  await chmod(wrapper, 0o755);
  return runProcess(findKubectl(), ['winprefix', ...args, ...connection()], cleanEnv({ ...AWS_TEST_ENV, PATH: `${bin}:${process.env.PATH ?? ''}`, HOME: bin, ...extraEnv }));
}

describe('cluster views: get nodes, check, why pod', () => {
  before(seedCluster, { timeout: 600_000 });
  after(async () => {
    ec2?.destroy();
    s?.ec2.destroy();
    await stack?.stop();
  });

  describe('get nodes', () => {
    it('one row per Windows node in every state, from node and pod objects and the controller status', async () => {
      const { code, doc } = await getNodes();
      assert.equal(code, 0);
      assert.deepEqual(doc.items.map((r) => r.name), [...NODES].sort());
      assert.equal(doc.metadata.ec2, false);

      const healthy = row(doc, 'win-healthy');
      assert.equal(healthy.managedBy, 'winprefix');
      assert.equal(healthy.mode, 'prefix');
      assert.equal(healthy.modeSource, 'status-annotation');
      assert.equal(healthy.occupancySource, 'status-annotation');
      assert.deepEqual(healthy.prefixes, { attached: 2, full: 1, free: 0 });
      assert.equal(healthy.addresses.used, 20);
      assert.deepEqual(healthy.pods, { withAddress: 20, withoutAddress: 0 });
      assert.deepEqual(healthy.capacity, { advertised: 144, deliverable: 144, maxPods: 110 });
      assert.ok(healthy.status.present && healthy.status.ageSeconds !== null);

      const full = row(doc, 'win-full');
      assert.equal(full.mode, 'secondary');
      assert.equal(full.prefixes?.attached, 0);
      assert.deepEqual(full.addresses, { used: 9, free: 0, cooling: 0 });
      assert.deepEqual(full.pods, { withAddress: 9, withoutAddress: 1 });
      assert.ok(full.findings.kinds.includes('pod-without-address'), JSON.stringify(full.findings));

      assert.equal(row(doc, 'win-mixed').mode, 'mixed');
      const aws = row(doc, 'win-aws');
      assert.equal(aws.managedBy, 'aws-vpc-resource-controller');
      assert.equal(aws.modeSource, 'inferred', 'the AWS controller publishes nothing: what is shown is inferred');
      assert.equal(aws.occupancySource, 'pods');
      assert.equal(aws.prefixes, null);
      assert.deepEqual(aws.addresses, { used: 3, free: null, cooling: null });
      assert.equal(row(doc, 'win-unsupported').mode, 'unmanaged');
      assert.deepEqual(row(doc, 'win-fragmented').pods, { withAddress: 0, withoutAddress: 2 });
      assert.equal(doc.totals.nodes, 6);
      assert.equal(doc.totals.byManager.awsVpcResourceController, 1);
    });

    it('--ec2 reads every ENI in one batched call and counts what EC2 holds', async () => {
      const before = stack.sim.counters.snapshot();
      const { code, doc } = await getNodes('--ec2');
      const after = stack.sim.counters.snapshot();
      assert.equal(code, 0);
      const calls = (action: string) => (after[action]?.calls ?? 0) - (before[action]?.calls ?? 0);
      // Controller re-reads go through the same simulator; the plugin's own is one batched read of six instances.
      assert.ok(calls('DescribeNetworkInterfaces') >= 1);
      const aws = row(doc, 'win-aws');
      assert.equal(aws.occupancySource, 'ec2');
      assert.deepEqual(aws.prefixes, { attached: 1, full: 0, free: 0 });
      assert.deepEqual(aws.addresses, { used: 3, free: 13, cooling: 0 });
      const mixed = row(doc, 'win-mixed');
      assert.equal(mixed.slots.secondaryIps, 2);
      assert.ok(mixed.findings.kinds.includes('mixed-mode-eni'));
      assert.ok(doc.items.every((r) => r.ec2.read), JSON.stringify(doc.items.map((r) => r.ec2)));
    });

    it('-l, names, --sort-by and -o name', async () => {
      const selected = await getNodes('-l', 'node.kubernetes.io/instance-type=m4.large');
      assert.deepEqual(selected.doc.items.map((r) => r.name), ['win-full']);
      const named = await getNodes('win-aws', 'win-full');
      assert.deepEqual(named.doc.items.map((r) => r.name), ['win-aws', 'win-full']);
      const sorted = await getNodes('--sort-by', 'waiting');
      assert.deepEqual(sorted.doc.items.slice(-2).map((r) => r.pods.withoutAddress), [1, 2]);
      const names = await run(['get', 'nodes', '-o', 'name']);
      assert.equal(names.stdout, [...NODES].sort().map((n) => `node/${n}\n`).join(''));
      const yaml = await run(['get', 'nodes', '-o', 'yaml']);
      assert.match(yaml.stdout, /^apiVersion: winprefix\.io\/v1\nkind: WindowsNodeList\n/);
    });

    it('the table fits 100 columns with a total and a legend, through the real kubectl', async () => {
      const r = await viaKubectl(['get', 'nodes'], { COLUMNS: '100' });
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.split('\n');
      assert.ok(lines.every((l) => l.length <= 100), r.stdout);
      assert.match(lines[0]!, /^NAME +MODE +BY +PREFIXES +ADDRESSES +PODS +CAPACITY +FINDINGS/);
      assert.match(r.stdout, /^win-healthy +prefix +winprefix +2\/1\/0 +20\/\d+\/\d+ +20\/0 +144\/144\/110 +0/m);
      assert.match(r.stdout, /^win-aws +prefix\* +aws +- +3\/-\/- +3\/0 /m);
      assert.match(r.stdout, /^Total: +6 Windows nodes/m);
      assert.doesNotMatch(r.stdout, /\u001b\[/, 'no colour in a pipe');
      const narrow = await viaKubectl(['get', 'nodes'], { COLUMNS: '80' });
      assert.ok(narrow.stdout.split('\n').every((l) => l.length <= 80), narrow.stdout);
    });
  });

  describe('check', () => {
    it('a healthy node alone: exit 0', async () => {
      const { code, doc } = await check('win-healthy');
      assert.equal(code, 0, JSON.stringify(doc.findings));
      assert.deepEqual(doc.summary, { nodes: 1, verified: 1, nodesWithFindings: 0, findings: 0, crossNodeFindings: 0, pods: 20, podsWithoutAddress: 0, exitCode: 0 });
    });

    it('the whole cluster: every describe node finding, each node verified', async () => {
      const { code, doc } = await check();
      assert.equal(code, 1);
      assert.equal(doc.summary.nodes, 6);
      assert.equal(doc.summary.verified, 6);
      const kinds = (node: string) => doc.nodes.find((n) => n.name === node)!.kinds;
      assert.ok(kinds('win-fragmented').includes('pod-without-address'));
      const frag = doc.findings.find((f) => f.kind === 'pod-without-address' && f.nodes.includes('win-fragmented'))!;
      assert.equal(frag.cause, 'insufficient-cidr-blocks');
      assert.match(frag.commands[0]!, /create-subnet-cidr-reservation --region us-west-2 --subnet-id subnet-0e000002 --reservation-type prefix --cidr 10\.20\.8\.\d+\/\d+/);
      assert.equal(doc.findings.find((f) => f.nodes.includes('win-full') && f.kind === 'pod-without-address')?.cause, 'at-capacity');
      assert.equal(doc.findings.find((f) => f.nodes.includes('win-unsupported') && f.kind === 'pod-without-address')?.cause, 'unsupported-instance-type');
      assert.ok(kinds('win-mixed').includes('mixed-mode-eni'));
      assert.deepEqual(kinds('win-healthy'), []);
      // Every node's findings are the ones describe node reports for it (messages quote waiting times, which move on).
      const key = (f: { kind: string; cause: string | null; subject: string }) => `${f.kind} ${f.cause} ${f.subject}`;
      for (const node of NODES) {
        const described = JSON.parse((await run(['describe', 'node', node, '-o', 'json'])).stdout) as { findings: Array<{ kind: string; cause: string | null; subject: string }> };
        const own = doc.findings.filter((f) => f.scope === 'node' && f.nodes.includes(node));
        assert.deepEqual(own.map(key).sort(), described.findings.map(key).sort(), `${node}: check and describe node agree`);
      }
    });

    it('an address on pods of two nodes, made by hand: the cross-node finding says which node holds it', async () => {
      const web0 = await podAddress('web-0');
      await createWindowsPod(kc, { name: 'copycat', nodeName: 'win-aws' });
      await annotate('copycat', `${web0}/32`);
      const { code, doc } = await check();
      assert.equal(code, 1);
      const dup = doc.findings.find((f) => f.kind === 'duplicate-pod-address-across-nodes');
      assert.ok(dup, JSON.stringify(doc.findings.map((f) => f.kind)));
      assert.equal(dup.scope, 'cross-node');
      assert.deepEqual(dup.nodes, ['win-aws', 'win-healthy']);
      assert.deepEqual(dup.pods, [{ namespace: 'default', name: 'copycat' }, { namespace: 'default', name: 'web-0' }]);
      assert.match(dup.message, new RegExp(`${web0.replace(/\./g, '\\.')} .*EC2: win-healthy's ENI holds it`));
      assert.deepEqual(dup.commands, ['kubectl delete pod -n default copycat']);
      // describe node of either node shows only its half.
      const aws = JSON.parse((await run(['describe', 'node', 'win-aws', '-o', 'json'])).stdout) as { findings: Array<{ kind: string }> };
      assert.ok(!aws.findings.some((f) => f.kind.includes('across')));
      const human = await run(['check'], { COLUMNS: '100' });
      assert.match(human.stdout, /^Across nodes \(1\):/m);
      assert.ok(human.stdout.split('\n').every((l) => l.length <= 100), human.stdout);
      await core.deleteNamespacedPod({ name: 'copycat', namespace: 'default', gracePeriodSeconds: 0 });
    });

    it('-l selects, and a node EC2 does not know makes it exit 2 after printing', async () => {
      const sel = await check('-l', 'node.kubernetes.io/instance-type=m4.large');
      assert.equal(sel.doc.summary.nodes, 1);
      await createWindowsNode(kc, { name: 'win-ghost', instanceId: 'i-0e00000000000fff0', instanceType: 'm5.large', zone: 'us-west-2a' });
      try {
        const r = await run(['check', 'win-healthy', 'win-ghost', '-o', 'json']);
        assert.equal(r.code, 2, r.stderr);
        const doc = JSON.parse(r.stdout) as ClusterCheck;
        assert.equal(doc.summary.verified, 1);
        assert.equal(doc.nodes.find((n) => n.name === 'win-ghost')?.ec2.errorCode, 'InvalidInstanceID.NotFound');
        assert.match(r.stderr, /^error: 1 of 2 nodes could not be verified/);
      } finally {
        await core.deleteNode({ name: 'win-ghost' });
      }
    });
  });

  describe('why pod: each stage made to fail', () => {
    it('a working address: exit 0, from which prefix, when, how long it took', async () => {
      await markRunning('web-1');
      const { code, doc } = await why('web-1');
      assert.equal(code, 0, JSON.stringify(doc.stages));
      assert.equal(doc.verdict, 'working');
      assert.equal(doc.stoppedAt, null);
      assert.ok(doc.stages.every((st) => st.state === 'passed'), JSON.stringify(doc.stages));
      assert.equal(doc.address?.source.kind, 'prefix');
      assert.equal(doc.address?.assignedAtFrom, 'event');
      assert.ok(doc.address?.secondsToAddress !== null && doc.address!.secondsToAddress! < 60);
      const human = await run(['why', 'pod', 'default/web-1'], { COLUMNS: '100' });
      assert.match(human.stdout, /^Verdict: +a working address$/m);
      assert.match(human.stdout, /^ {2}\+ 5\. Address on the node's ENI in EC2\? yes: inside \/28 prefix 10\.20\.\d+\.\d+\/28 on\s+eni-/m);
      assert.ok(human.stdout.split('\n').every((l) => l.length <= 100), human.stdout);
    });

    it('1: a pod that does not select Windows', async () => {
      await createWindowsPod(kc, { name: 'linuxish', nodeSelector: false });
      const { code, doc } = await why('linuxish');
      assert.equal(code, 1);
      assert.equal(doc.stoppedAt, 'selects-windows');
      assert.equal(doc.stages[0]!.finding?.cause, 'no-windows-selector');
      assert.ok(doc.stages.slice(1).every((st) => st.state === 'not-reached'));
    });

    it('2: the webhook did not run (its policy binding was missing when the pod was created)', async () => {
      const api = KubernetesObjectApi.makeApiClient(kc);
      const objects = mutationPolicyObjects({ configMap: { namespace: DEFAULT_CONFIGMAP_NAMESPACE, name: DEFAULT_CONFIGMAP_NAME }, controllerUsernames: ['admin'] }) as KubernetesObject[];
      const binding = objects.find((o) => o.kind === 'MutatingAdmissionPolicyBinding')!;
      await api.delete(binding);
      try {
        await waitForPodMutation(kc, 'default', false);
        await createWindowsPod(kc, { name: 'missed', nodeName: 'win-healthy' });
      } finally {
        await createOrReplaceObjects(kc, [binding]);
        await waitForPodMutation(kc, 'default', true);
      }
      const { code, doc } = await why('missed');
      assert.equal(code, 1);
      assert.equal(doc.stoppedAt, 'resource-requested');
      assert.equal(doc.stages[1]!.finding?.kind, 'pod-without-resource-request');
      assert.equal(doc.stages[1]!.finding?.cause, 'webhook-not-run');
      await core.deleteNamespacedPod({ name: 'missed', namespace: 'default', gracePeriodSeconds: 0 });
    });

    it('3: not scheduled, no Windows node has a free address', async () => {
      await createWindowsPod(kc, { name: 'unplaced' });
      const message = `0/6 nodes are available: 6 Insufficient ${RESOURCE_NAME}. preemption: 0/6 nodes are available: 6 No preemption victims found for incoming pod.`;
      await core.patchNamespacedPodStatus({
        name: 'unplaced',
        namespace: 'default',
        body: [{ op: 'add', path: '/status/conditions', value: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastTransitionTime: new Date().toISOString() }] }],
      });
      const pod = await core.readNamespacedPod({ name: 'unplaced', namespace: 'default' });
      await seedEvent(s, { kind: 'Pod', name: 'unplaced', uid: pod.metadata!.uid!, reason: 'FailedScheduling', type: 'Warning', component: 'default-scheduler', message });
      const { code, doc } = await why('unplaced');
      assert.equal(code, 1);
      assert.equal(doc.stoppedAt, 'scheduled');
      assert.equal(doc.stages[2]!.finding?.cause, 'insufficient-address-capacity');
      assert.ok(doc.stages[2]!.evidence.some((e) => e.startsWith('event FailedScheduling')), JSON.stringify(doc.stages[2]));
    });

    it('3: on a node no controller can manage', async () => {
      const { code, doc } = await why('tiny-0');
      assert.equal(code, 1);
      assert.equal(doc.stoppedAt, 'scheduled');
      assert.equal(doc.stages[2]!.finding?.cause, 'unsupported-instance-type');
    });

    it('4: no address, the subnet has no free /28', async () => {
      const { code, doc } = await why('frag-0');
      assert.equal(code, 1);
      assert.equal(doc.stoppedAt, 'address-assigned');
      const f = doc.stages[3]!.finding!;
      assert.equal(f.cause, 'insufficient-cidr-blocks');
      assert.ok(f.commands.some((c) => c.includes('--subnet-id subnet-0e000002')));
    });

    it('6: the address is there, kubelet cannot create the sandbox', async () => {
      const pod = await core.readNamespacedPod({ name: 'web-2', namespace: 'default' });
      await seedEvent(s, { kind: 'Pod', name: 'web-2', uid: pod.metadata!.uid!, reason: 'FailedCreatePodSandBox', type: 'Warning', component: 'kubelet', message: 'hnsCall failed in Win32: The object already exists. (0x1392)' });
      const { code, doc } = await why('web-2');
      assert.equal(code, 1);
      assert.equal(doc.stoppedAt, 'sandbox-up');
      assert.equal(doc.stages[5]!.finding?.kind, 'pod-sandbox-failing');
    });
  });

  describe('a /28 moved out of band', () => {
    it('5: why pod says the address left the ENI; check names the prefix on two ENIs', async () => {
      const status = decodeNodeStatus((await core.readNode({ name: 'win-healthy' })).metadata?.annotations?.[NODE_STATUS_ANNOTATION]);
      assert.ok(status?.ok);
      const partial = status.status.prefixes!.find((p) => p.used > 0 && p.used < 16)!;
      const eniHealthy = primaryEni(stack.sim, I.healthy).networkInterfaceId;
      const eniAws = primaryEni(stack.sim, I.aws).networkInterfaceId;
      // Someone moves the block: off win-healthy's ENI, onto win-aws's.
      await ec2.send(new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: eniHealthy, Ipv4Prefixes: [partial.cidr] }));
      await ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: eniAws, Ipv4Prefixes: [partial.cidr] }));
      const victims = [];
      for (let i = 0; i < 20; i++) if (cidrContains(parseCidr(partial.cidr), parseIPv4(await podAddress(`web-${i}`)))) victims.push(`web-${i}`);
      assert.ok(victims.length > 0);

      const story = await why(victims[0]!);
      assert.equal(story.code, 1);
      assert.equal(story.doc.stoppedAt, 'on-eni');
      assert.equal(story.doc.stages[4]!.finding?.kind, 'pod-address-not-on-eni');

      const { code, doc } = await check();
      assert.equal(code, 1);
      const moved = doc.findings.find((f) => f.kind === 'prefix-on-two-enis');
      assert.ok(moved, JSON.stringify(doc.findings.map((f) => f.kind)));
      assert.deepEqual(moved.nodes, ['win-aws', 'win-healthy']);
      assert.equal(moved.cause, 'stale-status');
      assert.match(moved.message, new RegExp(`${partial.cidr.replace(/[./]/g, '\\$&')}: .*EC2 shows it on ${eniAws} \\(win-aws\\).*the winprefix status of win-healthy lists it`));
      assert.deepEqual(new Set(moved.pods.map((p) => p.name)), new Set(victims));
    });
  });

  describe('--watch', () => {
    it('in a pipe: the table once, then each row again as its changes arrive', async () => {
      const child = spawn(process.execPath, [bundle, 'get', 'nodes', '-w', ...connection()], { env: { ...process.env, COLUMNS: '100' }, stdio: ['ignore', 'pipe', 'pipe'] });
      const out = collect(child);
      try {
        await waitFor('the first table', async () => (/^win-healthy /m.test(out.stdout) && /^win-unsupported /m.test(out.stdout) ? true : undefined), { timeoutMs: 20_000 });
        assert.match(out.stdout, /^NAME +MODE/);
        const before = out.stdout.length;
        await createWindowsPod(kc, { name: 'late', nodeName: 'win-healthy' });
        await waitForAnnotation(kc, 'late');
        const changed = await waitFor('win-healthy printed again with 21 pods', async () => {
          const tail = out.stdout.slice(before);
          return /^win-healthy +prefix +winprefix +\S+ +\S+ +21\/0 /m.test(tail) ? tail : undefined;
        }, { timeoutMs: 20_000 });
        assert.doesNotMatch(changed, /^NAME/m, 'the heading is printed once');
        assert.doesNotMatch(changed, /^win-unsupported /m, 'rows that did not change are not printed again');
      } finally {
        child.kill('SIGINT');
      }
      assert.equal(await out.exit, 0, out.stderr);
      await core.deleteNamespacedPod({ name: 'late', namespace: 'default', gracePeriodSeconds: 0 });
    });

    it('-o json in a pipe: one watch event per line, as kubectl get -w --output-watch-events', async () => {
      const child = spawn(process.execPath, [bundle, 'get', 'nodes', '-w', '-o', 'json', ...connection()], { stdio: ['ignore', 'pipe', 'pipe'] });
      const out = collect(child);
      try {
        await waitFor('six ADDED lines', async () => (out.stdout.split('\n').filter((l) => l.startsWith('{"type":"ADDED"')).length === 6 ? true : undefined), { timeoutMs: 20_000 });
        await createWindowsNode(kc, { name: 'win-late', instanceId: 'i-0e00000000000fff1', instanceType: 'm5.large', zone: 'us-west-2a' });
        await waitFor('win-late ADDED', async () => (out.stdout.includes('"name":"win-late"') ? true : undefined), { timeoutMs: 20_000 });
        await core.deleteNode({ name: 'win-late' });
        await waitFor('win-late DELETED', async () => (out.stdout.split('\n').some((l) => l.startsWith('{"type":"DELETED"') && l.includes('"name":"win-late"')) ? true : undefined), { timeoutMs: 20_000 });
        for (const line of out.stdout.trim().split('\n')) {
          const event = JSON.parse(line) as { type: string; object: unknown };
          assert.ok(['ADDED', 'MODIFIED', 'DELETED'].includes(event.type));
        }
      } finally {
        child.kill('SIGTERM');
      }
      assert.equal(await out.exit, 0, out.stderr);
    });

    it('describe node -w in a pipe: the report again when it changed', async () => {
      const child = spawn(process.execPath, [bundle, 'describe', 'node', 'win-full', '-w', ...connection()], { env: { ...process.env, COLUMNS: '100' }, stdio: ['ignore', 'pipe', 'pipe'] });
      const out = collect(child);
      try {
        await waitFor('the first report', async () => (/^Node: +win-full/m.test(out.stdout) ? true : undefined), { timeoutMs: 20_000 });
        await core.deleteNamespacedPod({ name: 'iis-0', namespace: 'default', gracePeriodSeconds: 0 });
        await waitFor('a second report', async () => ((out.stdout.match(/^Node: +win-full/gm) ?? []).length >= 2 ? true : undefined), { timeoutMs: 20_000 });
        assert.match(out.stdout, /^--- win-full +updated \d\d:\d\d:\d\d$/m);
      } finally {
        child.kill('SIGINT');
      }
      assert.equal(await out.exit, 0, out.stderr);
    });

    it('on a pseudo-terminal: redrawn in place on the alternate screen, Ctrl-C gives the terminal back', async (t) => {
      if (spawnSync('script', ['--version']).status !== 0) return t.skip('util-linux script is not installed');
      // exec: script runs the command through $SHELL, and dash forks for it and dies of the Ctrl-C itself (exit
      // 130) where bash would exec; the plugin must be the process on the terminal, as under kubectl.
      const command = `exec ${[process.execPath, bundle, 'get', 'nodes', '-w', ...connection()].map((a) => `'${a}'`).join(' ')}`;
      // script runs the command on a new pseudo-terminal and copies it to our pipe; what we write is typed on it.
      const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...process.env, COLUMNS: '100', TERM: 'xterm' }, stdio: ['pipe', 'pipe', 'pipe'] });
      const out = collect(child);
      try {
        await waitFor('the first frame', async () => (out.stdout.includes(ALT_SCREEN_ON) && /win-unsupported/.test(out.stdout) ? true : undefined), { timeoutMs: 20_000 });
        const frames = () => out.stdout.split('\u001b[H').length - 1;
        const first = frames();
        await createWindowsPod(kc, { name: 'late-tty', nodeName: 'win-healthy' });
        await waitFor('a redraw', async () => (frames() > first ? true : undefined), { timeoutMs: 20_000 });
        // Each frame starts at the top-left corner and holds one table: drawn over each other, not appended.
        const drawn = out.stdout.split('\u001b[H').slice(1);
        assert.ok(drawn.every((frame) => (frame.match(/NAME +MODE +BY/g) ?? []).length === 1), JSON.stringify(drawn));
        child.stdin.write('\u0003');
        assert.equal(await out.exit, 0, out.stderr);
        const end = out.stdout.slice(out.stdout.lastIndexOf(CURSOR_SHOW));
        assert.ok(end.startsWith(`${CURSOR_SHOW}${ALT_SCREEN_OFF}`), 'cursor shown, main screen back');
        assert.match(end, /win-healthy/, 'the last frame stays in the scrollback');
      } finally {
        child.kill('SIGKILL');
        await core.deleteNamespacedPod({ name: 'late-tty', namespace: 'default', gracePeriodSeconds: 0 }).catch(() => {});
      }
    });
  });

  describe('other runtimes', () => {
    it('under deno run with the permissions docs/plugin.md lists: check, and get nodes -w over HTTP/2 watches', async () => {
      const home = scratchDir('winprefix-deno-');
      const deno = ['run', '--no-prompt', '--allow-env', '--allow-read', '--allow-net', '--allow-sys', '--allow-run', bundle];
      const env = cleanEnv({ ...AWS_TEST_ENV, HOME: home, DENO_DIR: join(home, '.deno'), DENO_NO_UPDATE_CHECK: '1' });
      const r = await runProcess(DENO, [...deno, 'check', 'win-healthy', 'win-full', '-o', 'json', ...connection()], env);
      assert.ok(r.code <= 1, r.stderr);
      const doc = JSON.parse(r.stdout) as ClusterCheck;
      assert.deepEqual(validateClusterCheck(doc), []);
      assert.equal(doc.summary.verified, 2);
      const child = spawn(DENO, [...deno, 'get', 'nodes', '-w', '-o', 'json', 'win-full', ...connection()], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      const out = collect(child);
      try {
        await waitFor('win-full ADDED', async () => (out.stdout.includes('{"type":"ADDED"') ? true : undefined), { timeoutMs: 30_000 });
        await createWindowsPod(kc, { name: 'deno-late', nodeName: 'win-full' });
        await waitFor('win-full MODIFIED', async () => (out.stdout.includes('{"type":"MODIFIED"') ? true : undefined), { timeoutMs: 30_000 });
      } finally {
        child.kill('SIGINT');
        await core.deleteNamespacedPod({ name: 'deno-late', namespace: 'default', gracePeriodSeconds: 0 }).catch(() => {});
      }
      assert.equal(await out.exit, 0, out.stderr);
    });
  });
});

function collect(child: ChildProcessWithoutNullStreams | ReturnType<typeof spawn>): { stdout: string; stderr: string; exit: Promise<number | string> } {
  const o = { stdout: '', stderr: '', exit: undefined as unknown as Promise<number | string> };
  child.stdout?.on('data', (d: Buffer) => (o.stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (o.stderr += d.toString()));
  o.exit = new Promise((resolve) => child.on('close', (code, signal) => resolve(code ?? String(signal))));
  return o;
}

