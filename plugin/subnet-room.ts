/**
 * @module
 * Room for /28 prefixes in one subnet, from what EC2 reports about it (its CIDR, its ENIs, its CIDR
 * reservations): how many aligned /28 blocks are free, and which aligned block is the best candidate for
 * a subnet CIDR reservation of type prefix (the one with the fewest addresses in use). Accounted as EC2
 * does: the first four and the last address of a subnet are reserved; a block is free when no address in
 * it is in use and no explicit reservation touches it. Pure; shared by `describe node` (advice for
 * InsufficientCidrBlocks) and the cluster-wide subnet views.
 */
import { ADDRESSES_PER_PREFIX } from '../pkg/core/contract.ts';
import type { CidrReservation, NetworkInterface } from '../pkg/core/ec2/port.ts';
import { formatCidr, parseCidr, parseIPv4, sizeOf, type Cidr } from '../pkg/core/net/ipv4.ts';

export interface SubnetRoom {
  subnetId: string;
  cidr: string;
  /** Aligned /28 blocks a new prefix could take today. */
  freeBlocks: number;
  /** The block to reserve for prefixes, or null when no block of the wanted size avoids existing reservations. */
  reservation: { cidr: string; inUse: number; holders: string[] } | null;
}

/** `wantedBlocks`: how many /28s the reservation should hold (rounded up to an aligned power of two). */
export function subnetRoom(o: {
  subnetId: string;
  cidr: string;
  interfaces: readonly NetworkInterface[];
  reservations: readonly CidrReservation[];
  wantedBlocks: number;
}): SubnetRoom {
  const subnet = parseCidr(o.cidr);
  const size = sizeOf(subnet);
  const first = subnet.base + 4;
  const last = subnet.base + size - 2;
  const owner = new Map<number, string>();
  for (const eni of o.interfaces) {
    for (const ip of [eni.primaryPrivateIp, ...eni.secondaryIps]) owner.set(parseIPv4(ip), eni.networkInterfaceId);
    for (const p of eni.prefixes) {
      const block = parseCidr(p);
      for (let i = 0; i < ADDRESSES_PER_PREFIX; i++) owner.set(block.base + i, eni.networkInterfaceId);
    }
  }
  const reserved = o.reservations.flatMap((r) => (canParse(r.cidr) ? [{ cidr: parseCidr(r.cidr), type: r.type }] : []));
  const overlaps = (a: Cidr, b: Cidr) => a.base < b.base + sizeOf(b) && b.base < a.base + sizeOf(a);
  const inUse = (base: number, length: number) => {
    let n = 0;
    for (let ip = base; ip < base + length; ip++) if (owner.has(ip)) n++;
    return n;
  };
  const usable = (block: Cidr) => block.base >= first && block.base + sizeOf(block) - 1 <= last;

  let freeBlocks = 0;
  for (let base = subnet.base; base < subnet.base + size; base += ADDRESSES_PER_PREFIX) {
    const block: Cidr = { base, prefixLength: 28 };
    if (usable(block) && inUse(base, ADDRESSES_PER_PREFIX) === 0 && !reserved.some((r) => r.type === 'explicit' && overlaps(r.cidr, block))) freeBlocks++;
  }

  let length = 28;
  while (length > subnet.prefixLength + 1 && 2 ** (28 - length) < Math.max(1, o.wantedBlocks)) length--;
  let best: { block: Cidr; inUse: number } | undefined;
  const step = 2 ** (32 - length);
  for (let base = subnet.base; base < subnet.base + size; base += step) {
    const block: Cidr = { base, prefixLength: length };
    if (!usable(block) || reserved.some((r) => overlaps(r.cidr, block))) continue;
    const n = inUse(base, step);
    if (!best || n < best.inUse) best = { block, inUse: n };
  }
  let reservation: SubnetRoom['reservation'] = null;
  if (best) {
    const holders = new Set<string>();
    for (let ip = best.block.base; ip < best.block.base + step; ip++) {
      const eni = owner.get(ip);
      if (eni) holders.add(eni);
    }
    reservation = { cidr: formatCidr(best.block), inUse: best.inUse, holders: [...holders].sort() };
  }
  return { subnetId: o.subnetId, cidr: formatCidr(subnet), freeBlocks, reservation };
}

function canParse(text: string): boolean {
  try {
    parseCidr(text);
    return true;
  } catch {
    return false;
  }
}
