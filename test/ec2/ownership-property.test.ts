/**
 * Property: across many random, concurrent assign and unassign calls from several instances sharing one subnet,
 * made through the real SDK, no address is ever held by two owners, reserved addresses are never handed out,
 * and AvailableIpAddressCount agrees with what the ENIs hold. Seeded, so a failure reproduces.
 */
import { SUBNET, sdkClient, smallWorld } from './fixtures.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AssignPrivateIpAddressesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  EC2ServiceException,
  UnassignPrivateIpAddressesCommand,
} from '@aws-sdk/client-ec2';
import { parseCidr, parseIPv4 } from '../../pkg/core/net/ipv4.ts';
import { createPrng } from '../../pkg/ec2sim/prng.ts';
import { startEc2Simulator } from '../../pkg/ec2sim/server.ts';

const EXPECTED_REFUSALS = new Set(['InsufficientCidrBlocks', 'InsufficientFreeAddressesInSubnet', 'PrivateIpAddressLimitExceeded']);

test('no address is ever owned twice (6 instances, 40 rounds of concurrent calls, seeded)', async () => {
  const world = { ...smallWorld({ instances: 6, type: 'c5.4xlarge' }), seed: 2024 };
  const sim = await startEc2Simulator({ world });
  const ec2 = sdkClient(sim.endpoint);
  const rng = createPrng(77);
  const enis = Array.from({ length: 6 }, (_, k) => `eni-${(k + 1).toString(16).padStart(8, '0')}`);
  const refusals = new Map<string, number>();
  let successes = 0;
  try {
    for (let round = 0; round < 40; round++) {
      const described = (await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'subnet-id', Values: [SUBNET] }] }))).NetworkInterfaces ?? [];

      // Invariant check on what the SDK sees.
      const owner = new Map<number, string>();
      let held = 0;
      for (const eni of described) {
        const singles = (eni.PrivateIpAddresses ?? []).map((a) => parseIPv4(a.PrivateIpAddress!));
        const inPrefixes = (eni.Ipv4Prefixes ?? []).flatMap((p) => Array.from({ length: 16 }, (_, i) => parseCidr(p.Ipv4Prefix!).base + i));
        for (const a of [...singles, ...inPrefixes]) {
          assert.ok(!owner.has(a), `round ${round}: ${a} held by ${owner.get(a)} and ${eni.NetworkInterfaceId}`);
          assert.ok(a >= parseIPv4('10.0.1.4') && a <= parseIPv4('10.0.1.254'), `round ${round}: reserved address ${a} handed out`);
          owner.set(a, eni.NetworkInterfaceId!);
          held++;
        }
      }
      const subnet = (await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [SUBNET] }))).Subnets![0]!;
      assert.equal(subnet.AvailableIpAddressCount, 251 - held, `round ${round}: AvailableIpAddressCount drifted`);

      // One random call per instance, all in flight at once.
      await Promise.all(
        enis.map(async (id) => {
          const eni = described.find((e) => e.NetworkInterfaceId === id)!;
          const prefixes = (eni.Ipv4Prefixes ?? []).map((p) => p.Ipv4Prefix!);
          const ips = (eni.PrivateIpAddresses ?? []).filter((a) => !a.Primary).map((a) => a.PrivateIpAddress!);
          const op = rng.int(5);
          try {
            if (op === 0 || op === 1) await ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: id, Ipv4PrefixCount: 1 + rng.int(3) }));
            else if (op === 2) await ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: id, SecondaryPrivateIpAddressCount: 1 + rng.int(6) }));
            else if (op === 3 && prefixes.length > 0) await ec2.send(new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: id, Ipv4Prefixes: prefixes.slice(0, 1 + rng.int(prefixes.length)) }));
            else if (op === 4 && ips.length > 0) await ec2.send(new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: id, PrivateIpAddresses: ips.slice(0, 1 + rng.int(ips.length)) }));
            else return;
            successes++;
          } catch (err) {
            assert.ok(err instanceof EC2ServiceException, String(err));
            assert.ok(EXPECTED_REFUSALS.has(err.name), `unexpected ${err.name}: ${err.message}`);
            refusals.set(err.name, (refusals.get(err.name) ?? 0) + 1);
          }
        }),
      );
    }
  } finally {
    ec2.destroy();
    await sim.close();
  }
  // The run must both succeed often and hit the subnet's limits, or it tested little.
  assert.ok(successes > 60, `only ${successes} calls succeeded`);
  assert.ok((refusals.get('InsufficientCidrBlocks') ?? 0) + (refusals.get('InsufficientFreeAddressesInSubnet') ?? 0) > 0, `never ran out of space: ${JSON.stringify([...refusals])}`);
});
