/**
 * Controller benchmark (not a timed test): a burst of Windows pods across Windows nodes, against a
 * real kube-apiserver and the EC2 simulator, with dist/controller.js as a child process.
 * Reports time from pod creation to annotation (p50/p99), pods/s sustained, EC2 calls against the
 * lower bound, controller RSS idle and after the burst, bundle size and start-up time on Node and Deno.
 *
 * Usage: node test/bench/controller.bench.ts [--pods 500] [--nodes 10] [--admission policy|webhook] [--json]
 *   --admission  the pod mutation and guard as admission policies (default, as on Kubernetes >= 1.36) or as
 *                the controller's webhooks
 */
import { statSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CoreV1Api, Watch, type V1Pod } from '@kubernetes/client-node';
import { POD_IP_ANNOTATION, RESOURCE_NAME } from '../../pkg/core/contract.ts';
import { startControlPlane } from '../harness/control-plane.ts';
import { createWindowsNode, createWindowsPod, ensureNamespace, waitFor } from '../harness/cluster-objects.ts';
import { ADMIN_USER, BUNDLE, DENO, installAdmission, setIpamConfig, startController, startSimulator, waitForCapacity, waitForPodMutation, world, type ControllerProcess } from '../controller/support.ts';
import { spawn } from 'node:child_process';

const { values: flags } = parseArgs({
  options: { pods: { type: 'string', default: '500' }, nodes: { type: 'string', default: '10' }, admission: { type: 'string', default: 'policy' }, json: { type: 'boolean', default: false } },
});
if (flags.admission !== 'policy' && flags.admission !== 'webhook') throw new Error(`--admission "${flags.admission}": use policy or webhook`);
const ADMISSION = flags.admission;
const POD_COUNT = Number(flags.pods);
const NODE_COUNT = Number(flags.nodes);
const CLIENT_PARALLELISM = 16;
const NAMESPACE = 'bench';

const log = (line: string) => process.stderr.write(`${line}\n`);
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 102.4) / 10 : Number.NaN;
}

/** Mean wall time of `runs` executions of a command that exits by itself. */
async function timeCommand(command: string, args: string[], runs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const child = spawn(command, args, { stdio: 'ignore' });
      child.on('error', reject);
      child.on('exit', () => resolve());
    });
    times.push(performance.now() - t0);
  }
  return Math.round(times.reduce((a, b) => a + b, 0) / times.length);
}

const plane = await startControlPlane({ log });
const kc = plane.kubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const instances = Array.from({ length: NODE_COUNT }, (_, i) => ({
  name: `bench-${i}`,
  id: `i-0e${i.toString(16).padStart(15, '0')}`,
  ip: `10.20.${1 + Math.floor(i / 200)}.${10 + (i % 200)}`,
}));
const sim = await startSimulator(world(instances.map((n) => ({ id: n.id, type: 'm5.large', subnetId: 'subnet-0d000001', privateIp: n.ip, platform: 'windows' as const }))));
let ctl: ControllerProcess | undefined;
try {
  await setIpamConfig(kc, { 'enable-windows-ipam': 'true', 'enable-windows-prefix-delegation': 'true' });
  await ensureNamespace(kc, NAMESPACE);

  // Start-up: from spawn to /readyz with the caches synced and the Lease held.
  const startups: Record<string, number> = {};
  for (const runtime of ['node', 'deno'] as const) {
    const t0 = performance.now();
    const c = await startController({ plane, sim, name: `ctl-startup-${runtime}`, runtime });
    startups[runtime] = Math.round(performance.now() - t0);
    await c.stop();
  }
  const helpNode = await timeCommand(process.execPath, [BUNDLE, '--help'], 5);
  const helpDeno = await timeCommand(DENO, ['run', '--allow-env', '--allow-read', '--allow-net', '--allow-sys', BUNDLE, '--help'], 5);

  // Production status interval and EC2 limits; Kubernetes QPS raised as an operator of a busy cluster would.
  ctl = await startController({ plane, sim, name: 'ctl-bench', webhooks: ADMISSION === 'webhook', args: [`--log-level=${process.env.BENCH_LOG_LEVEL ?? 'info'}`, '--kube-qps=200', '--kube-burst=400', '--ec2-qps=12', '--ec2-burst=18', '--status-interval=5s'] });
  await installAdmission(plane, { mode: ADMISSION, webhookPort: ctl.ports.webhook, controllerUsernames: [ADMIN_USER] });
  await waitForPodMutation(kc, NAMESPACE);
  for (const n of instances) {
    await createWindowsNode(kc, { name: n.name, instanceId: n.id, instanceType: 'm5.large', zone: 'us-west-2a' });
  }
  for (const n of instances) await waitForCapacity(kc, n.name, 144, 60_000);
  await waitFor('warm prefixes on every node', async () => (instances.every((n) => sim.world.instance(n.id).interfaces[0]!.prefixes.length === 1) ? true : undefined), { timeoutMs: 60_000 });
  await new Promise((r) => setTimeout(r, 2_000));
  const rssIdle = rssMiB(ctl.proc.pid);
  const countersBefore = sim.counters.snapshot();

  // Watch for annotations while creating the burst.
  const createdAt = new Map<string, number>();
  /** When the create call returned: the pod exists (webhook and admission done). */
  const existsAt = new Map<string, number>();
  const annotatedAt = new Map<string, number>();
  let allDone: () => void = () => {};
  const done = new Promise<void>((r) => (allDone = r));
  const watch = await new Watch(kc).watch(`/api/v1/namespaces/${NAMESPACE}/pods`, {}, (_type: string, pod: V1Pod) => {
    const name = pod.metadata?.name ?? '';
    if (!annotatedAt.has(name) && pod.metadata?.annotations?.[POD_IP_ANNOTATION]) {
      annotatedAt.set(name, performance.now());
      if (annotatedAt.size === POD_COUNT) allDone();
    }
  }, () => {});
  const names = Array.from({ length: POD_COUNT }, (_, i) => ({ name: `p-${i}`, node: instances[i % NODE_COUNT]!.name }));
  const burstStart = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CLIENT_PARALLELISM }, async () => {
      while (next < names.length) {
        const p = names[next++]!;
        createdAt.set(p.name, performance.now());
        await createWindowsPod(kc, { name: p.name, namespace: NAMESPACE, nodeName: p.node });
        existsAt.set(p.name, performance.now());
      }
    }),
  );
  const createdAll = performance.now();
  // A pod the mutation did not reach (the webhook's failurePolicy Ignore) carries no resource request and is
  // rightly never annotated: count those apart instead of waiting for them.
  let withoutRequest: string[] = [];
  const finished = await Promise.race([
    done.then(() => true),
    (async () => {
      for (;;) {
        await new Promise((r) => setTimeout(r, 5_000));
        if (annotatedAt.size === POD_COUNT) return true;
        const listed = await core.listNamespacedPod({ namespace: NAMESPACE });
        withoutRequest = listed.items.filter((p) => !p.spec?.containers[0]?.resources?.requests?.[RESOURCE_NAME]).map((p) => p.metadata?.name ?? '');
        const waiting = listed.items.filter((p) => !p.metadata?.annotations?.[POD_IP_ANNOTATION] && !withoutRequest.includes(p.metadata?.name ?? ''));
        if (listed.items.length === POD_COUNT && waiting.length === 0) return true;
        if (performance.now() - createdAll > 120_000) return false;
      }
    })(),
  ]);
  if (withoutRequest.length > 0) {
    const apiserverLog = readFileSync(plane.apiserverLogPath, 'utf8').split('\n').filter((l) => /failed calling webhook/.test(l)).slice(0, 3);
    log(`${withoutRequest.length} pod(s) created without the resource (mutation not applied): ${withoutRequest.join(', ')}\n${apiserverLog.join('\n')}`);
  }
  if (!finished) {
    const listed = await core.listNamespacedPod({ namespace: NAMESPACE });
    const missing = listed.items.filter((p) => !p.metadata?.annotations?.[POD_IP_ANNOTATION]).map((p) => `${p.metadata?.name} uid=${p.metadata?.uid} node=${p.spec?.nodeName}`);
    const unseen = listed.items.filter((p) => p.metadata?.annotations?.[POD_IP_ANNOTATION] && !annotatedAt.has(p.metadata?.name ?? '')).map((p) => p.metadata?.name);
    throw new Error(`only ${annotatedAt.size}/${POD_COUNT} pods seen annotated after 120 s; unannotated in the API: ${missing.join('; ') || 'none'}; annotated but not seen by the watch: ${unseen.join(', ') || 'none'}; controller log ${ctl.proc.logPath}`);
  }
  const burstEnd = performance.now();
  watch.abort();
  const rssAfter = rssMiB(ctl.proc.pid);

  const annotated = names.filter((p) => annotatedAt.has(p.name));
  const latencies = annotated.map((p) => annotatedAt.get(p.name)! - createdAt.get(p.name)!).sort((a, b) => a - b);
  const sinceExists = annotated.map((p) => Math.max(0, annotatedAt.get(p.name)! - existsAt.get(p.name)!)).sort((a, b) => a - b);
  const countersAfter = sim.counters.snapshot();
  const delta = (action: string) => (countersAfter[action]?.calls ?? 0) - (countersBefore[action]?.calls ?? 0);
  const perNode = Math.ceil(POD_COUNT / NODE_COUNT);
  // Prefixes needed: enough for the pods plus the warm target (1 address) on each node, minus the warm prefix already there.
  const prefixesNeeded = instances.reduce((sum, _n, i) => sum + Math.ceil((Math.floor(POD_COUNT / NODE_COUNT) + (i < POD_COUNT % NODE_COUNT ? 1 : 0) + 1) / 16) - 1, 0);
  const prefixesAttached = instances.reduce((sum, n) => sum + sim.world.instance(n.id).interfaces[0]!.prefixes.length, 0);
  const pods = await core.listNamespacedPod({ namespace: NAMESPACE });
  const ips = pods.items.map((p) => p.metadata?.annotations?.[POD_IP_ANNOTATION]).filter(Boolean);
  const result = {
    pods: POD_COUNT,
    nodes: NODE_COUNT,
    admission: ADMISSION,
    podsPerNode: perNode,
    creationToAnnotationMs: { p50: Math.round(percentile(latencies, 50)), p90: Math.round(percentile(latencies, 90)), p99: Math.round(percentile(latencies, 99)), max: Math.round(latencies.at(-1)!) },
    existsToAnnotationMs: { p50: Math.round(percentile(sinceExists, 50)), p90: Math.round(percentile(sinceExists, 90)), p99: Math.round(percentile(sinceExists, 99)), max: Math.round(sinceExists.at(-1)!) },
    clientCreateSeconds: Math.round((createdAll - burstStart) / 10) / 100,
    burstSeconds: Math.round((burstEnd - burstStart) / 10) / 100,
    podsPerSecond: Math.round((POD_COUNT / ((burstEnd - burstStart) / 1000)) * 10) / 10,
    uniqueAddresses: new Set(ips).size,
    podsWithoutResource: withoutRequest.length,
    ec2: {
      assignCalls: delta('AssignPrivateIpAddresses'),
      describeNetworkInterfacesCalls: delta('DescribeNetworkInterfaces'),
      unassignCalls: delta('UnassignPrivateIpAddresses'),
      totalCalls: Object.keys(countersAfter).reduce((n, a) => n + delta(a), 0),
      prefixesNeeded,
      prefixesAttachedAfter: prefixesAttached,
      lowerBoundAssignCalls: NODE_COUNT,
    },
    rssMiB: { idle: rssIdle, afterBurst: rssAfter },
    bundle: { bytes: statSync(BUNDLE).size },
    startupToReadyMs: startups,
    helpExitMs: { node: helpNode, deno: helpDeno },
  };
  if (flags.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    const r = result;
    process.stdout.write(
      [
        `controller burst: ${r.pods} pods across ${r.nodes} nodes (m5.large, prefix mode, admission as ${r.admission === 'policy' ? 'policies' : 'webhooks'})`,
        `  creation request sent -> annotation seen: p50 ${r.creationToAnnotationMs.p50} ms, p90 ${r.creationToAnnotationMs.p90} ms, p99 ${r.creationToAnnotationMs.p99} ms, max ${r.creationToAnnotationMs.max} ms`,
        `  create call returned -> annotation seen: p50 ${r.existsToAnnotationMs.p50} ms, p90 ${r.existsToAnnotationMs.p90} ms, p99 ${r.existsToAnnotationMs.p99} ms, max ${r.existsToAnnotationMs.max} ms`,
        `  sustained: ${r.podsPerSecond} pods/s (burst ${r.burstSeconds} s; the client needed ${r.clientCreateSeconds} s to create them); unique addresses ${r.uniqueAddresses}/${r.pods}${r.podsWithoutResource ? `; ${r.podsWithoutResource} pod(s) missed by the mutation (no resource request, not annotated)` : ''}`,
        `  EC2: ${r.ec2.assignCalls} AssignPrivateIpAddresses (lower bound ${r.ec2.lowerBoundAssignCalls}, one per node), ${r.ec2.describeNetworkInterfacesCalls} DescribeNetworkInterfaces, ${r.ec2.unassignCalls} Unassign, ${r.ec2.totalCalls} calls in all; prefixes needed ${r.ec2.prefixesNeeded}, attached after ${r.ec2.prefixesAttachedAfter} (incl. ${r.nodes} warm)`,
        `  controller RSS: idle ${r.rssMiB.idle} MiB, after burst ${r.rssMiB.afterBurst} MiB`,
        `  bundle: ${(r.bundle.bytes / 1e6).toFixed(2)} MB; start-up to ready: node ${r.startupToReadyMs.node} ms, deno ${r.startupToReadyMs.deno} ms; --help: node ${r.helpExitMs.node} ms, deno ${r.helpExitMs.deno} ms`,
      ].join('\n') + '\n',
    );
  }
} finally {
  await ctl?.stop();
  await sim.close();
  await plane.stop();
}
