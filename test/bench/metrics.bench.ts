/**
 * Benchmark: what /metrics costs. The exposition for `--nodes` managed nodes (size, render time), reading the
 * counts of that many real pools (against building their whole snapshots), and a
 * scrape over loopback without authentication, with authentication answered from the cache, and with a
 * cold cache (one TokenReview and one SubjectAccessReview against a real kube-apiserver), plus how many
 * reviews `--scrapes` scrapes with one token cost.
 *   node test/bench/metrics.bench.ts [--nodes 100] [--scrapes 300]
 */
import { parseArgs } from 'node:util';
import { CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { request } from 'undici';
import { createRegistry } from '../../pkg/support/metrics-registry.ts';
import { silentLogger } from '../../pkg/support/log.ts';
import { createControllerMetrics } from '../../pkg/controller/metrics.ts';
import { startMetricsListener } from '../../pkg/controller/listeners.ts';
import { createKubeClients } from '../../pkg/adapters/kube/client.ts';
import { createAccessReviewer } from '../../pkg/adapters/kube/access-review.ts';
import { createDelegatedAuth, type AccessReviewer } from '../../pkg/adapters/http/delegated-auth.ts';
import { metricsReaderRole } from '../../pkg/manifests/install.ts';
import { METRICS_READER_ROLE } from '../../pkg/manifests/rbac.ts';
import { Ec2Error } from '../../pkg/core/ec2/errors.ts';
import type { PoolGauges } from '../../pkg/core/ipam/types.ts';
import { resolveClusterConfig, resolveNodeConfig } from '../../pkg/core/ipam/config.ts';
import { defaultPoolSettings, NodePool } from '../../pkg/core/ipam/pool.ts';
import { fillPool } from '../../pkg/core/ipam/testing/settle.ts';
import { WorldEni } from '../../pkg/ec2sim/world-eni.ts';
import { startControlPlane } from '../harness/control-plane.ts';
import { createOrReplaceObjects, ensureNamespace } from '../harness/cluster-objects.ts';

const { values } = parseArgs({ options: { nodes: { type: 'string', default: '100' }, scrapes: { type: 'string', default: '300' } } });
const NODES = Number(values.nodes);
const SCRAPES = Number(values.scrapes);

const percentile = (samples: number[], p: number) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
};
const ms = (v: number) => `${v.toFixed(2)} ms`;
const line = (what: string, samples: number[]) => console.log(`${what.padEnd(44)} p50 ${ms(percentile(samples, 50)).padStart(10)}  p99 ${ms(percentile(samples, 99)).padStart(10)}  (n=${samples.length})`);

// A registry as the leader's would be with NODES prefix-mode nodes, EC2 traffic and pod annotations.
const registry = createRegistry();
const metrics = createControllerMetrics(registry);
const gauges = (i: number): PoolGauges => ({
  counts: { used: 20 + (i % 7), free: 12, cooling: i % 3 },
  prefixes: 3,
  secondaryIps: 0,
  capacity: { nominal: 144, deliverable: 144 },
  pending: { assignPrefixes: 0, assignSecondaryIps: 0, unassignPrefixes: 0, unassignSecondaryIps: 0, resync: false },
});
for (let i = 0; i < NODES; i++) metrics.pool(`ip-10-0-${Math.floor(i / 250)}-${i % 250}.us-west-2.compute.internal`, gauges(i));
for (const action of ['DescribeInstances', 'DescribeSubnets', 'DescribeNetworkInterfaces', 'AssignPrivateIpAddresses', 'UnassignPrivateIpAddresses', 'DescribeInstanceTypes']) {
  for (let i = 0; i < 50; i++) metrics.ec2Call(action, 20 + i, i % 10 === 0 ? new Ec2Error('throttled', 'RequestLimitExceeded', action, 'slow down') : undefined);
}
for (let i = 0; i < 1000; i++) metrics.annotationLatency((i % 30) / 10);

const renders: number[] = [];
let text = '';
for (let i = 0; i < 200; i++) {
  const t0 = performance.now();
  text = registry.render();
  renders.push(performance.now() - t0);
}
console.log(`exposition for ${NODES} nodes: ${Buffer.byteLength(text)} bytes, ${text.split('\n').filter((l) => l && !l.startsWith('#')).length} samples`);
line('render()', renders);

// What a scrape reads from real pools: NODES prefix-mode m5.large pools with 20 pods each, as counts (what the
// metrics read) and as whole snapshots (what they read before PoolGauges), over the same pools.
const pools = Array.from({ length: NODES }, () => {
  const pool = NodePool.create(defaultPoolSettings(9, 19), resolveNodeConfig(resolveClusterConfig({ 'enable-windows-ipam': 'true', 'enable-windows-prefix-delegation': 'true' }), { instanceType: 'm5.large', slots: 9, prefixCapable: true }));
  fillPool(pool, new WorldEni({ slots: 9 }), 20, 0);
  return pool;
});
const timed = (read: (pool: NodePool) => unknown) => Array.from({ length: 50 }, () => {
  const t0 = performance.now();
  for (const pool of pools) read(pool);
  return performance.now() - t0;
});
line(`pool counts, ${NODES} pools of 20 pods`, timed((pool) => pool.gauges(1)));
line(`whole pool snapshots, same pools`, timed((pool) => pool.snapshot(1)));

const plane = await startControlPlane({ log: () => {} });
try {
  const kc = plane.kubeConfig();
  await ensureNamespace(kc, 'monitoring');
  await createOrReplaceObjects(kc, [metricsReaderRole()]);
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespacedServiceAccount({ namespace: 'monitoring', body: { metadata: { name: 'prometheus' } } });
  await kc.makeApiClient(RbacAuthorizationV1Api).createClusterRoleBinding({
    body: { metadata: { name: 'bench-metrics' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: METRICS_READER_ROLE }, subjects: [{ kind: 'ServiceAccount', name: 'prometheus', namespace: 'monitoring' }] },
  });
  const token = (await core.createNamespacedServiceAccountToken({ namespace: 'monitoring', name: 'prometheus', body: { spec: { expirationSeconds: 3600 } } })).status!.token;
  const clients = createKubeClients(kc);
  const loopback = { host: '127.0.0.1', port: 0, loopback: true, text: '127.0.0.1:0' };

  const scrapeTimes = async (port: number, authorization?: string) => {
    const out: number[] = [];
    for (let i = 0; i < SCRAPES; i++) {
      const t0 = performance.now();
      const r = await request(`http://127.0.0.1:${port}/metrics`, { headers: authorization ? { authorization } : {} });
      await r.body.text();
      if (r.statusCode !== 200) throw new Error(`scrape answered ${r.statusCode}`);
      out.push(performance.now() - t0);
    }
    return out;
  };

  const open = await startMetricsListener({ listen: { bind: loopback, auth: false, certDir: undefined }, registry, clients, now: Date.now, log: silentLogger });
  line('scrape, no authentication', await scrapeTimes(open!.port));
  await open!.close();

  const guarded = await startMetricsListener({ listen: { bind: loopback, auth: true, certDir: undefined }, registry, clients, now: Date.now, log: silentLogger });
  await scrapeTimes(guarded!.port, `Bearer ${token}`).then((first) => line('scrape, token checked (cache warm after #1)', first));
  await guarded!.close();

  // Cold: a fresh cache per check, so each one is a TokenReview and a SubjectAccessReview.
  let reviews = 0;
  const real = createAccessReviewer(clients);
  const counting: AccessReviewer = {
    reviewToken: (t) => (reviews++, real.reviewToken(t)),
    reviewAccess: (u, r) => (reviews++, real.reviewAccess(u, r)),
  };
  const cold: number[] = [];
  for (let i = 0; i < Math.min(SCRAPES, 100); i++) {
    const auth = createDelegatedAuth({ reviewer: counting, now: Date.now, log: silentLogger, readerRole: METRICS_READER_ROLE });
    const t0 = performance.now();
    const d = await auth.check({ method: 'GET', path: '/metrics', authorization: `Bearer ${token}` });
    cold.push(performance.now() - t0);
    if (!d.ok) throw new Error(`cold check refused: ${d.body}`);
  }
  line('check, cold cache (TokenReview + SAR)', cold);
  reviews = 0;
  const warm = createDelegatedAuth({ reviewer: counting, now: Date.now, log: silentLogger, readerRole: METRICS_READER_ROLE });
  for (let i = 0; i < SCRAPES; i++) await warm.check({ method: 'GET', path: '/metrics', authorization: `Bearer ${token}` });
  console.log(`API reviews for ${SCRAPES} checks with one token within the cache TTL: ${reviews}`);
} finally {
  await plane.stop();
}
