import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodeStatus } from '../../pkg/core/status/node-status.ts';
import { analyzeNode } from './analyze.ts';
import type { FindingKind, NodeReport } from './report.ts';
import { validateNodeReport } from './report.ts';
import { eni, event, inputs, NOW, PD_OFF, PD_ON, pod, windowsNode } from './testing/fixtures.ts';

const kinds = (r: NodeReport): FindingKind[] => r.findings.map((f) => f.kind);
const podNamed = (r: NodeReport, name: string) => r.pods.find((p) => p.name === name)!;

function analyze(...args: Parameters<typeof inputs>): NodeReport {
  const report = analyzeNode(inputs(...args));
  assert.deepEqual(validateNodeReport(JSON.parse(JSON.stringify(report))), [], 'report conforms to the schema');
  return report;
}

describe('analyzeNode: consistent nodes', () => {
  it('prefix mode left by the AWS controller (ip/32 annotations, no status annotation)', () => {
    const r = analyze({
      node: windowsNode({ advertised: 144 }),
      pods: [1, 2, 3, 4, 5].map((i) => pod({ name: `web-${i}`, annotation: `10.0.1.${16 + i}/32` })),
      interfaces: [eni({ prefixes: ['10.0.1.16/28'] })],
      events: [event({ reason: 'ControllerVersionNotice', kind: 'Node', name: 'win-1' })],
    });
    assert.equal(r.mode.mode, 'prefix');
    assert.equal(r.mode.source, 'inferred');
    assert.equal(r.node.managedBy, 'aws-vpc-resource-controller');
    assert.equal(r.node.instanceId, 'i-0abc');
    assert.equal(r.node.region, 'us-west-2');
    assert.deepEqual(r.slots, { total: 9, prefixes: 1, secondaryIps: 0, free: 8 });
    assert.deepEqual(r.prefixes[0]!.cells.slice(0, 7), ['free', 'used', 'used', 'used', 'used', 'used', 'free']);
    assert.equal(r.prefixes[0]!.used, 5);
    assert.equal(r.prefixes[0]!.free, 11);
    assert.deepEqual(podNamed(r, 'web-1').source, { kind: 'prefix', prefix: '10.0.1.16/28', interfaceId: 'eni-0primary' });
    assert.equal(podNamed(r, 'web-1').address, '10.0.1.17');
    assert.equal(r.capacity.advertised, 144);
    assert.equal(r.capacity.deliverable, 144);
    assert.equal(r.capacity.nominal, 144);
    assert.equal(r.capacity.maxPods, 110);
    assert.equal(r.warm.count, 11);
    assert.equal(r.config.sizing, 'ip-targets');
    assert.equal(r.config.warmIPTarget, 1);
    assert.deepEqual(r.findings, []);
  });

  it('secondary mode with subnet-mask annotations and bare addresses', () => {
    const r = analyze({
      node: windowsNode({ advertised: 9 }),
      configMap: PD_OFF,
      pods: [pod({ name: 'a', annotation: '10.0.0.21/19' }), pod({ name: 'b', annotation: '10.0.0.22/19' }), pod({ name: 'c', annotation: '10.0.0.23' })],
      interfaces: [eni({ secondaryIps: ['10.0.0.21', '10.0.0.22', '10.0.0.23', '10.0.0.24', '10.0.0.25', '10.0.0.26'] })],
    });
    assert.equal(r.mode.mode, 'secondary');
    assert.deepEqual(podNamed(r, 'a').source, { kind: 'secondary-ip', interfaceId: 'eni-0primary' });
    assert.equal(podNamed(r, 'c').address, '10.0.0.23');
    assert.equal(podNamed(r, 'c').annotation, '10.0.0.23');
    assert.deepEqual(r.secondaryIps.map((s) => s.state), ['used', 'used', 'used', 'free', 'free', 'free']);
    assert.deepEqual(r.secondaryIps[0]!.pod, { namespace: 'default', name: 'a' });
    assert.equal(r.capacity.deliverable, 9);
    assert.equal(r.warm.count, 3);
    assert.deepEqual(r.findings, [], 'warm-ip-target 3 explains the three free secondary IPs');
  });

  it('ignores host-network and finished pods and pods that take no part in IPAM', () => {
    const r = analyze({
      pods: [
        pod({ name: 'host', hostNetwork: true, annotation: '10.0.0.10/32' }),
        pod({ name: 'done', phase: 'Succeeded', annotation: '10.0.9.9/32' }),
        pod({ name: 'linuxish', requests: false }),
      ],
      interfaces: [eni({ prefixes: ['10.0.1.16/28'] })],
    });
    assert.deepEqual(r.pods, []);
    assert.deepEqual(r.findings, []);
  });
});

describe('analyzeNode: every finding kind', () => {
  it('pod-address-not-on-eni, including an ENI primary address', () => {
    const r = analyze({
      pods: [pod({ name: 'lost', annotation: '10.0.9.9/32' }), pod({ name: 'host-ip', annotation: '10.0.0.10/32' }), pod({ name: 'ok', annotation: '10.0.1.17/32' })],
      interfaces: [eni({ prefixes: ['10.0.1.16/28'] })],
    });
    assert.deepEqual(kinds(r), ['pod-address-not-on-eni', 'pod-address-not-on-eni']);
    const about = (name: string) => r.findings.find((f) => f.subject === `pod default/${name}`)!;
    assert.match(about('lost').message, /10\.0\.9\.9.*no ENI of i-0abc holds/);
    assert.match(about('host-ip').message, /primary address of eni-0primary/);
    assert.deepEqual(podNamed(r, 'lost').source, { kind: 'not-on-eni' });
    assert.ok(r.findings.every((f) => f.meaning !== '' && f.action !== ''));
  });

  it('duplicate-pod-address', () => {
    const r = analyze({
      pods: [pod({ name: 'one', annotation: '10.0.1.17/32' }), pod({ name: 'two', namespace: 'other', annotation: '10.0.1.17/32' })],
      interfaces: [eni({ prefixes: ['10.0.1.16/28'] })],
    });
    assert.deepEqual(kinds(r), ['duplicate-pod-address']);
    assert.match(r.findings[0]!.message, /2 pods \(default\/one and other\/two\) all carry address 10\.0\.1\.17/);
    assert.deepEqual(r.findings[0]!.pods, [{ namespace: 'default', name: 'one' }, { namespace: 'other', name: 'two' }]);
  });

  it('unreadable-pod-address', () => {
    const r = analyze({ pods: [pod({ name: 'junk', annotation: 'not-an-ip' })], interfaces: [eni({ prefixes: ['10.0.1.16/28'] })] });
    assert.deepEqual(kinds(r), ['unreadable-pod-address']);
    assert.equal(podNamed(r, 'junk').address, null);
  });

  it('pod-without-address, with the reason from its newest warning event', () => {
    const stuck = pod({ name: 'stuck', uid: 'uid-stuck', ageSeconds: 200 });
    const r = analyze({
      pods: [stuck],
      interfaces: [eni({ prefixes: ['10.0.1.16/28'] })],
      events: [
        event({ reason: 'ResourceAllocationFailed', kind: 'Pod', name: 'stuck', namespace: 'default', uid: 'uid-stuck', type: 'Warning', message: 'old', agoSeconds: 100 }),
        event({ reason: 'FailedCreatePodSandBox', kind: 'Pod', name: 'stuck', namespace: 'default', uid: 'uid-stuck', type: 'Warning', message: 'pod does not have label vpc.amazonaws.com/PrivateIPv4Address', component: 'kubelet', agoSeconds: 5 }),
      ],
    });
    assert.deepEqual(kinds(r), ['pod-without-address']);
    // kubelet's "does not have label" restates the symptom; the IPAM controller's event says why.
    assert.match(r.findings[0]!.message, /pod default\/stuck requests .* but has no address \(waiting up to 3m20s\): event ResourceAllocationFailed: old/);
    assert.deepEqual(r.findings[0]!.pods, [{ namespace: 'default', name: 'stuck' }]);
    assert.deepEqual(podNamed(r, 'stuck').source, { kind: 'none' });
    assert.equal(r.events.length, 2);
    assert.equal(r.events[0]!.reason, 'FailedCreatePodSandBox', 'newest first');
  });

  it('pod-without-address falls back to the node IPAM warning, then to the last controller error', () => {
    const fromNode = analyze({
      pods: [pod({ name: 'waiting' })],
      interfaces: [eni({ prefixes: ['10.0.1.16/28'] })],
      events: [event({ reason: 'InsufficientCidrBlocks', kind: 'Node', name: 'win-1', type: 'Warning', message: 'no free /28 in subnet-1' })],
    });
    assert.match(fromNode.findings[0]!.message, /node event InsufficientCidrBlocks: no free \/28 in subnet-1/);
    const status: NodeStatus = {
      v: 1,
      at: NOW.toISOString(),
      mode: 'prefix',
      reason: 'prefix delegation is enabled',
      pending: { assignPrefixes: 1, assignSecondaryIps: 0, unassignPrefixes: 0, unassignSecondaryIps: 0, resync: false },
      lastError: { reason: 'insufficient-cidr-blocks', message: 'the subnet has no free /28', at: NOW.toISOString() },
    };
    const fromController = analyze({ node: windowsNode({ status }), pods: [pod({ name: 'waiting' })], interfaces: [eni({ prefixes: ['10.0.1.16/28'] })] });
    assert.match(fromController.findings[0]!.message, /the controller's last error \(insufficient-cidr-blocks, .*\): the subnet has no free \/28/);
    assert.equal(fromController.controller.pending?.assignPrefixes, 1);
    assert.equal(fromController.controller.lastError?.reason, 'insufficient-cidr-blocks');
  });

  it('pod-without-address says when no event explains it', () => {
    const r = analyze({ pods: [pod({ name: 'quiet' })], interfaces: [eni({ prefixes: ['10.0.1.16/28'] })] });
    assert.match(r.findings[0]!.message, /no IPAM event says why/);
  });

  it('pod-without-resource-request: a pending pod the webhook skipped because it does not select Windows', () => {
    const r = analyze({
      node: windowsNode({ advertised: 144 }),
      pods: [pod({ name: 'no-selector', uid: 'uid-ns', requests: false, phase: 'Pending', ageSeconds: 90 }), pod({ name: 'ok', annotation: '10.0.1.17/32' })],
      interfaces: [eni({ prefixes: ['10.0.1.16/28'] })],
      events: [
        event({ reason: 'FailedCreatePodSandBox', kind: 'Pod', name: 'no-selector', namespace: 'default', uid: 'uid-ns', type: 'Warning', message: 'pod does not have label vpc.amazonaws.com/PrivateIPv4Address', component: 'kubelet', agoSeconds: 5 }),
      ],
    });
    assert.deepEqual(kinds(r), ['pod-without-resource-request']);
    const [f] = r.findings;
    assert.equal(f!.subject, 'pod default/no-selector');
    assert.match(f!.message, /pending \(up to 90s\) with no vpc\.amazonaws\.com\/PrivateIPv4Address request .*does not select Windows nodes \(nodeSelector kubernetes\.io\/os: windows\).*; kubelet: pod does not have label/);
    assert.equal(f!.cause, 'no-windows-selector');
    assert.match(f!.action, /Add nodeSelector kubernetes\.io\/os: windows/);
    assert.deepEqual(podNamed(r, 'no-selector').source, { kind: 'none' });
    assert.equal(podNamed(r, 'no-selector').requestsAddress, false);
    assert.equal(r.capacity.requested, 1, 'only the pod that requests the resource counts');
  });

  it('pod-without-resource-request: a pending Windows pod the webhook never saw', () => {
    const r = analyze({
      node: windowsNode({ advertised: 144 }),
      pods: [pod({ name: 'missed', requests: false, phase: 'Pending', nodeSelector: { 'kubernetes.io/os': 'windows' } })],
      interfaces: [eni({ prefixes: ['10.0.1.16/28'] })],
    });
    assert.deepEqual(kinds(r), ['pod-without-resource-request']);
    assert.match(r.findings[0]!.message, /selects Windows nodes, so the IPAM pod mutation did not run/);
    assert.doesNotMatch(r.findings[0]!.message, /kubelet:/);
    assert.match(r.findings[0]!.action, /Check the pod mutation/);
    assert.deepEqual(r.findings[0]!.commands, ['kubectl get mutatingadmissionpolicies', 'kubectl get mutatingwebhookconfigurations', 'kubectl delete pod -n default missed']);
  });

  it('pod-without-resource-request only where IPAM runs, and only for pending pods', () => {
    const noIpam = analyze({ node: windowsNode(), pods: [pod({ name: 'p', requests: false, phase: 'Pending' })], interfaces: [eni()] });
    assert.deepEqual(kinds(noIpam), [], 'a node that advertises no addresses gives none to any pod; the mode says why');
    const running = analyze({ node: windowsNode({ advertised: 144 }), pods: [pod({ name: 'r', requests: false, phase: 'Running' })], interfaces: [eni({ prefixes: ['10.0.1.16/28'] })] });
    assert.deepEqual(running.pods, [], 'a running pod without the request got its network some other way');
    assert.deepEqual(kinds(running), []);
  });

  it('pod-sandbox-failing: the address is there, kubelet fails on the host; an old failure is history', () => {
    const failing = (uid: string, agoSeconds: number) =>
      event({ reason: 'FailedCreatePodSandBox', kind: 'Pod', name: uid.slice(4), namespace: 'default', uid, type: 'Warning', message: 'hnsCall failed in Win32: The object already exists', component: 'kubelet', agoSeconds });
    const r = analyze({
      node: windowsNode({ advertised: 144 }),
      pods: [
        pod({ name: 'burst', uid: 'uid-burst', phase: 'Pending', annotation: '10.0.1.17/32' }),
        pod({ name: 'recovered', uid: 'uid-recovered', phase: 'Running', annotation: '10.0.1.18/32' }),
        pod({ name: 'stale', uid: 'uid-stale', phase: 'Pending', annotation: '10.0.1.19/32' }),
      ],
      interfaces: [eni({ prefixes: ['10.0.1.16/28'] })],
      events: [failing('uid-burst', 30), failing('uid-recovered', 30), failing('uid-stale', 3600)],
    });
    assert.deepEqual(kinds(r), ['pod-sandbox-failing']);
    assert.equal(r.findings[0]!.subject, 'pod default/burst');
    assert.match(r.findings[0]!.message, /has address 10\.0\.1\.17, but kubelet failed to create its sandbox \(newest 30s ago\): hnsCall failed/);
    assert.equal(r.findings[0]!.cause, 'host-cni');
    assert.match(r.findings[0]!.meaning, /IPAM did its part/);
  });

  it('pod-sandbox-failing: not for failures from before the address came', () => {
    const r = analyze({
      node: windowsNode({ advertised: 144 }),
      pods: [
        pod({ name: 'late-label', uid: 'uid-late-label', phase: 'Pending', annotation: '10.0.1.17/32' }),
        pod({ name: 'allocated-after', uid: 'uid-allocated-after', phase: 'Pending', annotation: '10.0.1.18/32' }),
      ],
      interfaces: [eni({ prefixes: ['10.0.1.16/28'] })],
      events: [
        event({ reason: 'FailedCreatePodSandBox', kind: 'Pod', name: 'late-label', namespace: 'default', uid: 'uid-late-label', type: 'Warning', message: 'pod does not have label vpc.amazonaws.com/PrivateIPv4Address', component: 'kubelet', agoSeconds: 20 }),
        event({ reason: 'FailedCreatePodSandBox', kind: 'Pod', name: 'allocated-after', namespace: 'default', uid: 'uid-allocated-after', type: 'Warning', message: 'network is not ready', component: 'kubelet', agoSeconds: 20 }),
        event({ reason: 'ResourceAllocated', kind: 'Pod', name: 'allocated-after', namespace: 'default', uid: 'uid-allocated-after', message: 'Allocated 10.0.1.18/32', agoSeconds: 10 }),
      ],
    });
    assert.deepEqual(kinds(r), []);
  });

  it('unexplained-eni-address: a free prefix beyond the warm targets', () => {
    const r = analyze({
      pods: [pod({ name: 'a', annotation: '10.0.1.17/32' })],
      interfaces: [eni({ prefixes: ['10.0.1.16/28', '10.0.1.32/28', '10.0.1.48/28'] })],
    });
    // warm 1 + min 3 with 1 pod need one prefix, which the occupied one is: both free prefixes are leaks, one finding.
    assert.deepEqual(kinds(r), ['unexplained-eni-address']);
    assert.equal(r.findings[0]!.subject, '2 prefixes on eni-0primary');
    assert.match(r.findings[0]!.message, /2 prefixes \(10\.0\.1\.32\/28, 10\.0\.1\.48\/28\) on eni-0primary have no pod .*keep 1 prefix for 1 used address/);
    assert.deepEqual(r.findings[0]!.commands, ['aws ec2 unassign-private-ip-addresses --region us-west-2 --network-interface-id eni-0primary --ipv4-prefixes 10.0.1.32/28 10.0.1.48/28']);
  });

  it('a free prefix the warm target asks for is explained', () => {
    const pods16 = Array.from({ length: 16 }, (_, i) => pod({ name: `p${i}`, annotation: `10.0.1.${16 + i}/32` }));
    const r = analyze({ pods: pods16, interfaces: [eni({ prefixes: ['10.0.1.16/28', '10.0.1.32/28'] })] });
    assert.deepEqual(r.findings, []);
  });

  it('warm-prefix-target explains exactly that many free prefixes', () => {
    const r = analyze({
      configMap: { ...PD_ON, 'warm-prefix-target': '1' },
      interfaces: [eni({ prefixes: ['10.0.1.16/28', '10.0.1.32/28'] })],
    });
    assert.equal(r.config.sizing, 'prefix-target');
    assert.deepEqual(r.findings.map((f) => f.subject), ['prefix 10.0.1.32/28']);
  });

  it('unexplained-eni-address: free secondary IPs beyond the warm targets, grouped per ENI', () => {
    const r = analyze({
      node: windowsNode({ advertised: 9 }),
      configMap: { ...PD_OFF, 'windows-warm-ip-target': '1', 'windows-minimum-ip-target': '1' },
      pods: [pod({ name: 'a', annotation: '10.0.0.21/19' })],
      interfaces: [eni({ secondaryIps: ['10.0.0.21', '10.0.0.22', '10.0.0.23', '10.0.0.24'] })],
    });
    assert.deepEqual(kinds(r), ['unexplained-eni-address']);
    assert.match(r.findings[0]!.message, /2 secondary IPs on eni-0primary \(10\.0\.0\.23, 10\.0\.0\.24\)/);
  });

  it('mixed mode: mixed-mode-eni, over-advertised capacity and draining secondary IPs', () => {
    const r = analyze({
      node: windowsNode({ advertised: 144 }),
      pods: [pod({ name: 'old', annotation: '10.0.0.21/19' }), pod({ name: 'new', annotation: '10.0.1.17/32' })],
      interfaces: [eni({ secondaryIps: ['10.0.0.21', '10.0.0.22'], prefixes: ['10.0.1.16/28'] })],
    });
    assert.equal(r.mode.mode, 'mixed');
    assert.equal(r.mode.activeMode, 'prefix');
    assert.deepEqual(r.slots, { total: 9, prefixes: 1, secondaryIps: 2, free: 6 });
    // 7 slots can hold prefixes (112 addresses) plus the one secondary IP a pod still uses.
    assert.equal(r.capacity.deliverable, 113);
    assert.deepEqual(kinds(r).sort(), ['mixed-mode-eni', 'over-advertised-capacity', 'unexplained-eni-address']);
    assert.match(r.findings.find((f) => f.kind === 'unexplained-eni-address')!.message, /10\.0\.0\.22/);
    assert.match(r.findings.find((f) => f.kind === 'mixed-mode-eni')!.action, /secondary IP/);
    assert.deepEqual(podNamed(r, 'old').source, { kind: 'secondary-ip', interfaceId: 'eni-0primary' });
  });
});

describe('analyzeNode: with the winprefix status annotation', () => {
  const status: NodeStatus = {
    v: 1,
    at: new Date(NOW.getTime() - 12_000).toISOString(),
    mode: 'prefix',
    reason: 'prefix delegation is enabled and m5.large is Nitro',
    config: { sizing: 'ip-targets', warmIPTarget: 2, minimumIPTarget: 3, warmPrefixTarget: 0, problems: [{ key: 'warm-ip-target', value: 'x', message: 'not a whole number; the default is used' }] },
    capacity: { nominal: 144, deliverable: 144, advertised: 144 },
    slots: { total: 9, prefixes: 1, secondaryIps: 0, free: 8 },
    prefixes: [{ cidr: '10.0.1.16/28', used: 1, free: 13, cooling: 2, map: '.ucc............' }],
    secondaryIps: { used: [], free: [], cooling: [], releasing: [] },
  };

  it('takes mode, config and cooling addresses from the controller', () => {
    const r = analyze({
      node: windowsNode({ advertised: 144, status }),
      pods: [pod({ name: 'a', annotation: '10.0.1.17/32' })],
      interfaces: [eni({ prefixes: ['10.0.1.16/28'] })],
    });
    assert.equal(r.node.managedBy, 'winprefix');
    assert.equal(r.mode.source, 'status-annotation');
    assert.equal(r.mode.reason, status.reason);
    assert.equal(r.statusAnnotation.present, true);
    assert.equal(r.config.source, 'status-annotation');
    assert.equal(r.config.warmIPTarget, 2);
    assert.equal(r.config.problems.length, 1);
    assert.deepEqual(r.prefixes[0]!.cells.slice(0, 4), ['free', 'used', 'cooling', 'cooling']);
    assert.deepEqual(r.cooling.addresses, ['10.0.1.18', '10.0.1.19']);
    assert.equal(r.warm.count, 13);
    assert.deepEqual(r.findings, []);
  });

  it('reports an unreadable annotation and falls back to inference', () => {
    const r = analyze({ node: windowsNode({ status: '{"v":9}' }), interfaces: [eni({ prefixes: ['10.0.1.16/28'] })] });
    assert.equal(r.statusAnnotation.present, true);
    assert.match(r.statusAnnotation.error!, /schema version 9/);
    assert.equal(r.mode.source, 'inferred');
  });

  it('without EC2: keeps the Kubernetes half, trusts the controller for vanished addresses', () => {
    const vanished: NodeStatus = { ...status, vanished: [{ podUid: 'uid-gone', ip: '10.0.1.20' }] };
    const r = analyze({
      node: windowsNode({ advertised: 144, status: vanished }),
      pods: [pod({ name: 'gone', uid: 'uid-gone', annotation: '10.0.1.20/32' }), pod({ name: 'x', annotation: '10.0.1.21/32' }), pod({ name: 'y', annotation: '10.0.1.21/32' })],
      interfaces: { error: 'EC2 endpoint http://127.0.0.1:1 unreachable' },
    });
    assert.equal(r.ec2.available, false);
    assert.equal(r.ec2.error, 'EC2 endpoint http://127.0.0.1:1 unreachable');
    assert.deepEqual(r.prefixes, []);
    assert.deepEqual(podNamed(r, 'x').source, { kind: 'unknown' });
    assert.equal(r.capacity.deliverable, 144, 'from the status annotation');
    assert.deepEqual(r.slots, { total: 9, prefixes: 1, secondaryIps: 0, free: 8 });
    assert.deepEqual(kinds(r).sort(), ['duplicate-pod-address', 'pod-address-not-on-eni']);
  });
});

describe('analyzeNode: mode inference edges', () => {
  it('an empty ENI takes the mode the ConfigMap selects', () => {
    const r = analyze({ interfaces: [eni()], configMap: PD_OFF });
    assert.equal(r.mode.mode, 'secondary');
    assert.match(r.mode.reason, /no prefixes or secondary IPs yet/);
  });

  it('without a ConfigMap the advertised capacity tells the mode of an empty node', () => {
    const r = analyze({ node: windowsNode({ advertised: 144 }), interfaces: [eni()], configMap: undefined });
    assert.equal(r.config.found, false);
    assert.equal(r.mode.mode, 'prefix');
    assert.match(r.mode.reason, /advertised capacity \(144 for 9 slots\)/);
    // Something advertised the resource, yet the ConfigMap the report reads is missing: say so.
    assert.deepEqual(kinds(r), ['configmap-not-found']);
    assert.match(r.findings[0]!.message, /ConfigMap kube-system\/amazon-vpc-cni does not exist, yet an IPAM controller .* manages this node's IPAM/);
  });

  it('a ConfigMap that selects secondary mode makes 144 advertised on an empty ENI an over-advertisement', () => {
    const r = analyze({ node: windowsNode({ advertised: 144 }), interfaces: [eni()], configMap: PD_OFF });
    assert.equal(r.mode.mode, 'secondary');
    assert.deepEqual(kinds(r), ['over-advertised-capacity']);
  });

  it('a non-Nitro type stays in secondary mode even with prefix delegation on', () => {
    const r = analyze({ node: windowsNode({ instanceType: 't2.medium' }), instanceType: 't2.medium', interfaces: [eni()] });
    assert.equal(r.mode.activeMode, 'secondary');
    assert.equal(r.slots.total, 5);
  });

  it('an unknown instance type leaves slots and targets unknown', () => {
    const r = analyzeNode({ ...inputs({ interfaces: [eni({ prefixes: ['10.0.1.16/28'] })] }), limits: undefined });
    assert.equal(r.slots.total, null);
    assert.equal(r.config.sizing, null);
    assert.equal(r.capacity.deliverable, null);
    assert.deepEqual(validateNodeReport(JSON.parse(JSON.stringify(r))), []);
  });
});

describe('analyzeNode: one finding per cause, with the pods it affects', () => {
  it('95 pods waiting in a subnet without a free /28: one finding, every pod listed, advice for that cause with the exact command', () => {
    const waiting = Array.from({ length: 95 }, (_, i) => pod({ name: `win-${i + 1}`, namespace: 'sandbox', uid: `uid-w${i}`, ageSeconds: 300 + i }));
    const r = analyze({
      node: windowsNode({ advertised: 144 }),
      pods: [...waiting, pod({ name: 'ok', annotation: '10.0.1.17/32' })],
      interfaces: [eni({ prefixes: ['10.0.1.16/28'] })],
      events: [
        event({ reason: 'InsufficientCidrBlocks', kind: 'Node', name: 'win-1', type: 'Warning', message: 'InsufficientCidrBlocks: the subnet has no free /28' }),
        ...waiting.slice(0, 39).map((p, i) =>
          event({ reason: 'ResourceAllocationFailed', kind: 'Pod', name: p.metadata!.name!, namespace: 'sandbox', uid: `uid-w${i}`, type: 'Warning', message: 'failed to assign an IP address: InsufficientCidrBlocks' }),
        ),
      ],
      subnet: { subnetId: 'subnet-1', cidr: '10.0.0.0/24', freeBlocks: 0, reservation: { cidr: '10.0.0.128/25', inUse: 3, holders: ['eni-0a', 'eni-0b'] } },
    });
    assert.deepEqual(kinds(r), ['pod-without-address']);
    const [f] = r.findings;
    assert.equal(f!.cause, 'insufficient-cidr-blocks');
    assert.equal(f!.subject, '95 pods');
    assert.equal(f!.pods.length, 95);
    assert.deepEqual(f!.pods.slice(0, 3).map((p) => p.name), ['win-1', 'win-2', 'win-3'], 'natural order');
    assert.match(f!.message, /^95 pods \(sandbox\/win-1, sandbox\/win-2, sandbox\/win-3 and 92 more\) request .* \(waiting up to 6m34s\)/);
    assert.match(f!.meaning, /no free aligned \/28 block/);
    assert.doesNotMatch(f!.action, /check that an IPAM controller manages this node/);
    assert.match(f!.action, /10\.0\.0\.128\/25 is the block of subnet-1 with the fewest addresses in use \(3, held by eni-0a, eni-0b\)/);
    assert.deepEqual(f!.commands, [
      'aws ec2 create-subnet-cidr-reservation --region us-west-2 --subnet-id subnet-1 --reservation-type prefix --cidr 10.0.0.128/25 --description "Windows pod prefixes"',
    ]);
  });

  it('different causes stay apart: throttling, IAM, no controller at all', () => {
    const r = analyze({
      node: windowsNode({ advertised: 144 }),
      pods: [pod({ name: 'a', uid: 'uid-a' }), pod({ name: 'b', uid: 'uid-b' }), pod({ name: 'c', uid: 'uid-c' })],
      interfaces: [eni({ prefixes: ['10.0.1.16/28'] })],
      events: [
        event({ reason: 'ResourceAllocationFailed', kind: 'Pod', name: 'a', namespace: 'default', uid: 'uid-a', type: 'Warning', message: 'RequestLimitExceeded: Request limit exceeded.' }),
        event({ reason: 'ResourceAllocationFailed', kind: 'Pod', name: 'b', namespace: 'default', uid: 'uid-b', type: 'Warning', message: 'UnauthorizedOperation: You are not authorized' }),
        event({ reason: 'ResourceAllocationFailed', kind: 'Pod', name: 'c', namespace: 'default', uid: 'uid-c', type: 'Warning', message: 'RequestLimitExceeded again' }),
      ],
    });
    assert.deepEqual(r.findings.map((f) => [f.cause, f.pods.map((p) => p.name)]), [
      ['throttled', ['a', 'c']],
      ['unauthorized', ['b']],
    ]);
    const unmanaged = analyze({ node: windowsNode(), pods: [pod({ name: 'lonely' })], interfaces: [eni()] });
    assert.equal(unmanaged.findings[0]!.cause, 'no-ipam-controller');
    assert.match(unmanaged.findings[0]!.action, /enable-windows-ipam/);
  });

  it('16 pods whose prefix vanished: one finding for the /28 they were in', () => {
    const lost = Array.from({ length: 16 }, (_, i) => pod({ name: `p-${i}`, annotation: `10.0.2.${i}/32` }));
    const r = analyze({ node: windowsNode({ advertised: 144 }), pods: [...lost, pod({ name: 'far', annotation: '10.0.9.9/32' })], interfaces: [eni({ prefixes: ['10.0.1.16/28'] })] });
    assert.deepEqual(r.findings.map((f) => [f.kind, f.subject]), [
      ['pod-address-not-on-eni', '16 pods'],
      ['pod-address-not-on-eni', 'pod default/far'],
    ]);
    assert.match(r.findings[0]!.message, /have addresses in 10\.0\.2\.0\/28, which no ENI of i-0abc holds: the \/28 prefix was removed/);
    assert.deepEqual(r.findings[0]!.commands, [], 'too many pods for one paste-able command; the pods are listed');
    assert.deepEqual(r.findings[1]!.commands, ['kubectl delete pod -n default far']);
  });

  it('pods and secondary IPs are in natural and numeric order', () => {
    const r = analyze({
      node: windowsNode({ advertised: 9 }),
      configMap: PD_OFF,
      pods: ['p-10', 'p-2', 'p-1'].map((name, i) => pod({ name, annotation: `10.0.0.${[100, 9, 20][i]}/19` })),
      interfaces: [eni({ secondaryIps: ['10.0.0.100', '10.0.0.9', '10.0.0.20'] })],
    });
    assert.deepEqual(r.pods.map((p) => p.name), ['p-1', 'p-2', 'p-10']);
    assert.deepEqual(r.secondaryIps.map((s) => s.ip), ['10.0.0.9', '10.0.0.20', '10.0.0.100']);
  });

  it('-n lists one namespace\'s pods but counts every pod', () => {
    const r = analyze({
      pods: [pod({ name: 'a', namespace: 'team-a', annotation: '10.0.1.17/32' }), pod({ name: 'b', namespace: 'team-b', annotation: '10.0.1.18/32' })],
      interfaces: [eni({ prefixes: ['10.0.1.16/28'] })],
      podNamespace: 'team-a',
    });
    assert.deepEqual(r.pods.map((p) => p.name), ['a']);
    assert.equal(r.metadata.podNamespace, 'team-a');
    assert.equal(r.prefixes[0]!.used, 2);
  });

  it('a hand-edited status annotation is a finding, never a crash', () => {
    const edited = JSON.stringify({ v: 1, at: NOW.toISOString(), mode: 'prefix', reason: 'x', prefixes: [{ cidr: 'not-a-cidr', used: 'many', free: 0, cooling: 0, map: '?' }] });
    const r = analyze({ node: windowsNode({ advertised: 144, status: edited }), interfaces: [eni({ prefixes: ['10.0.1.16/28'] })] });
    assert.deepEqual(kinds(r), ['invalid-status-annotation']);
    assert.match(r.findings[0]!.message, /prefixes\[0\]\.cidr: expected an IPv4 CIDR/);
    assert.equal(r.mode.source, 'inferred');
    assert.deepEqual(r.findings[0]!.commands, ['kubectl annotate node win-1 winprefix.io/ipam-status-']);
  });
});
