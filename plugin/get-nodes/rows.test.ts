import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeCluster } from '../cluster/analyze.ts';
import { clusterInputs, NOW } from '../cluster/testing/cluster.ts';
import { nodeList, nodeRows, sortRows, totalsOf } from './rows.ts';
import { validateNodeList } from './schema.ts';

const rowsOf = (ec2: boolean) => {
  const inputs = clusterInputs({ ec2 });
  return nodeRows(analyzeCluster(inputs), inputs.map((i) => i.node), NOW);
};

describe('get nodes rows', () => {
  it('occupancy from EC2 when read, from the controller status, else from the pods alone', () => {
    const withEc2 = rowsOf(true);
    const without = rowsOf(false);
    const by = (rows: typeof withEc2, name: string) => rows.find((r) => r.name === name)!;
    assert.equal(by(withEc2, 'win-healthy').occupancySource, 'ec2');
    assert.deepEqual(by(withEc2, 'win-healthy').prefixes, { attached: 2, full: 1, free: 0 });
    // The status still lists the moved /28 (2 used): what the controller believes, until its next re-read.
    assert.equal(by(without, 'win-healthy').occupancySource, 'status-annotation');
    assert.deepEqual(by(without, 'win-healthy').prefixes, { attached: 3, full: 1, free: 0 });
    assert.deepEqual(by(without, 'win-healthy').addresses, { used: 22, free: 26, cooling: 0 });
    assert.equal(by(without, 'win-aws').occupancySource, 'pods');
    assert.deepEqual(by(without, 'win-aws').addresses, { used: 4, free: null, cooling: null });
    assert.equal(by(without, 'win-aws').modeSource, 'inferred');
    assert.deepEqual(by(withEc2, 'win-full').pods, { withAddress: 9, withoutAddress: 1 });
    assert.deepEqual(by(withEc2, 'win-healthy').findings.kinds.sort(), ['duplicate-pod-address-across-nodes', 'pod-address-not-on-eni', 'prefix-on-two-enis']);
    assert.equal(by(withEc2, 'win-healthy').status.ageSeconds, 4);
  });

  it('totals: unknown counts add nothing, and a total nobody knows is null', () => {
    const t = totalsOf(rowsOf(false));
    assert.equal(t.nodes, 6);
    assert.deepEqual(t.byManager, { winprefix: 4, awsVpcResourceController: 1, unknown: 1 });
    assert.equal(t.addresses.used, 39);
    assert.deepEqual(totalsOf([]).prefixes, null);
    assert.deepEqual(totalsOf([]).capacity, { advertised: null, deliverable: null });
    const list = nodeList(rowsOf(true), { now: NOW, selector: 'a=b', ec2: true });
    assert.deepEqual(validateNodeList(JSON.parse(JSON.stringify(list))), []);
  });

  it('--sort-by orders ascending, ties by name, unknown values last', () => {
    const rows = rowsOf(false);
    assert.deepEqual(sortRows(rows, 'waiting').map((r) => r.pods.withoutAddress), [0, 0, 0, 1, 1, 2]);
    assert.deepEqual(sortRows(rows, 'free').map((r) => r.name).slice(-2), ['win-aws', 'win-unsupported']);
    assert.deepEqual(sortRows(rows, 'name').map((r) => r.name), ['win-aws', 'win-fragmented', 'win-full', 'win-healthy', 'win-mixed', 'win-unsupported']);
  });
});
