/**
 * Benchmark: `get nodes`, `get nodes --ec2` and `check` on a cluster of 200 Windows nodes and 4,000 pods (20
 * a node, two /28 prefixes each, the controller's status on every node), against a real kube-apiserver and the
 * EC2 simulator. For each command: wall time around the process (the bundle, as `node dist/kubectl-winprefix.js`
 * runs it; median and range of N runs), peak RSS (GNU time), the Kubernetes requests counted at the API server
 * (its audit log, every request with the plugin's user agent, by verb and resource) and the EC2 calls counted
 * by the simulator. A first run of each fills the compile cache, as any second run does.
 *
 *   node test/bench/cluster.bench.ts [--nodes 200] [--pods-per-node 20] [--runs 5]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { CoreV1Api } from '@kubernetes/client-node';
import { NODE_STATUS_ANNOTATION, POD_IP_ANNOTATION, RESOURCE_NAME } from '../../pkg/core/contract.ts';
import { startEc2Simulator } from '../../pkg/ec2sim/server.ts';
import type { WorldSpec } from '../../pkg/ec2sim/world-spec.ts';
import { formatIPv4, parseCidr } from '../../pkg/core/net/ipv4.ts';
import { patchNodeAnnotations, patchNodeCapacity } from '../../pkg/adapters/kube/patches.ts';
import type { NodeStatus } from '../../pkg/core/status/node-status.ts';
import { startControlPlane } from '../harness/control-plane.ts';
import { createWindowsNode } from '../harness/cluster-objects.ts';
import { AWS_TEST_ENV, buildPluginBundle, cleanEnv, instanceIdOf, runProcess, seeder } from '../plugin/scenario.ts';

const { values } = parseArgs({ options: { nodes: { type: 'string', default: '200' }, 'pods-per-node': { type: 'string', default: '20' }, runs: { type: 'string', default: '5' } } });
const NODES = Number(values.nodes);
const PODS_PER_NODE = Number(values['pods-per-node']);
const RUNS = Number(values.runs);
const GNU_TIME = '/usr/bin/time';
const haveTime = existsSync(GNU_TIME);
const scratch = mkdtempSync(join(tmpdir(), 'winprefix-cluster-bench-'));
const auditLog = join(scratch, 'audit.log');
const auditPolicy = join(scratch, 'audit-policy.yaml');
writeFileSync(auditPolicy, ['apiVersion: audit.k8s.io/v1', 'kind: Policy', 'omitStages: [RequestReceived]', 'rules:', '- level: Metadata', ''].join('\n'));

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Runs `work` over `items`, `limit` at a time. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

const world: WorldSpec = {
  region: 'us-west-2',
  vpcs: [{ id: 'vpc-0b000001', cidr: '10.0.0.0/16' }],
  subnets: [{ id: 'subnet-0b000001', vpcId: 'vpc-0b000001', cidr: '10.0.0.0/17', availabilityZone: 'us-west-2a' }],
  instances: Array.from({ length: NODES }, (_, k) => ({ id: instanceIdOf(k + 1), type: 'm5.large', subnetId: 'subnet-0b000001', privateIp: formatIPv4(parseCidr('10.0.64.0/18').base + k), platform: 'windows' as const })),
};

// A cluster running winprefix: every node carries the controller's status, every pod its address.
const plane = await startControlPlane({ log: () => {}, apiserverFlags: [`--audit-policy-file=${auditPolicy}`, `--audit-log-path=${auditLog}`, '--audit-log-mode=blocking'] });
const sim = await startEc2Simulator({ world });
const s = seeder(plane.kubeConfig(), sim.endpoint);
const core = plane.kubeConfig().makeApiClient(CoreV1Api);
try {
  const seedStarted = performance.now();
  await core.createNamespacedConfigMap({ namespace: 'kube-system', body: { metadata: { name: 'amazon-vpc-cni', namespace: 'kube-system' }, data: { 'enable-windows-ipam': 'true', 'enable-windows-prefix-delegation': 'true' } } });
  const prefixesNeeded = Math.ceil((PODS_PER_NODE + 1) / 16);
  await pool(Array.from({ length: NODES }, (_, k) => k), 16, async (k) => {
    const name = `win-${String(k).padStart(3, '0')}`;
    const instanceId = instanceIdOf(k + 1);
    await createWindowsNode(s.kc, { name, instanceId, instanceType: 'm5.large', zone: 'us-west-2a' });
    await patchNodeCapacity(s, name, RESOURCE_NAME, 144);
    const [eni] = await s.ec2.describeInstanceInterfaces(instanceId);
    const prefixes = await s.ec2.assignPrefixes(eni!.networkInterfaceId, prefixesNeeded);
    const used = prefixes.map((_, i) => Math.min(16, PODS_PER_NODE - i * 16));
    const status: NodeStatus = {
      v: 1,
      at: new Date().toISOString(),
      mode: 'prefix',
      reason: 'enable-windows-prefix-delegation is "true": one /28 prefix (16 addresses) per slot',
      config: { sizing: 'ip-targets', warmIPTarget: 1, minimumIPTarget: 3, warmPrefixTarget: 0, problems: [] },
      capacity: { nominal: 144, deliverable: 144, advertised: 144 },
      slots: { total: 9, prefixes: prefixes.length, secondaryIps: 0, free: 9 - prefixes.length },
      prefixes: prefixes.map((cidr, i) => ({ cidr, used: used[i]!, free: 16 - used[i]!, cooling: 0, map: `${'u'.repeat(used[i]!)}${'.'.repeat(16 - used[i]!)}` })),
      secondaryIps: { used: [], free: [], cooling: [], releasing: [] },
      pending: { assignPrefixes: 0, assignSecondaryIps: 0, unassignPrefixes: 0, unassignSecondaryIps: 0, resync: false },
    };
    await patchNodeAnnotations(s, name, { [NODE_STATUS_ANNOTATION]: JSON.stringify(status) });
    for (let i = 0; i < PODS_PER_NODE; i++) {
      const address = formatIPv4(parseCidr(prefixes[Math.floor(i / 16)]!).base + (i % 16));
      await core.createNamespacedPod({
        namespace: 'default',
        body: {
          metadata: { name: `${name}-pod-${i}`, annotations: { [POD_IP_ANNOTATION]: `${address}/32` } },
          spec: {
            nodeName: name,
            nodeSelector: { 'kubernetes.io/os': 'windows' },
            containers: [{ name: 'app', image: 'mcr.microsoft.com/windows/nanoserver:ltsc2022', resources: { requests: { [RESOURCE_NAME]: '1' }, limits: { [RESOURCE_NAME]: '1' } } }],
          },
        },
      });
    }
  });
  const seedSeconds = (performance.now() - seedStarted) / 1000;

  const bundle = await buildPluginBundle();
  const env = cleanEnv({ ...AWS_TEST_ENV, HOME: scratch });
  const connection = ['--kubeconfig', plane.kubeconfigPath, '--ec2-endpoint', sim.endpoint];
  const commands: Record<string, string[]> = {
    'get nodes': ['get', 'nodes', '-o', 'json'],
    'get nodes --ec2': ['get', 'nodes', '--ec2', '-o', 'json'],
    check: ['check', '-o', 'json'],
  };
  const rssFile = join(scratch, 'rss');

  /** The plugin's requests in the audit log since `from` (a byte offset), by "verb resource". */
  const requestsSince = (from: number): Map<string, number> => {
    const text = readFileSync(auditLog).subarray(from).toString('utf8');
    const by = new Map<string, number>();
    for (const line of text.split('\n')) {
      if (!line) continue;
      const e = JSON.parse(line) as { userAgent?: string; verb?: string; objectRef?: { resource?: string } };
      if (!e.userAgent?.startsWith('kubectl-winprefix')) continue;
      const key = `${e.verb} ${e.objectRef?.resource ?? '?'}`;
      by.set(key, (by.get(key) ?? 0) + 1);
    }
    return by;
  };

  console.log(`cluster.bench: ${NODES} Windows nodes, ${NODES * PODS_PER_NODE} pods (${PODS_PER_NODE} a node), ${RUNS} runs each, node ${process.version}, seeded in ${seedSeconds.toFixed(0)} s`);
  console.log('');
  console.log(`${'command'.padEnd(18)} ${'wall (median)'.padStart(14)} ${'range'.padStart(14)} ${'peak RSS'.padStart(9)} ${'API requests'.padStart(13)} ${'EC2 calls'.padStart(10)}  exit   requests by verb and resource`);
  for (const [name, args] of Object.entries(commands)) {
    const once = async () => {
      const from = existsSync(auditLog) ? readFileSync(auditLog).length : 0;
      const ec2Before = sim.counters.total();
      const [cmd, argv] = haveTime ? [GNU_TIME, ['-f', '%M', '-o', rssFile, process.execPath, bundle, ...args, ...connection]] : [process.execPath, [bundle, ...args, ...connection]];
      const t0 = performance.now();
      const r = await runProcess(cmd, argv, env, 300_000);
      const ms = performance.now() - t0;
      if (r.code > 1) throw new Error(`${name}: exit ${r.code}: ${r.stderr.slice(-500)}`);
      const rss = haveTime ? Number(readFileSync(rssFile, 'utf8').trim().split('\n').at(-1)) / 1024 : Number.NaN;
      return { ms, rss, code: r.code, requests: requestsSince(from), ec2: sim.counters.total() - ec2Before, items: (JSON.parse(r.stdout) as { items?: unknown[]; nodes?: unknown[] }) };
    };
    await once();
    const samples = [];
    for (let i = 0; i < RUNS; i++) samples.push(await once());
    const last = samples.at(-1)!;
    const total = [...last.requests.values()].reduce((a, b) => a + b, 0);
    const detail = [...last.requests].sort().map(([k, v]) => `${k} ${v}`).join(', ');
    const counted = (last.items.items ?? last.items.nodes ?? []).length;
    if (counted !== NODES) throw new Error(`${name}: ${counted} nodes in the output, expected ${NODES}`);
    console.log(
      `${name.padEnd(18)} ${`${median(samples.map((x) => x.ms)).toFixed(0)} ms`.padStart(14)} ${`${Math.min(...samples.map((x) => x.ms)).toFixed(0)}..${Math.max(...samples.map((x) => x.ms)).toFixed(0)} ms`.padStart(14)} ${(haveTime ? `${median(samples.map((x) => x.rss)).toFixed(0)} MiB` : 'n/a').padStart(9)} ${String(total).padStart(13)} ${String(last.ec2).padStart(10)}  ${String(last.code).padEnd(5)}  ${detail}`,
    );
  }
  // Where the time of one check goes, by the plugin's own phase marks.
  const timed = await runProcess(process.execPath, [bundle, 'check', '-o', 'json', ...connection], { ...env, WINPREFIX_DEBUG: 'timing' }, 300_000);
  const phases = timed.stderr.split('\n').filter((l) => /^\[timing\]/.test(l) && /(command line read|kubeconfig read|connected|list pods answered|check: |cluster: )/.test(l));
  console.log('');
  console.log('one check, WINPREFIX_DEBUG=timing (ms since the process started):');
  for (const line of phases) console.log(`  ${line.replace('[timing] ', '')}`);
  rmSync(dirname(bundle), { recursive: true, force: true });
} finally {
  s.ec2.destroy();
  await sim.close();
  await plane.stop();
  rmSync(scratch, { recursive: true, force: true });
}
