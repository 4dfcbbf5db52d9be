/**
 * The controller under faults, through dist/controller.js: EC2 throttling and failures injected in
 * the simulator, SIGKILL in the middle of pod churn followed by a restart (several times), and two
 * replicas with the leader killed. After each: no address on two pods, every annotated address on
 * its node's ENI, nothing leaked once the pods are gone and cool-down has passed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Ec2Simulator } from '../../pkg/ec2sim/server.ts';
import { createWindowsNode, createWindowsPod, deletePodNow, waitFor } from '../harness/cluster-objects.ts';
import { useControlPlane } from '../harness/suite.ts';
import {
  PD_ON,
  annotationOf,
  checkInvariants,
  deleteAllPods,
  metricValue,
  setIpamConfig,
  startController,
  startSimulator,
  waitForCapacity,
  waitForIdlePool,
  world,
  type ControllerProcess,
} from './support.ts';

const plane = useControlPlane();

const INSTANCES: Record<string, string> = {
  'win-faults': 'i-0b00000000000000a',
  'win-kill': 'i-0b00000000000000b',
  'win-ha': 'i-0b00000000000000c',
};

describe('controller under faults', () => {
  let sim: Ec2Simulator;
  let kc: KubeConfig;
  let core: CoreV1Api;
  const running: ControllerProcess[] = [];

  async function addNode(name: string): Promise<void> {
    await createWindowsNode(kc, { name, instanceId: INSTANCES[name]!, instanceType: 'm5.large', zone: 'us-west-2a' });
  }

  async function start(name: string, waitForLeader = true): Promise<ControllerProcess> {
    const c = await startController({ plane: plane(), sim, name, waitForLeader });
    running.push(c);
    return c;
  }

  /** Every live pod on `node` that requests an address has one. */
  async function allAnnotated(node: string, timeoutMs = 30_000): Promise<void> {
    await waitFor(`every pod on ${node} annotated`, async () => {
      const pods = (await core.listNamespacedPod({ namespace: 'default', fieldSelector: `spec.nodeName=${node}` })).items;
      const missing = pods.filter((p) => !annotationOf(p)).map((p) => p.metadata?.name);
      return missing.length === 0 ? true : undefined;
    }, { timeoutMs, intervalMs: 100 });
  }

  before(async () => {
    kc = plane().kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    sim = await startSimulator(
      world(Object.values(INSTANCES).map((id, i) => ({ id, type: 'm5.large', subnetId: 'subnet-0d000001', privateIp: `10.20.0.${20 + i}`, platform: 'windows' as const }))),
    );
    await setIpamConfig(kc, PD_ON);
  });

  after(async () => {
    for (const c of running) await c.stop().catch(() => {});
    await sim?.close();
  });

  test('EC2 throttling and failures: every pod still gets a unique address, errors are counted', async () => {
    const ctl = await start('faults');
    sim.faults.set({ throttleFraction: 0.4, failFraction: 0.2, actions: ['AssignPrivateIpAddresses', 'UnassignPrivateIpAddresses', 'DescribeNetworkInterfaces'], seed: 3 });
    await addNode('win-faults');
    for (let i = 0; i < 40; i++) await createWindowsPod(kc, { name: `f-${i}`, nodeName: 'win-faults', requestIp: true });
    await allAnnotated('win-faults', 60_000);
    await checkInvariants(kc, sim, INSTANCES);
    const counts = sim.counters.snapshot();
    const injected = counts.AssignPrivateIpAddresses;
    const faulted = Object.values(counts).reduce((n, c) => n + c.throttled + c.failed, 0);
    assert.ok(faulted > 0, `faults were injected: ${JSON.stringify(counts)}`);
    const metrics = await ctl.metrics();
    const calls = metricValue(metrics, 'winprefix_ec2_calls_total', { action: 'AssignPrivateIpAddresses' }) ?? 0;
    assert.ok(calls > 0 && calls <= (injected?.calls ?? 0), 'the controller counts calls after SDK retries, the simulator every attempt');
    for (let i = 0; i < 40; i += 2) await deletePodNow(kc, `f-${i}`);
    await checkInvariants(kc, sim, INSTANCES);
    sim.faults.set({});
    await deleteAllPods(kc);
    await waitForIdlePool(kc, sim, 'win-faults', INSTANCES['win-faults']!, { prefixes: 1, secondaryIps: 0 }, 30_000);
    await ctl.stop();
  });

  test('SIGKILL in the middle of pod churn, then restart, three times: no duplicate, nothing leaked', async () => {
    await addNode('win-kill');
    let ctl = await start('churn');
    await waitForCapacity(kc, 'win-kill', 144);
    let serial = 0;
    const live: string[] = [];
    for (let round = 0; round < 3; round++) {
      // Churn: create a batch, delete part of the previous one, and kill the controller while it works.
      const batch = Array.from({ length: 12 }, () => `k-${serial++}`);
      const creating = (async () => {
        for (const name of batch) await createWindowsPod(kc, { name, nodeName: 'win-kill', requestIp: true });
      })();
      const doomed = live.splice(0, 6);
      for (const name of doomed) await deletePodNow(kc, name);
      await new Promise((r) => setTimeout(r, 150 + round * 100));
      await ctl.kill();
      await creating;
      live.push(...batch);
      // Restarted with the same identity it takes the Lease back at once, rebuilds from EC2 and the pods.
      ctl = await start(`churn`);
      await allAnnotated('win-kill');
      await checkInvariants(kc, sim, INSTANCES);
    }
    for (const name of live) await deletePodNow(kc, name);
    await deleteAllPods(kc);
    await waitForIdlePool(kc, sim, 'win-kill', INSTANCES['win-kill']!, { prefixes: 1, secondaryIps: 0 }, 30_000);
    await ctl.stop();
  });

  test('two replicas: the leader is killed, the other takes over within the lease time and rebuilds', async () => {
    await addNode('win-ha');
    const a = await start('replica-a');
    const b = await start('replica-b', false);
    assert.equal(metricValue(await b.metrics(), 'winprefix_leader'), 0, 'only one leader');
    for (let i = 0; i < 10; i++) await createWindowsPod(kc, { name: `ha-${i}`, nodeName: 'win-ha', requestIp: true });
    await allAnnotated('win-ha');
    const killedAt = Date.now();
    await a.kill();
    await waitFor('replica-b leads', async () => (metricValue(await b.metrics(), 'winprefix_leader') === 1 ? true : undefined), { timeoutMs: 15_000 });
    const takeoverMs = Date.now() - killedAt;
    assert.ok(takeoverMs < 10_000, `takeover within lease duration + retry period, took ${takeoverMs} ms`);
    for (let i = 10; i < 20; i++) await createWindowsPod(kc, { name: `ha-${i}`, nodeName: 'win-ha', requestIp: true });
    await allAnnotated('win-ha');
    await checkInvariants(kc, sim, INSTANCES);
    await deleteAllPods(kc);
    await waitForIdlePool(kc, sim, 'win-ha', INSTANCES['win-ha']!, { prefixes: 1, secondaryIps: 0 }, 30_000);
    await b.stop();
  });
});
