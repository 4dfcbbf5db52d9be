/**
 * Subnet usage: hand-worked cases for each rule, then random subnets (seeded) checked against a naive
 * reference that tests every address, block and aligned range one by one with plain sets.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPrng, type Prng } from '../../ec2sim/prng.ts';
import { formatCidr, formatIPv4, parseCidr, parseIPv4, sizeOf } from '../net/ipv4.ts';
import { SubnetUsage, usableRange, type SubnetInterface, type SubnetReservationInput, type SubnetUsageInput } from './subnet-usage.ts';

const eni = (id: string, primary: string, secondaryIps: string[] = [], prefixes: string[] = []): SubnetInterface => ({ networkInterfaceId: id, primaryPrivateIp: primary, secondaryIps, prefixes });
const res = (cidr: string, type: 'prefix' | 'explicit', id = `scr-${cidr}`): SubnetReservationInput => ({ reservationId: id, cidr, type });

describe('subnet usage: the rules, case by case', () => {
  it('an empty /24: 251 usable, 14 free blocks, the edge blocks hold 12 and 15 free addresses, nothing stranded', () => {
    const u = new SubnetUsage({ cidr: '10.0.0.0/24', interfaces: [], reservations: [] });
    assert.deepEqual(u.addresses, { total: 256, awsReserved: 5, usable: 251, inUse: 0, inUseOurs: 0, free: 251 });
    assert.deepEqual(u.free, { inFreeBlocks: 224, stranded: 0, nextToAwsReserved: 27, inExplicitReservations: 0 });
    assert.deepEqual(u.blocks, { total: 16, free: 14, prefixes: 0, prefixesOurs: 0, fragmented: 0, full: 0, edge: 2 });
    assert.equal(u.strandedShare, 0);
    // 10.0.0.16 .. 10.0.0.239 is free; the largest aligned range inside it is a /26.
    assert.deepEqual(u.largestFreeRange, { cidr: '10.0.0.64/26', blocks: 4, inUse: 0, holders: [] });
    // Blocks 1-14 free: as the fewest aligned ranges, largest first.
    assert.deepEqual(
      u.freeRanges.map((r) => r.cidr),
      ['10.0.0.64/26', '10.0.0.128/26', '10.0.0.32/27', '10.0.0.192/27', '10.0.0.16/28', '10.0.0.224/28'],
    );
    assert.deepEqual(usableRange(parseCidr('10.0.0.0/24')), { first: parseIPv4('10.0.0.4'), last: parseIPv4('10.0.0.254') });
  });

  it('one address in use strands the other 15 of its block; a prefix fills its block', () => {
    const u = new SubnetUsage({
      cidr: '10.0.0.0/26',
      interfaces: [eni('eni-a', '10.0.0.20'), eni('eni-w', '10.0.0.5', [], ['10.0.0.32/28'])],
      reservations: [],
      ours: new Set(['eni-w']),
    });
    assert.deepEqual(u.addresses, { total: 64, awsReserved: 5, usable: 59, inUse: 18, inUseOurs: 17, free: 41 });
    assert.deepEqual(u.blockKinds(), ['edge', 'fragmented', 'prefix', 'edge']);
    assert.deepEqual(u.free, { inFreeBlocks: 0, stranded: 15, nextToAwsReserved: 11 + 15, inExplicitReservations: 0 });
    assert.deepEqual(u.blocks, { total: 4, free: 0, prefixes: 1, prefixesOurs: 1, fragmented: 1, full: 0, edge: 2 });
    assert.equal(u.strandedShare, 1);
    assert.equal(u.largestFreeRange, null);
    assert.equal(u.blockMap(0), 'xxxx.w..........');
    assert.equal(u.blockMap(1), '....#...........');
    assert.equal(u.blockMap(2), 'wwwwwwwwwwwwwwww');
    assert.equal(u.blockMap(3), '...............x');
    assert.ok(u.isOurPrefix(2));
    // The block with the fewest addresses in use, whole inside the usable range, and who holds them.
    assert.deepEqual(u.leastUsedRange(1), { cidr: '10.0.0.16/28', blocks: 1, inUse: 1, holders: ['eni-a'] });
  });

  it('explicit reservations keep prefixes out of every block they touch; their free addresses are counted apart', () => {
    const u = new SubnetUsage({ cidr: '10.0.0.0/26', interfaces: [], reservations: [res('10.0.0.20/30', 'explicit'), res('10.0.0.32/28', 'explicit')] });
    assert.deepEqual(u.blockKinds(), ['edge', 'fragmented', 'fragmented', 'edge']);
    assert.deepEqual(u.free, { inFreeBlocks: 0, stranded: 12, nextToAwsReserved: 27, inExplicitReservations: 20 });
    assert.deepEqual(
      u.reservations.map((r) => [r.cidr, r.addresses, r.inUse, r.free, r.freeBlocks]),
      [
        ['10.0.0.20/30', 4, 0, 4, 0],
        ['10.0.0.32/28', 16, 0, 16, 0],
      ],
    );
    assert.equal(u.stateAt(parseIPv4('10.0.0.21')), 'reserved');
    assert.equal(u.stateAt(parseIPv4('10.0.0.25')), 'free');
  });

  it('prefix reservations hold free blocks (kept for prefixes); one smaller than a /28 spoils its block', () => {
    const u = new SubnetUsage({
      cidr: '10.0.0.0/25',
      interfaces: [eni('eni-w', '10.0.0.6', [], ['10.0.0.64/28'])],
      reservations: [res('10.0.0.64/27', 'prefix', 'scr-1'), res('10.0.0.40/29', 'prefix', 'scr-2')],
    });
    assert.deepEqual(u.blockKinds(), ['edge', 'free', 'fragmented', 'free', 'prefix', 'free', 'free', 'edge']);
    assert.equal(u.freeBlocks, 4);
    assert.deepEqual(
      u.reservations.map((r) => [r.reservationId, r.inUse, r.free, r.freeBlocks, r.prefixes]),
      [
        ['scr-1', 16, 16, 1, 1],
        ['scr-2', 0, 8, 0, 0],
      ],
    );
    assert.equal(u.blockMap(5), 'pppppppppppppppp');
    assert.equal(u.blockMap(2), '........pppppppp');
    // Ranges to reserve avoid both reservations and AWS's addresses: no two adjacent free blocks are clear of them.
    assert.deepEqual(u.largestFreeRange, { cidr: '10.0.0.16/28', blocks: 1, inUse: 0, holders: [] });
    assert.deepEqual(u.freeBlockBases().map(formatIPv4), ['10.0.0.16', '10.0.0.48', '10.0.0.80', '10.0.0.96']);
  });

  it('a /28 subnet has one block, next to reserved addresses, never a prefix', () => {
    const u = new SubnetUsage({ cidr: '10.0.0.16/28', interfaces: [eni('eni-a', '10.0.0.20')], reservations: [] });
    assert.deepEqual(u.blockKinds(), ['edge']);
    assert.deepEqual(u.addresses, { total: 16, awsReserved: 5, usable: 11, inUse: 1, inUseOurs: 0, free: 10 });
    assert.equal(u.strandedShare, null);
    assert.equal(u.leastUsedRange(1), null);
  });

  it('addresses outside the subnet and unreadable entries are ignored, not counted', () => {
    const u = new SubnetUsage({ cidr: '10.0.0.0/26', interfaces: [eni('eni-a', '10.9.9.9', ['bogus'], ['10.0.0.33/27', '10.9.0.0/28'])], reservations: [res('nope', 'prefix')] });
    assert.equal(u.addresses.inUse, 0);
    assert.equal(u.reservations.length, 0);
  });

  it('asks for several blocks: the range grows to an aligned power of two', () => {
    const u = new SubnetUsage({ cidr: '10.0.0.0/24', interfaces: [eni('eni-a', '10.0.0.20', ['10.0.0.70', '10.0.0.140'])], reservations: [] });
    // .0/26 and .192/26 hold AWS's addresses; .64/26 and .128/26 one address each: the lower wins.
    assert.deepEqual(u.leastUsedRange(3), { cidr: '10.0.0.64/26', blocks: 4, inUse: 1, holders: ['eni-a'] });
    assert.equal(u.leastUsedRange(16), null, 'the whole subnet holds reserved addresses');
  });
});

/** The naive reference: every question answered by looking at each address, block and aligned range. */
function reference(input: SubnetUsageInput) {
  const subnet = parseCidr(input.cidr);
  const size = sizeOf(subnet);
  const first = subnet.base + 4;
  const last = subnet.base + size - 2;
  const inUse = new Map<number, string>();
  const prefixBlocks = new Set<number>();
  for (const e of input.interfaces) {
    for (const ip of [e.primaryPrivateIp, ...e.secondaryIps]) inUse.set(parseIPv4(ip), e.networkInterfaceId);
    for (const p of e.prefixes) {
      const b = parseCidr(p).base;
      prefixBlocks.add(b);
      for (let i = 0; i < 16; i++) inUse.set(b + i, e.networkInterfaceId);
    }
  }
  const reservationOf = (ip: number) => input.reservations.find((r) => ip >= parseCidr(r.cidr).base && ip < parseCidr(r.cidr).base + sizeOf(parseCidr(r.cidr)));
  const isFree = (ip: number) => ip >= first && ip <= last && !inUse.has(ip);
  const blockFreeForPrefix = (base: number) => {
    for (let ip = base; ip < base + 16; ip++) if (!isFree(ip)) return false;
    const types = Array.from({ length: 16 }, (_, i) => reservationOf(base + i));
    if (types.some((r) => r?.type === 'explicit')) return false;
    const inPrefix = types.filter((r) => r?.type === 'prefix').length;
    return inPrefix === 0 || inPrefix === 16;
  };
  let freeBlocks = 0;
  let stranded = 0;
  let edgeFree = 0;
  let explicitFree = 0;
  let inFreeBlocks = 0;
  for (let base = subnet.base; base < subnet.base + size; base += 16) {
    const edge = base < first || base + 15 > last;
    const freeBlock = !prefixBlocks.has(base) && blockFreeForPrefix(base);
    if (freeBlock) freeBlocks++;
    for (let ip = base; ip < base + 16; ip++) {
      if (!isFree(ip)) continue;
      if (freeBlock) inFreeBlocks++;
      else if (reservationOf(ip)?.type === 'explicit') explicitFree++;
      else if (edge) edgeFree++;
      else stranded++;
    }
  }
  // Largest aligned range, every address free and in no reservation: try every length and position.
  let largest: string | null = null;
  for (let length = subnet.prefixLength; length <= 28 && largest === null; length++) {
    const step = 2 ** (32 - length);
    for (let base = subnet.base; base < subnet.base + size; base += step) {
      let ok = true;
      for (let ip = base; ip < base + step && ok; ip++) ok = isFree(ip) && reservationOf(ip) === undefined;
      if (ok) {
        largest = formatCidr({ base, prefixLength: length });
        break;
      }
    }
  }
  const clearBlocks: number[] = [];
  for (let base = subnet.base; base < subnet.base + size; base += 16) {
    let ok = true;
    for (let ip = base; ip < base + 16 && ok; ip++) ok = isFree(ip) && reservationOf(ip) === undefined;
    if (ok) clearBlocks.push(base);
  }
  return { free: size - 5 - inUse.size, freeBlocks, stranded, edgeFree, explicitFree, inFreeBlocks, largest, inUse: inUse.size, clearBlocks };
}

function randomInput(prng: Prng, k: number): SubnetUsageInput {
  const length = 22 + prng.int(5);
  const subnet = parseCidr(`10.${k % 200}.0.0/${length}`);
  const size = sizeOf(subnet);
  const first = subnet.base + 4;
  const last = subnet.base + size - 2;
  const taken = new Set<number>();
  const reservations: SubnetReservationInput[] = [];
  // A few non-overlapping reservations of random sizes and types.
  for (let r = 0; r < prng.int(4); r++) {
    const rl = Math.max(length + 1, 25 + prng.int(6));
    const step = 2 ** (32 - rl);
    const base = subnet.base + prng.int(size / step) * step;
    const overlaps = reservations.some((o) => {
      const c = parseCidr(o.cidr);
      return base < c.base + sizeOf(c) && c.base < base + step;
    });
    if (!overlaps) reservations.push(res(formatCidr({ base, prefixLength: rl }), prng.next() < 0.5 ? 'prefix' : 'explicit', `scr-${r}`));
  }
  const interfaces: SubnetInterface[] = [];
  const freeIp = () => {
    for (let tries = 0; tries < 50; tries++) {
      const ip = first + prng.int(last - first + 1);
      if (!taken.has(ip)) {
        taken.add(ip);
        return formatIPv4(ip);
      }
    }
    return undefined;
  };
  for (let e = 0; e < 1 + prng.int(12); e++) {
    const primary = freeIp();
    if (!primary) break;
    const secondaryIps: string[] = [];
    for (let s = 0; s < prng.int(size / 40); s++) {
      const ip = freeIp();
      if (ip) secondaryIps.push(ip);
    }
    const prefixes: string[] = [];
    for (let p = 0; p < prng.int(3); p++) {
      const base = subnet.base + 16 * (1 + prng.int(size / 16 - 2));
      if ([...Array(16).keys()].every((i) => !taken.has(base + i))) {
        for (let i = 0; i < 16; i++) taken.add(base + i);
        prefixes.push(`${formatIPv4(base)}/28`);
      }
    }
    interfaces.push(eni(`eni-${k}-${e}`, primary, secondaryIps, prefixes));
  }
  return { cidr: formatCidr(subnet), interfaces, reservations, ours: new Set(interfaces.filter((_, i) => i % 2 === 0).map((i) => i.networkInterfaceId)) };
}

describe('subnet usage: random subnets against the naive reference', () => {
  it('300 seeded subnets from /22 to /26 with ENIs, prefixes and reservations of both types', () => {
    const prng = createPrng(20261122);
    for (let k = 0; k < 300; k++) {
      const input = randomInput(prng, k);
      const u = new SubnetUsage(input);
      const ref = reference(input);
      const where = `case ${k}: ${input.cidr}, reservations ${input.reservations.map((r) => `${r.cidr} ${r.type}`).join(', ')}`;
      assert.equal(u.addresses.free, ref.free, `${where}: free`);
      assert.equal(u.addresses.inUse, ref.inUse, `${where}: in use`);
      assert.equal(u.freeBlocks, ref.freeBlocks, `${where}: free blocks`);
      assert.deepEqual(
        [u.free.inFreeBlocks, u.free.stranded, u.free.nextToAwsReserved, u.free.inExplicitReservations],
        [ref.inFreeBlocks, ref.stranded, ref.edgeFree, ref.explicitFree],
        `${where}: where the free addresses are`,
      );
      assert.equal(u.free.inFreeBlocks + u.free.stranded + u.free.nextToAwsReserved + u.free.inExplicitReservations, u.addresses.free, `${where}: the parts add up`);
      assert.equal(u.largestFreeRange?.cidr ?? null, ref.largest, `${where}: largest free range`);
      // The free ranges cover exactly the clear blocks, each once, and no two could merge into a larger one.
      const covered = u.freeRanges.flatMap((r) => {
        const c = parseCidr(r.cidr);
        assert.equal(r.blocks, sizeOf(c) / 16);
        return Array.from({ length: r.blocks }, (_, i) => c.base + 16 * i);
      });
      assert.deepEqual(covered.sort((a, b) => a - b), ref.clearBlocks, `${where}: free ranges cover the clear blocks`);
      const keys = new Set(u.freeRanges.map((r) => r.cidr));
      for (const r of u.freeRanges) {
        const c = parseCidr(r.cidr);
        const buddy = formatCidr({ base: (c.base ^ sizeOf(c)) >>> 0, prefixLength: c.prefixLength });
        assert.ok(!keys.has(buddy), `${where}: ${r.cidr} and ${buddy} would make one range`);
      }
      assert.deepEqual(u.freeRanges.map((r) => r.blocks), [...u.freeRanges.map((r) => r.blocks)].sort((a, b) => b - a), `${where}: largest first`);
      const blockTotal = u.blocks.free + u.blocks.prefixes + u.blocks.fragmented + u.blocks.full + u.blocks.edge;
      assert.equal(blockTotal, u.blocks.total, `${where}: every block has one kind`);
      let ours = 0;
      for (const e of input.interfaces) if (input.ours?.has(e.networkInterfaceId)) ours += 1 + e.secondaryIps.length + 16 * e.prefixes.length;
      assert.equal(u.addresses.inUseOurs, ours, `${where}: ours`);
    }
  });
});
