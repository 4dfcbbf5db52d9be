/**
 * /metrics for real: dist/controller.js, running as the install manifest's RBAC identity against the real
 * API server and the EC2 simulator, serves its metrics over HTTPS to callers the API server vouches for
 * (TokenReview) and RBAC allows (SubjectAccessReview): 401 without or with a bad token, 403 for a service
 * account without the shipped winprefix-metrics-reader ClusterRole, 200 with it. With a node, pods and an
 * EC2 failure every series family appears, and Prometheus's own checker (`promtool check metrics`) accepts
 * the exposition; `promtool check rules` parses every query of the shipped Grafana dashboard.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, RbacAuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { Agent, request } from 'undici';
import type { Ec2Simulator } from '../../pkg/ec2sim/server.ts';
import { DEFAULT_INSTALL, metricsReaderRole, rbacObjects } from '../../pkg/manifests/install.ts';
import { METRICS_READER_ROLE } from '../../pkg/manifests/rbac.ts';
import { PROMETHEUS_CONTENT_TYPE } from '../../pkg/support/metrics-registry.ts';
import { createOrReplaceObjects, createWindowsPod, ensureNamespace, waitFor } from '../harness/cluster-objects.ts';
import { asPromql, dashboardQueries, declaredMetricFamilies } from '../harness/dashboard.ts';
import { promtoolCheckMetrics, promtoolStdin, resolvePromtool } from '../harness/promtool.ts';
import { useControlPlane } from '../harness/suite.ts';
import { REPO, addManagedNode, annotationOf, metricValue, primaryEni, startStack, world, type Stack } from './support.ts';

const plane = useControlPlane();
const CONTROLLER_USER = 'winprefix-metrics-test';
const INSTALL = { ...DEFAULT_INSTALL, namespace: 'winprefix-system' };
const NODE = 'win-metrics';
const INSTANCE = 'i-0e00000000000000a';
const MONITORING = 'monitoring';

describe('controller /metrics: least exposure, real consumers', () => {
  let kc: KubeConfig;
  let core: CoreV1Api;
  let stack: Stack | undefined;
  let sim: Ec2Simulator;
  let agent: Agent;
  let metricsUrl: string;
  const tokens: Record<'prometheus' | 'nobody' | 'gone', string> = { prometheus: '', nobody: '', gone: '' };

  async function scrape(token: string | undefined, o: { path?: string; method?: 'GET' | 'HEAD' } = {}) {
    const res = await request(`${metricsUrl}${o.path ?? '/metrics'}`, { dispatcher: agent, method: o.method ?? 'GET', headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
    return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
  }

  before(async () => {
    kc = plane().kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    // The controller's identity holds exactly the manifest's RBAC; Prometheus's service account the shipped reader role.
    await ensureNamespace(kc, INSTALL.namespace);
    await createOrReplaceObjects(kc, [...rbacObjects(INSTALL, { kind: 'User', name: CONTROLLER_USER }), metricsReaderRole()]);
    await ensureNamespace(kc, MONITORING);
    for (const name of Object.keys(tokens) as Array<keyof typeof tokens>) {
      await core.createNamespacedServiceAccount({ namespace: MONITORING, body: { metadata: { name, namespace: MONITORING } } });
      const tr = await core.createNamespacedServiceAccountToken({ namespace: MONITORING, name, body: { spec: { expirationSeconds: 3600 } } });
      tokens[name] = tr.status?.token ?? '';
      assert.ok(tokens[name], `a TokenRequest token for ${name}`);
    }
    await kc.makeApiClient(RbacAuthorizationV1Api).createClusterRoleBinding({
      body: {
        metadata: { name: 'prometheus-winprefix-metrics' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: METRICS_READER_ROLE },
        subjects: [{ kind: 'ServiceAccount', name: 'prometheus', namespace: MONITORING }],
      },
    });
    const serving = await plane().webhookServing();
    const caPem = Buffer.from(serving.caBundle, 'base64').toString('utf8');
    agent = new Agent({ connect: { ca: caPem } });
    stack = await startStack({
      plane: plane(),
      world: world([{ id: INSTANCE, type: 'm5.large', subnetId: 'subnet-0d000001', privateIp: '10.20.0.40', platform: 'windows' }]),
      // The controller runs as this identity, so the IP-annotation guard must let it write.
      controllerUsername: CONTROLLER_USER,
      controller: {
        name: 'metrics',
        kubeconfigPath: await plane().mintKubeconfig({ name: CONTROLLER_USER }),
        // Loopback for the test, so authentication is asked for explicitly (off loopback it is the default).
        args: [`--leader-election-namespace=${INSTALL.namespace}`, `--leader-election-id=${INSTALL.leaseName}`, '--metrics-auth', `--metrics-cert-dir=${serving.certDir}`],
        metricsAccess: { token: tokens.prometheus, caPem },
      },
    });
    sim = stack.sim;
    metricsUrl = `https://127.0.0.1:${stack.ctl.ports.metrics}`;
  });

  after(async () => {
    await stack?.stop();
    await agent?.close();
  });

  test('401 without a token or with a bad one, 403 without the reader role, 200 with it; probes need no token', async () => {
    const none = await scrape(undefined);
    assert.equal(none.status, 401);
    assert.equal(none.headers['www-authenticate'], 'Bearer realm="winprefix-metrics"');
    assert.match(none.body, /no bearer token.*ClusterRole winprefix-metrics-reader/);
    assert.doesNotMatch(none.body, /winprefix_/, 'no metrics leak into a refusal');

    const bad = await scrape('not-a-token');
    assert.equal(bad.status, 401);
    assert.match(bad.body, /did not accept the bearer token/);

    const nobody = await scrape(tokens.nobody);
    assert.equal(nobody.status, 403);
    assert.match(nobody.body, /user "system:serviceaccount:monitoring:nobody" may not get \/metrics; bind it to ClusterRole winprefix-metrics-reader/);

    const prometheus = await scrape(tokens.prometheus);
    assert.equal(prometheus.status, 200, prometheus.body);
    assert.equal(prometheus.headers['content-type'], PROMETHEUS_CONTENT_TYPE);
    assert.equal(metricValue(prometheus.body, 'winprefix_leader'), 1);
    assert.equal((await scrape(tokens.prometheus, { method: 'HEAD' })).status, 200, 'HEAD is authorized as get');
    assert.equal((await scrape(tokens.prometheus, { path: '/debug/pprof' })).status, 403, 'the reader role covers /metrics only');

    // A token of a service account deleted before its first use: the API server no longer vouches for it.
    await core.deleteNamespacedServiceAccount({ namespace: MONITORING, name: 'gone' });
    await waitFor('the deleted service account\'s token to be refused', async () => ((await scrape(tokens.gone)).status === 401 ? true : undefined), { timeoutMs: 15_000 });

    // Plain HTTP is not served on the HTTPS port; health probes stay open to the kubelet.
    await assert.rejects(request(`http://127.0.0.1:${stack!.ctl.ports.metrics}/metrics`, { headersTimeout: 2_000 }).then((r) => r.body.text()));
    const ready = await request(`http://127.0.0.1:${stack!.ctl.ports.health}/readyz`);
    assert.equal(ready.statusCode, 200);
    await ready.body.dump();

    // Every review ran as the manifest's identity: a missing RBAC rule would show as a 403 from the API server.
    const forbidden = readFileSync(stack!.ctl.proc.logPath, 'utf8').split('\n').filter((l) => /forbidden|"code":403|status 403/i.test(l));
    assert.deepEqual(forbidden, [], 'the controller made a call its RBAC does not allow');
  });

  let exposition = '';

  test('with a node, pods and an EC2 failure, every series family is exposed and the driven ones have samples', async (t) => {
    await addManagedNode(kc, { name: NODE, instanceId: INSTANCE, capacity: 144 });
    await waitFor('the first prefix on the ENI', async () => (primaryEni(sim, INSTANCE).prefixes.length >= 1 ? true : undefined));
    // The next prefix cannot be had: pods beyond the first 16 addresses wait, and the failed call is counted.
    sim.faults.set({ failFraction: 1, actions: ['AssignPrivateIpAddresses'] });
    for (let i = 0; i < 18; i++) await createWindowsPod(kc, { name: `m-${i}`, nodeName: NODE, requestIp: true });
    await waitFor('a failed AssignPrivateIpAddresses and a waiting pod in the metrics', async () => {
      const text = await stack!.ctl.metrics();
      const errors = metricValue(text, 'winprefix_ec2_errors_total', { action: 'AssignPrivateIpAddresses' }) ?? 0;
      const waits = sampleLines(text, 'winprefix_allocation_failures_total').length;
      return errors > 0 && waits > 0 ? true : undefined;
    }, { timeoutMs: 60_000 });
    sim.faults.set({});
    await waitFor('every pod annotated once EC2 answers again', async () => {
      const pods = (await core.listNamespacedPod({ namespace: 'default', fieldSelector: `spec.nodeName=${NODE}` })).items;
      return pods.length === 18 && pods.every((p) => annotationOf(p)) ? true : undefined;
    }, { timeoutMs: 90_000, intervalMs: 200 });
    await waitFor('the second prefix in the node gauges', async () => (metricValue(await stack!.ctl.metrics(), 'winprefix_node_prefixes_attached', { node: NODE }) === 2 ? true : undefined));

    exposition = await stack!.ctl.metrics();
    const declared = declaredMetricFamilies();
    const exposed = new Map([...exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
    for (const [name, type] of declared) assert.equal(exposed.get(name), type, `${name} is exposed as a ${type}`);
    // What this scenario drives; families added later appear above (TYPE) even when nothing here feeds them.
    const driven = [
      'winprefix_node_addresses', 'winprefix_node_prefixes_attached', 'winprefix_node_secondary_ips_attached', 'winprefix_node_capacity',
      'winprefix_node_pending_ec2_requests', 'winprefix_ec2_calls_total', 'winprefix_ec2_errors_total', 'winprefix_ec2_call_duration_seconds',
      'winprefix_pod_annotation_latency_seconds', 'winprefix_allocation_failures_total', 'winprefix_queue_depth', 'winprefix_reconcile_total',
      'winprefix_reconcile_duration_seconds', 'winprefix_leader', 'winprefix_windows_ipam_enabled',
    ];
    for (const name of driven) assert.ok(sampleLines(exposition, name).length > 0, `${name} has samples`);
    assert.equal(metricValue(exposition, 'winprefix_node_addresses', { node: NODE, state: 'used' }), 18);
    assert.equal(metricValue(exposition, 'winprefix_pod_annotation_latency_seconds_count'), 18);
    const quiet = [...declared.keys()].filter((n) => sampleLines(exposition, n).length === 0);
    if (quiet.length > 0) t.diagnostic(`families without samples in this scenario: ${quiet.join(', ')}`);
  });

  test('promtool check metrics accepts the exposition', async (t) => {
    const promtool = await resolvePromtool();
    if ('skip' in promtool) return t.skip(`promtool unavailable: ${promtool.skip}`);
    assert.ok(exposition, 'the scenario above produced a scrape');
    const r = await promtoolCheckMetrics(promtool.path, exposition);
    assert.deepEqual({ code: r.code, problems: r.output }, { code: 0, problems: '' }, `${promtool.version} flags the exposition`);
    // The checker is not a rubber stamp: the same text with a badly named counter fails.
    const broken = await promtoolCheckMetrics(promtool.path, `${exposition}# HELP winprefix_broken x\n# TYPE winprefix_broken counter\nwinprefix_broken 1\n`);
    assert.notEqual(broken.code, 0);
    assert.match(broken.output, /winprefix_broken counter metrics should have "_total" suffix/);
  });

  test('promtool check rules parses every query of docs/grafana-dashboard.json', async (t) => {
    const promtool = await resolvePromtool();
    if ('skip' in promtool) return t.skip(`promtool unavailable: ${promtool.skip}`);
    const queries = dashboardQueries();
    const rules = { groups: [{ name: 'grafana-dashboard', rules: queries.map((q, i) => ({ record: `winprefix_dashboard:query_${i}`, expr: asPromql(q.expr) })) }] };
    const dir = mkdtempSync(join(tmpdir(), 'winprefix-dashboard-rules-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'dashboard.rules.json');
    writeFileSync(file, JSON.stringify(rules, null, 2));
    const r = await promtoolStdin(promtool.path, ['check', 'rules', file], '');
    assert.equal(r.code, 0, `promtool check rules failed; queries from ${join(REPO, 'docs/grafana-dashboard.json')}:\n${r.output}`);
    assert.match(r.output, new RegExp(`SUCCESS: ${queries.length} rules found`));
    // A broken query is caught, so the pass above means something.
    writeFileSync(file, JSON.stringify({ groups: [{ name: 'g', rules: [{ record: 'x:y', expr: 'sum by (le (rate(winprefix_leader[5m]))' }] }] }));
    assert.notEqual((await promtoolStdin(promtool.path, ['check', 'rules', file], '')).code, 0);
  });
});

/** Sample lines of a family (histograms: its _bucket, _sum and _count series). */
function sampleLines(text: string, family: string): string[] {
  return text.split('\n').filter((l) => !l.startsWith('#') && new RegExp(`^${family}(_bucket|_sum|_count)?[{ ]`).test(l));
}
