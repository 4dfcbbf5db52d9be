/**
 * The plugin's own EC2 reader (plugin/aws/ec2-reader.ts) against the simulator over HTTP, for the reads
 * `subnets` and `migrate` make: many instances' primary ENIs in batches of 200, a subnet's ENIs and
 * reservations across pages, several subnets in one call, what a missing subnet and a missing permission
 * say, and that every call is a read signed by the caller's key.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Ec2Error } from '../../pkg/core/ec2/errors.ts';
import { INSTANCES_PER_DESCRIBE } from '../../pkg/core/ec2/port.ts';
import { startEc2Simulator, type Ec2Simulator } from '../../pkg/ec2sim/server.ts';
import type { WorldSpec } from '../../pkg/ec2sim/world-spec.ts';
import { formatIPv4, parseIPv4 } from '../../pkg/core/net/ipv4.ts';
import { createEc2Reader, type Ec2Reader } from '../../plugin/aws/ec2-reader.ts';

const KEY = 'AKIDREADERTEST';
const INSTANCES = 450;
const BIG = 'subnet-0b000001';
const SMALL = 'subnet-0b000002';

function world(): WorldSpec {
  const base = parseIPv4('10.11.0.10');
  return {
    vpcs: [{ id: 'vpc-0b000001', cidr: '10.11.0.0/16' }],
    subnets: [
      {
        id: BIG,
        vpcId: 'vpc-0b000001',
        cidr: '10.11.0.0/20',
        availabilityZone: 'us-west-2a',
        reservations: Array.from({ length: 12 }, (_, i) => ({ cidr: `10.11.${4 + i}.0/24`, type: i % 2 === 0 ? ('prefix' as const) : ('explicit' as const) })),
      },
      { id: SMALL, vpcId: 'vpc-0b000001', cidr: '10.11.32.0/24', availabilityZone: 'us-west-2b' },
    ],
    instances: Array.from({ length: INSTANCES }, (_, k) => ({ id: `i-${(0xa000 + k).toString(16).padStart(8, '0')}`, type: 'm5.large', subnetId: BIG, privateIp: formatIPv4(base + k) })),
    networkInterfaces: [{ id: 'eni-0e0000ff', subnetId: SMALL, privateIp: '10.11.32.9', secondaryIps: ['10.11.32.40'] }],
  };
}

describe('plugin EC2 reader: the reads of subnets and migrate', () => {
  let sim: Ec2Simulator;
  let reader: Ec2Reader;
  before(async () => {
    sim = await startEc2Simulator({ world: world() });
  });
  after(async () => {
    reader?.close();
    await sim?.close();
  });
  const make = (pageSize?: number) =>
    createEc2Reader({
      region: 'us-west-2',
      endpoint: sim.endpoint,
      credentials: async () => ({ accessKeyId: KEY, secretAccessKey: 'secret' }),
      timeoutMs: 10_000,
      userAgent: 'kubectl-winprefix-test',
      ...(pageSize ? { pageSize } : {}),
    });

  it('primary ENIs of 450 instances: batches of 200 ids, one call each, every instance once', async () => {
    reader = make();
    sim.counters.reset();
    const ids = sim.world.instances().map((i) => i.instanceId);
    const enis = await reader.describePrimaryInterfaces([...ids, ids[0]!]);
    assert.equal(enis.length, INSTANCES);
    assert.equal(new Set(enis.map((e) => e.instanceId)).size, INSTANCES);
    assert.ok(enis.every((e) => e.deviceIndex === 0 && e.subnetId === BIG));
    assert.equal(sim.counters.calls('DescribeNetworkInterfaces'), Math.ceil(INSTANCES / INSTANCES_PER_DESCRIBE));
    reader.close();
  });

  it("a subnet's ENIs and reservations follow NextToken page by page", async () => {
    reader = make(100);
    sim.counters.reset();
    const enis = await reader.describeSubnetInterfaces(BIG);
    assert.equal(enis.length, INSTANCES);
    assert.equal(sim.counters.calls('DescribeNetworkInterfaces'), Math.ceil(INSTANCES / 100));
    reader.close();
    reader = make(5);
    const reservations = await reader.subnetCidrReservations(BIG);
    assert.deepEqual(
      reservations.map((r) => [r.cidr, r.type]),
      sim.world.reservations(BIG).map((r) => [r.cidr, r.type]),
    );
    assert.equal(sim.counters.calls('GetSubnetCidrReservations'), 3);
    reader.close();
  });

  it('several subnets in one DescribeSubnets; an unknown one is named', async () => {
    reader = make();
    sim.counters.reset();
    const subnets = await reader.describeSubnets([SMALL, BIG, SMALL]);
    assert.deepEqual(subnets.map((s) => [s.subnetId, s.cidr, s.availabilityZone]).sort(), [
      [BIG, '10.11.0.0/20', 'us-west-2a'],
      [SMALL, '10.11.32.0/24', 'us-west-2b'],
    ]);
    assert.equal(sim.counters.calls('DescribeSubnets'), 1);
    const err = await reader.describeSubnets([BIG, 'subnet-0b0000ff']).then(
      () => assert.fail('expected InvalidSubnetID.NotFound'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof Ec2Error);
    assert.deepEqual([err.kind, err.code], ['not-found', 'InvalidSubnetID.NotFound']);
    assert.match(err.message, /subnet-0b0000ff/);
    reader.close();
  });

  it('a missing permission names the IAM action', async () => {
    reader = make();
    sim.faults.set({ unauthorizedActions: ['GetSubnetCidrReservations'] });
    try {
      const err = await reader.subnetCidrReservations(BIG).then(
        () => assert.fail('expected UnauthorizedOperation'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof Ec2Error);
      assert.equal(err.kind, 'unauthorized');
      assert.equal(err.permission, 'ec2:GetSubnetCidrReservations');
    } finally {
      sim.faults.clear();
      reader.close();
    }
  });

  it('every call is a read, signed with the caller\'s key', () => {
    const calls = sim.journal.entries().filter((e) => e.caller === KEY);
    assert.ok(calls.length > 5);
    assert.deepEqual([...new Set(calls.map((e) => e.action))].sort(), ['DescribeNetworkInterfaces', 'DescribeSubnets', 'GetSubnetCidrReservations']);
  });
});
