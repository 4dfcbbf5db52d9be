/**
 * EC2 is the truth (docs/controller.md, "EC2 is the truth: re-reads and quarantine"), through
 * dist/controller.js against the real kube-apiserver and the EC2 simulator: addresses changed on an ENI
 * behind the controller's back (by the AWS SDK, as a person or script would), while pods keep arriving.
 * A monitor lists every pod every 50 ms for the whole file and fails it if one address is ever on two
 * live pods at once.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { createEc2Adapter, type Ec2Adapter } from '../../pkg/adapters/ec2/sdk-adapter.ts';
import { cidrContains, parseCidr, parseIPv4 } from '../../pkg/core/net/ipv4.ts';
import type { Ec2Simulator } from '../../pkg/ec2sim/server.ts';
import { createWindowsNode, createWindowsPod, waitFor } from '../harness/cluster-objects.ts';
import { useControlPlane } from '../harness/suite.ts';
import {
  PD_ON,
  annotationOf,
  metricValue,
  primaryEni,
  setIpamConfig,
  startController,
  startSimulator,
  waitForCapacity,
  waitForEvent,
  waitForNodeStatus,
  world,
  type ControllerProcess,
} from './support.ts';

const plane = useControlPlane();

/** Short, so a period passes within a test; production default is 90 s. */
const PERIOD_MS = 2_000;
/** A period at its longest (jitter +20 %), the read and the re-read, and the monitor's own lag. */
const WITHIN_A_PERIOD_MS = PERIOD_MS * 1.2 + 1_500;
/** One EC2 round trip (assign, visibility wait, re-read) and the monitor's lag. */
const WITHIN_A_ROUND_TRIP_MS = 1_500;

const NODES = {
  // A and B run under a controller whose periodic read is off: only the contradiction can tell A.
  a: { name: 'truth-a', instanceId: 'i-0e0000000000000a1' },
  b: { name: 'truth-b', instanceId: 'i-0e0000000000000b2' },
  c: { name: 'truth-c', instanceId: 'i-0e0000000000000c3' },
  d: { name: 'truth-d', instanceId: 'i-0e0000000000000d4' },
  e: { name: 'truth-e', instanceId: 'i-0e0000000000000e5', type: 'm4.large' },
  f: { name: 'truth-f', instanceId: 'i-0e0000000000000f6' },
};
/** Another tenant of the subnet (a load balancer's ENI, say) that takes a removed block, so none of our nodes gets it back. */
const OTHER_TENANT = 'eni-0e000000000000ff0';

interface Seen {
  ip: string;
  node: string;
  /** When the monitor first saw the annotation. */
  at: number;
}

/** Lists every pod every 50 ms: no address on two live pods at any moment; when each annotation appeared. */
class Monitor {
  readonly firstSeen = new Map<string, Seen>();
  readonly violations: string[] = [];
  #stopped = false;
  #loop: Promise<void> | undefined;

  start(core: CoreV1Api): void {
    this.#loop = (async () => {
      while (!this.#stopped) {
        const pods = (await core.listPodForAllNamespaces({})).items;
        const now = Date.now();
        const owner = new Map<string, string>();
        for (const p of pods) {
          const value = annotationOf(p);
          if (!value || p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' || p.metadata?.deletionTimestamp) continue;
          const ip = value.split('/')[0]!;
          const who = `${p.metadata?.namespace}/${p.metadata?.name}`;
          const other = owner.get(ip);
          if (other !== undefined) this.violations.push(`${new Date(now).toISOString()}: ${ip} on ${other} and ${who}`);
          owner.set(ip, who);
          if (!this.firstSeen.has(who)) this.firstSeen.set(who, { ip, node: p.spec?.nodeName ?? '', at: now });
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
  }

  /** Pods on `node` first seen annotated with an address in `cidr` after `since`. */
  handedOutAfter(node: string, cidr: string, since: number): string[] {
    const block = parseCidr(cidr);
    return [...this.firstSeen].filter(([, s]) => s.node === node && s.at > since && cidrContains(block, parseIPv4(s.ip))).map(([who, s]) => `${who}=${s.ip}`);
  }
}

describe('EC2 is the truth', () => {
  let sim: Ec2Simulator;
  let kc: KubeConfig;
  let core: CoreV1Api;
  let ctl: ControllerProcess | undefined;
  /** Someone else with EC2 access: a person at the console, a script, another tool. */
  let human: Ec2Adapter;
  const monitor = new Monitor();
  let serial = 0;

  const eniOf = (key: keyof typeof NODES) => primaryEni(sim, NODES[key].instanceId);
  const newPod = async (key: keyof typeof NODES) => {
    const name = `t-${key}-${serial++}`;
    await createWindowsPod(kc, { name, nodeName: NODES[key].name, requestIp: true });
    return name;
  };
  const annotated = async (name: string) =>
    waitFor(`${name} annotated`, async () => annotationOf(await core.readNamespacedPod({ name, namespace: 'default' })), { timeoutMs: 30_000, intervalMs: 50 });
  const addNode = async (key: keyof typeof NODES, capacity: number) => {
    const n = NODES[key];
    await createWindowsNode(kc, { name: n.name, instanceId: n.instanceId, instanceType: 'type' in n ? n.type : 'm5.large', zone: 'us-west-2a' });
    await waitForCapacity(kc, n.name, capacity);
  };

  before(async () => {
    kc = plane().kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    sim = await startSimulator(
      world(
        Object.values(NODES).map((n, i) => ({ id: n.instanceId, type: 'type' in n ? n.type : 'm5.large', subnetId: 'subnet-0d000001', privateIp: `10.20.0.${4 + i}`, platform: 'windows' as const })),
        { networkInterfaces: [{ id: OTHER_TENANT, subnetId: 'subnet-0d000001', privateIp: '10.20.0.12' }] },
      ),
    );
    human = createEc2Adapter({ endpoint: sim.endpoint, region: 'us-west-2', credentials: { accessKeyId: 'AKIDSOMEONEELSE', secretAccessKey: 'x' }, rateLimit: { ratePerSecond: 100, burst: 100 } });
    await setIpamConfig(kc, PD_ON);
    // Off, so that A learns of its lost block only from EC2 handing it to B (the next describe turns it on).
    ctl = await startController({ plane: plane(), sim, name: 'truth-contradiction', args: ['--ec2-resync-period=0'] });
    monitor.start(core);
  });

  /** The rest of the file runs under a controller that also reads every ENI on a short period. */
  let periodic = false;
  const withPeriodicReads = async () => {
    if (periodic) return;
    await ctl?.stop();
    ctl = await startController({ plane: plane(), sim, name: 'truth-periodic', args: [`--ec2-resync-period=${PERIOD_MS}ms`] });
    periodic = true;
  };

  after(async () => {
    await monitor.stop();
    await ctl?.stop();
    human?.destroy();
    await sim?.close();
    assert.deepEqual(monitor.violations, [], 'no address was ever on two live pods');
  });

  test('a prefix holding pods removed behind our back, then given by EC2 to another node: no address on two pods, the block stops being handed out within a round trip', async () => {
    await addNode('a', 144);
    await addNode('b', 144);
    const prefixA = eniOf('a').prefixes[0]!;
    const prefixB = eniOf('b').prefixes[0]!;
    const onA = await Promise.all(Array.from({ length: 5 }, () => newPod('a')));
    for (const p of onA) assert.ok(cidrContains(parseCidr(prefixA), parseIPv4((await annotated(p)).split('/')[0]!)));
    // B one pod short of needing its second prefix.
    const onB: string[] = [];
    for (let i = 0; i < 15; i++) onB.push(await newPod('b'));
    for (const p of onB) await annotated(p);

    await human.unassignPrefixes(eniOf('a').networkInterfaceId, [prefixA]);
    // Pods keep arriving on A (the pool still believes in the block) and on B, whose next prefix is the
    // lowest free block: A's old one.
    const arriving = (async () => {
      for (let i = 0; i < 8; i++) {
        await newPod('a');
        await new Promise((r) => setTimeout(r, 150));
      }
    })();
    for (let i = 0; i < 10; i++) onB.push(await newPod('b'));
    const grantedAt = await waitFor('EC2 gives A\'s old block to B', async () => (eniOf('b').prefixes.includes(prefixA) ? Date.now() : undefined), { timeoutMs: 30_000, intervalMs: 20 });
    await arriving;
    for (const p of onB) await annotated(p);

    // A's pods are told, once each, that their address left the instance; A's pool dropped the block.
    for (const p of onA) await waitForEvent(kc, { kind: 'Pod', name: p }, 'AddressVanished');
    const status = await waitForNodeStatus(kc, NODES.a.name, (s) => (s.vanished ?? []).length >= onA.length, 'vanished pods listed');
    assert.ok(!(status.prefixes ?? []).some((p) => p.cidr === prefixA));
    assert.deepEqual(monitor.handedOutAfter(NODES.a.name, prefixA, grantedAt + WITHIN_A_ROUND_TRIP_MS), [], 'A stopped handing out the block within a round trip of the contradiction');
    // B serves its pods from the block, but never an address A's pods still carry.
    const carriedByA = new Set(onA.map((p) => monitor.firstSeen.get(`default/${p}`)!.ip));
    for (const p of onB) assert.ok(!carriedByA.has(monitor.firstSeen.get(`default/${p}`)!.ip), `${p} got an address a pod on A carries`);
    // The status is written rate-limited, behind pod traffic: waited for, not read once.
    const bStatus = await waitForNodeStatus(kc, NODES.b.name, (x) => (x.prefixes ?? []).some((p) => p.cidr === prefixA) && (x.prefixes ?? []).some((p) => p.cidr === prefixB), 'B lists its own block and A\'s old one');
    assert.ok(bStatus.prefixes!.some((p) => p.cidr === prefixA) && bStatus.prefixes!.some((p) => p.cidr === prefixB));
    const metrics = await ctl!.metrics();
    assert.ok((metricValue(metrics, 'winprefix_quarantined_addresses', { node: NODES.a.name }) ?? 0) >= onA.length);
    assert.ok((metricValue(metrics, 'winprefix_ec2_contradictions_total', { kind: 'granted-elsewhere' }) ?? 0) >= 1);
  });

  test('a prefix holding pods removed and taken by none of our nodes: quarantined within a period, never handed out again', async () => {
    await withPeriodicReads();
    await addNode('c', 144);
    const prefix = eniOf('c').prefixes[0]!;
    const pods = await Promise.all(Array.from({ length: 3 }, () => newPod('c')));
    for (const p of pods) await annotated(p);
    const removedAt = Date.now();
    await human.unassignPrefixes(eniOf('c').networkInterfaceId, [prefix]);
    assert.deepEqual(await human.assignPrefixes(OTHER_TENANT, 1), [prefix], 'the other tenant took the block');
    for (let i = 0; i < 6; i++) {
      await annotated(await newPod('c'));
      await new Promise((r) => setTimeout(r, 400));
    }
    for (const p of pods) await waitForEvent(kc, { kind: 'Pod', name: p }, 'AddressVanished', 15_000);
    assert.deepEqual(monitor.handedOutAfter(NODES.c.name, prefix, removedAt + WITHIN_A_PERIOD_MS), [], 'the removed block was not handed out after one period');
    // Pods that arrived before the read found the block gone got one of its addresses too: quarantined alike.
    const ips = pods.map((p) => monitor.firstSeen.get(`default/${p}`)!.ip);
    const s = await waitForNodeStatus(kc, NODES.c.name, (x) => ips.every((ip) => (x.vanished ?? []).some((v) => v.ip === ip)), 'the three listed as vanished');
    for (const v of s.vanished ?? []) assert.ok(cidrContains(parseCidr(prefix), parseIPv4(v.ip)), `${v.ip} vanished with the block`);
    const resyncs = metricValue(await ctl!.metrics(), 'winprefix_ec2_resyncs_total', { trigger: 'contradiction' }) ?? 0;
    assert.ok(resyncs >= 1, 'the disagreeing read was confirmed by a re-read');
  });

  test('a free prefix removed: dropped from the pool and the warm target met again, no pod touched', async () => {
    await withPeriodicReads();
    await addNode('d', 144);
    const prefix = eniOf('d').prefixes[0]!;
    const before = metricValue(await ctl!.metrics(), 'winprefix_ec2_resyncs_total', { trigger: 'contradiction' }) ?? 0;
    await human.unassignPrefixes(eniOf('d').networkInterfaceId, [prefix]);
    await waitFor('the read finds the prefix gone', async () => ((metricValue(await ctl!.metrics(), 'winprefix_ec2_resyncs_total', { trigger: 'contradiction' }) ?? 0) > before ? true : undefined), { timeoutMs: WITHIN_A_PERIOD_MS + 5_000 });
    await waitFor('D holds one warm prefix again', async () => (eniOf('d').prefixes.length === 1 ? true : undefined), { timeoutMs: 10_000 });
    const s = await waitForNodeStatus(kc, NODES.d.name, (x) => (x.prefixes ?? []).length === 1 && x.prefixes![0]!.cidr === eniOf('d').prefixes[0] && x.prefixes![0]!.used === 0, 'the ENI\'s prefix, unused');
    assert.equal(s.vanished, undefined);
    await annotated(await newPod('d'));
  });

  test('a secondary IP removed under its pod (non-Nitro node, secondary mode): that pod quarantined, the others untouched', async () => {
    await withPeriodicReads();
    await addNode('e', 9);
    const pods = [await newPod('e'), await newPod('e')];
    const ips = await Promise.all(pods.map(async (p) => (await annotated(p)).split('/')[0]!));
    await human.unassignSecondaryIps(eniOf('e').networkInterfaceId, [ips[0]!]);
    await waitForEvent(kc, { kind: 'Pod', name: pods[0]! }, 'AddressVanished', 15_000);
    const s = await waitForNodeStatus(kc, NODES.e.name, (x) => (x.vanished ?? []).length === 1, 'one vanished');
    assert.equal(s.vanished![0]!.ip, ips[0]);
    const others = (await core.listNamespacedEvent({ namespace: 'default', fieldSelector: `involvedObject.name=${pods[1]},reason=AddressVanished` })).items;
    assert.equal(others.length, 0);
    const third = (await annotated(await newPod('e'))).split('/')[0]!;
    assert.notEqual(third, ips[0], 'the vanished address is not handed out again');
  });

  test('a prefix added by hand: taken in by the next read, counted once, given back per the warm targets', async () => {
    await withPeriodicReads();
    await addNode('f', 144);
    const [extra] = await human.assignPrefixes(eniOf('f').networkInterfaceId, 1);
    assert.ok(extra);
    // Read from the pool itself (/metrics is computed at scrape time): the adopted prefix is surplus and goes back
    // after the hold-down (1.5 s here), and the status annotation, written rate-limited behind pod traffic, may
    // never show that short state. The node has no pods, so a second prefix can only be the one added by hand;
    // counted once, it brings 16 addresses, not 32.
    const adopted = await waitFor(
      'the extra prefix taken into the pool',
      async () => {
        const m = await ctl!.metrics();
        return metricValue(m, 'winprefix_node_prefixes_attached', { node: NODES.f.name }) === 2 ? m : undefined;
      },
      { timeoutMs: WITHIN_A_PERIOD_MS + 5_000, intervalMs: 50 },
    );
    const addresses = ['used', 'free', 'cooling'].reduce((n, state) => n + (metricValue(adopted, 'winprefix_node_addresses', { node: NODES.f.name, state }) ?? 0), 0);
    assert.equal(addresses, 32, 'two prefixes of 16, each counted once');
    // One warm prefix is the target: the surplus goes back after the hold-down, and nothing is counted twice.
    await waitFor('F back to one prefix on its ENI', async () => (eniOf('f').prefixes.length === 1 ? true : undefined), { timeoutMs: WITHIN_A_PERIOD_MS + 10_000 });
    const s = await waitForNodeStatus(kc, NODES.f.name, (x) => (x.prefixes ?? []).length === 1, 'one prefix');
    assert.equal(s.capacity?.advertised, 144);
  });
});
