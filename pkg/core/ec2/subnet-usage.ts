/**
 * @module
 * One subnet's address space as EC2 accounts it, from a snapshot of what EC2 reports (its CIDR, the ENIs
 * in it, its CIDR reservations): which addresses are in use, which aligned /28 blocks EC2 can still hand
 * out as prefixes, which free addresses are stranded where no prefix can ever be placed while their
 * neighbours are in use, how full each reservation is, and which aligned ranges are left to reserve.
 * Pure arithmetic over typed arrays: a /16 (the largest subnet EC2 allows) with thousands of ENIs is a
 * few milliseconds.
 *
 * EC2's rules, as docs/ec2-simulator.md ("Address accounting") states them and the simulator enforces them:
 * - the first four and the last address of a subnet are reserved (so its first and last /28 never hold a
 *   prefix);
 * - a prefix is an aligned /28 of which no address is in use;
 * - no prefix is placed in a block that touches an explicit reservation, nor in the block around a prefix
 *   reservation smaller than a /28 (such a reservation holds no whole block);
 * - reservations cannot overlap one another, so a range to reserve must avoid every existing one.
 */
import { ADDRESSES_PER_PREFIX } from '../contract.ts';
import { formatCidr, parseCidr, parseIPv4, sizeOf, type Cidr } from '../net/ipv4.ts';

/** EC2 reserves the network address, the VPC router, DNS and one for future use... */
export const AWS_RESERVED_AT_START = 4;
/** ...and the last address of every subnet. */
export const AWS_RESERVED_AT_END = 1;

/** The first and last address EC2 hands out in `cidr`. */
export function usableRange(cidr: Cidr): { first: number; last: number } {
  return { first: cidr.base + AWS_RESERVED_AT_START, last: cidr.base + sizeOf(cidr) - 1 - AWS_RESERVED_AT_END };
}

/** What an ENI in the subnet holds, in EC2's describe form. */
export interface SubnetInterface {
  networkInterfaceId: string;
  primaryPrivateIp: string;
  secondaryIps: readonly string[];
  prefixes: readonly string[];
}

export interface SubnetReservationInput {
  reservationId: string;
  cidr: string;
  type: 'prefix' | 'explicit';
}

export interface SubnetUsageInput {
  cidr: string;
  interfaces: readonly SubnetInterface[];
  reservations: readonly SubnetReservationInput[];
  /** ENIs whose addresses count as "ours" (the Windows nodes' primary ENIs). */
  ours?: ReadonlySet<string>;
}

/**
 * One address, as the subnet map shows it: in use by another ENI, in use by ours, free, reserved by AWS
 * or kept free by an explicit reservation, or kept free for prefixes by a prefix reservation.
 */
export type AddressState = 'used' | 'ours' | 'free' | 'reserved' | 'prefix-reserved';

/** One character per address in maps ("w" ours, "#" used, "." free, "x" reserved, "p" kept for prefixes). */
export const ADDRESS_STATE_CHARS: Readonly<Record<AddressState, string>> = { used: '#', ours: 'w', free: '.', reserved: 'x', 'prefix-reserved': 'p' };

/** A /28 block: a delegated prefix, free for one, holding addresses next to AWS's reserved ones, fragmented (free addresses beside ones in use or reserved), or full. */
export type BlockKind = 'prefix' | 'free' | 'edge' | 'fragmented' | 'full';

export interface ReservationUsage {
  reservationId: string;
  cidr: string;
  type: 'prefix' | 'explicit';
  /** Addresses it covers (AWS's reserved ones included when it covers them). */
  addresses: number;
  inUse: number;
  free: number;
  /** Aligned /28 blocks inside it EC2 can still give as prefixes. */
  freeBlocks: number;
  /** Delegated prefixes inside it. */
  prefixes: number;
}

export interface RangeChoice {
  cidr: string;
  /** /28 blocks it spans. */
  blocks: number;
  /** Addresses in use inside it (0 for a free range). */
  inUse: number;
  /** ENIs holding those addresses, sorted. */
  holders: string[];
}

// Per-address codes, one byte each.
const FREE = 0;
const USED = 1;
const OURS = 2;
const AWS = 3;
// Per-address reservation codes.
const NONE = 0;
const PREFIX = 1;
const EXPLICIT = 2;

const BLOCK = ADDRESSES_PER_PREFIX;

export class SubnetUsage {
  readonly cidr: Cidr;
  readonly first: number;
  readonly last: number;
  readonly addresses: { total: number; awsReserved: number; usable: number; inUse: number; inUseOurs: number; free: number };
  /** Where the free addresses are: in free blocks (prefixes can go there), stranded, next to AWS's reserved addresses, inside explicit reservations. */
  readonly free: { inFreeBlocks: number; stranded: number; nextToAwsReserved: number; inExplicitReservations: number };
  readonly blocks: { total: number; free: number; prefixes: number; prefixesOurs: number; fragmented: number; full: number; edge: number };
  readonly reservations: ReservationUsage[];
  /**
   * Every free block outside reservations, as the fewest aligned ranges: each range's addresses are all
   * free, usable and in no reservation, and no two of them would make a larger aligned one. Largest first,
   * then lowest address: what to reserve for prefixes, best first.
   */
  readonly freeRanges: ReadonlyArray<{ cidr: string; blocks: number }>;
  readonly #state: Uint8Array;
  readonly #reserved: Uint8Array;
  /** Index into #holders + 1 for each address in use (0: none). */
  readonly #owner: Int32Array;
  readonly #holders: string[];
  readonly #kinds: BlockKind[];
  readonly #prefixOf: Uint8Array;

  constructor(input: SubnetUsageInput) {
    const cidr = parseCidr(input.cidr);
    const size = sizeOf(cidr);
    this.cidr = cidr;
    ({ first: this.first, last: this.last } = usableRange(cidr));
    const state = new Uint8Array(size);
    const reserved = new Uint8Array(size);
    const owner = new Int32Array(size);
    const blockCount = Math.max(1, size / BLOCK);
    const prefixOf = new Uint8Array(blockCount);
    const holders: string[] = [];
    for (let i = 0; i < AWS_RESERVED_AT_START && i < size; i++) state[i] = AWS;
    for (let i = size - AWS_RESERVED_AT_END; i < size; i++) if (i >= 0) state[i] = AWS;

    const ours = input.ours ?? new Set<string>();
    let inUse = 0;
    let inUseOurs = 0;
    const take = (offset: number, code: number, holder: number) => {
      if (offset < 0 || offset >= size || state[offset] !== FREE) return;
      state[offset] = code;
      owner[offset] = holder;
      inUse++;
      if (code === OURS) inUseOurs++;
    };
    for (const eni of input.interfaces) {
      holders.push(eni.networkInterfaceId);
      const holder = holders.length;
      const code = ours.has(eni.networkInterfaceId) ? OURS : USED;
      for (const ip of [eni.primaryPrivateIp, ...eni.secondaryIps]) {
        const value = addressOrNaN(ip);
        if (!Number.isNaN(value)) take(value - cidr.base, code, holder);
      }
      for (const p of eni.prefixes) {
        const block = cidrOrUndefined(p);
        if (!block || block.prefixLength !== 28) continue;
        const offset = block.base - cidr.base;
        if (offset < 0 || offset >= size) continue;
        prefixOf[offset / BLOCK] = code === OURS ? 2 : 1;
        for (let i = 0; i < BLOCK; i++) take(offset + i, code, holder);
      }
    }

    const reservationCidrs: Array<{ input: SubnetReservationInput; cidr: Cidr }> = [];
    for (const r of input.reservations) {
      const rc = cidrOrUndefined(r.cidr);
      if (!rc) continue;
      reservationCidrs.push({ input: r, cidr: rc });
      const from = Math.max(0, rc.base - cidr.base);
      const to = Math.min(size, rc.base - cidr.base + sizeOf(rc));
      reserved.fill(r.type === 'prefix' ? PREFIX : EXPLICIT, from, to);
    }

    const kinds: BlockKind[] = [];
    const freeBlock = new Uint8Array(blockCount);
    const free = { inFreeBlocks: 0, stranded: 0, nextToAwsReserved: 0, inExplicitReservations: 0 };
    const blocks = { total: blockCount, free: 0, prefixes: 0, prefixesOurs: 0, fragmented: 0, full: 0, edge: 0 };
    for (let b = 0; b < blockCount; b++) {
      const start = b * BLOCK;
      const end = Math.min(size, start + BLOCK);
      let freeHere = 0;
      let edge = false;
      let prefixCells = 0;
      let explicitCells = 0;
      for (let i = start; i < end; i++) {
        if (state[i] === FREE) freeHere++;
        else if (state[i] === AWS) edge = true;
        if (reserved[i] === PREFIX) prefixCells++;
        else if (reserved[i] === EXPLICIT) explicitCells++;
      }
      const whole = end - start === BLOCK;
      // Inside a prefix reservation, or clear of every reservation; never beside part of one.
      const placeable = whole && explicitCells === 0 && (prefixCells === 0 || prefixCells === BLOCK);
      let kind: BlockKind;
      if (prefixOf[b]) kind = 'prefix';
      else if (placeable && freeHere === BLOCK) kind = 'free';
      else if (edge) kind = 'edge';
      else if (freeHere === 0) kind = 'full';
      else kind = 'fragmented';
      kinds.push(kind);
      if (kind === 'free') freeBlock[b] = 1;
      if (kind === 'prefix') {
        blocks.prefixes++;
        if (prefixOf[b] === 2) blocks.prefixesOurs++;
      } else blocks[kind]++;
      for (let i = start; i < end; i++) {
        if (state[i] !== FREE) continue;
        if (kind === 'free') free.inFreeBlocks++;
        else if (reserved[i] === EXPLICIT) free.inExplicitReservations++;
        else if (kind === 'edge') free.nextToAwsReserved++;
        else free.stranded++;
      }
    }

    const usable = Math.max(0, this.last - this.first + 1);
    this.addresses = { total: size, awsReserved: size - usable, usable, inUse, inUseOurs, free: usable - inUse };
    this.free = free;
    this.blocks = blocks;
    this.#state = state;
    this.#reserved = reserved;
    this.#owner = owner;
    this.#holders = holders;
    this.#kinds = kinds;
    this.#prefixOf = prefixOf;

    this.reservations = reservationCidrs.map(({ input: r, cidr: rc }) => {
      const from = Math.max(0, rc.base - cidr.base);
      const to = Math.min(size, rc.base - cidr.base + sizeOf(rc));
      let used = 0;
      let freeIn = 0;
      for (let i = from; i < to; i++) {
        if (state[i] === USED || state[i] === OURS) used++;
        else if (state[i] === FREE) freeIn++;
      }
      let freeBlocks = 0;
      let prefixes = 0;
      for (let b = Math.floor(from / BLOCK); b * BLOCK < to; b++) {
        // Only blocks wholly inside the reservation are its own.
        if (b * BLOCK < from || b * BLOCK + BLOCK > to) continue;
        if (freeBlock[b]) freeBlocks++;
        if (prefixOf[b]) prefixes++;
      }
      return { reservationId: r.reservationId, cidr: formatCidr(rc), type: r.type, addresses: to - from, inUse: used, free: freeIn, freeBlocks, prefixes };
    });
    this.freeRanges = this.#freeRanges();
  }

  /** The largest aligned range whose every address is free, usable and in no reservation; lowest first on ties. */
  get largestFreeRange(): RangeChoice | null {
    const r = this.freeRanges[0];
    return r ? { cidr: r.cidr, blocks: r.blocks, inUse: 0, holders: [] } : null;
  }

  /** Blocks EC2 can still give as prefixes: `blocks.free`. */
  get freeBlocks(): number {
    return this.blocks.free;
  }

  /** The share of free addresses (outside explicit reservations and AWS's edge blocks) that no prefix can ever take while their neighbours are in use; null when there is no such free address. */
  get strandedShare(): number | null {
    const pool = this.free.stranded + this.free.inFreeBlocks;
    return pool === 0 ? null : this.free.stranded / pool;
  }

  /** Every /28 block's kind, lowest address first. */
  blockKinds(): readonly BlockKind[] {
    return this.#kinds;
  }

  /** Bases of the blocks EC2 can still give as prefixes, lowest first. */
  freeBlockBases(): number[] {
    const out: number[] = [];
    this.#kinds.forEach((k, b) => {
      if (k === 'free') out.push(this.cidr.base + b * BLOCK);
    });
    return out;
  }

  /** The state of one address of the subnet, for maps. */
  stateAt(ip: number): AddressState {
    const i = ip - this.cidr.base;
    if (i < 0 || i >= this.#state.length) throw new RangeError(`address ${ip} is outside the subnet`);
    const s = this.#state[i];
    if (s === USED) return 'used';
    if (s === OURS) return 'ours';
    if (s === AWS) return 'reserved';
    const r = this.#reserved[i];
    return r === EXPLICIT ? 'reserved' : r === PREFIX ? 'prefix-reserved' : 'free';
  }

  /** The 16 addresses of block `b` (0 = the subnet's first) as map characters. */
  blockMap(b: number): string {
    let out = '';
    const start = this.cidr.base + b * BLOCK;
    const end = Math.min(start + BLOCK, this.cidr.base + this.#state.length);
    for (let ip = start; ip < end; ip++) out += ADDRESS_STATE_CHARS[this.stateAt(ip)];
    return out;
  }

  /** Whether block `b` holds a delegated prefix of one of our ENIs. */
  isOurPrefix(b: number): boolean {
    return this.#prefixOf[b] === 2;
  }

  /**
   * The aligned range of at least `wantedBlocks` /28s (rounded up to a power of two) with the fewest
   * addresses in use, inside the usable range and clear of every reservation: the range to reserve for
   * prefixes when nothing free is left (its addresses in use must be freed first, since a reservation keeps
   * only what is free). Lowest address first on ties; null when no range of that size avoids the existing
   * reservations.
   */
  leastUsedRange(wantedBlocks: number): RangeChoice | null {
    const size = this.#state.length;
    let length = 28;
    while (length > this.cidr.prefixLength + 1 && 2 ** (28 - length) < Math.max(1, wantedBlocks)) length--;
    const step = 2 ** (32 - length);
    if (step > size) return null;
    let best: { offset: number; inUse: number } | undefined;
    for (let offset = 0; offset + step <= size; offset += step) {
      if (this.cidr.base + offset < this.first || this.cidr.base + offset + step - 1 > this.last) continue;
      let n = 0;
      let clear = true;
      for (let i = offset; i < offset + step; i++) {
        if (this.#reserved[i] !== NONE) {
          clear = false;
          break;
        }
        if (this.#state[i] === USED || this.#state[i] === OURS) n++;
      }
      if (clear && (!best || n < best.inUse)) best = { offset, inUse: n };
    }
    return best ? this.#choice(best.offset, length) : null;
  }

  #freeRanges(): Array<{ cidr: string; blocks: number }> {
    const size = this.#state.length;
    if (size < BLOCK) return [];
    // Level 0: whole /28s that are free, usable and clear of reservations; each level up pairs the one below.
    const levels: Uint8Array[] = [new Uint8Array(size / BLOCK)];
    const bottom = levels[0]!;
    for (let b = 0; b < bottom.length; b++) {
      let ok = 1;
      for (let i = b * BLOCK; i < b * BLOCK + BLOCK; i++) {
        if (this.#state[i] !== FREE || this.#reserved[i] !== NONE) {
          ok = 0;
          break;
        }
      }
      bottom[b] = ok;
    }
    while (levels.at(-1)!.length > 1) {
      const below = levels.at(-1)!;
      const up = new Uint8Array(below.length / 2);
      for (let k = 0; k < up.length; k++) up[k] = below[2 * k]! & below[2 * k + 1]!;
      levels.push(up);
    }
    // Largest first: a range is taken unless a larger one already covers it (aligned ranges nest).
    const covered = new Uint8Array(bottom.length);
    const out: Array<{ cidr: string; blocks: number }> = [];
    for (let level = levels.length - 1; level >= 0; level--) {
      const blocks = 2 ** level;
      levels[level]!.forEach((ok, i) => {
        if (!ok || covered[i * blocks]) return;
        covered.fill(1, i * blocks, (i + 1) * blocks);
        out.push({ cidr: formatCidr({ base: this.cidr.base + i * blocks * BLOCK, prefixLength: 28 - level }), blocks });
      });
    }
    return out;
  }

  #choice(offset: number, length: number): RangeChoice {
    const step = 2 ** (32 - length);
    const holders = new Set<string>();
    let inUse = 0;
    for (let i = offset; i < offset + step; i++) {
      const h = this.#owner[i]!;
      if (h > 0) {
        inUse++;
        holders.add(this.#holders[h - 1]!);
      }
    }
    return { cidr: formatCidr({ base: this.cidr.base + offset, prefixLength: length }), blocks: step / BLOCK, inUse, holders: [...holders].sort() };
  }
}

function addressOrNaN(text: string): number {
  try {
    return parseIPv4(text);
  } catch {
    return Number.NaN;
  }
}

function cidrOrUndefined(text: string): Cidr | undefined {
  try {
    return parseCidr(text);
  } catch {
    return undefined;
  }
}
