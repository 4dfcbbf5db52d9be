/**
 * The unmodified @aws-sdk/client-ec2 against the simulator over HTTP: every action, its parameters and its
 * error codes, pagination, reservations, a fragmented subnet and fault injection.
 */
import { ENI, INSTANCE, SUBNET, sdkClient, smallWorld } from './fixtures.ts';
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  AssignPrivateIpAddressesCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  EC2ServiceException,
  GetSubnetCidrReservationsCommand,
  UnassignPrivateIpAddressesCommand,
  paginateDescribeNetworkInterfaces,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { startEc2Simulator, type Ec2Simulator } from '../../pkg/ec2sim/server.ts';

/** Runs `fn`, expects an EC2 service error, returns its code and HTTP status. */
async function failure(fn: () => Promise<unknown>): Promise<{ code: string; status: number | undefined; message: string; requestId: string | undefined }> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof EC2ServiceException, `expected an EC2 service error, got ${String(err)}`);
    return { code: err.name, status: err.$metadata.httpStatusCode, message: err.message, requestId: err.$metadata.requestId };
  }
  assert.fail('expected the call to fail');
}

describe('SDK against the simulator: describes', () => {
  let sim: Ec2Simulator;
  let ec2: EC2Client;
  before(async () => {
    const world = smallWorld({ instances: 12 });
    world.subnets.push({ id: 'subnet-00000002', vpcId: 'vpc-00000001', cidr: '10.0.2.0/24', availabilityZone: 'us-west-2b', reservations: [{ cidr: '10.0.2.64/26', type: 'prefix', description: 'pods' }, { cidr: '10.0.2.128/28', type: 'explicit' }] });
    world.instances.push({ id: 'i-000000ff', type: 'm4.large', subnetId: 'subnet-00000002', privateIp: '10.0.2.10' });
    sim = await startEc2Simulator({ world });
    ec2 = sdkClient(sim.endpoint);
  });
  after(async () => {
    ec2.destroy();
    await sim.close();
  });

  test('DescribeInstances by id gives the instance, its type, placement and primary ENI', async () => {
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [INSTANCE] }));
    const i = out.Reservations?.[0]?.Instances?.[0];
    assert.equal(i?.InstanceId, INSTANCE);
    assert.equal(i?.InstanceType, 'm5.large');
    assert.equal(i?.Placement?.AvailabilityZone, 'us-west-2a');
    assert.equal(i?.PrivateIpAddress, '10.0.1.10');
    assert.equal(i?.State?.Name, 'running');
    assert.equal(i?.Platform, 'windows');
    const eni = i?.NetworkInterfaces?.[0];
    assert.equal(eni?.NetworkInterfaceId, ENI);
    assert.equal(eni?.Attachment?.DeviceIndex, 0);
    assert.deepEqual(eni?.PrivateIpAddresses?.map((a) => [a.PrivateIpAddress, a.Primary]), [['10.0.1.10', true]]);
  });

  test('DescribeInstances errors: unknown id, malformed id, ids with MaxResults', async () => {
    const missing = await failure(() => ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0000abcd', INSTANCE] })));
    assert.deepEqual([missing.code, missing.status], ['InvalidInstanceID.NotFound', 400]);
    assert.match(missing.message, /i-0000abcd/);
    assert.ok(missing.requestId, 'the SDK should find the request id');
    assert.equal((await failure(() => ec2.send(new DescribeInstancesCommand({ InstanceIds: ['node-1'] })))).code, 'InvalidInstanceID.Malformed');
    assert.equal((await failure(() => ec2.send(new DescribeInstancesCommand({ InstanceIds: [INSTANCE], MaxResults: 5 })))).code, 'InvalidParameterCombination');
  });

  test('DescribeInstances paginates with MaxResults/NextToken and filters by subnet', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const out = await ec2.send(new DescribeInstancesCommand({ MaxResults: 5, NextToken: token, Filters: [{ Name: 'subnet-id', Values: [SUBNET] }] }));
      for (const r of out.Reservations ?? []) for (const i of r.Instances ?? []) seen.push(i.InstanceId!);
      token = out.NextToken;
      pages++;
    } while (token);
    assert.equal(pages, 3);
    assert.equal(seen.length, 12);
    assert.equal(new Set(seen).size, 12);
  });

  test('DescribeNetworkInterfaces by id, and by subnet-id / attachment.instance-id / vpc-id filters', async () => {
    const byId = await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [ENI] }));
    assert.equal(byId.NetworkInterfaces?.[0]?.Attachment?.InstanceId, INSTANCE);
    assert.equal(byId.NetworkInterfaces?.[0]?.SubnetId, SUBNET);
    const bySubnet = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'subnet-id', Values: ['subnet-00000002'] }] }));
    assert.deepEqual(bySubnet.NetworkInterfaces?.map((e) => e.NetworkInterfaceId), ['eni-000000ff']);
    const byInstance = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: ['i-00000003', 'i-00000004'] }] }));
    assert.deepEqual(byInstance.NetworkInterfaces?.map((e) => e.NetworkInterfaceId).sort(), ['eni-00000003', 'eni-00000004']);
    const both = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'vpc-id', Values: ['vpc-00000001'] }, { Name: 'subnet-id', Values: ['subnet-00000002'] }] }));
    assert.equal(both.NetworkInterfaces?.length, 1);
    const none = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'vpc-id', Values: ['vpc-0000000f'] }] }));
    assert.deepEqual(none.NetworkInterfaces, []);
    const wildcard = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'network-interface-id', Values: ['eni-0000000?'] }] }));
    assert.equal(wildcard.NetworkInterfaces?.length, 12); // eni-00000001 .. eni-0000000c, not eni-000000ff
  });

  test('DescribeNetworkInterfaces pagination: the SDK paginator walks every page', async () => {
    const ids: string[] = [];
    let pages = 0;
    for await (const page of paginateDescribeNetworkInterfaces({ client: ec2, pageSize: 5 }, { Filters: [{ Name: 'subnet-id', Values: [SUBNET] }] })) {
      pages++;
      assert.ok((page.NetworkInterfaces?.length ?? 0) <= 5);
      for (const e of page.NetworkInterfaces ?? []) ids.push(e.NetworkInterfaceId!);
    }
    assert.equal(pages, 3);
    assert.equal(new Set(ids).size, 12);
  });

  test('DescribeNetworkInterfaces errors', async () => {
    const nf = await failure(() => ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: ['eni-0000abcd'] })));
    assert.deepEqual([nf.code, nf.status], ['InvalidNetworkInterfaceID.NotFound', 400]);
    assert.equal((await failure(() => ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: ['nic-1'] })))).code, 'InvalidNetworkInterfaceID.Malformed');
    assert.equal((await failure(() => ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'tag:owner', Values: ['x'] }] })))).code, 'InvalidParameterValue');
    assert.equal((await failure(() => ec2.send(new DescribeNetworkInterfacesCommand({ MaxResults: 2 })))).code, 'InvalidParameterValue');
    assert.equal((await failure(() => ec2.send(new DescribeNetworkInterfacesCommand({ MaxResults: 5, NextToken: 'garbage' })))).code, 'InvalidPaginationToken');
    // A token from one query is not valid for another.
    const first = await ec2.send(new DescribeNetworkInterfacesCommand({ MaxResults: 5 }));
    assert.ok(first.NextToken);
    const reused = await failure(() => ec2.send(new DescribeNetworkInterfacesCommand({ MaxResults: 5, NextToken: first.NextToken, Filters: [{ Name: 'subnet-id', Values: [SUBNET] }] })));
    assert.equal(reused.code, 'InvalidPaginationToken');
  });

  test('DescribeSubnets: CIDR, zone and a free-address count that follows assignments', async () => {
    const before = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [SUBNET] }));
    const s = before.Subnets?.[0];
    assert.deepEqual([s?.CidrBlock, s?.AvailabilityZone, s?.VpcId], ['10.0.1.0/24', 'us-west-2a', 'vpc-00000001']);
    // 256 - 5 reserved - 12 primaries.
    assert.equal(s?.AvailableIpAddressCount, 239);
    await ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: 'eni-0000000c', Ipv4PrefixCount: 1 }));
    const after = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [SUBNET] }));
    assert.equal(after.Subnets?.[0]?.AvailableIpAddressCount, 239 - 16);
    const byVpc = await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: ['vpc-00000001'] }] }));
    assert.equal(byVpc.Subnets?.length, 2);
    assert.equal((await failure(() => ec2.send(new DescribeSubnetsCommand({ SubnetIds: ['subnet-0000abcd'] })))).code, 'InvalidSubnetID.NotFound');
    assert.equal((await failure(() => ec2.send(new DescribeSubnetsCommand({ SubnetIds: ['sn-1'] })))).code, 'InvalidSubnetID.Malformed');
  });

  test('GetSubnetCidrReservations lists prefix and explicit reservations', async () => {
    const out = await ec2.send(new GetSubnetCidrReservationsCommand({ SubnetId: 'subnet-00000002' }));
    const rs = out.SubnetIpv4CidrReservations ?? [];
    assert.deepEqual(rs.map((r) => [r.Cidr, r.ReservationType]), [['10.0.2.64/26', 'prefix'], ['10.0.2.128/28', 'explicit']]);
    assert.match(rs[0]?.SubnetCidrReservationId ?? '', /^scr-[0-9a-f]{17}$/);
    assert.equal(rs[0]?.Description, 'pods');
    const prefixOnly = await ec2.send(new GetSubnetCidrReservationsCommand({ SubnetId: 'subnet-00000002', Filters: [{ Name: 'reservationType', Values: ['prefix'] }] }));
    assert.equal(prefixOnly.SubnetIpv4CidrReservations?.length, 1);
    assert.deepEqual((await ec2.send(new GetSubnetCidrReservationsCommand({ SubnetId: SUBNET }))).SubnetIpv4CidrReservations, []);
    assert.equal((await failure(() => ec2.send(new GetSubnetCidrReservationsCommand({ SubnetId: 'subnet-0000abcd' })))).code, 'InvalidSubnetID.NotFound');
    assert.equal((await failure(() => ec2.send(new GetSubnetCidrReservationsCommand({} as never)))).code, 'MissingParameter');
  });

  test('DescribeInstanceTypes: network limits, hypervisor, bare metal, unknown types', async () => {
    const out = await ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['m5.large', 'm4.large', 'c5.metal'] }));
    const byName = new Map(out.InstanceTypes?.map((t) => [t.InstanceType, t]));
    assert.equal(byName.get('m5.large')?.NetworkInfo?.Ipv4AddressesPerInterface, 10);
    assert.equal(byName.get('m5.large')?.NetworkInfo?.MaximumNetworkInterfaces, 3);
    assert.equal(byName.get('m5.large')?.Hypervisor, 'nitro');
    assert.equal(byName.get('m4.large')?.Hypervisor, 'xen');
    assert.equal(byName.get('c5.metal')?.BareMetal, true);
    assert.equal(byName.get('c5.metal')?.Hypervisor, undefined);
    const unknown = await failure(() => ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['z9.huge' as never] })));
    assert.equal(unknown.code, 'InvalidInstanceType');
    assert.match(unknown.message, /z9\.huge/);
    const page = await ec2.send(new DescribeInstanceTypesCommand({ MaxResults: 20 }));
    assert.equal(page.InstanceTypes?.length, 20);
    assert.ok(page.NextToken);
  });
});

describe('SDK against the simulator: assign and unassign', () => {
  let sim: Ec2Simulator;
  let ec2: EC2Client;
  before(async () => {
    sim = await startEc2Simulator({ world: smallWorld({ instances: 2 }) });
    ec2 = sdkClient(sim.endpoint);
  });
  after(async () => {
    ec2.destroy();
    await sim.close();
  });
  const eniOf = async (id: string) => (await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [id] }))).NetworkInterfaces![0]!;

  test('Ipv4PrefixCount and Ipv4Prefixes assign aligned /28s; both unassign by CIDR', async () => {
    const out = await ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: ENI, Ipv4PrefixCount: 2 }));
    const got = out.AssignedIpv4Prefixes?.map((p) => p.Ipv4Prefix!) ?? [];
    assert.equal(got.length, 2);
    for (const p of got) assert.match(p, /^10\.0\.1\.(\d+)\/28$/);
    for (const p of got) assert.equal(Number(/\.(\d+)\//.exec(p)![1]) % 16, 0);
    const explicit = await ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: ENI, Ipv4Prefixes: ['10.0.1.160/28'] }));
    assert.deepEqual(explicit.AssignedIpv4Prefixes?.map((p) => p.Ipv4Prefix), ['10.0.1.160/28']);
    assert.deepEqual((await eniOf(ENI)).Ipv4Prefixes?.map((p) => p.Ipv4Prefix).sort(), [...got, '10.0.1.160/28'].sort());
    await ec2.send(new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: ENI, Ipv4Prefixes: [...got, '10.0.1.160/28'] }));
    assert.equal((await eniOf(ENI)).Ipv4Prefixes, undefined);
  });

  test('SecondaryPrivateIpAddressCount and PrivateIpAddresses assign addresses; unassign gives them back', async () => {
    const out = await ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: ENI, SecondaryPrivateIpAddressCount: 3 }));
    const ips = out.AssignedPrivateIpAddresses?.map((a) => a.PrivateIpAddress!) ?? [];
    assert.equal(ips.length, 3);
    // addresses.private-ip-address finds the ENI that holds a secondary address; private-ip-address only primaries.
    const holder = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'addresses.private-ip-address', Values: [ips[0]!] }] }));
    assert.deepEqual(holder.NetworkInterfaces?.map((e) => e.NetworkInterfaceId), [ENI]);
    const primaryOnly = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'private-ip-address', Values: [ips[0]!] }] }));
    assert.deepEqual(primaryOnly.NetworkInterfaces, []);
    const explicit = await ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: ENI, PrivateIpAddresses: ['10.0.1.200', '10.0.1.201'] }));
    assert.deepEqual(explicit.AssignedPrivateIpAddresses?.map((a) => a.PrivateIpAddress), ['10.0.1.200', '10.0.1.201']);
    const eni = await eniOf(ENI);
    assert.deepEqual(eni.PrivateIpAddresses?.filter((a) => !a.Primary).map((a) => a.PrivateIpAddress).sort(), [...ips, '10.0.1.200', '10.0.1.201'].sort());
    await ec2.send(new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: ENI, PrivateIpAddresses: [...ips, '10.0.1.200', '10.0.1.201'] }));
    assert.deepEqual((await eniOf(ENI)).PrivateIpAddresses?.map((a) => a.PrivateIpAddress), ['10.0.1.10']);
    // The other instance can now take one of the freed addresses.
    await ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: 'eni-00000002', PrivateIpAddresses: ['10.0.1.200'] }));
  });

  test('PrivateIpAddressLimitExceeded at the slot limit (prefixes and IPs share the slots)', async () => {
    await ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: ENI, Ipv4PrefixCount: 5 }));
    await ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: ENI, SecondaryPrivateIpAddressCount: 4 }));
    const over = await failure(() => ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: ENI, Ipv4PrefixCount: 1 })));
    assert.deepEqual([over.code, over.status], ['PrivateIpAddressLimitExceeded', 400]);
    const eni = await eniOf(ENI);
    await ec2.send(new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: ENI, Ipv4Prefixes: eni.Ipv4Prefixes!.map((p) => p.Ipv4Prefix!) }));
    await ec2.send(new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: ENI, PrivateIpAddresses: eni.PrivateIpAddresses!.filter((a) => !a.Primary).map((a) => a.PrivateIpAddress!) }));
  });

  test('parameter errors: missing, malformed, combined, unknown ENI, not assigned', async () => {
    const code = async (input: ConstructorParameters<typeof AssignPrivateIpAddressesCommand>[0]) =>
      (await failure(() => ec2.send(new AssignPrivateIpAddressesCommand(input)))).code;
    assert.equal(await code({ NetworkInterfaceId: ENI }), 'MissingParameter');
    assert.equal(await code({ NetworkInterfaceId: 'eni-0000abcd', Ipv4PrefixCount: 1 }), 'InvalidNetworkInterfaceID.NotFound');
    assert.equal(await code({ NetworkInterfaceId: 'eni-x', Ipv4PrefixCount: 1 }), 'InvalidNetworkInterfaceID.Malformed');
    assert.equal(await code({ NetworkInterfaceId: ENI, Ipv4PrefixCount: 1, SecondaryPrivateIpAddressCount: 1 }), 'InvalidParameterCombination');
    assert.equal(await code({ NetworkInterfaceId: ENI, Ipv4Prefixes: ['10.0.1.17/28'] }), 'InvalidParameterValue');
    assert.equal(await code({ NetworkInterfaceId: ENI, Ipv4Prefixes: ['10.0.1.16/27'] }), 'InvalidParameterValue');
    assert.equal(await code({ NetworkInterfaceId: ENI, PrivateIpAddresses: ['10.0.1.11'] }), 'InvalidIPAddress.InUse');
    assert.equal(await code({ NetworkInterfaceId: ENI, Ipv4PrefixCount: 0 }), 'InvalidParameterValue');
    const un = await failure(() => ec2.send(new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: ENI, PrivateIpAddresses: ['10.0.1.99'] })));
    assert.equal(un.code, 'InvalidParameterValue');
    assert.equal((await failure(() => ec2.send(new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: ENI })))).code, 'MissingParameter');
  });

  test('an unknown action answers InvalidAction; a missing action MissingAction', async () => {
    const res = await fetch(`${sim.endpoint}/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=RunInstances&Version=2016-11-15' });
    assert.equal(res.status, 400);
    const xml = await res.text();
    assert.match(xml, /<Code>InvalidAction<\/Code>/);
    assert.match(xml, /<RequestID>[0-9a-f-]{36}<\/RequestID>/);
    const none = await fetch(`${sim.endpoint}/`, { method: 'POST', body: 'Version=2016-11-15' });
    assert.match(await none.text(), /<Code>MissingAction<\/Code>/);
    // EC2 also takes the Query protocol as a GET query string (handy with curl).
    const get = await fetch(`${sim.endpoint}/?Action=DescribeSubnets&Version=2016-11-15&SubnetId.1=${SUBNET}`);
    assert.equal(get.status, 200);
    const body = await get.text();
    assert.match(body, /<DescribeSubnetsResponse xmlns="http:\/\/ec2\.amazonaws\.com\/doc\/2016-11-15\/"><requestId>[0-9a-f-]{36}<\/requestId>/);
    assert.match(body, /<cidrBlock>10\.0\.1\.0\/24<\/cidrBlock>/);
  });
});

describe('SDK against the simulator: fragmentation and reservations', () => {
  test('a fragmented subnet answers InsufficientCidrBlocks to prefixes while secondary IPs succeed', async () => {
    const world = smallWorld({ cidr: '10.0.1.0/25' });
    // One stray address in every inner /28 block (.16 .. .96); blocks .0 and .112 hold reserved addresses.
    world.networkInterfaces = [{ id: 'eni-0e000001', subnetId: SUBNET, privateIp: '10.0.1.20', secondaryIps: ['10.0.1.40', '10.0.1.50', '10.0.1.70', '10.0.1.90', '10.0.1.100'] }];
    const sim = await startEc2Simulator({ world });
    const ec2 = sdkClient(sim.endpoint);
    try {
      const subnet = (await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [SUBNET] }))).Subnets![0]!;
      assert.ok(subnet.AvailableIpAddressCount! > 100);
      const err = await failure(() => ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: ENI, Ipv4PrefixCount: 1 })));
      assert.deepEqual([err.code, err.status], ['InsufficientCidrBlocks', 400]);
      const ok = await ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: ENI, SecondaryPrivateIpAddressCount: 5 }));
      assert.equal(ok.AssignedPrivateIpAddresses?.length, 5);
      // Freeing the stray address of a block that none of the new secondaries landed in frees that whole block.
      const blockOf = (ip: string): number => Math.floor(Number(ip.split('.')[3]) / 16) * 16;
      const taken = new Set(ok.AssignedPrivateIpAddresses!.map((a) => blockOf(a.PrivateIpAddress!)));
      const stray = ['10.0.1.40', '10.0.1.50', '10.0.1.70', '10.0.1.90', '10.0.1.100'].find((ip) => !taken.has(blockOf(ip)));
      assert.ok(stray, 'the seeded picks covered every block; change the seed');
      await ec2.send(new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: 'eni-0e000001', PrivateIpAddresses: [stray] }));
      const p = await ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: ENI, Ipv4PrefixCount: 1 }));
      assert.deepEqual(p.AssignedIpv4Prefixes?.map((x) => x.Ipv4Prefix), [`10.0.1.${blockOf(stray)}/28`]);
    } finally {
      ec2.destroy();
      await sim.close();
    }
  });

  test('prefixes come from a prefix reservation first', async () => {
    const world = smallWorld({ type: 'c5.4xlarge' });
    world.subnets[0]!.reservations = [{ cidr: '10.0.1.192/27', type: 'prefix' }];
    const sim = await startEc2Simulator({ world });
    const ec2 = sdkClient(sim.endpoint);
    try {
      const out = await ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: ENI, Ipv4PrefixCount: 2 }));
      assert.deepEqual(out.AssignedIpv4Prefixes?.map((p) => p.Ipv4Prefix).sort(), ['10.0.1.192/28', '10.0.1.208/28']);
    } finally {
      ec2.destroy();
      await sim.close();
    }
  });
});

describe('SDK against the simulator: fault injection', () => {
  let sim: Ec2Simulator;
  let ec2: EC2Client;
  /** The world's clock (visibility delays); tests move it instead of sleeping. */
  let worldNow = 0;
  before(async () => {
    sim = await startEc2Simulator({ world: smallWorld(), worldOptions: { now: () => worldNow } });
    ec2 = sdkClient(sim.endpoint);
  });
  after(async () => {
    ec2.destroy();
    await sim.close();
  });

  test('throttling answers RequestLimitExceeded with HTTP 503; failures InternalError with 500', async () => {
    sim.faults.set({ throttleFraction: 1 });
    const t = await failure(() => ec2.send(new DescribeInstancesCommand({ InstanceIds: [INSTANCE] })));
    assert.deepEqual([t.code, t.status], ['RequestLimitExceeded', 503]);
    sim.faults.set({ failFraction: 1 });
    const f = await failure(() => ec2.send(new DescribeInstancesCommand({ InstanceIds: [INSTANCE] })));
    assert.deepEqual([f.code, f.status], ['InternalError', 500]);
    sim.faults.clear();
  });

  test('per-action targeting, added latency, and counters per action', async () => {
    sim.counters.reset();
    sim.faults.set({ actions: ['AssignPrivateIpAddresses'], failFraction: 1, latencyMs: 600 });
    const started = performance.now();
    await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [ENI] }));
    assert.ok(performance.now() - started < 550, 'untargeted action was delayed');
    const t0 = performance.now();
    assert.equal((await failure(() => ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: ENI, Ipv4PrefixCount: 1 })))).code, 'InternalError');
    assert.ok(performance.now() - t0 >= 595, 'targeted action was not delayed');
    assert.deepEqual(sim.counters.snapshot(), {
      DescribeNetworkInterfaces: { calls: 1, errors: 0, throttled: 0, failed: 0 },
      AssignPrivateIpAddresses: { calls: 1, errors: 1, throttled: 0, failed: 1 },
    });
    sim.faults.clear();
  });

  test('eventual consistency: a new prefix shows in describes only after the delay', async () => {
    sim.faults.set({ visibilityDelayMs: 300 });
    const out = await ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: ENI, Ipv4PrefixCount: 1 }));
    const prefix = out.AssignedIpv4Prefixes![0]!.Ipv4Prefix!;
    const now = await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [ENI] }));
    assert.equal(now.NetworkInterfaces![0]!.Ipv4Prefixes, undefined);
    worldNow += 300;
    const later = await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [ENI] }));
    assert.deepEqual(later.NetworkInterfaces![0]!.Ipv4Prefixes?.map((p) => p.Ipv4Prefix), [prefix]);
    sim.faults.clear();
  });

  test('unauthorizedActions answers UnauthorizedOperation with HTTP 403 for just those actions', async () => {
    sim.faults.set({ unauthorizedActions: ['AssignPrivateIpAddresses'] });
    try {
      const denied = await failure(() => ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: ENI, Ipv4PrefixCount: 1 })));
      assert.deepEqual([denied.code, denied.status], ['UnauthorizedOperation', 403]);
      await ec2.send(new DescribeInstancesCommand({ InstanceIds: [INSTANCE] }));
    } finally {
      sim.faults.clear();
    }
  });

  test('POST /_admin/instances adds a running instance with its primary ENI', async () => {
    const res = await fetch(`${sim.endpoint}/_admin/instances`, { method: 'POST', body: JSON.stringify({ id: 'i-000000aa', type: 'm5.xlarge', subnetId: SUBNET, privateIp: '10.0.1.77' }) });
    assert.equal(res.status, 201);
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-000000aa'] }));
    assert.equal(out.Reservations?.[0]?.Instances?.[0]?.NetworkInterfaces?.[0]?.NetworkInterfaceId, 'eni-000000aa');
    const clash = await fetch(`${sim.endpoint}/_admin/instances`, { method: 'POST', body: JSON.stringify({ id: 'i-000000ab', type: 'm5.xlarge', subnetId: SUBNET, privateIp: '10.0.1.77' }) });
    assert.equal(clash.status, 400);
    assert.match(((await clash.json()) as { error: string }).error, /10\.0\.1\.77 is already in use/);
    const bad = await fetch(`${sim.endpoint}/_admin/instances`, { method: 'POST', body: JSON.stringify({ id: 'i-000000ac', type: 'm5.xlarge', subnetId: SUBNET }) });
    assert.match(((await bad.json()) as { error: string }).error, /instance\.privateIp/);
  });

  test('the admin endpoint sets faults and reads counters as JSON, and rejects bad input', async () => {
    const set = await fetch(`${sim.endpoint}/_admin/faults`, { method: 'POST', body: JSON.stringify({ throttleFraction: 1, actions: ['DescribeSubnets'] }) });
    assert.equal(set.status, 200);
    assert.equal((await failure(() => ec2.send(new DescribeSubnetsCommand({ SubnetIds: [SUBNET] })))).code, 'RequestLimitExceeded');
    const counters = (await (await fetch(`${sim.endpoint}/_admin/counters`)).json()) as Record<string, { throttled: number }>;
    assert.ok(counters.DescribeSubnets!.throttled >= 1);
    const bad = await fetch(`${sim.endpoint}/_admin/faults`, { method: 'POST', body: '{"throttleFraction": 2}' });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /throttleFraction/);
    await fetch(`${sim.endpoint}/_admin/faults`, { method: 'DELETE' });
    assert.deepEqual(sim.faults.get(), {});
    const world = (await (await fetch(`${sim.endpoint}/_admin/world`)).json()) as { networkInterfaces: Array<{ networkInterfaceId: string }> };
    assert.ok(world.networkInterfaces.some((e) => e.networkInterfaceId === ENI));
  });
});

describe('SDK against the simulator: what the SDK sends', () => {
  test('a filter whose Values list is empty reaches EC2 as a bare name and is rejected, not silently unmatched', async () => {
    const sim = await startEc2Simulator({ world: smallWorld() });
    const ec2 = sdkClient(sim.endpoint);
    try {
      const err = await failure(() => ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'subnet-id', Values: [] }] })));
      assert.equal(err.code, 'InvalidParameterValue');
      assert.match(err.message, /subnet-id/);
      // An empty PrivateIpAddresses list is dropped by the SDK, so EC2 sees no addresses at all.
      assert.equal((await failure(() => ec2.send(new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: ENI, PrivateIpAddresses: [] })))).code, 'MissingParameter');
    } finally {
      ec2.destroy();
      await sim.close();
    }
  });
});
