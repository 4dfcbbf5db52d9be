/**
 * @module
 * One subnet's address space, accounted as EC2 does:
 * - the first four and the last address are reserved;
 * - a /28 prefix is an aligned block of 16 addresses, none of them in use or reserved;
 * - automatic secondary IPs come from anywhere free (picked at random, which is what fragments real subnets),
 *   never from explicit reservations, and from prefix reservations only when nothing else is left;
 * - automatic prefixes come from prefix reservations first, and never touch explicit reservations.
 * Pure state; the caller (world.ts) decides who may take what and keeps assignments all-or-nothing.
 */
import { usableRange } from '../core/ec2/subnet-usage.ts';
import { cidrContains, maskOf, sizeOf, type Cidr } from '../core/net/ipv4.ts';
import type { Prng } from './prng.ts';

const BLOCK_MASK = maskOf(28);

export interface SubnetReservation {
  id: string;
  cidr: Cidr;
  type: 'prefix' | 'explicit';
  description: string;
}

export function blockOf(ip: number): number {
  return (ip & BLOCK_MASK) >>> 0;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.prefixLength <= b.prefixLength ? cidrContains(a, b.base) : cidrContains(b, a.base);
}

export class SubnetSpace {
  readonly id: string;
  readonly vpcId: string;
  readonly cidr: Cidr;
  readonly availabilityZone: string;
  /** First and last address EC2 hands out (four reserved at the start, one at the end). */
  readonly firstUsable: number;
  readonly lastUsable: number;
  readonly reservations: SubnetReservation[] = [];
  readonly #prng: Prng;
  /** Single addresses in use (primary or secondary) -> ENI id. */
  readonly #addressOwner = new Map<number, string>();
  /** /28 block base -> ENI id holding it as a prefix. */
  readonly #prefixOwner = new Map<number, string>();
  /** /28 block base -> single addresses in use inside it, so a free-block check is O(1). */
  readonly #blockUse = new Map<number, number>();

  constructor(init: { id: string; vpcId: string; cidr: Cidr; availabilityZone: string; prng: Prng }) {
    this.id = init.id;
    this.vpcId = init.vpcId;
    this.cidr = init.cidr;
    this.availabilityZone = init.availabilityZone;
    ({ first: this.firstUsable, last: this.lastUsable } = usableRange(init.cidr));
    this.#prng = init.prng;
  }

  get availableIpAddressCount(): number {
    return this.lastUsable - this.firstUsable + 1 - this.#addressOwner.size - 16 * this.#prefixOwner.size;
  }

  isUsable(ip: number): boolean {
    return ip >= this.firstUsable && ip <= this.lastUsable;
  }

  addressFree(ip: number): boolean {
    return this.isUsable(ip) && !this.#addressOwner.has(ip) && !this.#prefixOwner.has(blockOf(ip));
  }

  /** `picked` holds blocks chosen earlier in the same request. */
  blockFree(base: number, picked: ReadonlySet<number> = new Set()): boolean {
    return (
      // The subnet's first and last aligned blocks hold reserved addresses and never qualify.
      base >= this.firstUsable &&
      base + 15 <= this.lastUsable &&
      !((this.#blockUse.get(base) ?? 0) > 0) &&
      !this.#prefixOwner.has(base) &&
      !picked.has(base)
    );
  }

  takeAddress(ip: number, eniId: string): void {
    this.#addressOwner.set(ip, eniId);
    const block = blockOf(ip);
    this.#blockUse.set(block, (this.#blockUse.get(block) ?? 0) + 1);
  }

  releaseAddress(ip: number): void {
    if (!this.#addressOwner.delete(ip)) return;
    const block = blockOf(ip);
    const n = (this.#blockUse.get(block) ?? 1) - 1;
    if (n > 0) this.#blockUse.set(block, n);
    else this.#blockUse.delete(block);
  }

  takePrefix(base: number, eniId: string): void {
    this.#prefixOwner.set(base, eniId);
  }

  releasePrefix(base: number): void {
    this.#prefixOwner.delete(base);
  }

  inReservation(ip: number, type: 'prefix' | 'explicit'): boolean {
    for (const r of this.reservations) if (r.type === type && cidrContains(r.cidr, ip)) return true;
    return false;
  }

  #blockTouchesReservation(base: number, type: 'prefix' | 'explicit'): boolean {
    const block: Cidr = { base, prefixLength: 28 };
    for (const r of this.reservations) if (r.type === type && cidrsOverlap(r.cidr, block)) return true;
    return false;
  }

  /** A free address for an automatic secondary IP, or undefined when the subnet has none left. */
  pickAddress(picked: ReadonlySet<number>): number | undefined {
    const span = this.lastUsable - this.firstUsable + 1;
    const ok = (ip: number, allowPrefixReservation: boolean): boolean =>
      this.addressFree(ip) &&
      !picked.has(ip) &&
      !this.inReservation(ip, 'explicit') &&
      (allowPrefixReservation || !this.inReservation(ip, 'prefix'));
    // Random probes first (cheap while the subnet is not nearly full), then one full scan.
    for (let attempt = 0; attempt < 32; attempt++) {
      const ip = this.firstUsable + this.#prng.int(span);
      if (ok(ip, false)) return ip;
    }
    const start = this.#prng.int(span);
    for (const allowPrefixReservation of [false, true]) {
      for (let k = 0; k < span; k++) {
        const ip = this.firstUsable + ((start + k) % span);
        if (ok(ip, allowPrefixReservation)) return ip;
      }
    }
    return undefined;
  }

  /** The lowest free aligned /28 for an automatic prefix, or undefined (EC2's InsufficientCidrBlocks). */
  pickBlock(picked: ReadonlySet<number>): number | undefined {
    const usable = (base: number): boolean => this.blockFree(base, picked) && !this.#blockTouchesReservation(base, 'explicit');
    // Inside prefix reservations first: walk only their whole /28 blocks, not the whole subnet. (A
    // reservation smaller than a /28 holds none; the block around it is not "from the reservation".)
    let best: number | undefined;
    for (const r of this.reservations) {
      if (r.type !== 'prefix') continue;
      const end = r.cidr.base + sizeOf(r.cidr);
      for (let base = r.cidr.base; base + 16 <= end; base += 16) {
        if (usable(base) && (best === undefined || base < best)) {
          best = base;
          break;
        }
      }
    }
    if (best !== undefined) return best;
    const end = this.cidr.base + sizeOf(this.cidr);
    for (let base = this.cidr.base; base < end; base += 16) {
      if (usable(base) && !this.#blockTouchesReservation(base, 'prefix')) return base;
    }
    return undefined;
  }
}
