/**
 * The node reconciler with one boundary faked: Kubernetes (an in-memory node and pod store that
 * records writes and events). EC2 is real product code: the SDK adapter against the EC2 simulator.
 * Each test drives reconcile() by hand, as the queue would; a run does not wait for the writes and EC2
 * calls it starts, so `step` also waits for those (drain) and runs again to take their answers in.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createEc2Adapter, type Ec2Adapter } from '../../pkg/adapters/ec2/sdk-adapter.ts';
import type { Ec2Simulator } from '../../pkg/ec2sim/server.ts';
import { resolveClusterConfig } from '../../pkg/core/ipam/config.ts';
import { silentLogger } from '../../pkg/support/log.ts';
import type { PodView } from '../../pkg/core/views/pod-view.ts';
import { systemClock } from '../../pkg/support/clock.ts';
import { ALWAYS_ALLOWED, fenceWrites } from '../../pkg/controller/fenced-writes.ts';
import { AddressClaims } from '../../pkg/core/decisions/address-claims.ts';
import { NodeReconciler } from '../../pkg/controller/node-reconciler.ts';
import type { NodeView } from '../../pkg/core/views/node-view.ts';
import type { EventNote, NodeWrites, ObjectRef } from '../../pkg/controller/ports.ts';
import { decodeNodeStatus } from '../../pkg/core/status/node-status.ts';
import { startSimulator, world } from './support.ts';

/** One instance per test, so no test inherits another's ENI (a rebuilt pool starts its free addresses cooling). */
const INSTANCES = ['i-0f00000000000000a', 'i-0f00000000000000b', 'i-0f00000000000000c', 'i-0f00000000000000d', 'i-0f00000000000000e', 'i-0f00000000000000f', 'i-0f000000000000010'];
const INSTANCE = INSTANCES[0]!;
let sim: Ec2Simulator;
let ec2: Ec2Adapter;

before(async () => {
  sim = await startSimulator(world(INSTANCES.map((id, i) => ({ id, type: 'm5.large', subnetId: 'subnet-0d000001', privateIp: `10.20.0.${50 + i}`, platform: 'windows' as const }))));
  ec2 = createEc2Adapter({ endpoint: sim.endpoint, region: 'us-west-2', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' }, rateLimit: { ratePerSecond: 1000, burst: 1000 } });
});
after(async () => {
  ec2?.destroy();
  await sim?.close();
});

/** The faked boundary: what the caches show and what the controller wrote. */
function fakeCluster() {
  const nodes = new Map<string, NodeView>();
  const pods = new Map<string, PodView>();
  const events: Array<{ regarding: ObjectRef; note: EventNote }> = [];
  const capacity = new Map<string, number | null>();
  const status = new Map<string, string>();
  const woken: string[] = [];
  let annotateResult: 'patched' | 'gone' | 'refused' = 'patched';
  const writes: NodeWrites = {
    async annotatePod(pod, value) {
      const p = pods.get(pod.uid);
      if (!p) return 'gone';
      if (annotateResult !== 'patched') return annotateResult;
      pods.set(pod.uid, { ...p, annotation: value, hasAnnotations: true });
      return 'patched';
    },
    async setCapacity(node, value) {
      capacity.set(node, value);
    },
    async setStatusAnnotation(node, value) {
      status.set(node, value);
    },
  };
  return {
    nodes, pods, events, capacity, status, woken, writes,
    setAnnotateResult: (r: typeof annotateResult) => (annotateResult = r),
    reconciler(ipam: Record<string, string> = { 'enable-windows-ipam': 'true', 'enable-windows-prefix-delegation': 'true' }, foreign?: string, wrap: (w: NodeWrites) => NodeWrites = (w) => w) {
      return new NodeReconciler({
        reads: {
          node: (n) => nodes.get(n),
          podsOn: (n) => [...pods.values()].filter((p) => p.nodeName === n),
          cluster: () => ({ config: resolveClusterConfig(ipam), ref: 'kube-system/amazon-vpc-cni' }),
          foreignController: () => foreign,
        },
        writes: wrap(writes),
        ec2,
        events: { emit: (regarding, note) => events.push({ regarding, note }) },
        metrics: { pool: () => {}, forgetNode: () => {}, annotationLatency: () => {}, annotationDuration: () => {}, allocationFailure: () => {}, resync: () => {}, contradiction: () => {}, quarantined: () => {} },
        clock: systemClock,
        log: silentLogger,
        timings: { coolDownMs: 60_000, releaseHoldDownMs: 60_000, statusIntervalMs: 0, unsupportedRetryMs: 60_000, drainMs: 10_000, demandHorizonMs: 0 },
        claims: new AddressClaims(),
        fence: ALWAYS_ALLOWED,
        wake: (n) => woken.push(n),
      });
    },
  };
}

const windowsNode = (name: string, instanceId = INSTANCE): NodeView => ({
  name, uid: `uid-${name}`, os: 'windows', computeType: undefined, providerID: `aws:///us-west-2a/${instanceId}`, advertisedCapacity: undefined, statusAnnotation: undefined,
});
const pod = (uid: string, nodeName: string): PodView => ({
  namespace: 'default', name: `pod-${uid}`, uid, nodeName, phase: 'Pending', terminal: false, createdAt: Date.now(),
  annotation: undefined, hasAnnotations: false, requestsIp: true, resourceVersion: '1', seenAt: undefined,
});

/** One run, the answers to what it started, and the run that takes them in. */
async function step(r: NodeReconciler, name: string) {
  await r.reconcile(name);
  assert.ok(await r.drain(10_000), 'writes and EC2 calls answered');
  return r.reconcile(name);
}

/** Runs reconcile, as the queue would on every wake-up, until the published status shows no EC2 work pending. */
async function settle(r: NodeReconciler, status: Map<string, string>, name: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    await r.reconcile(name);
    await r.drain(10_000);
    const s = decodeNodeStatus(status.get(name));
    const p = s?.ok ? s.status.pending : undefined;
    if (p && p.assignPrefixes + p.assignSecondaryIps + p.unassignPrefixes + p.unassignSecondaryIps === 0 && !p.resync) return;
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new Error(`EC2 work on ${name} did not settle`);
}

test('a managed node gets its warm prefix, its capacity and a status; a pod gets an address and an event', async () => {
  const c = fakeCluster();
  const r = c.reconciler();
  c.nodes.set('n1', windowsNode('n1'));
  await settle(r, c.status, 'n1');
  assert.equal(c.capacity.get('n1'), 144);
  assert.equal(sim.world.instance(INSTANCE).interfaces[0]!.prefixes.length, 1);
  c.pods.set('u1', pod('u1', 'n1'));
  await step(r, 'n1');
  const annotation = c.pods.get('u1')!.annotation;
  assert.match(annotation ?? '', /^10\.20\.\d+\.\d+\/32$/);
  assert.ok(c.events.some((e) => e.note.reason === 'ResourceAllocated' && e.regarding.name === 'pod-u1'));
  const status = decodeNodeStatus(c.status.get('n1'));
  assert.ok(status?.ok && status.status.mode === 'prefix');
});

test('a patch that finds the pod replaced returns the address and asks to look again soon', async () => {
  const c = fakeCluster();
  const r = c.reconciler();
  c.nodes.set('n1', windowsNode('n1', INSTANCES[1]));
  await settle(r, c.status, 'n1');
  c.setAnnotateResult('refused');
  c.pods.set('u2', pod('u2', 'n1'));
  const outcome = await step(r, 'n1');
  assert.equal(c.events.filter((e) => e.note.reason === 'ResourceAllocationFailed').length, 0, 'an address was there for the pod');
  assert.ok(outcome.requeueAfterMs !== undefined && outcome.requeueAfterMs <= 1_000, `requeue soon, got ${outcome.requeueAfterMs}`);
  assert.equal(c.pods.get('u2')!.annotation, undefined);
  c.setAnnotateResult('patched');
  // The pod is looked at again when the run asked (not at once, so a lagging cache cannot spin a loop).
  for (let deadline = Date.now() + 5_000; !c.pods.get('u2')!.annotation && Date.now() < deadline; ) {
    await step(r, 'n1');
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.ok(c.pods.get('u2')!.annotation, `annotated on the retry; events: ${JSON.stringify(c.events.map((e) => e.note.message))}`);
});

test('a pod missing from the cache (a delete missed in a watch gap) gives its address back, into cool-down', async () => {
  const c = fakeCluster();
  const r = c.reconciler();
  c.nodes.set('n1', windowsNode('n1', INSTANCES[2]));
  await settle(r, c.status, 'n1');
  c.pods.set('u3', pod('u3', 'n1'));
  await step(r, 'n1');
  c.pods.delete('u3');
  await step(r, 'n1');
  const status = decodeNodeStatus(c.status.get('n1'));
  assert.ok(status?.ok);
  const cooling = (status.status.prefixes ?? []).reduce((n, p) => n + p.cooling, 0);
  const used = (status.status.prefixes ?? []).reduce((n, p) => n + p.used, 0);
  assert.equal(used, 0);
  assert.ok(cooling >= 1, 'the freed address cools before reuse');
});

test('a node claimed by another controller is left alone: no EC2 call, an event, an unmanaged status', async () => {
  const c = fakeCluster();
  const r = c.reconciler(undefined, 'vpc-resource-controller');
  c.nodes.set('n2', windowsNode('n2', INSTANCES[3]));
  const calls = sim.counters.total();
  await step(r, 'n2');
  await r.reconcile('n2');
  assert.equal(sim.counters.total(), calls);
  assert.equal(c.events.filter((e) => e.note.reason === 'ManagedByAnotherController').length, 1, 'one event, not one per reconcile');
  const status = decodeNodeStatus(c.status.get('n2'));
  assert.ok(status?.ok && status.status.mode === 'unmanaged');
  assert.equal(c.capacity.has('n2'), false);
});

test('a pod waiting for addresses being created is told why only if the wait lasts', async () => {
  const c = fakeCluster();
  const r = c.reconciler();
  sim.faults.set({ latencyMs: 1_600, actions: ['AssignPrivateIpAddresses'] });
  try {
    c.nodes.set('n4', windowsNode('n4', INSTANCES[4]));
    c.pods.set('u5', pod('u5', 'n4'));
    await r.reconcile('n4');
    const failed = () => c.events.filter((e) => e.note.reason === 'ResourceAllocationFailed' && e.regarding.name === 'pod-u5');
    assert.equal(failed().length, 0, 'no event for a wait that may end at once');
    await new Promise((res) => setTimeout(res, 1_100));
    await r.reconcile('n4');
    assert.equal(failed().length, 1, 'still waiting after a second: told, once');
    assert.match(failed()[0]!.note.message, /asking EC2 for more prefixes/);
    await settle(r, c.status, 'n4');
    await step(r, 'n4');
    assert.ok(c.pods.get('u5')!.annotation);
    assert.equal(failed().length, 1);
  } finally {
    sim.faults.set({});
  }
});

test('a leader that stops in the middle of a burst writes no further annotation, capacity or status', async () => {
  const c = fakeCluster();
  const leading = new AbortController();
  let patches = 0;
  // The Lease is lost while the first patch of the run is on its way.
  const r = c.reconciler(undefined, undefined, (w) =>
    fenceWrites(
      {
        ...w,
        annotatePod(pod, value) {
          patches++;
          leading.abort();
          return w.annotatePod(pod, value);
        },
      },
      leading.signal,
    ),
  );
  c.nodes.set('n6', windowsNode('n6', INSTANCES[5]));
  await settle(r, c.status, 'n6');
  const statusBefore = c.status.get('n6');
  for (let i = 0; i < 12; i++) c.pods.set(`f${i}`, pod(`f${i}`, 'n6'));
  await step(r, 'n6');
  assert.equal(patches, 1, 'no patch is sent once leadership is gone');
  const annotated = [...c.pods.values()].filter((p) => p.annotation !== undefined);
  assert.equal(annotated.length, 1);
  assert.equal(c.events.filter((e) => e.note.reason === 'ResourceAllocated').length, 1, 'an event only for the patch that went out');
  assert.equal(c.status.get('n6'), statusBefore, 'no status written after leadership ended');
});

test('an instance EC2 cannot give us: a Warning event on the node says why and what to do, and the run is retried', async () => {
  const c = fakeCluster();
  const r = c.reconciler();
  c.nodes.set('lost', windowsNode('lost', 'i-0ffffffffffffff99'));
  await assert.rejects(r.reconcile('lost'));
  sim.faults.set({ unauthorizedActions: ['DescribeInstances'] });
  try {
    c.nodes.set('denied', windowsNode('denied', INSTANCES[6]));
    await assert.rejects(r.reconcile('denied'));
    await assert.rejects(r.reconcile('denied'));
  } finally {
    sim.faults.clear();
  }
  const unreadable = (node: string) => c.events.filter((e) => e.regarding.name === node && e.note.reason === 'InstanceUnreadable');
  assert.equal(unreadable('lost').length, 1);
  assert.equal(unreadable('lost')[0]!.note.type, 'Warning');
  assert.match(unreadable('lost')[0]!.note.message, /cannot read instance i-0ffffffffffffff99 from EC2 \(DescribeInstances: InvalidInstanceID\.NotFound\).*check --region/);
  const denied = unreadable('denied');
  assert.equal(denied.length, 2, 'one per failed run; the recorder folds identical ones into a count');
  assert.equal(denied[0]!.note.message, denied[1]!.note.message, 'no request ids, so repeats fold');
  assert.match(denied[0]!.note.message, /Grant the controller's IAM role ec2:DescribeInstances/);
  assert.equal(c.capacity.get('denied'), undefined, 'nothing advertised');
  await step(r, 'denied');
  assert.equal(c.capacity.get('denied'), 144, 'the next run after the permission is granted manages the node');
});
