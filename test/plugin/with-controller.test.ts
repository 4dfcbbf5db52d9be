/**
 * `describe node` on nodes the real winprefix controller (dist/controller.js) manages, against a real
 * kube-apiserver and the EC2 simulator: the plugin must agree with the controller (no findings on a
 * settled node, every pod traced to a /28, capacity advertised = deliverable), read its status
 * annotation, and see what the controller cannot fix (an address removed from the ENI behind its back).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Ec2Simulator } from '../../pkg/ec2sim/server.ts';
import { cidrContains, parseCidr, parseIPv4 } from '../../pkg/core/net/ipv4.ts';
import type { NodeReport } from '../../plugin/describe/report.ts';
import { validateNodeReport } from '../../plugin/describe/report.ts';
import { createWindowsPod, waitFor } from '../harness/cluster-objects.ts';
import { useControlPlane } from '../harness/suite.ts';
import {
  addManagedNode,
  startStack,
  waitForAnnotation,
  waitForEvent,
  world,
  type Stack,
} from '../controller/support.ts';
import { AWS_TEST_ENV, runPlugin, seeder } from './scenario.ts';

Object.assign(process.env, AWS_TEST_ENV);

const plane = useControlPlane();
const INSTANCE = 'i-0d00000000000ab01';
const SUBNET = 'subnet-0d000001';

describe('describe node on a node the winprefix controller manages', () => {
  let sim: Ec2Simulator;
  let stack: Stack | undefined;
  let kc: KubeConfig;

  const describeJson = async (): Promise<{ code: number; report: NodeReport; stderr: string }> => {
    const run = await runPlugin(['describe', 'node', 'win-ctl', '--kubeconfig', plane().kubeconfigPath, '--ec2-endpoint', sim.endpoint, '-o', 'json']);
    const report = JSON.parse(run.stdout) as NodeReport;
    assert.deepEqual(validateNodeReport(report), []);
    return { code: run.code, report, stderr: run.stderr };
  };

  before(async () => {
    kc = plane().kubeConfig();
    stack = await startStack({
      plane: plane(),
      world: world([{ id: INSTANCE, type: 'm5.large', subnetId: SUBNET, privateIp: '10.20.0.10', platform: 'windows' }]),
      controller: { name: 'plugin-e2e' },
    });
    sim = stack.sim;
    await addManagedNode(kc, { name: 'win-ctl', instanceId: INSTANCE, capacity: 9 * 16 });
    for (let i = 0; i < 20; i++) await createWindowsPod(kc, { name: `ctl-${i}`, nodeName: 'win-ctl' });
    for (let i = 0; i < 20; i++) await waitForAnnotation(kc, `ctl-${i}`);
  }, { timeout: 120_000 });

  after(async () => {
    await stack?.stop();
  });

  it('agrees with the controller once the pool has settled: exit 0, every pod from a /28', async () => {
    // Events are written in the background after each annotation, so a settled status does not imply one is
    // in the API yet; the report below must show one.
    await waitForEvent(kc, { kind: 'Pod', name: 'ctl-0', namespace: 'default' }, 'ResourceAllocated');
    // The controller publishes its status rate-limited; wait until it has counted every pod.
    const settled = await waitFor('a settled report', async () => {
      const { code, report } = await describeJson();
      const published = report.prefixes.reduce((n, p) => n + p.used, 0);
      return code === 0 && report.statusAnnotation.present && published === 20 && report.controller.pending !== null ? report : undefined;
    }, { timeoutMs: 30_000, intervalMs: 500 }).catch(async (err: Error) => {
      const { report } = await describeJson();
      throw new Error(`${err.message}; last findings: ${JSON.stringify(report.findings)}`);
    });
    assert.equal(settled.node.managedBy, 'winprefix');
    assert.equal(settled.mode.mode, 'prefix');
    assert.equal(settled.mode.source, 'status-annotation');
    assert.equal(settled.config.source, 'status-annotation');
    assert.equal(settled.pods.length, 20);
    assert.ok(settled.pods.every((p) => p.source.kind === 'prefix' && p.annotation!.endsWith('/32')));
    assert.equal(settled.capacity.advertised, 144);
    assert.equal(settled.capacity.deliverable, 144);
    assert.ok(settled.events.some((e) => e.reason === 'ResourceAllocated' && e.source === 'winprefix-controller'));
  });

  it('finds a pod address removed from the ENI behind the controller', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const pod = await core.readNamespacedPod({ name: 'ctl-0', namespace: 'default' });
    const ip = pod.metadata!.annotations!['vpc.amazonaws.com/PrivateIPv4Address']!.split('/')[0]!;
    const ec2 = seeder(kc, sim.endpoint).ec2;
    try {
      const [eni] = await ec2.describeInstanceInterfaces(INSTANCE);
      const prefix = eni!.prefixes.find((p) => cidrContains(parseCidr(p), parseIPv4(ip)))!;
      // Someone runs `aws ec2 unassign-private-ip-addresses --ipv4-prefixes` on a prefix with running pods.
      await ec2.unassignPrefixes(eni!.networkInterfaceId, [prefix]);
    } finally {
      ec2.destroy();
    }
    const { code, report } = await describeJson();
    assert.equal(code, 1);
    const lost = report.findings.filter((f) => f.kind === 'pod-address-not-on-eni');
    // Every pod of the removed /28 in one finding, not one finding per pod.
    const block = lost.find((f) => f.pods.some((p) => p.namespace === 'default' && p.name === 'ctl-0'));
    assert.ok(block, JSON.stringify(report.findings));
    assert.ok(block.pods.length > 1 && block.subject === `${block.pods.length} pods`, block.subject);
    assert.match(block.message, /have addresses in \d+\.\d+\.\d+\.\d+\/28, which no ENI of i-0d00000000000ab01 holds: the \/28 prefix was removed/);
  });
});
