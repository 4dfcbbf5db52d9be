import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { cidrContains, parseCidr, parseIPv4 } from '../core/net/ipv4.ts';
import { createPrng } from './prng.ts';
import { SimError, WorldError } from './sim-error.ts';
import { World } from './world.ts';
import type { WorldSpec } from './world-spec.ts';

const VPC = { id: 'vpc-00000001', cidr: '10.0.0.0/16' };

function world(partial: Partial<WorldSpec> = {}, now?: () => number): World {
  return new World(
    {
      vpcs: [VPC],
      subnets: [{ id: 'subnet-00000001', vpcId: VPC.id, cidr: '10.0.1.0/24', availabilityZone: 'us-west-2a' }],
      instances: [{ id: 'i-00000001', type: 'm5.large', subnetId: 'subnet-00000001', privateIp: '10.0.1.10' }],
      ...partial,
    },
    now ? { now } : {},
  );
}

function simCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof SimError) return err.code;
    throw err;
  }
  assert.fail('expected a SimError');
}

describe('World address accounting', () => {
  test('the first four and the last address of a subnet are never handed out', () => {
    const w = world({
      subnets: [{ id: 'subnet-00000001', vpcId: VPC.id, cidr: '10.0.1.0/28', availabilityZone: 'us-west-2a' }],
      instances: [{ id: 'i-00000001', type: 'c5.4xlarge', subnetId: 'subnet-00000001', privateIp: '10.0.1.4' }],
    });
    // /28: 16 addresses, 5 reserved, 1 primary -> 10 free.
    assert.equal(w.subnet('subnet-00000001').availableIpAddressCount, 10);
    const got = w.assign('eni-00000001', { secondaryCount: 10 }).secondaryIps.map(parseIPv4);
    for (const ip of got) assert.ok(ip >= parseIPv4('10.0.1.5') && ip <= parseIPv4('10.0.1.14'), `handed out reserved ${ip}`);
    assert.equal(simCode(() => w.assign('eni-00000001', { secondaryCount: 1 })), 'InsufficientFreeAddressesInSubnet');
    assert.equal(simCode(() => w.assign('eni-00000001', { secondaryIps: ['10.0.1.15'] })), 'InvalidParameterValue');
  });

  test('prefixes are aligned /28 blocks with no address in use, never the first or last block', () => {
    const w = world();
    const { prefixes } = w.assign('eni-00000001', { prefixCount: 3 });
    assert.equal(prefixes.length, 3);
    for (const p of prefixes) {
      const c = parseCidr(p, { strict: true });
      assert.equal(c.prefixLength, 28);
      assert.notEqual(p, '10.0.1.0/28', 'the first block holds reserved addresses');
      assert.notEqual(p, '10.0.1.240/28', 'the last block holds the reserved last address');
      assert.ok(!cidrContains(c, parseIPv4('10.0.1.10')), 'overlaps the primary address');
    }
    assert.equal(w.subnet('subnet-00000001').availableIpAddressCount, 251 - 1 - 48);
  });

  test('a prefix and a secondary IP each take one slot; the primary takes one too', () => {
    const w = world(); // m5.large: 10 addresses per ENI
    w.assign('eni-00000001', { prefixCount: 4 });
    w.assign('eni-00000001', { secondaryCount: 5 });
    assert.equal(simCode(() => w.assign('eni-00000001', { secondaryCount: 1 })), 'PrivateIpAddressLimitExceeded');
    assert.equal(simCode(() => w.assign('eni-00000001', { prefixCount: 1 })), 'PrivateIpAddressLimitExceeded');
    const eni = w.networkInterface('eni-00000001');
    w.unassign('eni-00000001', { prefixes: [eni.prefixes[0]!] });
    assert.equal(w.assign('eni-00000001', { prefixCount: 1 }).prefixes.length, 1);
  });

  test('a fragmented subnet refuses prefixes but still gives secondary IPs', () => {
    const w = world({
      subnets: [{ id: 'subnet-00000001', vpcId: VPC.id, cidr: '10.0.1.0/26', availabilityZone: 'us-west-2a' }],
      networkInterfaces: [{ id: 'eni-0e000001', subnetId: 'subnet-00000001', privateIp: '10.0.1.20', secondaryIps: ['10.0.1.40'] }],
    });
    // /26 = 4 blocks: block 0 and 3 hold reserved addresses; 1 and 2 hold a stray address each.
    assert.equal(simCode(() => w.assign('eni-00000001', { prefixCount: 1 })), 'InsufficientCidrBlocks');
    assert.equal(w.assign('eni-00000001', { secondaryCount: 2 }).secondaryIps.length, 2);
  });

  test('auto prefixes come from prefix reservations first; secondary IPs avoid them and explicit ones', () => {
    const w = world({
      subnets: [
        {
          id: 'subnet-00000001',
          vpcId: VPC.id,
          cidr: '10.0.1.0/24',
          availabilityZone: 'us-west-2a',
          reservations: [
            { cidr: '10.0.1.192/27', type: 'prefix' },
            { cidr: '10.0.1.128/26', type: 'explicit' },
          ],
        },
      ],
      instances: [{ id: 'i-00000001', type: 'c5.4xlarge', subnetId: 'subnet-00000001', privateIp: '10.0.1.10' }],
    });
    const prefixRes = parseCidr('10.0.1.192/27');
    const explicitRes = parseCidr('10.0.1.128/26');
    const { prefixes } = w.assign('eni-00000001', { prefixCount: 2 });
    // The /27 reservation holds exactly two blocks, .192 and .208, and they are used first.
    assert.deepEqual(prefixes.sort(), ['10.0.1.192/28', '10.0.1.208/28']);
    const third = w.assign('eni-00000001', { prefixCount: 1 }).prefixes[0]!;
    assert.ok(!cidrContains(explicitRes, parseCidr(third).base), `prefix ${third} taken from an explicit reservation`);
    const ips = w.assign('eni-00000001', { secondaryCount: 20 }).secondaryIps.map(parseIPv4);
    for (const ip of ips) {
      assert.ok(!cidrContains(explicitRes, ip), 'secondary IP from an explicit reservation');
      assert.ok(!cidrContains(prefixRes, ip), 'secondary IP from a prefix reservation while space is left outside');
    }
    // Explicit reservations are usable when asked for by address.
    assert.deepEqual(w.assign('eni-00000001', { secondaryIps: ['10.0.1.130'] }).secondaryIps, ['10.0.1.130']);
  });

  test('prefix delegation is refused on a Xen instance type', () => {
    const w = world({ instances: [{ id: 'i-00000001', type: 'm4.large', subnetId: 'subnet-00000001', privateIp: '10.0.1.10' }] });
    assert.equal(simCode(() => w.assign('eni-00000001', { prefixCount: 1 })), 'InvalidParameterValue');
    assert.equal(w.assign('eni-00000001', { secondaryCount: 1 }).secondaryIps.length, 1);
  });

  test('parameters are checked the way EC2 checks them', () => {
    const w = world();
    assert.equal(simCode(() => w.assign('eni-00000001', {})), 'MissingParameter');
    assert.equal(simCode(() => w.assign('eni-00000001', { secondaryCount: 1, secondaryIps: ['10.0.1.20'] })), 'InvalidParameterCombination');
    assert.equal(simCode(() => w.assign('eni-00000001', { secondaryCount: 1, prefixCount: 1 })), 'InvalidParameterCombination');
    assert.equal(simCode(() => w.assign('eni-00000001', { prefixCount: 0 })), 'InvalidParameterValue');
    assert.equal(simCode(() => w.assign('eni-00000001', { prefixes: ['10.0.1.17/28'] })), 'InvalidParameterValue');
    assert.equal(simCode(() => w.assign('eni-00000001', { prefixes: ['10.0.1.0/28'] })), 'InvalidIPAddress.InUse');
    assert.equal(simCode(() => w.assign('eni-00000001', { secondaryIps: ['10.0.1.10'] })), 'InvalidIPAddress.InUse');
    assert.equal(simCode(() => w.assign('eni-00000001', { secondaryIps: ['10.0.2.10'] })), 'InvalidParameterValue');
    assert.equal(simCode(() => w.assign('eni-0000000f', { secondaryCount: 1 })), 'InvalidNetworkInterfaceID.NotFound');
    assert.equal(simCode(() => w.unassign('eni-00000001', { secondaryIps: ['10.0.1.10'] })), 'InvalidParameterValue');
    assert.equal(simCode(() => w.unassign('eni-00000001', { secondaryIps: ['10.0.1.99'] })), 'InvalidParameterValue');
    assert.equal(simCode(() => w.unassign('eni-00000001', {})), 'MissingParameter');
  });

  test('a failed assign changes nothing', () => {
    const w = world();
    const before = JSON.stringify(w.ownerships());
    assert.equal(simCode(() => w.assign('eni-00000001', { secondaryIps: ['10.0.1.50', '10.0.1.10'] })), 'InvalidIPAddress.InUse');
    assert.equal(simCode(() => w.assign('eni-00000001', { secondaryCount: 50 })), 'PrivateIpAddressLimitExceeded');
    assert.equal(JSON.stringify(w.ownerships()), before);
  });

  test('new assignments stay hidden from describes until their visibility time', () => {
    let now = 1000;
    const w = world({}, () => now);
    const { prefixes } = w.assign('eni-00000001', { prefixCount: 1 }, { visibleAfterMs: 500 });
    assert.deepEqual(w.networkInterface('eni-00000001').prefixes, []);
    // Hidden but owned: nobody else can get it meanwhile.
    assert.ok(w.ownerships().some((o) => o.value === prefixes[0]));
    now += 500;
    assert.deepEqual(w.networkInterface('eni-00000001').prefixes, prefixes);
  });
});

describe('World construction', () => {
  test('bad worlds fail with the offending field', () => {
    assert.throws(() => world({ instances: [{ id: 'i-00000001', type: 'z9.huge', subnetId: 'subnet-00000001', privateIp: '10.0.1.10' }] }), (e: unknown) => e instanceof WorldError && /z9\.huge/.test(e.message));
    assert.throws(() => world({ instances: [{ id: 'i-00000001', type: 'm5.large', subnetId: 'subnet-00000001', privateIp: '10.0.1.2' }] }), (e: unknown) => e instanceof WorldError && /10\.0\.1\.2 is not a usable address/.test(e.message));
    assert.throws(() => world({ subnets: [{ id: 'subnet-00000001', vpcId: VPC.id, cidr: '10.9.0.0/24', availabilityZone: 'us-west-2a' }], instances: [] }), (e: unknown) => e instanceof WorldError && /not inside its VPC/.test(e.message));
    assert.throws(
      () => world({ instances: [{ id: 'i-00000001', type: 't3.medium', subnetId: 'subnet-00000001', privateIp: '10.0.1.10', secondaryIps: ['10.0.1.20', '10.0.1.21', '10.0.1.22', '10.0.1.23', '10.0.1.24', '10.0.1.25'] }] }),
      (e: unknown) => e instanceof WorldError && /exceed the 6 slots/.test(e.message),
    );
  });

  test('an instance that cannot be added takes no address and leaves no instance behind (POST /_admin/instances)', () => {
    const w = world();
    const subnetId = 'subnet-00000001';
    const before = w.subnet(subnetId).availableIpAddressCount;
    const six = ['10.0.1.20', '10.0.1.21', '10.0.1.22', '10.0.1.23', '10.0.1.24', '10.0.1.25'];
    const bad = [
      { secondaryIps: ['10.0.1.21', '10.0.1.10'] }, // the second one is the other instance's primary
      { secondaryIps: ['10.0.1.21'], prefixes: ['10.0.1.16/28'] }, // the prefix overlaps both addresses
      { type: 't3.medium', secondaryIps: six }, // 7 addresses on 6 slots
    ];
    for (const extra of bad) {
      assert.throws(() => w.addInstance({ id: 'i-00000002', type: 'm5.large', subnetId, privateIp: '10.0.1.20', ...extra }), WorldError);
      assert.equal(w.subnet(subnetId).availableIpAddressCount, before, JSON.stringify(extra));
      assert.equal(w.hasInstance('i-00000002'), false);
      assert.equal(w.hasNetworkInterface('eni-00000002'), false);
    }
    w.addInstance({ id: 'i-00000002', type: 'm5.large', subnetId, privateIp: '10.0.1.20', secondaryIps: ['10.0.1.21'], prefixes: ['10.0.1.32/28'] });
    assert.equal(w.subnet(subnetId).availableIpAddressCount, before - 2 - 16);
  });

  test('overlapping subnet CIDR reservations are refused', () => {
    assert.throws(
      () => world({ subnets: [{ id: 'subnet-00000001', vpcId: VPC.id, cidr: '10.0.1.0/24', availabilityZone: 'us-west-2a', reservations: [
        { cidr: '10.0.1.128/26', type: 'prefix' },
        { cidr: '10.0.1.160/28', type: 'explicit' },
      ] }] }),
      (e: unknown) => e instanceof WorldError && /10\.0\.1\.160\/28 overlaps reservation 10\.0\.1\.128\/26/.test(e.message),
    );
  });

  test('an unattached network interface is held to its maxAddresses', () => {
    assert.throws(
      () => world({ networkInterfaces: [{ id: 'eni-000000aa', subnetId: 'subnet-00000001', privateIp: '10.0.1.30', secondaryIps: ['10.0.1.31', '10.0.1.32'], maxAddresses: 2 }] }),
      (e: unknown) => e instanceof WorldError && /3 addresses and prefixes exceed the 2 slots/.test(e.message),
    );
  });

  test('a custom instance type is known to the world', () => {
    const w = world({
      instanceTypes: { 'x9.large': { ipv4PerInterface: 4, interfaces: 2, hypervisor: 'nitro' } },
      instances: [{ id: 'i-00000001', type: 'x9.large', subnetId: 'subnet-00000001', privateIp: '10.0.1.10' }],
    });
    assert.equal(w.instanceLimits('x9.large')?.ipv4PerInterface, 4);
    w.assign('eni-00000001', { prefixCount: 3 });
    assert.equal(simCode(() => w.assign('eni-00000001', { prefixCount: 1 })), 'PrivateIpAddressLimitExceeded');
  });
});

test('property: no address is ever owned twice across random assign/unassign calls (seeded)', () => {
  const w = new World({
    seed: 99,
    vpcs: [VPC],
    subnets: [{ id: 'subnet-00000001', vpcId: VPC.id, cidr: '10.0.1.0/24', availabilityZone: 'us-west-2a' }],
    instances: Array.from({ length: 5 }, (_, k) => ({
      id: `i-0000000${k + 1}`,
      type: 'c5.4xlarge', // 30 slots each
      subnetId: 'subnet-00000001',
      privateIp: `10.0.1.${10 + k}`,
    })),
  });
  const rng = createPrng(12345);
  const counts = new Map<string, number>();
  for (let step = 0; step < 3000; step++) {
    const eni = `eni-0000000${rng.int(5) + 1}`;
    const view = w.networkInterface(eni);
    const op = rng.int(4);
    try {
      if (op === 0) w.assign(eni, { prefixCount: 1 + rng.int(3) });
      else if (op === 1) w.assign(eni, { secondaryCount: 1 + rng.int(4) });
      else if (op === 2 && view.prefixes.length > 0) w.unassign(eni, { prefixes: [view.prefixes[rng.int(view.prefixes.length)]!] });
      else if (op === 3 && view.secondaryIps.length > 0) w.unassign(eni, { secondaryIps: view.secondaryIps.slice(0, 1 + rng.int(view.secondaryIps.length)) });
    } catch (err) {
      assert.ok(err instanceof SimError, String(err));
      assert.ok(['InsufficientCidrBlocks', 'InsufficientFreeAddressesInSubnet', 'PrivateIpAddressLimitExceeded'].includes(err.code), err.code);
      counts.set(err.code, (counts.get(err.code) ?? 0) + 1);
    }
    // Invariant: every address of the subnet belongs to at most one owner (prefixes expanded to 16 addresses).
    const owner = new Map<number, string>();
    for (const o of w.ownerships()) {
      const addresses = o.kind === 'prefix' ? Array.from({ length: 16 }, (_, i) => parseCidr(o.value).base + i) : [parseIPv4(o.value)];
      for (const a of addresses) {
        assert.ok(!owner.has(a), `step ${step}: ${a} owned by ${owner.get(a)} and ${o.networkInterfaceId}`);
        assert.ok(a >= parseIPv4('10.0.1.4') && a <= parseIPv4('10.0.1.254'), `step ${step}: reserved address ${a} handed out`);
        owner.set(a, `${o.networkInterfaceId}/${o.kind}`);
      }
    }
    const available = w.subnet('subnet-00000001').availableIpAddressCount;
    assert.equal(available, 251 - owner.size, `step ${step}: AvailableIpAddressCount drifted`);
  }
  // The run must have exercised the limits, or it proved little.
  assert.ok((counts.get('PrivateIpAddressLimitExceeded') ?? 0) > 0 || (counts.get('InsufficientCidrBlocks') ?? 0) > 0, JSON.stringify([...counts]));
});
