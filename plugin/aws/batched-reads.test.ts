import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NetworkInterface } from '../../pkg/core/ec2/port.ts';
import { batchedReads } from './batched-reads.ts';
import type { Ec2Reader } from './ec2-reader.ts';

/** A reader that only answers the batched calls, counting them (the EC2 boundary faked for a unit test). */
function countingReader() {
  const calls: string[][] = [];
  const eni = (id: string): NetworkInterface => ({ networkInterfaceId: `eni-${id}`, subnetId: 's', vpcId: 'v', availabilityZone: 'z', deviceIndex: 0, instanceId: id, status: 'in-use', primaryPrivateIp: '10.0.0.1', secondaryIps: [], prefixes: [] });
  const reader = {
    endpoint: 'http://x',
    async describeInterfacesOfInstances(ids: readonly string[]) {
      calls.push([...ids]);
      return new Map(ids.filter((id) => id !== 'i-gone').map((id) => [id, [eni(id)]]));
    },
    async describeInstanceStates(ids: readonly string[]) {
      calls.push(ids.map((id) => `state:${id}`));
      return new Map();
    },
  } as unknown as Ec2Reader;
  return { reader, calls };
}

describe('batched EC2 reads', () => {
  it('per-instance reads in one turn are one call; each gets its own ENIs; unknown instances get none', async () => {
    const { reader, calls } = countingReader();
    const b = batchedReads(reader);
    const got = await Promise.all(['i-1', 'i-2', 'i-gone'].map((id) => b.describeInstanceInterfaces(id)));
    assert.deepEqual(calls, [['i-1', 'i-2', 'i-gone']]);
    assert.deepEqual(got.map((l) => l.map((e) => e.networkInterfaceId)), [['eni-i-1'], ['eni-i-2'], []]);
    assert.equal(await b.describeInstanceState('i-gone'), undefined);
  });

  it('expect() sends the batch at once, and later asks are answered from it', async () => {
    const { reader, calls } = countingReader();
    const b = batchedReads(reader);
    b.expect(['i-1', 'i-2']);
    await b.describeInstanceInterfaces('i-2');
    await b.describeInstanceInterfaces('i-1');
    assert.deepEqual(calls, [['i-1', 'i-2']]);
  });
});
