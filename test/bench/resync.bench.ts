/**
 * Re-sync benchmark (not a timed test): what keeping every pool level-based against EC2 costs, and how
 * fast an out-of-band change is acted on. Against a real kube-apiserver and the EC2 simulator, with
 * dist/controller.js as a child process.
 *
 * For each cluster size: N Windows nodes (Node objects, instances in the simulator world), pools built, then
 * at rest for a few periods: EC2 calls per period (by action, from the simulator's journal, so the SDK's
 * retries count), the controller's CPU per period (utime + stime from /proc), its RSS.
 * Then, on a small cluster: time from removing a prefix that holds pods (by another access key, as a person
 * would) to the pods' AddressVanished events, without a contradiction (found by the periodic read) and with
 * one (EC2 hands the block to another node; the periodic read off).
 *
 * Usage: node test/bench/resync.bench.ts [--nodes 10,100,1000] [--period 10s] [--periods 3] [--json]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { createEc2Adapter } from '../../pkg/adapters/ec2/sdk-adapter.ts';
import type { Ec2Simulator } from '../../pkg/ec2sim/server.ts';
import { parseDuration } from '../../pkg/support/duration.ts';
import { startControlPlane } from '../harness/control-plane.ts';
import { createWindowsNode, createWindowsPod, waitFor } from '../harness/cluster-objects.ts';
import { annotationOf, primaryEni, setIpamConfig, startController, startSimulator, world, type ControllerProcess } from '../controller/support.ts';

const { values: flags } = parseArgs({
  options: {
    nodes: { type: 'string', default: '10,100,1000' },
    period: { type: 'string', default: '10s' },
    periods: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});
const SIZES = flags.nodes.split(',').map(Number);
const PERIOD_MS = parseDuration(flags.period, 'period');
const PERIODS = Number(flags.periods);
const log = (line: string) => process.stderr.write(`${line}\n`);

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime, fields 14 and 15 of stat (11 and 12 after the command name), in clock ticks of 1/100 s.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 102.4) / 10 : Number.NaN;
}

const instanceId = (i: number) => `i-0e${i.toString(16).padStart(15, '0')}`;
const nodeName = (i: number) => `rs-${i}`;

/** A world with `n` instances in one /16: room for every node's prefixes. */
function bigWorld(n: number) {
  return world(
    Array.from({ length: n }, (_, i) => ({ id: instanceId(i), type: 'm5.large', subnetId: 'subnet-0d000001', privateIp: `10.20.${200 + Math.floor(i / 250)}.${1 + (i % 250)}`, platform: 'windows' as const })),
    { subnets: [{ id: 'subnet-0d000001', vpcId: 'vpc-0d000001', cidr: '10.20.0.0/16', availabilityZone: 'us-west-2a' }] },
  );
}

async function createNodes(kc: KubeConfig, n: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < n) {
        const i = next++;
        await createWindowsNode(kc, { name: nodeName(i), instanceId: instanceId(i), instanceType: 'm5.large', zone: 'us-west-2a' });
      }
    }),
  );
}

async function deleteNodes(kc: KubeConfig): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await core.deleteCollectionNode({});
  await core.deleteCollectionNamespacedPod({ namespace: 'default', gracePeriodSeconds: 0 });
}

const plane = await startControlPlane({ log });
const kc = plane.kubeConfig();
const core = kc.makeApiClient(CoreV1Api);
await setIpamConfig(kc, { 'enable-windows-ipam': 'true', 'enable-windows-prefix-delegation': 'true' });

const FAST_EC2 = ['--ec2-qps=1000', '--ec2-burst=1000', '--kube-qps=500', '--kube-burst=1000', '--log-level=warn'];
const atRest: Array<Record<string, number>> = [];
let sim: Ec2Simulator | undefined;
let ctl: ControllerProcess | undefined;
try {
  for (const n of SIZES) {
    sim = await startSimulator(bigWorld(n));
    ctl = await startController({ plane, sim, name: `rs-${n}`, args: [...FAST_EC2, `--ec2-resync-period=${PERIOD_MS}ms`] });
    const t0 = performance.now();
    await createNodes(kc, n);
    await waitFor(`${n} warm prefixes`, async () => {
      let ready = 0;
      for (let i = 0; i < n; i++) if (primaryEni(sim!, instanceId(i)).prefixes.length === 1) ready++;
      return ready === n ? true : undefined;
    }, { timeoutMs: 20 * 60_000, intervalMs: 500 });
    const buildMs = Math.round(performance.now() - t0);
    // Let the first passes and the status writes of the build finish before measuring rest.
    await new Promise((r) => setTimeout(r, PERIOD_MS * 1.5));
    sim.journal.clear();
    const cpu0 = cpuSeconds(ctl.proc.pid);
    const w0 = performance.now();
    await new Promise((r) => setTimeout(r, PERIOD_MS * PERIODS));
    const wallPeriods = (performance.now() - w0) / PERIOD_MS;
    const cpu = cpuSeconds(ctl.proc.pid) - cpu0;
    const calls = sim.journal.entries();
    const describes = calls.filter((c) => c.action === 'DescribeNetworkInterfaces').length;
    const row = {
      nodes: n,
      buildSeconds: Math.round(buildMs / 100) / 10,
      describePerPeriod: Math.round((describes / wallPeriods) * 10) / 10,
      ec2CallsPerPeriod: Math.round((calls.length / wallPeriods) * 10) / 10,
      cpuMsPerPeriod: Math.round((cpu / wallPeriods) * 1000),
      rssMiB: rssMiB(ctl.proc.pid),
    };
    atRest.push(row);
    log(`${n} nodes: ${JSON.stringify(row)}`);
    await ctl.stop();
    ctl = undefined;
    await deleteNodes(kc);
    await sim.close();
    sim = undefined;
  }

  // Time from an out-of-band removal to quarantine. Node 0 holds pods; node 1 is one pod short of its second prefix.
  const quarantine: Record<string, number> = {};
  for (const mode of ['periodic', 'contradiction'] as const) {
    sim = await startSimulator(bigWorld(4));
    const human = createEc2Adapter({ endpoint: sim.endpoint, region: 'us-west-2', credentials: { accessKeyId: 'AKIDSOMEONEELSE', secretAccessKey: 'x' } });
    ctl = await startController({ plane, sim, name: `rs-q-${mode}`, args: [...FAST_EC2, `--ec2-resync-period=${mode === 'periodic' ? PERIOD_MS : 0}ms`] });
    await createNodes(kc, 4);
    await waitFor('warm prefixes', async () => ([0, 1, 2, 3].every((i) => primaryEni(sim!, instanceId(i)).prefixes.length === 1) ? true : undefined), { timeoutMs: 60_000 });
    const held = ['q-0', 'q-1', 'q-2'];
    for (const name of held) await createWindowsPod(kc, { name, nodeName: nodeName(0), requestIp: true });
    const filler = Array.from({ length: 15 }, (_, i) => `f-${i}`);
    for (const name of filler) await createWindowsPod(kc, { name, nodeName: nodeName(1), requestIp: true });
    await waitFor('pods annotated', async () => ((await core.listNamespacedPod({ namespace: 'default' })).items.every((p) => annotationOf(p)) ? true : undefined), { timeoutMs: 60_000 });
    const prefix = primaryEni(sim, instanceId(0)).prefixes[0]!;
    // Node 0 was first to get a prefix, so its block is the lowest: the next prefix EC2 gives is this one.
    const removedAt = performance.now();
    await human.unassignPrefixes(primaryEni(sim, instanceId(0)).networkInterfaceId, [prefix]);
    if (mode === 'contradiction') await createWindowsPod(kc, { name: 'f-last', nodeName: nodeName(1), requestIp: true });
    await waitFor('the held pods told', async () => {
      const events = (await core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'reason=AddressVanished' })).items;
      return held.every((p) => events.some((e) => e.involvedObject?.name === p)) ? true : undefined;
    }, { timeoutMs: 120_000, intervalMs: 20 });
    quarantine[mode] = Math.round(performance.now() - removedAt);
    log(`removal to quarantine, ${mode}: ${quarantine[mode]} ms`);
    human.destroy();
    await ctl.stop();
    ctl = undefined;
    await deleteNodes(kc);
    await sim.close();
    sim = undefined;
  }

  const result = { periodMs: PERIOD_MS, atRest, removalToQuarantineMs: quarantine };
  if (flags.json) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(`re-sync period ${PERIOD_MS} ms (jittered +-20%), measured over ${PERIODS} periods at rest`);
    console.log('nodes  build s  DescribeNetworkInterfaces/period  EC2 calls/period  controller CPU ms/period  RSS MiB');
    for (const r of atRest) console.log(`${String(r.nodes).padStart(5)}  ${String(r.buildSeconds).padStart(7)}  ${String(r.describePerPeriod).padStart(32)}  ${String(r.ec2CallsPerPeriod).padStart(16)}  ${String(r.cpuMsPerPeriod).padStart(24)}  ${String(r.rssMiB).padStart(7)}`);
    console.log(`removal of a prefix holding pods -> AddressVanished on its pods: ${quarantine.periodic} ms by the periodic read (period ${PERIOD_MS} ms), ${quarantine.contradiction} ms by the contradiction (periodic read off)`);
  }
} finally {
  await ctl?.stop();
  await sim?.close();
  await plane.stop();
}
