/**
 * @module
 * One node's primary ENI in an in-process World, carrying out the pool's EC2 requests at once with EC2's
 * rules (slot limit shared by prefixes and secondary IPs, aligned /28 blocks, InsufficientCidrBlocks,
 * unassign of an address the ENI does not hold refused): the EC2 of the pool and planner tests and of
 * `kubectl winprefix simulate`. It is the simulator's World behind the in-process port (world-port.ts),
 * so it answers as the simulator does over the wire; test/ec2/port-contract.ts checks that.
 *
 * The subnet is laid out so that tests can count on addresses: a /19 (10.0.0.0/19) whose upper half is a
 * prefix reservation, so prefixes come lowest first from 10.0.16.0/28 and secondary IPs (picked at random,
 * seeded, as EC2 does) from the lower half. Another tenant of the subnet holds one address in every /28 of
 * the lower half, so no prefix comes from there, and the reservation's blocks beyond `prefixBlocks`: the
 * subnet has exactly that many /28s free for prefixes. Tests may also change the ENI behind the pool's
 * back (another tool, a console click) and inject faults into the requests.
 */
import { ADDRESSES_PER_PREFIX } from '../core/contract.ts';
import type { Ec2ErrorKind } from '../core/ec2/errors.ts';
import { poolResultOf, sendPoolRequest } from '../core/ec2/pool-requests.ts';
import type { Ec2Request, Ec2Result, EniAddresses } from '../core/ipam/types.ts';
import { formatIPv4, parseCidr, parseIPv4 } from '../core/net/ipv4.ts';
import { World } from './world.ts';
import { worldPortNow, type Ec2PortNow } from './world-port.ts';

export type Fault =
  /** The call fails and changes nothing. */
  | { fail: Ec2ErrorKind }
  /** The call does part of the work (at most `done` items), then fails. */
  | { fail: Ec2ErrorKind; done: number };

export interface WorldEniOptions {
  /** Slots for secondary IPs and prefixes: the instance type's addresses per ENI less the primary's. */
  slots: number;
  /** Aligned /28 blocks the subnet has free for prefixes: default 64 (more than any ENI holds), at most {@link PREFIX_BLOCKS}. */
  prefixBlocks?: number;
  /** Whether the instance type takes prefixes (Nitro or bare metal); default true. */
  prefixCapable?: boolean;
}

export const INSTANCE_ID = 'i-0123456789abcdef0';
export const ENI_ID = 'eni-0123456789abcdef0';
export const SUBNET_ID = 'subnet-0a1b2c3d';
/** The subnet's prefix length: what a secondary-IP annotation's mask says. */
export const SUBNET_PREFIX_LENGTH = 19;
/** /28 blocks in the prefix reservation that can hold a prefix (its last holds the subnet's broadcast address). */
export const PREFIX_BLOCKS = 255;

const SUBNET = '10.0.0.0/19';
const LOWER_HALF = parseIPv4('10.0.0.0');
const RESERVATION = '10.0.16.0/20';
const RESERVATION_BASE = parseIPv4('10.0.16.0');
const OTHER_TENANT = 'eni-0f0000000000000ff';

export class WorldEni {
  readonly world: World;
  readonly eniId = ENI_ID;
  readonly slots: number;
  /** Requests served, by kind: lets tests see what the pool asked for. */
  readonly log: Ec2Request[] = [];
  /** Assign requests refused because they would exceed the slots (EC2 PrivateIpAddressLimitExceeded). */
  rejectedOverLimit = 0;
  readonly #port: Ec2PortNow;
  /** Reservation blocks the other tenant holds, lowest first: `addBlocks` frees them in this order. */
  readonly #heldBlocks: string[];

  constructor(o: WorldEniOptions) {
    const free = o.prefixBlocks ?? 64;
    if (!(Number.isInteger(free) && free >= 0 && free <= PREFIX_BLOCKS)) throw new RangeError(`prefixBlocks ${free}: the subnet has 0 to ${PREFIX_BLOCKS} blocks for prefixes`);
    this.slots = o.slots;
    this.#heldBlocks = Array.from({ length: PREFIX_BLOCKS - free }, (_, i) => blockAt(free + i));
    const type = `winprefix.slots-${o.slots}`;
    this.world = new World(
      {
        vpcs: [{ id: 'vpc-0a1b2c3d', cidr: '10.0.0.0/16' }],
        subnets: [{ id: SUBNET_ID, vpcId: 'vpc-0a1b2c3d', cidr: SUBNET, availabilityZone: 'us-west-2a', reservations: [{ cidr: RESERVATION, type: 'prefix', description: 'pod prefixes' }] }],
        instanceTypes: { [type]: { ipv4PerInterface: o.slots + 1, interfaces: 1, hypervisor: o.prefixCapable === false ? 'xen' : 'nitro' } },
        instances: [{ id: INSTANCE_ID, type, subnetId: SUBNET_ID, privateIp: '10.0.15.250', networkInterfaceId: ENI_ID }],
        networkInterfaces: [
          {
            id: OTHER_TENANT,
            subnetId: SUBNET_ID,
            privateIp: '10.0.15.251',
            // One address in every /28 of the lower half (its first block holds the subnet's reserved addresses).
            secondaryIps: Array.from({ length: 255 }, (_, i) => formatIPv4(LOWER_HALF + (i + 1) * ADDRESSES_PER_PREFIX + 15)),
            prefixes: this.#heldBlocks,
            maxAddresses: 1 + 255 + PREFIX_BLOCKS,
            description: 'another tenant of the subnet',
          },
        ],
      },
      { now: () => 0 },
    );
    this.#port = worldPortNow(this.world);
  }

  /** What the ENI holds now, each list sorted as strings. */
  get state(): EniAddresses {
    const eni = this.world.networkInterface(ENI_ID);
    return { prefixes: [...eni.prefixes].sort(), secondaryIps: [...eni.secondaryIps].sort() };
  }

  /** The ENI's prefixes now (a copy). */
  get prefixes(): ReadonlySet<string> {
    return new Set(this.state.prefixes);
  }

  /** The ENI's secondary IPs now (a copy). */
  get secondaryIps(): ReadonlySet<string> {
    return new Set(this.state.secondaryIps);
  }

  get usedSlots(): number {
    const s = this.state;
    return s.prefixes.length + s.secondaryIps.length;
  }

  /** Whether `ip` is one of the ENI's secondary IPs or lies in one of its prefixes. */
  holds(ip: string): boolean {
    const s = this.state;
    if (s.secondaryIps.includes(ip)) return true;
    const n = parseIPv4(ip);
    return s.prefixes.some((cidr) => {
      const { base } = parseCidr(cidr);
      return n >= base && n < base + ADDRESSES_PER_PREFIX;
    });
  }

  /** Carries out one of the pool's requests, as EC2 would, or as `fault` says it fails. */
  perform(request: Ec2Request, fault?: Fault): Ec2Result {
    this.log.push(request);
    return fault ? this.#faulty(request, fault) : this.#send(request);
  }

  /** Adds an address behind the pool's back, if a slot (and for a prefix, a block) is free. */
  addExternally(kind: 'prefix' | 'secondary'): string | undefined {
    try {
      return (kind === 'prefix' ? this.#port.assignPrefixes(ENI_ID, 1) : this.#port.assignSecondaryIps(ENI_ID, 1))[0];
    } catch {
      return undefined;
    }
  }

  /** Puts these very addresses on the ENI behind the pool's back (they must be free in the subnet). */
  placeExternally(o: { prefixes?: string[]; secondaryIps?: string[] }): void {
    if (o.prefixes?.length) this.world.assign(ENI_ID, { prefixes: o.prefixes });
    if (o.secondaryIps?.length) this.world.assign(ENI_ID, { secondaryIps: o.secondaryIps });
  }

  /**
   * Takes an address away behind the pool's back. A removed prefix's block goes to the other tenant of
   * the subnet unless `returnToSubnet` says it is free again.
   */
  removeExternally(address: string, options: { returnToSubnet?: boolean } = {}): void {
    const s = this.state;
    if (s.prefixes.includes(address)) {
      this.world.unassign(ENI_ID, { prefixes: [address] });
      if (!options.returnToSubnet) {
        this.world.assign(OTHER_TENANT, { prefixes: [address] });
        this.#heldBlocks.push(address);
        this.#heldBlocks.sort(byAddress);
      }
    } else if (s.secondaryIps.includes(address)) {
      this.world.unassign(ENI_ID, { secondaryIps: [address] });
    }
  }

  /** Frees more /28 blocks in the subnet (the other tenant gave some back), lowest first. */
  addBlocks(count: number): void {
    const freed = this.#heldBlocks.splice(0, count);
    if (freed.length < count) throw new RangeError(`the subnet has no more than ${PREFIX_BLOCKS} blocks for prefixes`);
    if (freed.length > 0) this.world.unassign(OTHER_TENANT, { prefixes: freed });
  }

  #send(request: Ec2Request): Ec2Result {
    try {
      return poolResultOf(request, { value: sendPoolRequest(this.#port, ENI_ID, request) });
    } catch (error) {
      const result = poolResultOf(request, { error });
      if ('added' in result.outcome && !result.outcome.ok && result.outcome.error === 'address-limit-exceeded') this.rejectedOverLimit++;
      return result;
    }
  }

  #faulty(request: Ec2Request, fault: Fault): Ec2Result {
    const done = 'done' in fault ? fault.done : undefined;
    const failed = { ok: false as const, error: fault.fail, message: done === undefined ? `injected ${fault.fail}` : `injected partial ${fault.fail}` };
    switch (request.kind) {
      case 'resync':
        return { request, outcome: failed };
      case 'assign-prefixes':
      case 'assign-secondary-ips': {
        if (done === undefined) return { request, outcome: { ...failed, added: [] } };
        // EC2 refuses a request over the slot limit whole (PrivateIpAddressLimitExceeded); only a request it
        // takes can be cut short.
        if (this.usedSlots + request.count > this.slots) return this.#send(request);
        const count = Math.min(request.count, done);
        if (count <= 0) return { request, outcome: { ...failed, added: [] } };
        const part = this.#send({ ...request, count });
        if (!part.outcome.ok || !('added' in part.outcome)) return { request, outcome: part.outcome } as Ec2Result;
        return { request, outcome: { ...failed, added: part.outcome.added } };
      }
      case 'unassign-prefixes':
      case 'unassign-secondary-ips': {
        if (done === undefined) return { request, outcome: { ...failed, removed: [] } };
        const prefixes = request.kind === 'unassign-prefixes';
        const held = new Set(prefixes ? this.state.prefixes : this.state.secondaryIps);
        const removed = (prefixes ? request.prefixes : request.ips).filter((a) => held.has(a)).slice(0, done);
        if (removed.length > 0) this.#send(prefixes ? { id: request.id, kind: request.kind, prefixes: removed } : { id: request.id, kind: 'unassign-secondary-ips', ips: removed });
        return { request, outcome: { ...failed, removed } };
      }
    }
  }
}

/** The reservation's `index`-th /28, as a CIDR. */
function blockAt(index: number): string {
  return `${formatIPv4(RESERVATION_BASE + index * ADDRESSES_PER_PREFIX)}/28`;
}

function byAddress(a: string, b: string): number {
  return parseIPv4(a.split('/')[0]!) - parseIPv4(b.split('/')[0]!);
}
