/**
 * `kubectl winprefix describe node` against a real kube-apiserver and the EC2 simulator (speaking the
 * real EC2 wire protocol): nodes in prefix, secondary and mixed mode left as the AWS controller leaves
 * them, one managed by winprefix (status annotation), every disagreement kind seeded on purpose, an
 * incident (pods waiting in a subnet without a free /28), an instance EC2 does not know, the JSON checked
 * against its schema, output that fits 80, 100 and 160 columns, the real kubectl finding the plugin on
 * PATH, and each error an on-call engineer can meet, worded as kubectl words them.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dump, load } from 'js-yaml';
import { RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { ADDRESSES_PER_PREFIX, EventReasons, NODE_STATUS_ANNOTATION as STATUS_KEY } from '../../pkg/core/contract.ts';
import { formatIPv4, parseCidr } from '../../pkg/core/net/ipv4.ts';
import { startEc2Simulator, type Ec2Simulator } from '../../pkg/ec2sim/server.ts';
import { patchNodeAnnotations } from '../../pkg/adapters/kube/patches.ts';
import { NODE_STATUS_ANNOTATION, type NodeStatus } from '../../pkg/core/status/node-status.ts';
import type { FindingKind, NodeReport } from '../../plugin/describe/report.ts';
import { validateNodeReport } from '../../plugin/describe/report.ts';
import { DENO } from '../controller/support.ts';
import { findKubectl } from '../harness/assets.ts';
import { scratchDir } from '../harness/cleanup.ts';
import { createWindowsNode, ensureNamespace } from '../harness/cluster-objects.ts';
import { freeLoopbackPort } from '../harness/ports.ts';
import { useControlPlane } from '../harness/suite.ts';
import {
  AWS_TEST_ENV,
  cleanEnv,
  instanceIdOf,
  requirePluginBundle,
  runPlugin,
  runProcess,
  seedEvent,
  seeder,
  seedNode,
  seedPod,
  SUBNET_MASK,
  worldFor,
  type Seeder,
} from './scenario.ts';

Object.assign(process.env, AWS_TEST_ENV);
delete process.env.AWS_PROFILE;
delete process.env.AWS_ENDPOINT_URL;
delete process.env.AWS_ENDPOINT_URL_EC2;

const plane = useControlPlane();
let sim: Ec2Simulator;
let s: Seeder;
let bundle: string;
const addressIn = (cidr: string, offset: number) => formatIPv4(parseCidr(cidr).base + offset);
const kinds = (r: NodeReport): FindingKind[] => r.findings.map((f) => f.kind).sort();

function args(node: string, ...extra: string[]): string[] {
  return ['describe', 'node', node, '--kubeconfig', plane().kubeconfigPath, '--ec2-endpoint', sim.endpoint, ...extra];
}

/** The one line on stderr (failing when there are more). */
function oneLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got: ${stderr}`);
  return lines[0]!;
}

/** A loopback TCP server that accepts connections and never says a word. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: TcpServer = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A HOME with ~/.aws/config and ~/.aws/credentials as given. */
async function awsHome(files: { config?: string; credentials?: string }): Promise<string> {
  const home = scratchDir('winprefix-aws-home-');
  await mkdir(join(home, '.aws'));
  if (files.config !== undefined) await writeFile(join(home, '.aws', 'config'), files.config);
  if (files.credentials !== undefined) await writeFile(join(home, '.aws', 'credentials'), files.credentials);
  return home;
}

async function describeJson(node: string, ...extra: string[]): Promise<{ code: number; report: NodeReport; stderr: string }> {
  const run = await runPlugin(args(node, '-o', 'json', ...extra));
  let report: NodeReport;
  try {
    report = JSON.parse(run.stdout) as NodeReport;
  } catch {
    assert.fail(`describe node ${node} -o json printed no JSON (exit ${run.code}): ${run.stderr}`);
  }
  assert.deepEqual(validateNodeReport(report), [], `the ${node} report conforms to the NodeReport schema`);
  return { code: run.code, report, stderr: run.stderr };
}

/**
 * A kubeconfig whose user is an exec credential plugin (a shell script printing an ExecCredential with the
 * admin's client certificate), the shape `aws eks update-kubeconfig` writes with `aws eks get-token`.
 */
async function execKubeconfig(): Promise<string> {
  const admin = load(await readFile(plane().kubeconfigPath, 'utf8')) as {
    clusters: Array<{ cluster: { server: string; 'certificate-authority-data': string } }>;
    users: Array<{ user: { 'client-certificate-data': string; 'client-key-data': string } }>;
  };
  const pem = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');
  const credential = {
    apiVersion: 'client.authentication.k8s.io/v1beta1',
    kind: 'ExecCredential',
    status: { clientCertificateData: pem(admin.users[0]!.user['client-certificate-data']), clientKeyData: pem(admin.users[0]!.user['client-key-data']) },
  };
  const dir = scratchDir('winprefix-exec-');
  const script = join(dir, 'get-token.sh');
  await writeFile(script, `#!/bin/sh\ncat <<'JSON'\n${JSON.stringify(credential)}\nJSON\n`);
  await chmod(script, 0o755);
  const path = join(dir, 'kubeconfig');
  await writeFile(path, dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'exec', cluster: admin.clusters[0]!.cluster }],
    users: [{ name: 'exec-user', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: script, args: [], interactiveMode: 'Never' } } }],
    contexts: [{ name: 'exec', context: { cluster: 'exec', user: 'exec-user' } }],
    'current-context': 'exec',
  }));
  return path;
}

async function seedScenarios(): Promise<void> {
  // Instances: 1 prefix (AWS), 2 secondary (AWS, non-Nitro), 3 mixed, 4 every disagreement, 5 winprefix-managed.
  // Instance 6 has a type missing from the bundled table: its slots come from DescribeInstanceTypes.
  // Instance 7 has pods stuck at the stages no other node shows: no request, and host-side sandbox failures.
  // Instance 8 runs an incident: pods waiting in a subnet without a free /28. Instance 9 carries a hand-edited
  // status annotation. Instance 10 has a node without any zone or region (its region comes from ~/.aws/config).
  sim = await startEc2Simulator({
    world: worldFor(['m5.large', 'm4.large', 'm5.large', 'm5.large', 'm5.large', 'w9.large', 'm5.large', 'm5.large', 'm5.large', 'm5.large'], {
      'w9.large': { ipv4PerInterface: 6, interfaces: 2, hypervisor: 'nitro' },
    }),
  });
  s = seeder(plane().kubeConfig(), sim.endpoint);
  await s.core.createNamespacedConfigMap({
    namespace: 'kube-system',
    body: { metadata: { name: 'amazon-vpc-cni', namespace: 'kube-system' }, data: { 'enable-windows-ipam': 'true', 'enable-windows-prefix-delegation': 'true' } },
  });
  bundle = requirePluginBundle();

  // Prefix mode, as the AWS controller leaves it: 17 pods over two /28s, warm-ip-target 1 explains both.
  {
    const { eniId } = await seedNode(s, { name: 'win-prefix', instance: 1, instanceType: 'm5.large', advertised: 144 });
    const prefixes = await s.ec2.assignPrefixes(eniId, 2);
    for (let i = 0; i < 17; i++) {
      const prefix = prefixes[i < 16 ? 0 : 1]!;
      await seedPod(s, { name: `web-${i}`, node: 'win-prefix', annotation: `${addressIn(prefix, i % 16)}/32` });
    }
    await seedEvent(s, { kind: 'Node', name: 'win-prefix', reason: EventReasons.controllerVersionNotice, message: 'The node is managed by VPC resource controller version v1.7.0' });
  }
  // Secondary mode on a non-Nitro type: subnet-mask annotations; warm-ip-target 3 explains the free three.
  {
    const { eniId } = await seedNode(s, { name: 'win-secondary', instance: 2, instanceType: 'm4.large', advertised: 9 });
    const ips = await s.ec2.assignSecondaryIps(eniId, 5);
    await seedPod(s, { name: 'iis-0', node: 'win-secondary', annotation: `${ips[0]}/${SUBNET_MASK}` });
    await seedPod(s, { name: 'iis-1', node: 'win-secondary', annotation: ips[1]! });
  }
  // Mixed: prefix delegation switched on while a secondary-IP pod still runs; capacity switched to 144.
  {
    const { eniId } = await seedNode(s, { name: 'win-mixed', instance: 3, instanceType: 'm5.large', advertised: 144 });
    const ips = await s.ec2.assignSecondaryIps(eniId, 2);
    const [prefix] = await s.ec2.assignPrefixes(eniId, 1);
    await seedPod(s, { name: 'old', node: 'win-mixed', annotation: `${ips[0]}/${SUBNET_MASK}` });
    await seedPod(s, { name: 'new-0', node: 'win-mixed', annotation: `${addressIn(prefix!, 1)}/32` });
    await seedPod(s, { name: 'new-1', node: 'win-mixed', annotation: `${addressIn(prefix!, 2)}/32` });
  }
  // Every pod-level disagreement plus two leaked prefixes.
  {
    const { eniId } = await seedNode(s, { name: 'win-broken', instance: 4, instanceType: 'm5.large', advertised: 144 });
    const [used, , ] = await s.ec2.assignPrefixes(eniId, 3);
    await seedPod(s, { name: 'fine', node: 'win-broken', annotation: `${addressIn(used!, 0)}/32` });
    await seedPod(s, { name: 'ghost', node: 'win-broken', annotation: '10.0.9.9/32' });
    await seedPod(s, { name: 'twin-a', node: 'win-broken', annotation: `${addressIn(used!, 3)}/32` });
    await seedPod(s, { name: 'twin-b', node: 'win-broken', annotation: `${addressIn(used!, 3)}/32`, namespace: 'kube-system' });
    const stuck = await seedPod(s, { name: 'stuck', node: 'win-broken' });
    await seedEvent(s, {
      kind: 'Pod',
      name: 'stuck',
      uid: stuck.metadata!.uid!,
      reason: EventReasons.resourceAllocationFailed,
      type: 'Warning',
      message: 'failed to assign an IP address: InsufficientCidrBlocks',
    });
  }
  // Managed by winprefix: the status annotation names the mode and marks two cooling addresses.
  {
    const { eniId } = await seedNode(s, { name: 'win-ours', instance: 5, instanceType: 'm5.large', advertised: 144 });
    const [prefix] = await s.ec2.assignPrefixes(eniId, 1);
    await seedPod(s, { name: 'app-0', node: 'win-ours', annotation: `${addressIn(prefix!, 0)}/32`, namespace: 'kube-system' });
    const status: NodeStatus = {
      v: 1,
      at: new Date().toISOString(),
      mode: 'prefix',
      reason: 'prefix delegation is enabled and m5.large is Nitro',
      config: { sizing: 'ip-targets', warmIPTarget: 1, minimumIPTarget: 3, warmPrefixTarget: 0, problems: [] },
      capacity: { nominal: 144, deliverable: 144, advertised: 144 },
      slots: { total: 9, prefixes: 1, secondaryIps: 0, free: 8 },
      prefixes: [{ cidr: prefix!, used: 1, free: 13, cooling: 2, map: 'ucc.............' }],
      secondaryIps: { used: [], free: [], cooling: [], releasing: [] },
    };
    await patchNodeAnnotations(s, 'win-ours', { [NODE_STATUS_ANNOTATION]: JSON.stringify(status) });
  }
  {
    const { eniId } = await seedNode(s, { name: 'win-newtype', instance: 6, instanceType: 'w9.large', advertised: 80 });
    const [prefix] = await s.ec2.assignPrefixes(eniId, 1);
    await seedPod(s, { name: 'n-0', node: 'win-newtype', annotation: `${addressIn(prefix!, 0)}/32` });
  }
  // Pods created without the resource request (one does not select Windows, one the webhook never saw),
  // and one with its address whose sandbox kubelet cannot create.
  {
    const { eniId } = await seedNode(s, { name: 'win-stuck', instance: 7, instanceType: 'm5.large', advertised: 144 });
    const [prefix] = await s.ec2.assignPrefixes(eniId, 1);
    await seedPod(s, { name: 'served', node: 'win-stuck', annotation: `${addressIn(prefix!, 0)}/32` });
    const unpinned = await seedPod(s, { name: 'unpinned', node: 'win-stuck', requestIp: false, nodeSelector: false });
    await seedPod(s, { name: 'missed', node: 'win-stuck', requestIp: false });
    const hns = await seedPod(s, { name: 'hns', node: 'win-stuck', annotation: `${addressIn(prefix!, 1)}/32` });
    await seedEvent(s, {
      kind: 'Pod',
      name: 'hns',
      uid: hns.metadata!.uid!,
      reason: 'FailedCreatePodSandBox',
      type: 'Warning',
      component: 'kubelet',
      message: 'hnsCall failed in Win32: The object already exists',
    });
    await seedEvent(s, {
      kind: 'Pod',
      name: 'unpinned',
      uid: unpinned.metadata!.uid!,
      reason: 'FailedCreatePodSandBox',
      type: 'Warning',
      component: 'kubelet',
      message: 'rpc error: pod does not have label vpc.amazonaws.com/PrivateIPv4Address',
    });
  }
  // The incident: 40 pods wait for an address; EC2 refused a new prefix (InsufficientCidrBlocks).
  {
    await ensureNamespace(s.kc, 'incident');
    const { eniId } = await seedNode(s, { name: 'win-cidr', instance: 8, instanceType: 'm5.large', advertised: 144 });
    const [prefix] = await s.ec2.assignPrefixes(eniId, 1);
    for (let i = 0; i < 16; i++) await seedPod(s, { name: `busy-${i}`, node: 'win-cidr', annotation: `${addressIn(prefix!, i)}/32`, namespace: 'incident' });
    const waiting = [];
    for (let i = 1; i <= 40; i++) waiting.push(await seedPod(s, { name: `waiting-${i}`, node: 'win-cidr', namespace: 'incident' }));
    await seedEvent(s, {
      kind: 'Node',
      name: 'win-cidr',
      reason: EventReasons.insufficientCidrBlocks,
      type: 'Warning',
      message: 'Failed to allocate IPv4 prefix: InsufficientCidrBlocks: There are not enough free cidr blocks in the specified subnet to satisfy the request.',
    });
    for (const pod of waiting.slice(0, 12)) {
      await seedEvent(s, { kind: 'Pod', name: pod.metadata!.name!, namespace: 'incident', uid: pod.metadata!.uid!, reason: EventReasons.resourceAllocationFailed, type: 'Warning', message: 'failed to assign an IP address: InsufficientCidrBlocks' });
    }
  }
  // A status annotation someone edited by hand: a CIDR that is none, a count that is a word.
  {
    const { eniId } = await seedNode(s, { name: 'win-edited', instance: 9, instanceType: 'm5.large', advertised: 144 });
    const [prefix] = await s.ec2.assignPrefixes(eniId, 1);
    await seedPod(s, { name: 'e-0', node: 'win-edited', annotation: `${addressIn(prefix!, 0)}/32` });
    await patchNodeAnnotations(s, 'win-edited', {
      [STATUS_KEY]: JSON.stringify({ v: 1, at: new Date().toISOString(), mode: 'prefix', reason: 'x', prefixes: [{ cidr: 'ten.0.0.0/28', used: 'one', free: 15, cooling: 0, map: 'u...............' }] }),
    });
  }
  // A node that names neither its zone nor its region: EC2's region comes from the AWS profile.
  await s.core.createNode({
    body: {
      metadata: { name: 'win-noregion', labels: { 'kubernetes.io/os': 'windows', 'node.kubernetes.io/instance-type': 'm5.large' } },
      spec: { providerID: `aws:////${instanceIdOf(10)}` },
    },
  });
  // A node whose instance EC2 does not know (another region or account, or terminated).
  await createWindowsNode(s.kc, { name: 'win-lost', instanceId: 'i-0fffffffffffffff0', instanceType: 'm5.large', zone: 'us-west-2a', internalIp: '10.0.0.99' });
  await seedPod(s, { name: 'orphan', node: 'win-lost', annotation: '10.0.0.100/32' });
  await s.core.createNode({ body: { metadata: { name: 'linux-1', labels: { 'kubernetes.io/os': 'linux' } }, spec: { providerID: 'aws:///us-west-2a/i-0linux' } } });
  await s.core.createNode({ body: { metadata: { name: 'win-nopid', labels: { 'kubernetes.io/os': 'windows', 'node.kubernetes.io/instance-type': 'm5.large', 'topology.kubernetes.io/zone': 'us-west-2a' } } } });
}

// One suite around everything: root-level hooks do not wait for the control plane's own hook.
describe('kubectl winprefix describe node', () => {
before(seedScenarios, { timeout: 120_000 });
after(async () => {
  s?.ec2.destroy();
  await sim?.close();
});

describe('describe node: consistent nodes exit 0', () => {
  it('prefix mode left by the AWS controller', async () => {
    const { code, report } = await describeJson('win-prefix');
    assert.equal(code, 0, JSON.stringify(report.findings));
    assert.equal(report.node.managedBy, 'aws-vpc-resource-controller');
    assert.equal(report.mode.mode, 'prefix');
    assert.equal(report.node.region, 'us-west-2');
    assert.equal(report.prefixes.length, 2);
    assert.deepEqual(report.prefixes.map((p) => p.used), [16, 1]);
    assert.equal(report.pods.length, 17);
    assert.ok(report.pods.every((p) => p.source.kind === 'prefix'));
    assert.deepEqual(report.capacity, { advertised: 144, deliverable: 144, nominal: 144, maxPods: 110, requested: 17 });
    assert.equal(report.warm.count, 15);
    assert.equal(report.events[0]?.reason, EventReasons.controllerVersionNotice);
  });

  it('secondary mode with both annotation forms', async () => {
    const { code, report } = await describeJson('win-secondary');
    assert.equal(code, 0, JSON.stringify(report.findings));
    assert.equal(report.mode.mode, 'secondary');
    assert.equal(report.secondaryIps.length, 5);
    assert.deepEqual(report.pods.map((p) => p.source.kind), ['secondary-ip', 'secondary-ip']);
    assert.match(report.pods[0]!.annotation!, new RegExp(`/${SUBNET_MASK}$`));
    assert.equal(report.capacity.deliverable, 9);
  });

  it('an instance type missing from the bundled table: slots from DescribeInstanceTypes', async () => {
    const { code, report } = await describeJson('win-newtype');
    assert.equal(code, 0, JSON.stringify(report.findings));
    assert.equal(report.node.instanceType, 'w9.large');
    assert.deepEqual(report.slots, { total: 5, prefixes: 1, secondaryIps: 0, free: 4 });
    assert.equal(report.capacity.deliverable, 80);
    assert.equal(report.config.sizing, 'ip-targets');
  });

  it('a node managed by winprefix: mode and cooling addresses from its status annotation', async () => {
    const { code, report } = await describeJson('win-ours');
    assert.equal(code, 0, JSON.stringify(report.findings));
    assert.equal(report.node.managedBy, 'winprefix');
    assert.equal(report.mode.source, 'status-annotation');
    assert.equal(report.config.source, 'status-annotation');
    assert.equal(report.cooling.count, 2);
    assert.deepEqual(report.prefixes[0]!.cells.slice(0, 4), ['used', 'cooling', 'cooling', 'free']);
  });
});

describe('describe node: every disagreement is found and exits 1', () => {
  it('mixed mode: mixed ENI, over-advertised capacity, the draining secondary IP', async () => {
    const { code, report } = await describeJson('win-mixed');
    assert.equal(code, 1);
    assert.equal(report.mode.mode, 'mixed');
    assert.equal(report.mode.activeMode, 'prefix');
    assert.deepEqual(kinds(report), ['mixed-mode-eni', 'over-advertised-capacity', 'unexplained-eni-address']);
    assert.equal(report.capacity.deliverable, 7 * ADDRESSES_PER_PREFIX + 1);
    assert.deepEqual(report.slots, { total: 9, prefixes: 1, secondaryIps: 2, free: 6 });
  });

  it('pod address not on the ENI, duplicate address, pod without address (with its event), leaked prefixes', async () => {
    const { code, report } = await describeJson('win-broken');
    assert.equal(code, 1);
    assert.deepEqual(kinds(report), ['duplicate-pod-address', 'pod-address-not-on-eni', 'pod-without-address', 'unexplained-eni-address']);
    const without = report.findings.find((f) => f.kind === 'pod-without-address')!;
    assert.match(without.message, /ResourceAllocationFailed: failed to assign an IP address: InsufficientCidrBlocks/);
    assert.equal(without.cause, 'insufficient-cidr-blocks');
    assert.match(report.findings.find((f) => f.kind === 'duplicate-pod-address')!.message, /default\/twin-a and kube-system\/twin-b/);
    const leak = report.findings.find((f) => f.kind === 'unexplained-eni-address')!;
    assert.match(leak.subject, /^2 prefixes on eni-/, 'both leaked prefixes in one finding');
    assert.match(leak.commands[0]!, /^aws ec2 unassign-private-ip-addresses --region us-west-2 --network-interface-id eni-\w+ --ipv4-prefixes \S+ \S+$/);
    for (const f of report.findings) {
      assert.ok(f.meaning.length > 20 && f.action.length > 20, `${f.kind} says what it means and what to do`);
    }
  });

  it('pods stuck without the resource request or in a failing sandbox: which ones, why, and the kubelet error', async () => {
    const { code, report } = await describeJson('win-stuck');
    assert.equal(code, 1);
    assert.deepEqual(kinds(report), ['pod-sandbox-failing', 'pod-without-resource-request', 'pod-without-resource-request']);
    const about = (name: string) => report.findings.find((f) => f.subject === `pod default/${name}`)!;
    assert.match(about('hns').message, /has address .*kubelet failed to create its sandbox .*The object already exists/);
    assert.match(about('unpinned').message, /does not select Windows nodes.*kubelet: rpc error: pod does not have label/);
    assert.match(about('missed').message, /pod mutation did not run/);
    assert.deepEqual(report.pods.map((p) => [p.name, p.requestsAddress, p.source.kind]), [
      ['hns', true, 'prefix'],
      ['missed', false, 'none'],
      ['served', true, 'prefix'],
      ['unpinned', false, 'none'],
    ]);
    const human = await runPlugin(args('win-stuck'));
    assert.match(human.stdout, /unpinned +- +NO REQUEST/);
  });

  it('the human form lists findings, bars in plain ASCII and no colour when piped', async () => {
    const run = await runPlugin(args('win-broken'));
    assert.equal(run.code, 1);
    assert.match(run.stdout, /^Node: +win-broken \(i-0+4, m5\.large, us-west-2a\)$/m);
    assert.match(run.stdout, /Findings \(4\):/);
    assert.match(run.stdout, /\[#\.\.~?#?/);
    assert.match(run.stdout, /NOT ON ENI/);
    assert.doesNotMatch(run.stdout, /\u001b\[/);
    assert.equal(run.stderr, '');
    const coloured = await runPlugin(args('win-broken', '--color', 'always'));
    assert.match(coloured.stdout, /\u001b\[31m/);
    assert.match(coloured.stdout, /■/);
  });

  it('-o wide adds columns, -o yaml carries the same document', async () => {
    const wide = await runPlugin(args('win-prefix', '-o', 'wide'), { COLUMNS: '200' });
    assert.match(wide.stdout, /PREFIX +ENI +USED/);
    assert.match(wide.stdout, /ANNOTATION +PHASE +UID/);
    const yaml = await runPlugin(args('win-prefix', '-o', 'yaml'));
    const doc = load(yaml.stdout) as NodeReport;
    assert.deepEqual(validateNodeReport(doc), []);
    assert.equal(doc.kind, 'NodeReport');
    assert.equal(doc.pods.length, 17);
  });
});

describe('describe node: connection flags', () => {
  it('merges several kubeconfig files and honours --context', async () => {
    const dir = scratchDir('winprefix-kc-');
    const other = join(dir, 'other.yaml');
    await writeFile(other, 'apiVersion: v1\nkind: Config\nclusters: [{name: elsewhere, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: nobody, user: {token: x}}]\ncontexts: [{name: elsewhere, context: {cluster: elsewhere, user: nobody}}]\ncurrent-context: elsewhere\n');
    const real = plane().kubeConfig().getCurrentContext();
    const run = await runPlugin(['describe', 'node', 'win-prefix', '--kubeconfig', `${other}:${plane().kubeconfigPath}`, '--context', real, '--ec2-endpoint', sim.endpoint, '-o', 'json', '--request-timeout', '20s']);
    assert.equal(run.code, 0, run.stderr);
    const repeated = await runPlugin(['describe', 'node', 'win-prefix', '--kubeconfig', other, '--kubeconfig', plane().kubeconfigPath, '--context', real, '--ec2-endpoint', sim.endpoint, '-o', 'json']);
    assert.equal(repeated.code, 0, repeated.stderr);
  });

  it('uses exec credential plugins, as EKS kubeconfigs do with aws eks get-token', async () => {
    const kubeconfig = await execKubeconfig();
    const run = await runPlugin(['describe', 'node', 'win-secondary', '--kubeconfig', kubeconfig, '--ec2-endpoint', sim.endpoint, '-o', 'json']);
    assert.equal(run.code, 0, run.stderr);
  });

  it('reads EC2 through AWS_ENDPOINT_URL_EC2 as the SDK does', async () => {
    const run = await runPlugin(['describe', 'node', 'win-secondary', '--kubeconfig', plane().kubeconfigPath, '-o', 'json'], { AWS_ENDPOINT_URL_EC2: sim.endpoint });
    assert.equal(run.code, 0, run.stderr);
  });
});

describe('describe node: errors are one line that says what to do', () => {

  it('node not found', async () => {
    const run = await runPlugin(args('no-such-node'));
    assert.equal(run.code, 2);
    assert.match(oneLine(run.stderr), /^error: node "no-such-node" not found: list Windows nodes with kubectl get nodes/);
    assert.equal(run.stdout, '');
  });

  it('not a Windows node', async () => {
    const run = await runPlugin(args('linux-1'));
    assert.equal(run.code, 2);
    assert.match(oneLine(run.stderr), /not a Windows node \(kubernetes.io\/os=linux\)/);
  });

  it('no provider ID: the Kubernetes half is printed, exit 2', async () => {
    const run = await runPlugin(args('win-nopid'));
    assert.equal(run.code, 2);
    assert.match(run.stdout, /^Node: +win-nopid/m);
    assert.match(oneLine(run.stderr), /has no spec\.providerID.*set the providerID to aws:\/\/\/ZONE\/INSTANCE-ID/);
  });

  it('Kubernetes denies the call: the permission is named', async () => {
    const kubeconfig = await plane().mintKubeconfig({ name: 'no-rbac-user' });
    const run = await runPlugin(['describe', 'node', 'win-prefix', '--kubeconfig', kubeconfig, '--ec2-endpoint', sim.endpoint]);
    assert.equal(run.code, 2);
    assert.match(oneLine(run.stderr), /Kubernetes denied "get" on "nodes".*"no-rbac-user".*grant the verb "get" on resource "nodes"/);
  });

  it('RBAC without configmaps: a warning naming the permission, defaults shown; without list pods: an error naming it', async () => {
    const rbac = plane().kubeConfig().makeApiClient(RbacAuthorizationV1Api);
    const grant = async (user: string, rules: Array<{ resources: string[]; verbs: string[] }>) => {
      await rbac.createClusterRole({ body: { metadata: { name: user }, rules: rules.map((r) => ({ apiGroups: [''], ...r })) } });
      await rbac.createClusterRoleBinding({
        body: { metadata: { name: user }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: user }, subjects: [{ kind: 'User', name: user, apiGroup: 'rbac.authorization.k8s.io' }] },
      });
      return plane().mintKubeconfig({ name: user });
    };
    const noConfigMaps = await grant('reader-no-cm', [{ resources: ['nodes'], verbs: ['get'] }, { resources: ['pods', 'events'], verbs: ['list'] }]);
    const partial = await runPlugin(['describe', 'node', 'win-prefix', '--kubeconfig', noConfigMaps, '--ec2-endpoint', sim.endpoint, '-o', 'json']);
    assert.equal(partial.code, 0, partial.stderr);
    assert.match(oneLine(partial.stderr), /^warning: ConfigMap kube-system\/amazon-vpc-cni not read, defaults shown: Kubernetes denied "get" on "configmaps" .*in namespace "kube-system"/);
    const report = JSON.parse(partial.stdout) as NodeReport;
    assert.match(report.config.error!, /denied "get" on "configmaps"/);
    const noPods = await grant('reader-no-pods', [{ resources: ['nodes'], verbs: ['get'] }, { resources: ['events'], verbs: ['list'] }, { resources: ['configmaps'], verbs: ['get'] }]);
    const denied = await runPlugin(['describe', 'node', 'win-prefix', '--kubeconfig', noPods, '--ec2-endpoint', sim.endpoint]);
    assert.equal(denied.code, 2);
    assert.match(oneLine(denied.stderr), /^error: Kubernetes denied "list" on "pods" .*grant the verb "list" on resource "pods"/);
  });

  it('API server unreachable: the socket error is named', async () => {
    const dir = scratchDir('winprefix-kc-');
    const kubeconfig = join(dir, 'closed.yaml');
    const port = await freeLoopbackPort();
    await writeFile(kubeconfig, `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:${port}"}}]\nusers: [{name: u, user: {token: x}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n`);
    const run = await runPlugin(['describe', 'node', 'win-prefix', '--kubeconfig', kubeconfig, '--ec2-endpoint', sim.endpoint]);
    assert.equal(run.code, 2);
    assert.match(oneLine(run.stderr), new RegExp(`^error: unable to connect to the server https://127\\.0\\.0\\.1:${port} to get nodes: connect ECONNREFUSED 127\\.0\\.0\\.1:${port} - did you specify the right host or port\\?`));
  });

  it('EC2 endpoint unreachable: Kubernetes half on stdout, the missing EC2 half on stderr, exit 2', async () => {
    const closed = `http://127.0.0.1:${await freeLoopbackPort()}`;
    const run = await runPlugin(['describe', 'node', 'win-prefix', '--kubeconfig', plane().kubeconfigPath, '--ec2-endpoint', closed, '-o', 'json']);
    assert.equal(run.code, 2);
    const report = JSON.parse(run.stdout) as NodeReport;
    assert.deepEqual(validateNodeReport(report), []);
    assert.equal(report.ec2.available, false);
    assert.equal(report.pods.length, 17);
    assert.match(oneLine(run.stderr), /EC2 half of this report is missing.*EC2 endpoint http:\/\/127\.0\.0\.1:\d+ is unreachable \(connect ECONNREFUSED 127\.0\.0\.1:\d+\)/);
    assert.equal(report.ec2.errorCode, 'ECONNREFUSED');
  });

  it('AWS denies DescribeNetworkInterfaces: the IAM action is named', async () => {
    const denying: Server = createServer((_req, res) => {
      res.writeHead(403, { 'content-type': 'text/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation.</Message></Error></Errors><RequestID>r-1</RequestID></Response>');
    });
    await new Promise<void>((resolve) => denying.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = `http://127.0.0.1:${(denying.address() as AddressInfo).port}`;
      const run = await runPlugin(['describe', 'node', 'win-prefix', '--kubeconfig', plane().kubeconfigPath, '--ec2-endpoint', endpoint]);
      assert.equal(run.code, 2);
      assert.match(oneLine(run.stderr), /AWS denied ec2:DescribeNetworkInterfaces \(UnauthorizedOperation\) to the credentials of the default AWS chain: allow ec2:DescribeNetworkInterfaces/);
    } finally {
      denying.closeAllConnections();
      await new Promise<void>((resolve) => denying.close(() => resolve()));
    }
  });

  it('an EC2 endpoint that answers 404: what answered, and that it is no EC2 endpoint', async () => {
    const notEc2: Server = createServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<html><body><h1>404 Not Found</h1></body></html>');
    });
    await new Promise<void>((resolve) => notEc2.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = `http://127.0.0.1:${(notEc2.address() as AddressInfo).port}`;
      const run = await runPlugin(['describe', 'node', 'win-prefix', '--kubeconfig', plane().kubeconfigPath, '--ec2-endpoint', endpoint]);
      assert.equal(run.code, 2);
      assert.match(
        oneLine(run.stderr),
        /EC2 endpoint http:\/\/127\.0\.0\.1:\d+ answered DescribeNetworkInterfaces with HTTP 404 \("404 Not Found"\), which is not an EC2 response: check --ec2-endpoint or AWS_ENDPOINT_URL_EC2/,
      );
      assert.doesNotMatch(run.stderr, /Unknown/);
    } finally {
      notEc2.closeAllConnections();
      await new Promise<void>((resolve) => notEc2.close(() => resolve()));
    }
  });

  it('an EC2 endpoint that accepts and never answers: word on stderr after 2 s, the end at --request-timeout', async () => {
    const silent = await silentServer();
    try {
      const run = await runPlugin(['describe', 'node', 'win-prefix', '--kubeconfig', plane().kubeconfigPath, '--ec2-endpoint', `http://127.0.0.1:${silent.port}`, '--request-timeout', '3s']);
      assert.equal(run.code, 2);
      const lines = run.stderr.trimEnd().split('\n');
      assert.match(lines[0]!, /^waiting for EC2 DescribeNetworkInterfaces \(http:\/\/127\.0\.0\.1:\d+, us-west-2\) for 2s \.\.\. --request-timeout 3s bounds the wait$/);
      assert.match(lines.at(-1)!, /^error: the EC2 half of this report is missing .*EC2 endpoint http:\/\/127\.0\.0\.1:\d+ did not answer DescribeNetworkInterfaces within 3s \(--request-timeout\)/);
      assert.match(run.stdout, /^Node: +win-prefix/m, 'the Kubernetes half is printed');
    } finally {
      await silent.close();
    }
  });

  it('an API server that accepts and never answers: the server named, bounded by --request-timeout', async () => {
    const silent = await silentServer();
    try {
      const dir = scratchDir('winprefix-kc-');
      const kubeconfig = join(dir, 'silent.yaml');
      await writeFile(kubeconfig, `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:${silent.port}"}}]\nusers: [{name: u, user: {token: x}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n`);
      const run = await runPlugin(['describe', 'node', 'win-prefix', '--kubeconfig', kubeconfig, '--request-timeout', '1s']);
      assert.equal(run.code, 2);
      assert.match(oneLine(run.stderr), new RegExp(`^error: unable to connect to the server https://127\\.0\\.0\\.1:${silent.port} to get nodes: no answer within 1s \\(--request-timeout\\)`));
    } finally {
      await silent.close();
    }
  });

  it('--profile naming a profile that does not exist: named as such, with the profiles there', async () => {
    const home = await awsHome({ config: '[default]\nregion = us-west-2\n[profile staging]\nregion = eu-west-1\n', credentials: '[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = x\n' });
    const run = await runProcess(process.execPath, [bundle, ...args('win-prefix', '--profile', 'nosuch')], cleanEnv({ HOME: home, AWS_EC2_METADATA_DISABLED: 'true' }));
    assert.equal(run.code, 2, run.stderr);
    assert.match(oneLine(run.stderr), /AWS profile "nosuch" \(from --profile\) does not exist in ~\/\.aws\/config or ~\/\.aws\/credentials; profiles there: default, staging: fix --profile/);
    assert.doesNotMatch(run.stderr, /set AWS_PROFILE or pass --profile/);
  });

  it('the region and credentials of the profile in ~/.aws/config and ~/.aws/credentials, for a node that names no region', async () => {
    const home = await awsHome({ config: '[default]\nregion = us-west-2\n', credentials: `[default]\naws_access_key_id = ${AWS_TEST_ENV.AWS_ACCESS_KEY_ID}\naws_secret_access_key = ${AWS_TEST_ENV.AWS_SECRET_ACCESS_KEY}\n` });
    const run = await runProcess(process.execPath, [bundle, ...args('win-noregion', '-o', 'json')], cleanEnv({ HOME: home, AWS_EC2_METADATA_DISABLED: 'true' }));
    assert.ok(run.code === 0 || run.code === 1, run.stderr);
    const report = JSON.parse(run.stdout) as NodeReport;
    assert.equal(report.ec2.available, true);
    assert.equal(report.ec2.region, 'us-west-2');
    const none = await runProcess(process.execPath, [bundle, ...args('win-noregion')], cleanEnv({ ...AWS_TEST_ENV, HOME: await awsHome({}) }));
    assert.equal(none.code, 2);
    assert.match(oneLine(none.stderr), /no AWS region: the node's providerID and zone label name none, and neither AWS_REGION, AWS_DEFAULT_REGION nor the AWS profile sets one; pass --region/);
  });

  it('an unknown flag, as kubectl says it', async () => {
    const run = await runPlugin(args('win-prefix', '--bogus'));
    assert.equal(run.code, 2);
    assert.equal(run.stderr, "error: unknown flag: --bogus\nSee 'kubectl winprefix describe node --help' for usage.\n");
    assert.equal(run.stdout, '');
  });

  it('no AWS credentials (spawned bundle, empty environment)', async () => {
    const home = scratchDir('winprefix-home-');
    const run = await runProcess(process.execPath, [bundle, ...args('win-prefix')], cleanEnv({ HOME: home, AWS_EC2_METADATA_DISABLED: 'true' }));
    assert.equal(run.code, 2, run.stderr);
    assert.match(oneLine(run.stderr), /no AWS credentials found: set AWS_PROFILE or pass --profile/);
    assert.match(run.stdout, /^Node: +win-prefix/m);
  });
});

describe('describe node: never a false "agree"', () => {
  it('an instance EC2 does not know: exit 2, naming the region, the credentials and the instance, and what to check', async () => {
    const run = await runPlugin(args('win-lost', '-o', 'json'));
    assert.equal(run.code, 2);
    const report = JSON.parse(run.stdout) as NodeReport;
    assert.deepEqual(validateNodeReport(report), []);
    assert.equal(report.ec2.available, false);
    assert.equal(report.ec2.errorCode, 'InvalidInstanceID.NotFound');
    assert.deepEqual(report.interfaces, []);
    assert.match(
      oneLine(run.stderr),
      /EC2 in us-west-2 \(region from the node, endpoint http:\/\/127\.0\.0\.1:\d+\) has no instance i-0fffffffffffffff0 for the credentials of the default AWS chain: the instance is in another region \(check --region\) or another account \(check --profile \/ AWS_PROFILE: use the cluster's account\), or it was terminated/,
    );
    const human = await runPlugin(args('win-lost'));
    assert.equal(human.code, 2);
    assert.doesNotMatch(human.stdout, /agree/);
    assert.match(human.stdout, /^EC2: +not read: EC2 in us-west-2/m);
    assert.match(human.stdout, /\? \(EC2 not read\)/);
  });
});

describe('describe node: an incident reads as one finding per cause', () => {
  it('40 pods waiting in a subnet without a free /28: one finding, every pod in the JSON, the exact reservation command', async () => {
    const { code, report } = await describeJson('win-cidr');
    assert.equal(code, 1);
    const waiting = report.findings.filter((f) => f.kind === 'pod-without-address');
    assert.equal(waiting.length, 1, JSON.stringify(report.findings.map((f) => [f.kind, f.cause, f.subject])));
    const [f] = waiting;
    assert.equal(f!.cause, 'insufficient-cidr-blocks');
    assert.equal(f!.subject, '40 pods');
    assert.equal(f!.pods.length, 40);
    assert.deepEqual(f!.pods.slice(0, 3), ['waiting-1', 'waiting-2', 'waiting-3'].map((name) => ({ namespace: 'incident', name })));
    assert.doesNotMatch(f!.action, /check that an IPAM controller manages this node/);
    // The subnet was read once to name the block: today's simulator subnet has room, and the advice says so.
    assert.match(f!.action, /EC2 shows \d+ free \/28 blocks in subnet-0a000001 now/);
    assert.match(f!.commands[0]!, /^aws ec2 create-subnet-cidr-reservation --region us-west-2 --subnet-id subnet-0a000001 --reservation-type prefix --cidr 10\.0\.\d+\.\d+\/2[4-8] --description "Windows pod prefixes"$/);
    assert.deepEqual(report.pods.slice(0, 3).map((p) => p.name), ['busy-0', 'busy-1', 'busy-2']);
    assert.deepEqual(report.pods.slice(9, 11).map((p) => p.name), ['busy-9', 'busy-10'], 'natural order');
  });

  it('the human report names each pod once, summing up the waiting ones, and fits 80, 100 and 160 columns', async () => {
    for (const node of ['win-cidr', 'win-broken', 'win-mixed', 'win-ours', 'win-stuck']) {
      for (const width of [80, 100, 160]) {
        const run = await runPlugin(args(node), { COLUMNS: String(width) });
        assert.ok(run.code === 0 || run.code === 1, run.stderr);
        const wide = run.stdout.split('\n').filter((l) => l.length > width);
        assert.deepEqual(wide, [], `${node} at ${width} columns`);
      }
    }
    const narrow = await runPlugin(args('win-cidr'), { COLUMNS: '80' });
    assert.match(narrow.stdout, /^ {2}\+ 40 pods without an address, grouped under Findings \(-o wide lists them here\)$/m);
    assert.doesNotMatch(narrow.stdout, /waiting-(1[3-9]|[2-4]\d)\b/, 'no row per waiting pod: the finding names the first three, the events table one');
    assert.match(narrow.stdout, /^ {4}run: +aws ec2 create-subnet-cidr-reservation --region us-west-2 \\$/m);
  });

  it('-n lists one namespace\'s pods; findings and occupancy still count every pod', async () => {
    const { code, report } = await describeJson('win-broken', '-n', 'kube-system');
    assert.equal(code, 1);
    assert.equal(report.metadata.podNamespace, 'kube-system');
    assert.deepEqual(report.pods.map((p) => `${p.namespace}/${p.name}`), ['kube-system/twin-b']);
    assert.equal(report.findings.length, 4);
    assert.equal(report.prefixes.reduce((n, p) => n + p.used, 0), 2);
  });
});

describe('describe node: what the controller published and the config say', () => {
  it('a hand-edited status annotation is a finding naming what is wrong, never a crash', async () => {
    const { code, report } = await describeJson('win-edited');
    assert.equal(code, 1);
    assert.deepEqual(kinds(report), ['invalid-status-annotation']);
    assert.match(report.findings[0]!.message, /prefixes\[0\]\.cidr: expected an IPv4 CIDR, got "ten\.0\.0\.0\/28"; prefixes\[0\]\.used: expected an integer, got string/);
    assert.equal(report.mode.source, 'inferred');
    assert.match(report.statusAnnotation.error!, /does not match schema version 1/);
  });

  it('a ConfigMap that does not exist, on a node a controller manages, is a finding, not a silent "windows IPAM off"', async () => {
    const { code, report } = await describeJson('win-ours', '--configmap', 'kube-system/not-this-one');
    assert.equal(code, 1);
    assert.deepEqual(kinds(report), ['configmap-not-found']);
    assert.match(report.findings[0]!.message, /ConfigMap kube-system\/not-this-one does not exist, yet the winprefix controller manages this node's IPAM: the warm-pool targets shown are the ones the controller published/);
    assert.deepEqual(report.findings[0]!.commands, ['kubectl get configmaps -A --field-selector metadata.name=not-this-one']);
    const human = await runPlugin(args('win-ours', '--configmap', 'kube-system/not-this-one'));
    assert.match(human.stdout, /^Config: +ConfigMap kube-system\/not-this-one not found; warm-ip-target 1, minimum-ip-target 3,\s+as the controller/m);
    assert.doesNotMatch(human.stdout, /windows IPAM off/);
  });
});

describe('other runtimes', () => {
  it('runs under deno run with only the permissions docs/plugin.md lists, exec credential plugin included', async () => {
    const home = scratchDir('winprefix-deno-');
    const permissions = ['--allow-env', '--allow-read', '--allow-net', '--allow-sys', '--allow-run'];
    const kubeconfig = await execKubeconfig();
    const run = await runProcess(DENO, ['run', '--no-prompt', ...permissions, bundle, 'describe', 'node', 'win-broken', '--kubeconfig', kubeconfig, '--ec2-endpoint', sim.endpoint, '-o', 'json'], cleanEnv({ ...AWS_TEST_ENV, HOME: home, DENO_DIR: join(home, '.deno'), DENO_NO_UPDATE_CHECK: '1' }));
    assert.equal(run.code, 1, run.stderr);
    const report = JSON.parse(run.stdout) as NodeReport;
    assert.deepEqual(validateNodeReport(report), []);
    assert.equal(report.findings.length, 4);
  });
});

describe('kubectl finds the plugin on PATH', () => {
  it('kubectl winprefix describe node runs the bundle and passes every flag through', async () => {
    const bin = scratchDir('winprefix-bin-');
    const wrapper = join(bin, 'kubectl-winprefix');
    await writeFile(wrapper, `#!/bin/sh\nexec "${process.execPath}" "${bundle}" "$@"\n`);
    await chmod(wrapper, 0o755);
    const env = cleanEnv({ ...AWS_TEST_ENV, PATH: `${bin}:${process.env.PATH ?? ''}`, HOME: bin });
    const list = await runProcess(findKubectl(), ['plugin', 'list'], env);
    assert.match(list.stdout, /kubectl-winprefix/);
    const run = await runProcess(findKubectl(), ['winprefix', ...args('win-broken', '-o', 'json')], env);
    assert.equal(run.code, 1, run.stderr);
    const report = JSON.parse(run.stdout) as NodeReport;
    assert.deepEqual(validateNodeReport(report), []);
    assert.equal(report.findings.length, 4);
    const help = await runProcess(findKubectl(), ['winprefix', 'describe', 'node', '--help'], env);
    assert.match(help.stdout, /^kubectl winprefix describe node \[name\]/m);
    const bogus = await runProcess(findKubectl(), ['winprefix', ...args('win-broken', '--bogus')], env);
    assert.equal(bogus.code, 2);
    assert.equal(bogus.stderr, "error: unknown flag: --bogus\nSee 'kubectl winprefix describe node --help' for usage.\n");
    const narrow = await runProcess(findKubectl(), ['winprefix', ...args('win-cidr')], { ...env, COLUMNS: '80' });
    assert.equal(narrow.code, 1, narrow.stderr);
    assert.ok(narrow.stdout.split('\n').every((l) => l.length <= 80), narrow.stdout);
  });
});
});
