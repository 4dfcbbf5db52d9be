/**
 * A deposed leader cannot write (docs/controller.md, "Leadership"): two replicas of dist/controller.js; the
 * leader is paused with SIGSTOP for longer than its Lease while pods keep arriving, the other takes over and
 * works, then the old leader is resumed. The API server's audit log (every write, with the client's user
 * agent, which names the replica) and the EC2 simulator's journal (every call, with the access key that
 * signed it) must show no write of the old leader landing after the new leader's first one, and every pod
 * must end with its own address.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Ec2Simulator } from '../../pkg/ec2sim/server.ts';
import { scratchDir } from '../harness/cleanup.ts';
import { startControlPlane, type ControlPlane } from '../harness/control-plane.ts';
import { createWindowsNode, createWindowsPod, waitFor } from '../harness/cluster-objects.ts';
import { PD_ON, annotationOf, checkInvariants, metricValue, setIpamConfig, startController, startSimulator, waitForCapacity, world, type ControllerProcess } from './support.ts';

const INSTANCES = { 'win-deposed': 'i-0d0000000000000a1' };
const NODE = 'win-deposed';
const KEYS = { a: 'AKIDREPLICAAAAAAAAAA', b: 'AKIDREPLICABBBBBBBBB' };
/**
 * Leases long enough that a replica starved of CPU on a busy 2-core machine does not lose its Lease by
 * accident (the pause under test is SIGSTOP, not load); a short EC2 timeout, so the new leader's wait
 * for the old leader's last EC2 call (6 + 2 - 8 = 0 s) costs nothing here.
 */
const ARGS = ['--lease-duration=8s', '--renew-deadline=6s', '--retry-period=1s', '--ec2-timeout=2s', '--ec2-resync-period=2s'];

interface AuditEvent {
  stage: string;
  verb: string;
  userAgent?: string;
  objectRef?: { resource?: string; subresource?: string; name?: string; namespace?: string };
  responseStatus?: { code?: number };
  stageTimestamp: string;
}

let plane: ControlPlane;
let auditLog: string;
let sim: Ec2Simulator;
let kc: KubeConfig;
const running: ControllerProcess[] = [];

before(async () => {
  const dir = scratchDir('winprefix-audit-');
  const policy = join(dir, 'policy.yaml');
  auditLog = join(dir, 'audit.log');
  writeFileSync(policy, ['apiVersion: audit.k8s.io/v1', 'kind: Policy', 'omitStages: [RequestReceived]', 'rules:', '- level: Metadata', '  verbs: [create, update, patch, delete]', '- level: None', ''].join('\n'));
  plane = await startControlPlane({ log: (l) => process.stderr.write(`${l}\n`), apiserverFlags: [`--audit-policy-file=${policy}`, `--audit-log-path=${auditLog}`, '--audit-log-mode=blocking'] });
  kc = plane.kubeConfig();
  sim = await startSimulator(world([{ id: INSTANCES[NODE], type: 'm5.large', subnetId: 'subnet-0d000001', privateIp: '10.20.0.9', platform: 'windows' }]));
  await setIpamConfig(kc, PD_ON);
}, { timeout: 20 * 60_000 });

after(async () => {
  for (const c of running) {
    // A stopped process cannot take SIGTERM; let it run so it can be stopped.
    try {
      process.kill(c.proc.pid, 'SIGCONT');
    } catch {}
    await c.stop().catch(() => {});
  }
  await sim?.close();
  await plane?.stop();
});

function writesBy(replica: string): Array<{ at: number; what: string }> {
  const out: Array<{ at: number; what: string }> = [];
  for (const line of readFileSync(auditLog, 'utf8').split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line) as AuditEvent;
    if (e.stage !== 'ResponseComplete' || !(e.userAgent ?? '').includes(`/${replica}`)) continue;
    // Lease writes are the election itself; an old leader's renewal is refused by its resourceVersion.
    if (e.objectRef?.resource === 'leases' || (e.responseStatus?.code ?? 500) >= 300) continue;
    out.push({ at: Date.parse(e.stageTimestamp), what: `${e.verb} ${e.objectRef?.resource}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ''} ${e.objectRef?.namespace ?? ''}/${e.objectRef?.name ?? ''} at ${e.stageTimestamp}` });
  }
  return out;
}

function ec2WritesBy(key: string): Array<{ at: number; what: string }> {
  return sim.journal
    .entries()
    .filter((e) => e.caller === key && e.outcome === 'ok' && (e.action === 'AssignPrivateIpAddresses' || e.action === 'UnassignPrivateIpAddresses'))
    .map((e) => ({ at: e.at, what: `${e.action} at ${new Date(e.at).toISOString()}` }));
}

test('a leader paused past its Lease writes nothing after the new leader acts, and nothing is lost', async () => {
  const core = kc.makeApiClient(CoreV1Api);
  const a = await startController({ plane, sim, name: 'replica-a', args: ARGS, env: { AWS_ACCESS_KEY_ID: KEYS.a } });
  running.push(a);
  const b = await startController({ plane, sim, name: 'replica-b', args: ARGS, env: { AWS_ACCESS_KEY_ID: KEYS.b }, waitForLeader: false });
  running.push(b);
  await createWindowsNode(kc, { name: NODE, instanceId: INSTANCES[NODE], instanceType: 'm5.large', zone: 'us-west-2a' });
  await waitForCapacity(kc, NODE, 144);

  // Pods arrive all along, so the leader has work in flight when it is paused and when it resumes.
  let producing = true;
  let serial = 0;
  // Never more pods than the node holds (144 on an m5.large): pods are bound by name here, no scheduler checks.
  const MAX_PODS = 120;
  const producer = (async () => {
    while (producing && serial < MAX_PODS - 20) {
      await createWindowsPod(kc, { name: `dep-${serial++}`, nodeName: NODE, requestIp: true });
      await new Promise((r) => setTimeout(r, 60));
    }
  })();
  await waitFor('replica-a annotates pods', async () => (writesBy('replica-a').some((w) => w.what.startsWith('patch pods ')) ? true : undefined), { timeoutMs: 20_000 });

  // A burst right before the pause, so the leader is stopped with patches and EC2 calls on their way.
  await Promise.all(Array.from({ length: 20 }, () => createWindowsPod(kc, { name: `dep-${serial++}`, nodeName: NODE, requestIp: true })));
  process.kill(a.proc.pid, 'SIGSTOP');
  await waitFor('replica-b leads', async () => (metricValue(await b.metrics(), 'winprefix_leader') === 1 ? true : undefined), { timeoutMs: 30_000, intervalMs: 100 });
  await waitFor('replica-b annotates pods', async () => (writesBy('replica-b').some((w) => w.what.startsWith('patch pods ')) ? true : undefined), { timeoutMs: 30_000 });

  process.kill(a.proc.pid, 'SIGCONT');
  // Resumed, it finds its Lease lapsed by its own clock and steps down (exit 1, as after any lost Lease).
  assert.equal(await a.proc.exited, 1, `replica-a exits after losing the Lease:\n${a.proc.tail(20)}`);
  producing = false;
  await producer;

  await waitFor('every pod annotated', async () => {
    const pods = (await core.listNamespacedPod({ namespace: 'default', fieldSelector: `spec.nodeName=${NODE}` })).items;
    return pods.every((p) => annotationOf(p)) ? true : undefined;
  }, { timeoutMs: 30_000, intervalMs: 100 });
  await checkInvariants(kc, sim, INSTANCES);

  const bFirst = Math.min(...[...writesBy('replica-b'), ...ec2WritesBy(KEYS.b)].map((w) => w.at));
  assert.ok(Number.isFinite(bFirst), 'the new leader acted');
  const late = [...writesBy('replica-a'), ...ec2WritesBy(KEYS.a)].filter((w) => w.at > bFirst);
  assert.deepEqual(late.map((w) => w.what), [], `writes of the old leader after the new leader's first, at ${new Date(bFirst).toISOString()}`);
  assert.ok(writesBy('replica-a').length > 0, 'the old leader did write while it led');
});
