import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeNode } from '../describe/analyze.ts';
import { eni, event, inputs, NOW, pod, windowsNode } from '../describe/testing/fixtures.ts';
import type { KubePod } from '../kube/objects.ts';
import { validatePodStory } from './schema.ts';
import { podStory } from './stages.ts';

const windows = { 'kubernetes.io/os': 'windows' };
const onNode = (p: KubePod): KubePod => ({ ...p, spec: { ...p.spec, nodeName: 'win-1' } });

function story(p: KubePod, o: { interfaces?: Parameters<typeof inputs>[0]['interfaces']; events?: Parameters<typeof inputs>[0]['events']; node?: ReturnType<typeof windowsNode> } = {}) {
  const report = p.spec?.nodeName ? analyzeNode(inputs({ node: o.node ?? windowsNode({ advertised: 144 }), pods: [p], interfaces: o.interfaces ?? [eni({ prefixes: ['10.0.1.16/28'] })], events: o.events ?? [] })) : undefined;
  const s = podStory({ pod: p, podEvents: (o.events ?? []).filter((e) => e.involvedObject?.uid === p.metadata?.uid), report, now: NOW });
  assert.deepEqual(validatePodStory(JSON.parse(JSON.stringify(s))), []);
  return s;
}

describe('why pod stages', () => {
  it('a working address, its sandbox still starting: working, stopped at the sandbox (pending)', () => {
    const s = story(onNode(pod({ name: 'ok', nodeSelector: windows, annotation: '10.0.1.17/32', phase: 'Pending' })));
    assert.equal(s.verdict, 'working');
    assert.equal(s.stoppedAt, 'sandbox-up');
    assert.equal(s.stages[5]!.state, 'pending');
  });

  it('1 fails without the Windows selector and without a request', () => {
    const s = story(pod({ name: 'l', requests: false, phase: 'Pending' }));
    assert.equal(s.stoppedAt, 'selects-windows');
    assert.equal(s.stages[0]!.finding?.kind, 'pod-without-resource-request');
    assert.deepEqual(s.stages.slice(1).map((x) => x.state), ['not-reached', 'not-reached', 'not-reached', 'not-reached', 'not-reached']);
  });

  it('2 fails when the webhook did not add the request', () => {
    const s = story(onNode(pod({ name: 'm', requests: false, nodeSelector: windows, phase: 'Pending' })));
    assert.equal(s.stoppedAt, 'resource-requested');
    assert.equal(s.stages[1]!.finding?.cause, 'webhook-not-run');
  });

  it('3 waits for a scheduler that has said nothing yet', () => {
    const p = pod({ name: 'new', nodeSelector: windows, phase: 'Pending', ageSeconds: 2 });
    delete p.spec!.nodeName;
    const s = story(p);
    assert.equal(s.stages[2]!.state, 'pending');
    assert.equal(s.verdict, 'failed');
  });

  it('3 fails on a node no IPAM controller manages', () => {
    const s = story(onNode(pod({ name: 'n', nodeSelector: windows, phase: 'Pending' })), { node: windowsNode() });
    assert.equal(s.stoppedAt, 'scheduled');
    assert.equal(s.stages[2]!.finding?.cause, 'no-ipam-controller');
  });

  it('4 fails with the cause the events give', () => {
    const p = onNode(pod({ name: 'w', uid: 'uid-w', nodeSelector: windows, phase: 'Pending' }));
    const s = story(p, { events: [event({ reason: 'ResourceAllocationFailed', kind: 'Pod', name: 'w', uid: 'uid-w', type: 'Warning', message: 'RequestLimitExceeded' })] });
    assert.equal(s.stoppedAt, 'address-assigned');
    assert.equal(s.stages[3]!.finding?.cause, 'throttled');
    assert.match(s.stages[3]!.evidence[0]!, /^event ResourceAllocationFailed 30s ago/);
  });

  it('4 fails for an address another pod on the node carries too', () => {
    const twin = onNode(pod({ name: 'twin', annotation: '10.0.1.17/32', nodeSelector: windows }));
    const report = analyzeNode(inputs({ node: windowsNode({ advertised: 144 }), pods: [onNode(pod({ name: 'a', annotation: '10.0.1.17/32' })), twin], interfaces: [eni({ prefixes: ['10.0.1.16/28'] })] }));
    const s = podStory({ pod: twin, podEvents: [], report, now: NOW });
    assert.equal(s.stoppedAt, 'address-assigned');
    assert.equal(s.stages[3]!.finding?.kind, 'duplicate-pod-address');
  });

  it('5 is unknown when EC2 could not be read: the verdict is unknown, not working', () => {
    const s = story(onNode(pod({ name: 'u', nodeSelector: windows, annotation: '10.0.1.17/32' })), { interfaces: { error: 'denied' } });
    assert.equal(s.stages[4]!.state, 'unknown');
    assert.equal(s.verdict, 'unknown');
  });

  it('6 fails on a fresh sandbox failure after the address came', () => {
    const p = onNode(pod({ name: 'h', uid: 'uid-h', nodeSelector: windows, annotation: '10.0.1.17/32', phase: 'Pending' }));
    const s = story(p, { events: [event({ reason: 'FailedCreatePodSandBox', kind: 'Pod', name: 'h', uid: 'uid-h', type: 'Warning', component: 'kubelet', message: 'hnsCall failed', agoSeconds: 10 })] });
    assert.equal(s.stoppedAt, 'sandbox-up');
    assert.equal(s.verdict, 'failed');
    assert.equal(s.stages[5]!.finding?.kind, 'pod-sandbox-failing');
  });

  it('a finished pod gave its address back: no stage failed', () => {
    const s = story(onNode(pod({ name: 'done', nodeSelector: windows, annotation: '10.0.1.17/32', phase: 'Succeeded' })));
    assert.equal(s.verdict, 'working');
    assert.equal(s.stages[4]!.state, 'not-reached');
    assert.match(s.stages[3]!.summary, /finished \(Succeeded\)/);
  });

  it('when the event has expired, the address time comes from managedFields', () => {
    const p = onNode(pod({ name: 'old', nodeSelector: windows, annotation: '10.0.1.17/32', ageSeconds: 7200 }));
    p.metadata!.managedFields = [{ manager: 'winprefix-controller', operation: 'Update', time: new Date(NOW.getTime() - 7195_000).toISOString(), fieldsV1: { 'f:metadata': { 'f:annotations': { 'f:vpc.amazonaws.com/PrivateIPv4Address': {} } } } }];
    const s = story(p);
    assert.equal(s.address?.assignedAtFrom, 'managed-fields');
    assert.equal(s.address?.secondsToAddress, 5);
  });
});
