/**
 * Benchmark: `kubectl winprefix subnets` on a /16 (the largest subnet EC2 allows) holding 5,000 ENIs: 50
 * Windows nodes in prefix mode with their pods on a real kube-apiserver, the rest other tenants' ENIs with
 * scattered secondary IPs, all in the EC2 simulator. Measured: the bundle as a process (wall time around
 * it, peak RSS with GNU time), table, --map and -o json, each the median of --runs runs after one warm-up
 * run; the pure analysis in process (SubnetUsage and the whole report); the EC2 calls one run makes.
 *
 *   node test/bench/subnets.bench.ts [--runs N] [--enis N] [--nodes N] [--pods N]
 *
 * Needs dist/ (npm run bench builds it; alone: npm run build first).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RESOURCE_NAME } from '../../pkg/core/contract.ts';
import { bundledInstanceLimits } from '../../pkg/core/ec2/instance-limits.ts';
import { SubnetUsage } from '../../pkg/core/ec2/subnet-usage.ts';
import { formatIPv4, parseIPv4 } from '../../pkg/core/net/ipv4.ts';
import { createPrng } from '../../pkg/ec2sim/prng.ts';
import { startEc2Simulator } from '../../pkg/ec2sim/server.ts';
import type { WorldSpec } from '../../pkg/ec2sim/world-spec.ts';
import { analyzeSubnets } from '../../plugin/subnets/analyze.ts';
import { createWindowsNode, ensureNamespace } from '../harness/cluster-objects.ts';
import { startControlPlane } from '../harness/control-plane.ts';
import { AWS_TEST_ENV, cleanEnv, requirePluginBundle, runProcess } from '../plugin/scenario.ts';
import { CoreV1Api } from '@kubernetes/client-node';
import { patchNodeCapacity } from '../../pkg/adapters/kube/patches.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' }, enis: { type: 'string', default: '5000' }, nodes: { type: 'string', default: '50' }, pods: { type: 'string', default: '20' } } });
const RUNS = Number(values.runs);
const ENIS = Number(values.enis);
const NODES = Number(values.nodes);
const PODS = Number(values.pods);
const GNU_TIME = '/usr/bin/time';
const haveTime = existsSync(GNU_TIME);
const SUBNET = 'subnet-0b160001';
const CIDR = '10.60.0.0/16';
const ZONE = 'us-west-2a';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** A /16 with NODES Windows nodes (two prefixes each, low in the subnet) and ENIS - NODES other ENIs with 0-6 secondary IPs at random. */
function world(): WorldSpec {
  const prng = createPrng(16);
  const base = parseIPv4('10.60.0.0');
  const taken = new Set<number>();
  const take = (ip: number) => (taken.has(ip) ? undefined : (taken.add(ip), formatIPv4(ip)));
  const random = () => {
    for (;;) {
      const ip = take(base + 4 + prng.int(65531));
      if (ip) return ip;
    }
  };
  const instances: WorldSpec['instances'] = [];
  for (let k = 0; k < NODES; k++) {
    const prefixes = [0, 1].map((p) => {
      const block = base + 4096 + 32 * k + 16 * p;
      for (let i = 0; i < 16; i++) taken.add(block + i);
      return `${formatIPv4(block)}/28`;
    });
    instances.push({ id: `i-0b16${k.toString(16).padStart(4, '0')}`, type: 'm5.large', subnetId: SUBNET, privateIp: take(base + 16 + k)!, platform: 'windows', prefixes });
  }
  const networkInterfaces: NonNullable<WorldSpec['networkInterfaces']> = [];
  for (let k = 0; k < ENIS - NODES; k++) {
    networkInterfaces.push({ id: `eni-0e16${k.toString(16).padStart(4, '0')}`, subnetId: SUBNET, privateIp: random(), secondaryIps: Array.from({ length: prng.int(7) }, random) });
  }
  return { region: 'us-west-2', vpcs: [{ id: 'vpc-0b160001', cidr: '10.60.0.0/16' }], subnets: [{ id: SUBNET, vpcId: 'vpc-0b160001', cidr: CIDR, availabilityZone: ZONE }], instances, networkInterfaces };
}

async function measure(args: string[], env: Record<string, string>): Promise<{ ms: number; rssKiB: number; bytes: number }> {
  const rssFile = join(scratch, 'rss');
  const [cmd, argv] = haveTime ? [GNU_TIME, ['-f', '%M', '-o', rssFile, process.execPath, ...args]] : [process.execPath, args];
  const t0 = performance.now();
  const r = await runProcess(cmd, argv, env, 120_000);
  const ms = performance.now() - t0;
  if (r.code !== 0 && r.code !== 1) throw new Error(`subnets exited ${r.code}: ${r.stderr.slice(-500)}`);
  return { ms, rssKiB: haveTime ? Number(readFileSync(rssFile, 'utf8').trim().split('\n').at(-1)) : Number.NaN, bytes: r.stdout.length };
}

const scratch = mkdtempSync(join(tmpdir(), 'winprefix-subnets-bench-'));
const bundle = requirePluginBundle();
const spec = world();
const plane = await startControlPlane({ log: () => {} });
const sim = await startEc2Simulator({ world: spec });
try {
  const kc = plane.kubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  await ensureNamespace(kc, 'apps');
  const seeded = performance.now();
  for (const [k, i] of spec.instances.entries()) {
    const name = `win-${k}`;
    await createWindowsNode(kc, { name, instanceId: i.id, instanceType: i.type, zone: ZONE });
    await patchNodeCapacity({ core }, name, RESOURCE_NAME, 144);
    const first = parseIPv4(i.prefixes![0]!.split('/')[0]!);
    await Promise.all(
      Array.from({ length: PODS }, (_, p) =>
        core.createNamespacedPod({
          namespace: 'apps',
          body: {
            metadata: { name: `${name}-${p}`, namespace: 'apps', annotations: { [RESOURCE_NAME]: `${formatIPv4(first + p)}/32` } },
            spec: { nodeName: name, containers: [{ name: 'c', image: 'mcr.microsoft.com/windows/nanoserver:ltsc2022', resources: { requests: { [RESOURCE_NAME]: '1' }, limits: { [RESOURCE_NAME]: '1' } } }] },
          },
        }),
      ),
    );
  }
  const seedMs = performance.now() - seeded;

  const env = cleanEnv({ ...AWS_TEST_ENV, HOME: scratch });
  const base = [bundle, 'subnets', '--kubeconfig', plane.kubeconfigPath, '--ec2-endpoint', sim.endpoint];
  const variants: Record<string, string[]> = { table: base, '--map': [...base, '--map'], '-o json': [...base, '-o', 'json'] };
  sim.counters.reset();
  await measure(base, env);
  const calls = sim.counters.snapshot();
  const results: Record<string, Array<{ ms: number; rssKiB: number; bytes: number }>> = {};
  for (const [name, args] of Object.entries(variants)) {
    await measure(args, env);
    results[name] = [];
    for (let r = 0; r < RUNS; r++) results[name]!.push(await measure(args, env));
  }

  // The analysis alone, in process, on what the simulator holds.
  const interfaces = sim.world.networkInterfaces().filter((e) => e.subnetId === SUBNET);
  const time = (fn: () => unknown) => {
    const t0 = performance.now();
    fn();
    return performance.now() - t0;
  };
  const usageMs: number[] = [];
  for (let r = 0; r < RUNS; r++) usageMs.push(time(() => new SubnetUsage({ cidr: CIDR, interfaces, reservations: [] })));
  const limits = bundledInstanceLimits('m5.large')!;
  const nodes = spec.instances.map((i, k) => ({
    name: `win-${k}`,
    node: {},
    instanceId: i.id,
    instanceType: i.type,
    zone: ZONE,
    pods: [],
    eni: { ...sim.world.instance(i.id).interfaces[0]!, deviceIndex: 0 },
    limits,
    unread: null,
  }));
  const reportMs: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    reportMs.push(
      time(() =>
        analyzeSubnets({ now: new Date(), selector: null, subnetIds: [], headroomWanted: null, withMap: true, ec2: { region: 'us-west-2', endpoint: null, profile: null }, nodes, subnets: [{ subnet: sim.world.subnet(SUBNET), interfaces, reservations: [] }] }),
      ),
    );
  }

  console.log(`subnets.bench: ${CIDR} with ${interfaces.length} ENIs (${NODES} Windows nodes with ${PODS} pods each), ${RUNS} runs after a warm-up, node ${process.version}, GNU time ${haveTime ? 'yes' : 'missing (no RSS)'}; seeding took ${(seedMs / 1000).toFixed(1)} s`);
  console.log('');
  console.log(`${'node dist/kubectl-winprefix.js subnets'.padEnd(44)} ${'wall (median)'.padStart(14)} ${'min..max'.padStart(14)} ${'peak RSS'.padStart(9)} ${'stdout'.padStart(10)}`);
  for (const [name, list] of Object.entries(results)) {
    const ms = list.map((x) => x.ms);
    console.log(
      `${`  ${name}`.padEnd(44)} ${`${median(ms).toFixed(0)} ms`.padStart(14)} ${`${Math.min(...ms).toFixed(0)}..${Math.max(...ms).toFixed(0)}`.padStart(14)} ${(haveTime ? `${(median(list.map((x) => x.rssKiB)) / 1024).toFixed(0)} MiB` : 'n/a').padStart(9)} ${`${(list[0]!.bytes / 1024).toFixed(0)} KiB`.padStart(10)}`,
    );
  }
  console.log('');
  console.log(`in process: SubnetUsage of the /16          ${median(usageMs).toFixed(1)} ms median (min ${Math.min(...usageMs).toFixed(1)})`);
  console.log(`in process: the whole report, with the map  ${median(reportMs).toFixed(1)} ms median (min ${Math.min(...reportMs).toFixed(1)})`);
  console.log(`EC2 calls of one run: ${Object.entries(calls).map(([action, c]) => `${action} ${c.calls}`).join(', ')}`);
} finally {
  await sim.close();
  await plane.stop();
  rmSync(scratch, { recursive: true, force: true });
}
