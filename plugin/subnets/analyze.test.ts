/**
 * `subnets`' analysis over simulator worlds (healthy, fragmented, reserved, nearly full), every number
 * checked against a brute-force count over the same world: the prefixes and addresses the simulator hands
 * out before it refuses, and addresses counted one by one. Then the reservation commands the findings print
 * are carried out on the world, to show they do what they say.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCidr, sizeOf } from '../../pkg/core/net/ipv4.ts';
import { World } from '../../pkg/ec2sim/world.ts';
import type { WorldSpec } from '../../pkg/ec2sim/world-spec.ts';
import { analyzeSubnets } from './analyze.ts';
import { validateSubnetReport } from './report.ts';
import { inputsOf, reportFor, subnetRead } from './testing/reports.ts';
import { bruteForce, fragmentedWorld, healthyWorld, nearlyFullWorld, probeOf, reservedWorld, WORLDS } from './testing/worlds.ts';

const cidrIn = (command: string) => /--cidr (\S+)/.exec(command)?.[1] ?? assert.fail(`no --cidr in ${command}`);

function withReservation(spec: WorldSpec, subnetId: string, cidr: string): WorldSpec {
  return { ...spec, subnets: spec.subnets.map((s) => (s.id === subnetId ? { ...s, reservations: [...(s.reservations ?? []), { cidr, type: 'prefix' as const }] } : s)) };
}

describe('subnets: every number against a brute-force count over the world', () => {
  for (const make of WORLDS) {
    const w = make();
    it(`${w.name}: addresses, blocks, stranded, reservations, headroom, the range to reserve`, () => {
      const report = reportFor(w, { map: true });
      assert.deepEqual(validateSubnetReport(report), []);
      const [s] = report.subnets;
      const b = bruteForce(w);
      assert.ok(s);
      assert.equal(s.blocks.free, b.prefixesEc2Gives, 'free blocks = prefixes the simulator hands out before InsufficientCidrBlocks');
      assert.equal(s.addresses.free - s.free.inExplicitReservations, b.secondariesEc2Gives, 'free addresses outside explicit reservations = secondary IPs it hands out');
      assert.equal(s.addresses.inUse, b.inUse);
      assert.equal(s.addresses.inUseByWindowsNodes, b.inUseByNodes);
      assert.equal(s.addresses.free, b.free);
      assert.equal(s.ec2AvailableIpAddressCount, b.free, 'the simulator counts AvailableIpAddressCount the same way');
      assert.deepEqual([s.free.stranded, s.free.nextToAwsReserved, s.free.inExplicitReservations], [b.stranded, b.nextToAwsReserved, b.inExplicitReservations]);
      assert.equal(s.free.inFreeBlocks, 16 * b.prefixesEc2Gives);
      assert.equal(s.blocks.fragmented, b.fragmentedBlocks);
      assert.equal(s.strandedShare, b.stranded + 16 * b.prefixesEc2Gives === 0 ? null : b.stranded / (b.stranded + 16 * b.prefixesEc2Gives));
      assert.deepEqual(
        s.reservations.map((r) => ({ cidr: r.cidr, inUse: r.inUse, free: r.free, prefixesInside: r.prefixes })),
        b.reservations,
      );
      assert.equal(s.largestFreeRange?.cidr ?? null, b.largestFreeRange);
      assert.equal(s.headroom.unusedInNodePrefixes, b.unusedInNodePrefixes);
      assert.equal(s.headroom.pods, 16 * b.prefixesEc2Gives + b.unusedInNodePrefixes);
      assert.equal(s.headroom.freeSlotsOnNodes, b.freeSlotsOnNodes);
      assert.equal(s.headroom.podsNodesCanTake, b.unusedInNodePrefixes + 16 * Math.min(b.prefixesEc2Gives, b.freeSlotsOnNodes));
      assert.deepEqual(s.nodes.map((n) => n.name).sort(), w.nodes.map((n) => n.name).sort());
      assert.equal(s.otherInterfaces, new World(w.spec).networkInterfaces().filter((e) => e.subnetId === w.subnetId).length - w.nodes.length);
      // The map has every address of the subnet, and says the same as the counts.
      const cells = s.map!.map((m) => m.cells).join('');
      assert.equal(cells.length, sizeOf(parseCidr(s.cidr)));
      assert.equal([...cells].filter((c) => c === '#' || c === 'w').length, b.inUse);
      assert.equal([...cells].filter((c) => c === 'w').length, b.inUseByNodes);
    });
  }

  it('the worlds are what their names say', () => {
    const [healthy, fragmented, reserved, full] = WORLDS.map((make) => reportFor(make(), { headroom: 100 }).subnets[0]!);
    assert.ok(healthy!.blocks.free > 20 && healthy!.headroom.pods > 300, 'healthy: room');
    assert.equal(fragmented!.blocks.free, 0, 'fragmented: no free /28');
    assert.ok(fragmented!.addresses.free > 100, 'fragmented: yet over a hundred free addresses');
    assert.ok(reserved!.reservations.some((r) => r.type === 'prefix' && r.freeBlocks > 0) && reserved!.reservations.some((r) => r.type === 'explicit'));
    assert.equal(full!.blocks.free, 2, 'nearly full: two free blocks left');
  });
});

describe('subnets: findings, and the reservation commands they print do what they say', () => {
  it('healthy: no finding, even with --headroom 200', () => {
    assert.deepEqual(reportFor(healthyWorld(), { headroom: 200 }).findings, []);
  });

  it('fragmented: no free /28; freeing the least-used block and reserving it gives the node its next prefix there', () => {
    const w = fragmentedWorld();
    const report = reportFor(w);
    assert.deepEqual(report.findings.map((f) => [f.kind, f.cause, f.subnetId]), [['no-free-prefix-block', 'insufficient-cidr-blocks', w.subnetId]]);
    const [f] = report.findings;
    const reserve = f!.commands.at(-1)!;
    assert.match(reserve, new RegExp(`^aws ec2 create-subnet-cidr-reservation --region us-west-2 --subnet-id ${w.subnetId} --reservation-type prefix --cidr \\S+/28 --description "Windows pod prefixes"$`));
    assert.match(f!.commands[0]!, /^aws ec2 describe-network-interfaces --region us-west-2 --network-interface-ids eni-/);
    assert.match(f!.message, /has no aligned \/28 block left for a prefix, though \d+ addresses are free/);
    const cidr = cidrIn(reserve);
    const block = parseCidr(cidr);
    // Before: the node cannot get a prefix.
    const node = `eni-${w.nodes[0]!.instanceId.slice(2)}`;
    assert.throws(() => new World(w.spec).assign(node, { prefixCount: 1 }), /InsufficientCidrBlocks|not enough free cidr blocks/);
    // Do what the finding says: free the addresses in use there (the holders' secondary IPs), reserve it.
    const world = new World(withReservation(w.spec, w.subnetId, cidr));
    for (const e of world.networkInterfaces()) {
      const inside = e.secondaryIps.filter((ip) => {
        const v = parseCidr(`${ip}/32`).base;
        return v >= block.base && v < block.base + sizeOf(block);
      });
      if (inside.length > 0) world.unassign(e.networkInterfaceId, { secondaryIps: inside });
    }
    const [prefix] = world.assign(node, { prefixCount: 1 }).prefixes;
    assert.equal(prefix, cidr, 'the next prefix is the reserved block');
  });

  it('reserved: free blocks inside the prefix reservation count; the explicit one and the /29 keep theirs out', () => {
    const w = reservedWorld();
    const s = reportFor(w, { map: true }).subnets[0]!;
    const byCidr = new Map(s.reservations.map((r) => [r.cidr, r]));
    assert.equal(byCidr.get('10.40.8.96/28')!.freeBlocks, 0);
    assert.equal(byCidr.get('10.40.8.96/28')!.inUse, 1);
    assert.equal(byCidr.get('10.40.8.232/29')!.freeBlocks, 0);
    assert.equal(byCidr.get('10.40.8.128/26')!.prefixes, 3, 'the nodes\' three prefixes came from the prefix reservation first');
    assert.ok(s.map!.some((m) => m.cells === 'pppppppppppppppp'));
  });

  it('nearly full with --headroom 100: a finding; reserving the largest free range keeps its blocks whole while others take addresses', () => {
    const w = nearlyFullWorld();
    const report = reportFor(w, { headroom: 100 });
    assert.deepEqual(report.findings.map((f) => f.kind), ['headroom-below']);
    const [f] = report.findings;
    const s = report.subnets[0]!;
    assert.match(f!.message, new RegExp(`can give ${s.headroom.pods} more Windows pods an address in prefix mode \\(2 free /28 blocks and \\d+ unused addresses in the nodes' prefixes\\), fewer than --headroom 100`));
    const cidrs = f!.commands.map(cidrIn);
    assert.equal(cidrs[0], s.largestFreeRange!.cidr);
    assert.deepEqual(cidrs, s.freeRanges.map((r) => r.cidr), 'one command per free range (two /28s here)');
    // Without the reservations, other ENIs' random addresses land in the free blocks; with them they keep out.
    const reservedWorld = new World(cidrs.reduce((spec, cidr) => withReservation(spec, w.subnetId, cidr), w.spec));
    const outside = s.addresses.free - 16 * s.blocks.free;
    reservedWorld.assign(probeOf(w), { secondaryCount: outside });
    assert.equal(reservedWorld.assign(probeOf(w), { prefixCount: s.blocks.free }).prefixes.length, s.blocks.free);
    const open = new World(w.spec);
    open.assign(probeOf(w), { secondaryCount: outside });
    assert.ok(analyzeSubnets({ ...inputsOf(w), subnets: [subnetRead(w, open)] }).subnets[0]!.blocks.free < s.blocks.free, 'unreserved, the same addresses spoil a free block');
  });

  it('no finding without --headroom while a free block is left', () => {
    assert.deepEqual(reportFor(nearlyFullWorld()).findings, []);
  });
});
