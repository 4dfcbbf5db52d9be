/**
 * The controller end to end, through dist/controller.js against a real kube-apiserver and the EC2
 * simulator: the main prefix workflow, InsufficientCidrBlocks, switching modes both ways with pods
 * running, a non-Nitro node, an instance type only EC2 knows, invalid ConfigMap values, IPAM off
 * and on again, and a node another controller claims. Tests run in order and share one controller.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { NODE_STATUS_ANNOTATION, RESOURCE_NAME } from '../../pkg/core/contract.ts';
import type { Ec2Simulator } from '../../pkg/ec2sim/server.ts';
import { parseCidr, parseIPv4, cidrContains } from '../../pkg/core/net/ipv4.ts';
import { createWindowsNode, createWindowsPod, deletePodNow, waitFor } from '../harness/cluster-objects.ts';
import { useControlPlane } from '../harness/suite.ts';
import {
  PD_ON,
  SETTLE_MS,
  checkInvariants,
  deleteAllPods,
  eventReasons,
  metricValue,
  nodeCapacity,
  nodeStatus,
  primaryEni,
  setIpamConfig,
  startStack,
  waitForPodMutation,
  waitForAnnotation,
  waitForCapacity,
  waitForEvent,
  waitForIdlePool,
  waitForNodeStatus,
  world,
  type ControllerProcess,
  type Stack,
} from './support.ts';

const plane = useControlPlane();
let sim: Ec2Simulator;
let ctl: ControllerProcess;
let stack: Stack | undefined;
let kc: KubeConfig;
let core: CoreV1Api;

const INSTANCES: Record<string, string> = {
  'win-a': 'i-0a0000000000000a1',
  'win-cidr': 'i-0a0000000000000c1',
  'win-xen': 'i-0a0000000000000e1',
  'win-custom': 'i-0a0000000000000f1',
  'win-tiny': 'i-0a0000000000000f2',
  'win-foreign': 'i-0a0000000000000b1',
};
const PD_OFF = { 'enable-windows-ipam': 'true', 'enable-windows-prefix-delegation': 'false' };

async function addNode(name: string, instanceType: string): Promise<void> {
  await createWindowsNode(kc, { name, instanceId: INSTANCES[name]!, instanceType, zone: 'us-west-2a' });
}

async function addPods(node: string, prefix: string, count: number): Promise<string[]> {
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  for (const name of names) await createWindowsPod(kc, { name, nodeName: node });
  return names;
}

async function annotations(names: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const n of names) out.set(n, await waitForAnnotation(kc, n));
  return out;
}

const inPrefix = (annotation: string, prefix: string) => cidrContains(parseCidr(prefix), parseIPv4(annotation.split('/')[0]!));

describe('controller workflow', () => {
  before(async () => {
    kc = plane().kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    stack = await startStack({
      plane: plane(),
      world: world(
        [
          { id: INSTANCES['win-a']!, type: 'm5.large', subnetId: 'subnet-0d000001', privateIp: '10.20.0.10', platform: 'windows' },
          // A /27 has no aligned /28 free of reserved addresses: every prefix request fails with InsufficientCidrBlocks.
          { id: INSTANCES['win-cidr']!, type: 'm5.large', subnetId: 'subnet-0d000002', privateIp: '10.20.8.10', platform: 'windows' },
          { id: INSTANCES['win-xen']!, type: 'm4.large', subnetId: 'subnet-0d000001', privateIp: '10.20.0.11', platform: 'windows' },
          { id: INSTANCES['win-custom']!, type: 'x9.custom', subnetId: 'subnet-0d000001', privateIp: '10.20.0.12', platform: 'windows' },
          { id: INSTANCES['win-tiny']!, type: 'x0.tiny', subnetId: 'subnet-0d000001', privateIp: '10.20.0.13', platform: 'windows' },
          { id: INSTANCES['win-foreign']!, type: 'm5.large', subnetId: 'subnet-0d000001', privateIp: '10.20.0.14', platform: 'windows' },
        ],
        {
          subnets: [
            { id: 'subnet-0d000001', vpcId: 'vpc-0d000001', cidr: '10.20.0.0/22', availabilityZone: 'us-west-2a' },
            { id: 'subnet-0d000002', vpcId: 'vpc-0d000001', cidr: '10.20.8.0/27', availabilityZone: 'us-west-2a' },
          ],
          instanceTypes: {
            'x9.custom': { ipv4PerInterface: 4, interfaces: 2, hypervisor: 'nitro' },
            'x0.tiny': { ipv4PerInterface: 1, interfaces: 1, hypervisor: 'nitro' },
          },
        },
      ),
      controller: { name: 'workflow' },
    });
    sim = stack.sim;
    ctl = stack.ctl;
  });

  after(async () => {
    await stack?.stop();
  });

  test('main workflow: warm prefix and capacity, mutated pods fill the fullest prefix, prefixes go back only when all 16 are free', async () => {
    await addNode('win-a', 'm5.large');
    await waitForCapacity(kc, 'win-a', 9 * 16);
    await waitFor('one warm prefix on win-a', async () => (primaryEni(sim, INSTANCES['win-a']!).prefixes.length === 1 ? true : undefined));

    const names = await addPods('win-a', 'a', 20);
    const created = await core.readNamespacedPod({ name: 'a-0', namespace: 'default' });
    assert.equal(created.spec?.containers[0]?.resources?.requests?.[RESOURCE_NAME], '1', 'the mutating admission policy added the resource request');
    const got = await annotations(names);
    for (const v of got.values()) assert.match(v, /\/32$/);
    // 20 pods at once are a burst: the pool may look ahead by up to twice the pods seen (--demand-horizon),
    // then gives the surplus back after the hold-down. Settled, upstream's table holds.
    const during = primaryEni(sim, INSTANCES['win-a']!).prefixes.length;
    assert.ok(during >= 2 && during <= 4, `20 pods in a burst hold 2 to 4 prefixes, got ${during}`);
    await waitFor('the burst surplus given back', async () => (primaryEni(sim, INSTANCES['win-a']!).prefixes.length === 2 ? true : undefined));
    const prefixes = primaryEni(sim, INSTANCES['win-a']!).prefixes;
    assert.equal(prefixes.length, 2, `20 pods plus a warm address need 2 prefixes, got ${prefixes.join(', ')}`);
    const perPrefix = prefixes.map((p) => [...got.values()].filter((a) => inPrefix(a, p)).length).sort((x, y) => y - x);
    assert.deepEqual(perPrefix, [16, 4], 'the first prefix is filled before the second is used');
    await checkInvariants(kc, sim, INSTANCES);
    // The event is emitted after the annotation patch returns and written in the background: wait for it.
    await waitForEvent(kc, { kind: 'Pod', name: 'a-0', namespace: 'default' }, 'ResourceAllocated');

    // Free 3 addresses in the full prefix: no prefix is entirely free, so both stay.
    const full = prefixes.find((p) => [...got.values()].filter((a) => inPrefix(a, p)).length === 16)!;
    const second = prefixes.find((p) => p !== full)!;
    const inFull = names.filter((n) => inPrefix(got.get(n)!, full));
    const inSecond = names.filter((n) => inPrefix(got.get(n)!, second));
    for (const n of inFull.slice(0, 3)) await deletePodNow(kc, n);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    assert.equal(primaryEni(sim, INSTANCES['win-a']!).prefixes.length, 2, 'a partly used prefix is never released');
    // Empty the second prefix: all 16 free and surplus, so it goes back after cool-down and hold-down.
    for (const n of inSecond) await deletePodNow(kc, n);
    await waitFor('second prefix released', async () => {
      const now = primaryEni(sim, INSTANCES['win-a']!).prefixes;
      return now.length === 1 && now[0] === full ? true : undefined;
    }, { timeoutMs: 20_000 });
    await checkInvariants(kc, sim, INSTANCES);

    await deleteAllPods(kc);
    await waitForIdlePool(kc, sim, 'win-a', INSTANCES['win-a']!, { prefixes: 1, secondaryIps: 0 });
    const metrics = await ctl.metrics();
    assert.ok((metricValue(metrics, 'winprefix_ec2_calls_total', { action: 'AssignPrivateIpAddresses' }) ?? 0) >= 2);
    // The gauge follows the pool, which learns of the release only after the simulator made it: poll it too.
    await waitFor('winprefix_node_prefixes_attached 1 for win-a', async () => (metricValue(await ctl.metrics(), 'winprefix_node_prefixes_attached', { node: 'win-a' }) === 1 ? true : undefined));
    assert.ok((metricValue(metrics, 'winprefix_pod_annotation_latency_seconds_count') ?? 0) >= 20);
  });

  test('a subnet without a free /28: node event InsufficientCidrBlocks and pods told why', async () => {
    await addNode('win-cidr', 'm5.large');
    const message = await waitForEvent(kc, { kind: 'Node', name: 'win-cidr' }, 'InsufficientCidrBlocks');
    assert.match(message, /no free aligned \/28/);
    await createWindowsPod(kc, { name: 'cidr-0', nodeName: 'win-cidr' });
    const podMessage = await waitForEvent(kc, { kind: 'Pod', name: 'cidr-0', namespace: 'default' }, 'ResourceAllocationFailed');
    assert.match(podMessage, /InsufficientCidrBlocks/);
    await waitForNodeStatus(kc, 'win-cidr', (s) => s.lastError?.reason === 'insufficient-cidr-blocks', 'lastError in the node status');
    // No tight retry loop: a handful of assign attempts, not one per 600 ms.
    const before = sim.counters.calls('AssignPrivateIpAddresses');
    await new Promise((r) => setTimeout(r, 3_000));
    assert.ok(sim.counters.calls('AssignPrivateIpAddresses') - before <= 1, 'prefix creation backs off after InsufficientCidrBlocks');
    await deletePodNow(kc, 'cidr-0');
    await checkInvariants(kc, sim, INSTANCES);
  });

  test('switching modes both ways with pods running: the old mode drains as its pods leave', async () => {
    const node = 'win-a';
    const prefixPods = await addPods(node, 'pd', 5);
    const before = await annotations(prefixPods);
    for (const v of before.values()) assert.match(v, /\/32$/);

    await setIpamConfig(kc, PD_OFF);
    // One slot still holds the prefix of the 5 running pods: 8 slots for new secondary IPs plus the
    // 5 pods kubelet already counts, clamped to the secondary-mode nominal 9.
    const status = await waitFor('mixed status', async () => {
      const s = await nodeStatus(kc, node);
      return s?.mode === 'mixed' ? s : undefined;
    });
    assert.equal(status.capacity?.nominal, 9);
    assert.ok((status.capacity?.advertised ?? 99) <= 9, 'never more than the secondary-mode nominal');
    assert.equal(status.slots?.prefixes, 1);
    await waitForEvent(kc, { kind: 'Node', name: node }, 'IPAMModeChanged');
    const secondaryPods = await addPods(node, 'sec', 3);
    for (const v of (await annotations(secondaryPods)).values()) assert.match(v, /^10\.20\.\d+\.\d+\/22$/, 'secondary mode annotates with the subnet mask');
    for (const [name, v] of before) {
      const pod = await core.readNamespacedPod({ name, namespace: 'default' });
      assert.equal(pod.metadata?.annotations?.[RESOURCE_NAME], v, 'running pods keep their prefix addresses');
    }
    await checkInvariants(kc, sim, INSTANCES);
    for (const n of prefixPods) await deletePodNow(kc, n);
    await waitFor('prefix drained', async () => (primaryEni(sim, INSTANCES[node]!).prefixes.length === 0 ? true : undefined), { timeoutMs: 20_000 });
    await waitForCapacity(kc, node, 9);

    await setIpamConfig(kc, PD_ON);
    const backPods = await addPods(node, 'back', 2);
    for (const v of (await annotations(backPods)).values()) assert.match(v, /\/32$/);
    await checkInvariants(kc, sim, INSTANCES);
    for (const n of secondaryPods) await deletePodNow(kc, n);
    await waitFor('secondary IPs drained', async () => (primaryEni(sim, INSTANCES[node]!).secondaryIps.length === 0 ? true : undefined), { timeoutMs: 20_000 });
    await waitForCapacity(kc, node, 144);
    await deleteAllPods(kc);
    await waitForIdlePool(kc, sim, node, INSTANCES[node]!, { prefixes: 1, secondaryIps: 0 });
  });

  test('a non-Nitro node stays in secondary mode with prefix delegation on, without churn', async () => {
    await addNode('win-xen', 'm4.large');
    await waitForCapacity(kc, 'win-xen', 9);
    await waitFor('3 warm secondary IPs', async () => (primaryEni(sim, INSTANCES['win-xen']!).secondaryIps.length === 3 ? true : undefined));
    await waitForNodeStatus(kc, 'win-xen', (s) => s.mode === 'secondary', 'mode secondary');
    await createWindowsPod(kc, { name: 'xen-0', nodeName: 'win-xen' });
    assert.match(await waitForAnnotation(kc, 'xen-0'), /\/22$/);
    // xen-0 took a warm IP; the pool asks EC2 for one more (1 used + 3 warm) in the background. Take the
    // steady state as the reference, not a moment before the replacement arrives.
    await waitFor('4 secondary IPs (1 used, 3 warm)', async () => (primaryEni(sim, INSTANCES['win-xen']!).secondaryIps.length === 4 ? true : undefined));
    const held = [...primaryEni(sim, INSTANCES['win-xen']!).secondaryIps].sort();
    await new Promise((r) => setTimeout(r, 2_000));
    assert.deepEqual([...primaryEni(sim, INSTANCES['win-xen']!).secondaryIps].sort(), held, 'no warm IPs released and re-created');
    const unsupported = (await eventReasons(kc, { kind: 'Node', name: 'win-xen' })).filter((e) => e.reason === 'Unsupported');
    assert.deepEqual(unsupported, [], 'no Unsupported event for a non-Nitro node');
    await checkInvariants(kc, sim, INSTANCES);
    await deleteAllPods(kc);
  });

  test('an instance type missing from the bundled table is looked up in EC2; one without slots is Unsupported', async () => {
    await addNode('win-custom', 'x9.custom');
    await waitForCapacity(kc, 'win-custom', 3 * 16);
    await addNode('win-tiny', 'x0.tiny');
    const message = await waitForEvent(kc, { kind: 'Node', name: 'win-tiny' }, 'Unsupported');
    assert.match(message, /x0\.tiny/);
    await waitForNodeStatus(kc, 'win-tiny', (s) => s.mode === 'unmanaged', 'mode unmanaged');
    assert.equal(await nodeCapacity(kc, 'win-tiny'), undefined);
  });

  test('a node deleted and re-created under the same name is rebuilt and advertised again', async () => {
    // Capacity is advertised before the warm prefix request reaches EC2: make sure the prefix is on the ENI
    // before the node goes, or the re-created node could find none and (rightly) ask for one.
    await waitFor('the warm prefix on win-custom', async () => (primaryEni(sim, INSTANCES['win-custom']!).prefixes.length === 1 ? true : undefined));
    await core.deleteNode({ name: 'win-custom' });
    await waitFor('win-custom gone', async () => (await core.listNode({ fieldSelector: 'metadata.name=win-custom' })).items.length === 0 ? true : undefined);
    await addNode('win-custom', 'x9.custom');
    await waitForCapacity(kc, 'win-custom', 3 * 16);
    await waitForNodeStatus(kc, 'win-custom', (s) => s.mode === 'prefix', 'status published on the new node');
    assert.equal(primaryEni(sim, INSTANCES['win-custom']!).prefixes.length, 1, 'the warm prefix on the ENI was adopted, not doubled');
  });

  test('invalid ConfigMap values: defaults used, a Warning on the ConfigMap, the problem in the node status', async () => {
    await setIpamConfig(kc, { ...PD_ON, 'windows-warm-ip-target': 'lots', 'windows-minimum-ip-target': '-4' });
    const message = await waitForEvent(kc, { kind: 'ConfigMap', name: 'amazon-vpc-cni', namespace: 'kube-system' }, 'InvalidConfiguration');
    assert.match(message, /windows-warm-ip-target/);
    const status = await waitFor('problems in node status', async () => {
      const s = await nodeStatus(kc, 'win-a');
      return (s?.config?.problems.length ?? 0) >= 2 ? s : undefined;
    });
    assert.equal(status.config?.warmIPTarget, 1, 'the prefix-mode default');
    assert.equal(status.config?.minimumIPTarget, 3);
    await setIpamConfig(kc, PD_ON);
    await waitForNodeStatus(kc, 'win-a', (s) => s.config?.problems.length === 0, 'problems cleared');
  });

  test('IPAM disabled and re-enabled: nodes become unmanaged, the pod mutation stops, pools are rebuilt from EC2', async () => {
    const running = await addPods('win-a', 'keep', 3);
    const kept = await annotations(running);
    await setIpamConfig(kc, { ...PD_ON, 'enable-windows-ipam': 'false' });
    await waitForNodeStatus(kc, 'win-a', (s) => s.mode === 'unmanaged', 'win-a unmanaged');
    await waitForCapacity(kc, 'win-a', undefined);
    // The API server reads the ConfigMap through its own informer, independently of the controller.
    await waitForPodMutation(kc, 'default', false);
    const plain = await createWindowsPod(kc, { name: 'plain-0', nodeName: 'win-a' });
    assert.equal(plain.spec?.containers[0]?.resources?.requests?.[RESOURCE_NAME], undefined, 'no resource injected while IPAM is off');
    await deletePodNow(kc, 'plain-0');

    await setIpamConfig(kc, PD_ON);
    await waitForCapacity(kc, 'win-a', 144);
    await waitForPodMutation(kc);
    const more = await addPods('win-a', 'again', 3);
    const fresh = await annotations(more);
    for (const [name, v] of kept) {
      const pod = await core.readNamespacedPod({ name, namespace: 'default' });
      assert.equal(pod.metadata?.annotations?.[RESOURCE_NAME], v);
    }
    const all = [...kept.values(), ...fresh.values()];
    assert.equal(new Set(all).size, all.length, 'rebuilt pool did not reuse running pods addresses');
    await checkInvariants(kc, sim, INSTANCES);
    await deleteAllPods(kc);
    await waitForIdlePool(kc, sim, 'win-a', INSTANCES['win-a']!, { prefixes: 1, secondaryIps: 0 });
  });

  test('a node another IPAM controller announced is refused with an event', async () => {
    await core.createNamespacedEvent({
      namespace: 'default',
      body: {
        metadata: { name: 'win-foreign.notice', namespace: 'default' },
        involvedObject: { kind: 'Node', name: 'win-foreign', uid: 'win-foreign' },
        reason: 'ControllerVersionNotice',
        message: 'The node is managed by VPC resource controller version v1.7.0',
        source: { component: 'vpc-resource-controller' },
        type: 'Normal',
      },
    });
    await addNode('win-foreign', 'm5.large');
    const message = await waitForEvent(kc, { kind: 'Node', name: 'win-foreign' }, 'ManagedByAnotherController');
    assert.match(message, /vpc-resource-controller/);
    await waitForNodeStatus(kc, 'win-foreign', (s) => s.mode === 'unmanaged', 'mode unmanaged');
    assert.equal(await nodeCapacity(kc, 'win-foreign'), undefined);
    assert.equal(primaryEni(sim, INSTANCES['win-foreign']!).prefixes.length, 0, 'nothing assigned on a foreign node');
    await waitForNodeStatus(kc, 'win-foreign', (s) => s.claimedBy === 'vpc-resource-controller', 'the refusal recorded on the node');
    // The notice gone (events expire after an hour), the node is still refused: the other controller may
    // still be running it. Only removing the recorded refusal hands the node over.
    await core.deleteNamespacedEvent({ name: 'win-foreign.notice', namespace: 'default' }); // wakes the node
    await new Promise((r) => setTimeout(r, 2_000));
    assert.equal(await nodeCapacity(kc, 'win-foreign'), undefined, 'still refused after the notice expired');
    assert.equal(primaryEni(sim, INSTANCES['win-foreign']!).prefixes.length, 0);
    await core.patchNode(
      { name: 'win-foreign', body: { metadata: { annotations: { [NODE_STATUS_ANNOTATION]: null } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await waitForCapacity(kc, 'win-foreign', 144);
  });
});
