/**
 * @module
 * Room for /28 prefixes in one subnet, from what EC2 reports about it (its CIDR, its ENIs, its CIDR
 * reservations): how many aligned /28 blocks are free, and which aligned block is the best candidate for
 * a subnet CIDR reservation of type prefix (the one with the fewest addresses in use). The accounting is
 * pkg/core/ec2/subnet-usage.ts's; this is the short answer `describe node` needs for InsufficientCidrBlocks
 * advice (`subnets` shows the whole of it).
 */
import type { CidrReservation, NetworkInterface } from '../pkg/core/ec2/port.ts';
import { SubnetUsage } from '../pkg/core/ec2/subnet-usage.ts';
import { formatCidr } from '../pkg/core/net/ipv4.ts';

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
  const usage = new SubnetUsage({ cidr: o.cidr, interfaces: o.interfaces, reservations: o.reservations });
  const best = usage.leastUsedRange(o.wantedBlocks);
  return {
    subnetId: o.subnetId,
    cidr: formatCidr(usage.cidr),
    freeBlocks: usage.freeBlocks,
    reservation: best ? { cidr: best.cidr, inUse: best.inUse, holders: best.holders } : null,
  };
}
