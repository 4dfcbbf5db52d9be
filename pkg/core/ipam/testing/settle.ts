/**
 * @module
 * Test support: a tiny ENI that executes the pool's EC2 requests the way EC2 would (slot limit,
 * aligned /28 blocks from a small subnet, unassign of unknown addresses fails), with faults the
 * test can inject. This is the one boundary the pool tests fake.
 */
import { ADDRESSES_PER_PREFIX } from '../../contract.ts';
import type { Ec2ErrorKind } from '../../ec2/errors.ts';
import { formatCidr, formatIPv4, parseIPv4 } from '../../net/ipv4.ts';
import type { NodePool } from '../pool.ts';
import type { Ec2Request, Ec2Result, EniAddresses, ResyncReport } from '../types.ts';

export type Fault =
  /** The call fails and changes nothing. */
  | { fail: Ec2ErrorKind }
  /** The call does part of the work (at most `done` items), then fails. */
  | { fail: Ec2ErrorKind; done: number };

export interface FakeEniOptions {
  slots: number;
  /** Aligned /28 blocks the subnet still has for prefixes. */
  prefixBlocks?: number;
}

const PREFIX_BASE = parseIPv4('10.0.16.0');
const SECONDARY_BASE = parseIPv4('10.0.0.4');

export class FakeEni {
  readonly slots: number;
  readonly prefixes = new Set<string>();
  readonly secondaryIps = new Set<string>();
  readonly #freeBlocks: number[] = [];
  #nextSecondary = SECONDARY_BASE;
  #nextFreshBlock: number;
  /** Assign requests refused because they would exceed the slots (EC2 PrivateIpAddressLimitExceeded). */
  rejectedOverLimit = 0;
  /** Requests served, by kind: lets tests see what the pool asked for. */
  readonly log: Ec2Request[] = [];

  constructor(options: FakeEniOptions) {
    this.slots = options.slots;
    this.#nextFreshBlock = PREFIX_BASE;
    this.addBlocks(options.prefixBlocks ?? 64);
  }

  get state(): EniAddresses {
    return { prefixes: [...this.prefixes].sort(), secondaryIps: [...this.secondaryIps].sort() };
  }

  get usedSlots(): number {
    return this.prefixes.size + this.secondaryIps.size;
  }

  /**
   * Takes an address away behind the pool's back (another tool, a console click). A removed
   * prefix's block goes to someone else unless `returnToSubnet` says it is free again.
   */
  removeExternally(address: string, options: { returnToSubnet?: boolean } = {}): void {
    if (this.prefixes.delete(address) && options.returnToSubnet) this.#returnBlock(address);
    this.secondaryIps.delete(address);
  }

  #returnBlock(cidr: string): void {
    this.#freeBlocks.push(parseIPv4(cidr.split('/')[0]!));
    this.#freeBlocks.sort((a, b) => a - b);
  }

  /** Adds an address behind the pool's back, if a slot (and for a prefix, a block) is free. */
  addExternally(kind: 'prefix' | 'secondary'): string | undefined {
    if (this.usedSlots >= this.slots) return undefined;
    return kind === 'prefix' ? this.#allocPrefix() : this.#allocSecondary();
  }

  /** Frees more /28 blocks in the subnet (someone deleted an ENI elsewhere). */
  addBlocks(count: number): void {
    for (let i = 0; i < count; i++) {
      this.#freeBlocks.push(this.#nextFreshBlock);
      this.#nextFreshBlock += ADDRESSES_PER_PREFIX;
    }
  }

  perform(request: Ec2Request, fault?: Fault): Ec2Result {
    this.log.push(request);
    const failed = (kind: Ec2ErrorKind, message: string) => ({ ok: false as const, error: kind, message });
    const limit = fault && 'done' in fault ? fault.done : Number.POSITIVE_INFINITY;
    switch (request.kind) {
      case 'assign-prefixes':
      case 'assign-secondary-ips': {
        if (fault && !('done' in fault)) return { request, outcome: { ...failed(fault.fail, `injected ${fault.fail}`), added: [] } };
        if (this.usedSlots + request.count > this.slots) {
          this.rejectedOverLimit++;
          return { request, outcome: { ...failed('address-limit-exceeded', 'PrivateIpAddressLimitExceeded'), added: [] } };
        }
        const created: string[] = [];
        for (let i = 0; i < Math.min(request.count, limit); i++) {
          if (request.kind === 'assign-secondary-ips') {
            created.push(this.#allocSecondary());
            continue;
          }
          const cidr = this.#allocPrefix();
          if (!cidr) return { request, outcome: { ...failed('insufficient-cidr-blocks', 'InsufficientCidrBlocks'), added: created } };
          created.push(cidr);
        }
        return { request, outcome: fault ? { ...failed(fault.fail, `injected partial ${fault.fail}`), added: created } : { ok: true, added: created } };
      }
      case 'unassign-prefixes':
      case 'unassign-secondary-ips': {
        if (fault && !('done' in fault)) return { request, outcome: { ...failed(fault.fail, `injected ${fault.fail}`), removed: [] } };
        const list = request.kind === 'unassign-prefixes' ? request.prefixes : request.ips;
        const held = request.kind === 'unassign-prefixes' ? this.prefixes : this.secondaryIps;
        if (!fault && list.some((a) => !held.has(a))) {
          return { request, outcome: { ...failed('other', 'InvalidParameterValue: address not assigned'), removed: [] } };
        }
        const removed: string[] = [];
        for (const a of list.slice(0, Math.min(list.length, limit))) {
          if (!held.has(a)) continue;
          this.removeExternally(a, { returnToSubnet: true });
          removed.push(a);
        }
        return { request, outcome: fault ? { ...failed(fault.fail, `injected partial ${fault.fail}`), removed } : { ok: true, removed } };
      }
      case 'resync':
        return { request, outcome: fault ? failed(fault.fail, 'injected') : { ok: true, eni: this.state } };
    }
  }

  #allocPrefix(): string | undefined {
    const base = this.#freeBlocks.shift();
    if (base === undefined) return undefined;
    const cidr = formatCidr({ base, prefixLength: 28 });
    this.prefixes.add(cidr);
    return cidr;
  }

  #allocSecondary(): string {
    const ip = formatIPv4(this.#nextSecondary++);
    this.secondaryIps.add(ip);
    return ip;
  }
}

/** Runs plan -> EC2 -> complete until the pool asks for nothing more at `now`. */
export function settle(pool: NodePool, eni: FakeEni, now: number, maxRounds = 100): ResyncReport[] {
  const reports: ResyncReport[] = [];
  for (let round = 0; round < maxRounds; round++) {
    const requests = pool.plan(now);
    if (requests.length === 0) return reports;
    for (const r of requests) {
      const report = pool.complete(eni.perform(r), now);
      if (report) reports.push(report);
    }
  }
  throw new Error(`pool did not settle in ${maxRounds} rounds`);
}

/** Settles, then follows nextWakeAt until the pool has nothing left to do; returns the final time. */
export function settleFully(pool: NodePool, eni: FakeEni, now: number, maxWakes = 1000): number {
  let t = now;
  for (let i = 0; i < maxWakes; i++) {
    settle(pool, eni, t);
    const wake = pool.nextWakeAt(t);
    if (wake === undefined) return t;
    t = wake;
  }
  throw new Error('pool kept waking up');
}
