import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeNode } from '../describe/analyze.ts';
import { eni, inputs, pod, windowsNode } from '../describe/testing/fixtures.ts';
import type { NodeStatus } from '../../pkg/core/status/node-status.ts';
import { analyzeCluster } from './analyze.ts';
import { crossNodeFindings } from './cross-node.ts';
import { clusterInputs } from './testing/cluster.ts';

const status = (prefixes: string[], secondary: string[] = []): NodeStatus => ({
  v: 1,
  at: '2026-11-22T02:59:00.000Z',
  mode: prefixes.length > 0 ? 'prefix' : 'secondary',
  reason: 'x',
  prefixes: prefixes.map((cidr) => ({ cidr, used: 0, free: 16, cooling: 0, map: '................' })),
  secondaryIps: { used: secondary, free: [], cooling: [], releasing: [] },
});

describe('cross-node findings', () => {
  it('the fixture cluster: one duplicate address and one moved prefix, each naming both nodes', () => {
    const { crossNode } = analyzeCluster(clusterInputs());
    assert.deepEqual(crossNode.map((f) => [f.kind, f.nodes]), [
      ['duplicate-pod-address-across-nodes', ['win-aws', 'win-healthy']],
      ['prefix-on-two-enis', ['win-aws', 'win-healthy']],
    ]);
    assert.deepEqual(crossNode[1]!.pods.map((p) => p.name), ['api-0', 'api-1']);
    assert.equal(crossNode[1]!.cause, 'stale-status');
  });

  it('without EC2 the duplicate is still found, and says EC2 was not read', () => {
    const { crossNode } = analyzeCluster(clusterInputs({ ec2: false }));
    const dup = crossNode.find((f) => f.kind === 'duplicate-pod-address-across-nodes')!;
    assert.match(dup.message, /EC2 not read/);
    assert.match(dup.action, /Delete all but one pod/);
    assert.ok(!crossNode.some((f) => f.kind === 'prefix-on-two-enis'), 'status claims alone are never compared with each other as truth');
  });

  it('secondary IPs of two nodes in one aligned /28 are normal; one IP on two ENIs is not', () => {
    const a = inputs({ node: windowsNode({ name: 'a' }), interfaces: [eni({ id: 'eni-a', secondaryIps: ['10.0.0.20', '10.0.0.21'] })] });
    const b = inputs({ node: windowsNode({ name: 'b' }), interfaces: [eni({ id: 'eni-b', secondaryIps: ['10.0.0.22'] })] });
    assert.deepEqual(crossNodeFindings([analyzeNode(a), analyzeNode(b)], [a.node, b.node], 'us-west-2'), []);
    const c = inputs({ node: windowsNode({ name: 'c' }), interfaces: [eni({ id: 'eni-c', secondaryIps: ['10.0.0.21'] })] });
    const found = crossNodeFindings([analyzeNode(a), analyzeNode(c)], [a.node, c.node], 'us-west-2');
    assert.deepEqual(found.map((f) => [f.kind, f.nodes, f.cause]), [['prefix-on-two-enis', ['a', 'c'], 'ec2-disagrees']]);
  });

  it('a prefix EC2 shows on one ENI while a secondary IP inside it sits on another node', () => {
    const a = inputs({ node: windowsNode({ name: 'a' }), interfaces: [eni({ id: 'eni-a', prefixes: ['10.0.1.16/28'] })] });
    const b = inputs({ node: windowsNode({ name: 'b', status: status([], ['10.0.1.20']) }), pods: [pod({ name: 'p', annotation: '10.0.1.20/22' })], interfaces: [eni({ id: 'eni-b' })] });
    const [f] = crossNodeFindings([analyzeNode(a), analyzeNode(b)], [a.node, b.node], null);
    assert.equal(f?.kind, 'prefix-on-two-enis');
    assert.match(f!.message, /10\.0\.1\.16\/28: EC2 shows it on eni-a \(a\); the winprefix status of b lists 10\.0\.1\.20/);
    assert.deepEqual(f!.pods, [{ namespace: 'default', name: 'p' }]);
    assert.ok(f!.commands.includes('kubectl delete pod -n default p'));
  });

  it('many duplicates between the same two nodes are one finding', () => {
    const shared = Array.from({ length: 6 }, (_, i) => `10.0.1.${17 + i}`);
    const a = inputs({ node: windowsNode({ name: 'a' }), pods: shared.map((ip, i) => pod({ name: `a-${i}`, annotation: `${ip}/32` })), interfaces: [eni({ id: 'eni-a', prefixes: ['10.0.1.16/28'] })] });
    const b = inputs({ node: windowsNode({ name: 'b' }), pods: shared.map((ip, i) => pod({ name: `b-${i}`, annotation: `${ip}/32` })), interfaces: [eni({ id: 'eni-b' })] });
    const found = crossNodeFindings([analyzeNode(a), analyzeNode(b)], [a.node, b.node], null);
    assert.equal(found.length, 1);
    assert.equal(found[0]!.subject, '6 addresses');
    assert.equal(found[0]!.pods.length, 12);
    assert.deepEqual(found[0]!.commands, ['kubectl delete pod -n default b-0 b-1 b-2 b-3 b-4 b-5']);
  });
});
