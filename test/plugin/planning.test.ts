/**
 * `kubectl winprefix subnets` and `migrate` against a real kube-apiserver and the EC2 simulator, on the
 * test worlds of plugin/subnets/testing and plugin/migrate/testing loaded into one simulator: the JSON of a
 * real run equals the analysis of the same world in process (whose every number the unit tests check
 * against brute-force counts) and the brute force itself; exit codes; output that fits; the bundle; and
 * that neither command writes anything: run as a read-only identity, the API server's audit log shows no
 * write of it and the simulator's journal only reads signed with its key, and the world and the ConfigMap
 * are unchanged.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, PatchStrategy, PolicyV1Api, RbacAuthorizationV1Api, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { NODE_STATUS_ANNOTATION, RESOURCE_NAME } from '../../pkg/core/contract.ts';
import { patchNodeAnnotations, patchNodeCapacity } from '../../pkg/adapters/kube/patches.ts';
import { startEc2Simulator, type Ec2Simulator } from '../../pkg/ec2sim/server.ts';
import type { WorldSpec } from '../../pkg/ec2sim/world-spec.ts';
import { World } from '../../pkg/ec2sim/world.ts';
import { planMigration } from '../../plugin/migrate/plan.ts';
import { validateMigrationPlan, type MigrationPlan } from '../../plugin/migrate/report.ts';
import { switchingBudgets, switchingWorld, tightWorld } from '../../plugin/migrate/testing/worlds.ts';
import { validateSubnetReport, type SubnetReport } from '../../plugin/subnets/report.ts';
import { reportFor, subnetRead } from '../../plugin/subnets/testing/reports.ts';
import { bruteForce, kubeObjects, windowsNodes, WORLDS, ZONE, type PlanningWorld } from '../../plugin/subnets/testing/worlds.ts';
import { createWindowsNode, ensureNamespace } from '../harness/cluster-objects.ts';
import { startControlPlane, type ControlPlane } from '../harness/control-plane.ts';
import { AWS_TEST_ENV, cleanEnv, requirePluginBundle, runPlugin, runProcess } from './scenario.ts';

Object.assign(process.env, AWS_TEST_ENV);
delete process.env.AWS_PROFILE;
delete process.env.AWS_ENDPOINT_URL;
delete process.env.AWS_ENDPOINT_URL_EC2;

const WORLD_LABEL = 'winprefix.test/world';
const READER_KEY = 'AKIDPLANNERREADONLY';
const subnetWorlds = WORLDS.map((make) => make());
const switching = switchingWorld();
const tight = tightWorld();
const all: PlanningWorld[] = [...subnetWorlds, switching, tight];

let plane: ControlPlane;
let sim: Ec2Simulator;
let kc: KubeConfig;
let auditLog: string;
let readOnlyKubeconfig: string;
const scratch = mkdtempSync(join(tmpdir(), 'winprefix-planning-'));

/** Every world in one simulator: one VPC, a subnet each. */
function merged(worlds: readonly PlanningWorld[]): WorldSpec {
  return {
    region: 'us-west-2',
    vpcs: worlds[0]!.spec.vpcs,
    subnets: worlds.flatMap((w) => w.spec.subnets),
    instances: worlds.flatMap((w) => w.spec.instances),
    networkInterfaces: worlds.flatMap((w) => w.spec.networkInterfaces ?? []),
  };
}

async function seed(w: PlanningWorld): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  for (const { plan, node, pods } of kubeObjects(w)) {
    await createWindowsNode(kc, { name: plan.name, instanceId: plan.instanceId, instanceType: plan.type, zone: ZONE, labels: { [WORLD_LABEL]: w.name } });
    await patchNodeCapacity({ core }, plan.name, RESOURCE_NAME, plan.advertised);
    const status = node.metadata?.annotations?.[NODE_STATUS_ANNOTATION];
    if (status) await patchNodeAnnotations({ core }, plan.name, { [NODE_STATUS_ANNOTATION]: status });
    for (const pod of pods) {
      await core.createNamespacedPod({
        namespace: 'apps',
        body: {
          metadata: { name: pod.metadata!.name!, namespace: 'apps', labels: pod.metadata!.labels!, ...(pod.metadata!.annotations ? { annotations: pod.metadata!.annotations } : {}) },
          spec: {
            nodeName: plan.name,
            nodeSelector: { 'kubernetes.io/os': 'windows' },
            terminationGracePeriodSeconds: 0,
            containers: [{ name: 'c', image: 'mcr.microsoft.com/windows/nanoserver:ltsc2022', resources: { requests: { [RESOURCE_NAME]: '1' }, limits: { [RESOURCE_NAME]: '1' } } }],
          },
        },
      });
      if (pod.status?.phase === 'Running') await core.patchNamespacedPodStatus({ name: pod.metadata!.name!, namespace: 'apps', body: { status: { phase: 'Running' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    }
  }
}


before(
  async () => {
    const policy = join(scratch, 'audit-policy.yaml');
    auditLog = join(scratch, 'audit.log');
    writeFileSync(policy, ['apiVersion: audit.k8s.io/v1', 'kind: Policy', 'omitStages: [RequestReceived]', 'rules:', '- level: Metadata', '  verbs: [create, update, patch, delete, deletecollection]', '- level: None', ''].join('\n'));
    plane = await startControlPlane({ log: (l) => process.stderr.write(`${l}\n`), apiserverFlags: [`--audit-policy-file=${policy}`, `--audit-log-path=${auditLog}`, '--audit-log-mode=blocking'] });
    kc = plane.kubeConfig();
    sim = await startEc2Simulator({ world: merged(all) });
    await ensureNamespace(kc, 'apps');
    await ensureNamespace(kc, 'other');
    for (const w of all) await seed(w);
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: 'kube-system', body: { metadata: { name: 'amazon-vpc-cni', namespace: 'kube-system' }, data: { 'enable-windows-ipam': 'true' } } });
    const policyApi = kc.makeApiClient(PolicyV1Api);
    for (const b of switchingBudgets()) {
      const created = await policyApi.createNamespacedPodDisruptionBudget({ namespace: b.metadata!.namespace!, body: { metadata: { name: b.metadata!.name!, namespace: b.metadata!.namespace! }, spec: b.spec as never } });
      // No controller-manager runs here: write the status its disruption controller would.
      await policyApi.replaceNamespacedPodDisruptionBudgetStatus({
        name: created.metadata!.name!,
        namespace: created.metadata!.namespace!,
        body: { ...created, status: { disruptionsAllowed: b.status!.disruptionsAllowed!, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, observedGeneration: created.metadata!.generation ?? 1 } },
      });
    }
    // The identity the commands need, and nothing more (docs/planning.md, "Permissions").
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createClusterRole({
      body: {
        metadata: { name: 'winprefix-planner' },
        rules: [
          { apiGroups: [''], resources: ['nodes', 'pods'], verbs: ['list'] },
          { apiGroups: [''], resources: ['configmaps'], resourceNames: ['amazon-vpc-cni'], verbs: ['get'] },
          { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: ['list'] },
        ],
      },
    });
    await rbac.createClusterRoleBinding({
      body: { metadata: { name: 'winprefix-planner' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'winprefix-planner' }, subjects: [{ kind: 'User', name: 'planner', apiGroup: 'rbac.authorization.k8s.io' }] },
    });
    readOnlyKubeconfig = await plane.mintKubeconfig({ name: 'planner' });
  },
  { timeout: 20 * 60_000 },
);

after(async () => {
  await sim?.close();
  await plane?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

function args(command: string[], ...extra: string[]): string[] {
  return [...command, '--kubeconfig', plane.kubeconfigPath, '--ec2-endpoint', sim.endpoint, ...extra];
}

async function json<T>(command: string[], validateDoc: (v: unknown) => string[], ...extra: string[]): Promise<{ code: number; doc: T; stderr: string }> {
  const run = await runPlugin(args(command, '-o', 'json', ...extra));
  let doc: T;
  try {
    doc = JSON.parse(run.stdout) as T;
  } catch {
    assert.fail(`${command.join(' ')} -o json printed no JSON (exit ${run.code}): ${run.stderr}`);
  }
  assert.deepEqual(validateDoc(doc), [], 'the output conforms to its schema');
  return { code: run.code, doc, stderr: run.stderr };
}

/** A plan or report without what differs from run to run (the time, the endpoint). */
function stable<T extends { metadata: { generatedAt: string }; ec2: unknown }>(doc: T): Omit<T, 'ec2'> {
  const { ec2: _ec2, ...rest } = doc;
  return { ...rest, metadata: { ...doc.metadata, generatedAt: '' } };
}

describe('kubectl winprefix subnets', () => {
  it('every subnet of a Windows node, each as the in-process analysis of its world says, and its numbers as the simulator counts them', async () => {
    const { code, doc } = await json<SubnetReport>(['subnets'], validateSubnetReport, '--map');
    assert.equal(code, 1, 'the fragmented and the tight subnets have no free /28');
    assert.deepEqual(doc.subnets.map((s) => s.subnetId), all.map((w) => w.subnetId).sort());
    for (const w of all) {
      const fromCluster = doc.subnets.find((s) => s.subnetId === w.subnetId)!;
      assert.deepEqual(fromCluster, reportFor(w, { map: true }).subnets[0], `${w.name}: the real run equals the analysis of the same world`);
      const b = bruteForce(w);
      assert.equal(fromCluster.blocks.free, b.prefixesEc2Gives, `${w.name}: free blocks`);
      assert.equal(fromCluster.headroom.pods, 16 * b.prefixesEc2Gives + b.unusedInNodePrefixes, `${w.name}: headroom`);
      assert.equal(fromCluster.free.stranded, b.stranded, `${w.name}: stranded`);
    }
    assert.deepEqual(doc.findings.map((f) => [f.kind, f.subnetId]).sort(), [
      ['no-free-prefix-block', subnetWorlds[1]!.subnetId],
      ['no-free-prefix-block', tight.subnetId],
    ]);
    assert.deepEqual(doc.skippedNodes, []);
  });

  it('--subnet-id and --headroom: a roomy subnet passes (exit 0), a nearly full one is a finding (exit 1)', async () => {
    const healthy = await json<SubnetReport>(['subnets'], validateSubnetReport, '--subnet-id', subnetWorlds[0]!.subnetId, '--headroom', '100');
    assert.equal(healthy.code, 0, healthy.stderr);
    assert.deepEqual(healthy.doc.metadata.subnetIds, [subnetWorlds[0]!.subnetId]);
    const full = await json<SubnetReport>(['subnets'], validateSubnetReport, '--subnet-id', `${subnetWorlds[3]!.subnetId},${subnetWorlds[0]!.subnetId}`, '--headroom', '100');
    assert.equal(full.code, 1);
    assert.deepEqual(full.doc.subnets.map((s) => s.subnetId), [subnetWorlds[3]!.subnetId, subnetWorlds[0]!.subnetId], 'in the order given');
    assert.deepEqual(full.doc.findings.map((f) => f.kind), ['headroom-below']);
    assert.match(full.doc.findings[0]!.commands[0]!, /^aws ec2 create-subnet-cidr-reservation --region us-west-2 --subnet-id subnet-0a0b0004 --reservation-type prefix --cidr 10\.40\.11\.64\/28 /);
  });

  it('-l picks nodes; the human output fits 100 columns; YAML carries the same document', async () => {
    const run = await runPlugin(args(['subnets'], '-l', `${WORLD_LABEL}=reserved`, '--map'), { COLUMNS: '100' });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Subnet: +subnet-0a0b0003 \(10\.40\.8\.0\/24, us-west-2a, vpc-0a0b0c01\)$/m);
    assert.match(run.stdout, /^Reservations \(3\):$/m);
    assert.match(run.stdout, /pppppppppppppppp/);
    assert.deepEqual(run.stdout.split('\n').filter((l) => l.length > 100), []);
    const yaml = await runPlugin(args(['subnets'], '-l', `${WORLD_LABEL}=reserved`, '-o', 'yaml'));
    assert.match(yaml.stdout, /^kind: SubnetReport$/m);
  });

  it('no node matches -l: an empty report and a warning, without asking EC2', async () => {
    sim.counters.reset();
    const run = await runPlugin(args(['subnets'], '-l', `${WORLD_LABEL}=none`, '-o', 'json'));
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, `warning: no node matches kubernetes.io/os=windows,${WORLD_LABEL}=none: name subnets with --subnet-id to look at them anyway\n`);
    assert.deepEqual((JSON.parse(run.stdout) as SubnetReport).subnets, []);
    const plan = await runPlugin(args(['migrate', '--to', 'prefix'], '-l', `${WORLD_LABEL}=none`, '-o', 'json'));
    assert.equal(plan.code, 0, plan.stderr);
    const doc = JSON.parse(plan.stdout) as MigrationPlan;
    assert.deepEqual([doc.nodes, doc.steps.map((s) => s.commands[0])], [[], [`kubectl patch configmap amazon-vpc-cni -n kube-system --type merge -p '{"data":{"enable-windows-prefix-delegation":"true"}}'`]]);
    assert.deepEqual(sim.counters.snapshot(), {}, 'no EC2 call');
  });

  it('errors: a malformed subnet id, an unknown one, a bad --headroom', async () => {
    const bad = await runPlugin(args(['subnets'], '--subnet-id', 'subnet-xyz'));
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, 'error: --subnet-id "subnet-xyz" is not a subnet id (subnet- and 8 or 17 hex digits, as aws ec2 describe-subnets shows them)\nSee \'kubectl winprefix subnets --help\' for usage.\n');
    const unknown = await runPlugin(args(['subnets'], '--subnet-id', 'subnet-0fffffff'));
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^error: EC2 DescribeSubnets failed with InvalidSubnetID\.NotFound: .*subnet-0fffffff.*\(region us-west-2 from the node, endpoint http:\/\/127\.0\.0\.1:\d+\)\n$/);
    const headroom = await runPlugin(args(['subnets'], '--headroom', 'lots'));
    assert.equal(headroom.code, 2);
    assert.match(headroom.stderr, /--headroom "lots" is not a number of pods/);
  });
});

describe('kubectl winprefix migrate', () => {
  it('--to prefix on the switching nodes: the plan the in-process planner makes of the same world, exit 1 (nodes would over-advertise)', async () => {
    const { code, doc } = await json<MigrationPlan>(['migrate', '--to', 'prefix'], validateMigrationPlan, '-l', `${WORLD_LABEL}=switching`);
    assert.equal(code, 1);
    const world = new World(switching.spec);
    const expected = planMigration({
      now: new Date(doc.metadata.generatedAt),
      to: 'prefix',
      selector: `${WORLD_LABEL}=switching`,
      ec2: doc.ec2,
      configMap: { ref: 'kube-system/amazon-vpc-cni', data: { 'enable-windows-ipam': 'true' }, error: null },
      budgets: { items: switchingBudgets().map((b) => ({ ...b, status: { disruptionsAllowed: b.status!.disruptionsAllowed! } })), error: null },
      nodes: windowsNodes(switching, world),
      subnets: [subnetRead(switching, world)],
    });
    assert.deepEqual(stable(doc), stable(expected));
    assert.equal(doc.nodes.find((n) => n.name === 'win-guide')!.after.deliverable, 74);
    assert.deepEqual(doc.findings.map((f) => f.kind), ['over-advertised-after-switch']);
  });

  it('--to secondary of the nodes in prefix mode: capacity falls below their pods; the patch turns prefix delegation off', async () => {
    const { code, doc } = await json<MigrationPlan>(['migrate', '--to', 'secondary'], validateMigrationPlan, '-l', `${WORLD_LABEL}=healthy`);
    assert.equal(code, 0, 'no node over-advertises in secondary mode');
    assert.deepEqual(doc.configMap.set, []);
    assert.equal(doc.configMap.command, null, 'prefix delegation is already off in this cluster');
    const a = doc.nodes.find((n) => n.name === 'win-a')!;
    assert.deepEqual([a.after.nominal, a.after.deliverable, a.after.podsBeyondCapacity, a.action], [9, 9, 11, 'drain']);
  });

  it('the tight subnet: too few /28 blocks for the new mode is a finding too', async () => {
    const { code, doc } = await json<MigrationPlan>(['migrate', '--to', 'prefix'], validateMigrationPlan, '-l', `${WORLD_LABEL}=tight`);
    assert.equal(code, 1);
    assert.deepEqual(doc.findings.map((f) => f.kind), ['over-advertised-after-switch', 'subnet-short-after-switch']);
    assert.deepEqual(doc.subnets.map((s) => [s.needed, s.freeNow, s.freeAfterRelease, s.shortBy]), [[1, 0, 0, 1]]);
  });

  it('the human plan fits 100 columns and lists the steps with their commands', async () => {
    const run = await runPlugin(args(['migrate', '--to', 'prefix'], '-l', `${WORLD_LABEL}=switching`), { COLUMNS: '100' });
    assert.equal(run.code, 1);
    assert.deepEqual(run.stdout.split('\n').filter((l) => l.length > 100), []);
    assert.match(run.stdout, /^ {2}1\. Cordon the nodes that would advertise more than they can deliver/m);
    assert.match(run.stdout, /^ {5}run: kubectl patch configmap amazon-vpc-cni -n kube-system --type merge \\$/m);
    assert.match(run.stdout, /^ {5}run: kubectl drain win-guide --ignore-daemonsets --delete-emptydir-data$/m);
  });

  it('--to is required; a bad value is named', async () => {
    const none = await runPlugin(args(['migrate']));
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^error: --to is required: kubectl winprefix migrate --to prefix\|secondary\n/);
    const bad = await runPlugin(args(['migrate', '--to', 'ipv6']));
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^error: invalid value "ipv6" for --to: use one of prefix, secondary\n/);
  });
});

describe('subnets and migrate change nothing', () => {
  it('as a read-only identity, from the bundle: no write reaches the API server or EC2', async () => {
    const bundle = requirePluginBundle();
    const before = JSON.stringify(sim.world.ownerships());
    const core = kc.makeApiClient(CoreV1Api);
    const cmBefore = (await core.readNamespacedConfigMap({ name: 'amazon-vpc-cni', namespace: 'kube-system' })).metadata!.resourceVersion;
    sim.journal.clear();
    const env = cleanEnv({ AWS_ACCESS_KEY_ID: READER_KEY, AWS_SECRET_ACCESS_KEY: 'x', AWS_EC2_METADATA_DISABLED: 'true', HOME: scratch });
    const runs = [
      ['migrate', '--to', 'prefix', '-o', 'json'],
      ['migrate', '--to', 'secondary'],
      ['subnets', '--map', '--headroom', '50'],
    ];
    for (const command of runs) {
      const run = await runProcess(process.execPath, [bundle, ...command, '--kubeconfig', readOnlyKubeconfig, '--ec2-endpoint', sim.endpoint], env);
      assert.ok(run.code === 0 || run.code === 1, `${command.join(' ')}: exit ${run.code}: ${run.stderr}`);
      assert.equal(run.stderr, '', `${command.join(' ')}: no warning (the read-only role covers every read)`);
    }
    const calls = sim.journal.entries().filter((e) => e.caller === READER_KEY);
    assert.ok(calls.length >= 9, `${calls.length} EC2 calls`);
    assert.deepEqual(calls.filter((c) => !/^(Describe|Get)/.test(c.action)), [], 'only Describe* and Get* calls');
    assert.equal(JSON.stringify(sim.world.ownerships()), before, 'the simulated world is unchanged');
    const cmAfter = (await core.readNamespacedConfigMap({ name: 'amazon-vpc-cni', namespace: 'kube-system' })).metadata!.resourceVersion;
    assert.equal(cmAfter, cmBefore, 'the ConfigMap is unchanged');
    const audited = readFileSync(auditLog, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { user?: { username?: string }; verb: string; objectRef?: { resource?: string } });
    assert.ok(audited.some((e) => e.verb === 'create' && e.objectRef?.resource === 'pods'), 'the audit log records writes (the seeding\'s)');
    assert.deepEqual(audited.filter((e) => e.user?.username === 'planner'), [], 'the audit log (every create, update, patch and delete) shows no request of the planner');
  });
});

describe('a node EC2 does not know (last: it joins every run without -l from here on)', () => {
  it('subnets and migrate print what they have, name the node, and exit 2', async () => {
    await createWindowsNode(kc, { name: 'win-lost', instanceId: 'i-0fffffffffffffff0', instanceType: 'm5.large', zone: ZONE, labels: { [WORLD_LABEL]: 'lost' } });
    const subnets = await runPlugin(args(['subnets'], '-o', 'json'));
    assert.equal(subnets.code, 2);
    const report = JSON.parse(subnets.stdout) as SubnetReport;
    assert.deepEqual(validateSubnetReport(report), []);
    assert.equal(report.subnets.length, all.length, 'every readable subnet is still reported');
    assert.deepEqual(report.skippedNodes.map((n) => n.name), ['win-lost']);
    assert.match(subnets.stderr, /^error: node win-lost was not read from EC2, so a subnet it draws from may be missing: EC2 in us-west-2 \(region from the node, endpoint http:\/\/127\.0\.0\.1:\d+\) has no instance i-0fffffffffffffff0 for /);
    const withIds = await runPlugin(args(['subnets'], '--subnet-id', subnetWorlds[0]!.subnetId, '-o', 'json'));
    assert.equal(withIds.code, 0, 'with --subnet-id the node is only a warning');
    assert.match(withIds.stderr, /^warning: node win-lost skipped: /);
    const plan = await runPlugin(args(['migrate', '--to', 'prefix'], '-l', `${WORLD_LABEL}=lost`, '-o', 'json'));
    assert.equal(plan.code, 2);
    const doc = JSON.parse(plan.stdout) as MigrationPlan;
    assert.deepEqual(doc.nodes.map((n) => [n.name, n.action]), [['win-lost', 'unknown']]);
    assert.match(plan.stderr, /^error: node win-lost could not be planned, so the plan is incomplete: EC2 in us-west-2 \(region from the node, endpoint http:\/\/127\.0\.0\.1:\d+\) has no instance i-0fffffffffffffff0 for /);
  });
});
