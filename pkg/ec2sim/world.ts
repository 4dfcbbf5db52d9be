/**
 * @module
 * The simulator's world model: VPCs, subnets with real address accounting, CIDR reservations, instances with
 * their primary ENI, unattached ENIs, and the assign/unassign rules of EC2. Pure state plus an injectable clock;
 * no HTTP here (the codec and server translate requests into calls on this model).
 *
 * Address accounting per subnet lives in `subnet-space.ts`; this module adds ENIs, instances and EC2's
 * request rules. A prefix and a secondary IP each take one of the ENI's slots (`ipv4PerInterface`, the primary
 * included). Eventual consistency: an assignment may carry a visibility time; describes hide it until then.
 */
import { bundledInstanceLimits, bundledInstanceTypes, supportsPrefixDelegation, type InstanceLimits } from '../core/ec2/instance-limits.ts';
import type { CidrReservation, Instance, NetworkInterface, Subnet } from '../core/ec2/port.ts';
import { cidrContains, formatCidr, formatIPv4, parseCidr, parseIPv4, type Cidr } from '../core/net/ipv4.ts';
import { createPrng, type Prng } from './prng.ts';
import { SimError, WorldError, invalidParameterValue } from './sim-error.ts';
import { SubnetSpace, cidrsOverlap } from './subnet-space.ts';
import type { InstanceSpec, NetworkInterfaceSpec, WorldSpec } from './world-spec.ts';

const DEFAULT_UNATTACHED_SLOTS = 50;
/** The one account that owns everything in a simulated world. */
export const OWNER_ID = '111122223333';

interface EniState {
  id: string;
  subnetId: string;
  description: string;
  instanceId: string | undefined;
  deviceIndex: number | undefined;
  attachmentId: string | undefined;
  primaryIp: number;
  /** Address -> time (ms) from which describes show it. */
  secondary: Map<number, number>;
  /** Prefix base -> time (ms) from which describes show it. */
  prefixes: Map<number, number>;
  maxAddresses: number | undefined;
  macAddress: string;
}

interface InstanceState {
  id: string;
  type: string;
  subnetId: string;
  privateIp: number;
  platform: 'windows' | 'linux';
  state: string;
  /** Every ENI attached to the instance, the primary first (only the primary today), so views need no scan of all ENIs. */
  eniIds: string[];
}

// The views are the EC2 port's types (what the controller reads) plus what only the wire protocol shows.

export type SubnetView = Subnet;

export interface ReservationView extends CidrReservation {
  description: string;
  ownerId: string;
}

export interface NetworkInterfaceView extends NetworkInterface {
  description: string;
  status: 'in-use' | 'available';
  attachmentId: string | undefined;
  macAddress: string;
  ownerId: string;
}

export interface InstanceView extends Omit<Instance, 'primaryInterface' | 'interfaces'> {
  platform: 'windows' | 'linux';
  hypervisor: string;
  interfaces: NetworkInterfaceView[];
}

export interface AssignRequest {
  secondaryCount?: number;
  secondaryIps?: string[];
  prefixCount?: number;
  prefixes?: string[];
}

export interface UnassignRequest {
  secondaryIps?: string[];
  prefixes?: string[];
}

export interface WorldOptions {
  /** Clock in ms; injectable so visibility delays are testable. Default Date.now. */
  now?: () => number;
}

/** One owned address or prefix, for invariant checks. */
export interface Ownership {
  subnetId: string;
  networkInterfaceId: string;
  kind: 'primary' | 'secondary' | 'prefix';
  /** Dotted address, or CIDR for prefixes. */
  value: string;
}

export class World {
  readonly region: string;
  readonly now: () => number;
  readonly #prng: Prng;
  readonly #vpcs = new Map<string, Cidr>();
  readonly #subnets = new Map<string, SubnetSpace>();
  readonly #enis = new Map<string, EniState>();
  readonly #instances = new Map<string, InstanceState>();
  readonly #customTypes = new Map<string, InstanceLimits>();
  #sequence = 0;

  constructor(spec: WorldSpec, options: WorldOptions = {}) {
    this.region = spec.region ?? 'us-west-2';
    this.now = options.now ?? Date.now;
    this.#prng = createPrng(spec.seed ?? 1);
    for (const [name, t] of Object.entries(spec.instanceTypes ?? {})) {
      this.#customTypes.set(name, {
        instanceType: name,
        ipv4PerInterface: t.ipv4PerInterface,
        interfaces: t.interfaces,
        hypervisor: t.hypervisor,
        isBareMetal: t.bareMetal ?? false,
      });
    }
    for (const vpc of spec.vpcs) {
      if (this.#vpcs.has(vpc.id)) throw new WorldError(`vpcs: duplicate VPC id "${vpc.id}"`);
      this.#vpcs.set(vpc.id, parseCidr(vpc.cidr, { strict: true }));
    }
    for (const s of spec.subnets) this.#addSubnet(s);
    for (const i of spec.instances) this.addInstance(i);
    for (const e of spec.networkInterfaces ?? []) this.addNetworkInterface(e);
  }

  // ---- construction -------------------------------------------------------------------------------------

  #addSubnet(s: WorldSpec['subnets'][number]): void {
    const where = `subnet "${s.id}"`;
    if (this.#subnets.has(s.id)) throw new WorldError(`subnets: duplicate subnet id "${s.id}"`);
    const vpc = this.#vpcs.get(s.vpcId);
    if (!vpc) throw new WorldError(`${where}: vpcId "${s.vpcId}" names no VPC in vpcs`);
    const cidr = parseCidr(s.cidr, { strict: true });
    if (cidr.prefixLength < 16 || cidr.prefixLength > 28) {
      throw new WorldError(`${where}: cidr ${s.cidr} must be between /16 and /28 (EC2's limits)`);
    }
    if (cidr.prefixLength < vpc.prefixLength || !cidrContains(vpc, cidr.base)) {
      throw new WorldError(`${where}: cidr ${s.cidr} is not inside its VPC's ${formatCidr(vpc)}`);
    }
    for (const other of this.#subnets.values()) {
      if (other.vpcId === s.vpcId && cidrsOverlap(other.cidr, cidr)) {
        throw new WorldError(`${where}: cidr ${s.cidr} overlaps subnet "${other.id}" (${formatCidr(other.cidr)})`);
      }
    }
    const state = new SubnetSpace({ id: s.id, vpcId: s.vpcId, cidr, availabilityZone: s.availabilityZone, prng: this.#prng });
    for (const r of s.reservations ?? []) {
      const rc = parseCidr(r.cidr, { strict: true });
      if (rc.prefixLength < cidr.prefixLength || !cidrContains(cidr, rc.base)) {
        throw new WorldError(`${where}: reservation ${r.cidr} is not inside the subnet's ${s.cidr}`);
      }
      // EC2 refuses overlapping reservations; allowing them would make "which type wins" undefined here.
      const overlapping = state.reservations.find((other) => cidrsOverlap(other.cidr, rc));
      if (overlapping) throw new WorldError(`${where}: reservation ${r.cidr} overlaps reservation ${formatCidr(overlapping.cidr)}`);
      state.reservations.push({ id: r.id ?? this.#nextId('scr', 17), cidr: rc, type: r.type, description: r.description ?? '' });
    }
    this.#subnets.set(s.id, state);
  }

  /**
   * Adds a running instance with its primary ENI (index 0), optionally pre-populated. All or nothing: a spec
   * that fails (also at run time, through POST /_admin/instances) leaves no address taken and no instance behind.
   */
  addInstance(spec: InstanceSpec): void {
    const where = `instance "${spec.id}"`;
    if (this.#instances.has(spec.id)) throw new WorldError(`instances: duplicate instance id "${spec.id}"`);
    const limits = this.instanceLimits(spec.type);
    if (!limits) {
      throw new WorldError(`${where}: type "${spec.type}" is neither in the bundled limits table nor in instanceTypes`);
    }
    const eniId = spec.networkInterfaceId ?? `eni-${spec.id.replace(/^i-/, '')}`;
    this.#createEni({
      id: eniId,
      subnetId: spec.subnetId,
      privateIp: spec.privateIp,
      secondaryIps: spec.secondaryIps ?? [],
      prefixes: spec.prefixes ?? [],
      description: `Primary network interface of ${spec.id}`,
    }, { instanceId: spec.id, where, maxAddresses: undefined, slots: { limit: limits.ipv4PerInterface, of: spec.type } });
    this.#instances.set(spec.id, {
      id: spec.id,
      type: spec.type,
      subnetId: spec.subnetId,
      privateIp: parseIPv4(spec.privateIp),
      platform: spec.platform ?? 'windows',
      state: spec.state ?? 'running',
      eniIds: [eniId],
    });
  }

  /** Adds an ENI attached to no instance: another tenant of the subnet, useful to model fragmentation. */
  addNetworkInterface(spec: NetworkInterfaceSpec): void {
    const maxAddresses = spec.maxAddresses ?? DEFAULT_UNATTACHED_SLOTS;
    this.#createEni(spec, { instanceId: undefined, where: `network interface "${spec.id}"`, maxAddresses, slots: { limit: maxAddresses, of: 'its maxAddresses' } });
  }

  /** Registers the ENI only when every address and prefix of the spec could be taken; otherwise gives them back. */
  #createEni(
    spec: NetworkInterfaceSpec,
    ctx: { instanceId: string | undefined; where: string; maxAddresses: number | undefined; slots: { limit: number; of: string } },
  ): void {
    if (this.#enis.has(spec.id)) throw new WorldError(`${ctx.where}: duplicate network interface id "${spec.id}"`);
    const subnet = this.#subnets.get(spec.subnetId);
    if (!subnet) throw new WorldError(`${ctx.where}: subnetId "${spec.subnetId}" names no subnet in subnets`);
    const used = 1 + (spec.secondaryIps?.length ?? 0) + (spec.prefixes?.length ?? 0);
    if (used > ctx.slots.limit) {
      throw new WorldError(`${ctx.where}: ${used} addresses and prefixes exceed the ${ctx.slots.limit} slots of ${ctx.slots.of}`);
    }
    const primary = parseIPv4(spec.privateIp);
    const eni: EniState = {
      id: spec.id,
      subnetId: spec.subnetId,
      description: spec.description ?? '',
      instanceId: ctx.instanceId,
      deviceIndex: ctx.instanceId ? 0 : undefined,
      attachmentId: ctx.instanceId ? `eni-attach-${spec.id.replace(/^eni-/, '')}` : undefined,
      primaryIp: primary,
      secondary: new Map(),
      prefixes: new Map(),
      maxAddresses: ctx.maxAddresses,
      macAddress: macFor(this.#enis.size + 1),
    };
    const taken: number[] = [];
    const takeAddress = (ip: number, field: string): void => {
      if (!subnet.isUsable(ip)) {
        throw new WorldError(`${ctx.where}: ${field} ${formatIPv4(ip)} is not a usable address of subnet ${formatCidr(subnet.cidr)} (first four and last are reserved)`);
      }
      if (!subnet.addressFree(ip)) throw new WorldError(`${ctx.where}: ${field} ${formatIPv4(ip)} is already in use`);
      subnet.takeAddress(ip, eni.id);
      taken.push(ip);
    };
    try {
      takeAddress(primary, 'privateIp');
      for (const text of spec.secondaryIps ?? []) {
        const ip = parseIPv4(text);
        takeAddress(ip, 'secondaryIps entry');
        eni.secondary.set(ip, 0);
      }
      for (const text of spec.prefixes ?? []) {
        const p = parseCidr(text, { strict: true });
        if (p.prefixLength !== 28) throw new WorldError(`${ctx.where}: prefixes entry ${text} is not a /28`);
        if (!cidrContains(subnet.cidr, p.base) || !subnet.blockFree(p.base)) {
          throw new WorldError(`${ctx.where}: prefixes entry ${text} is outside the subnet, reserved, or overlaps an address in use`);
        }
        subnet.takePrefix(p.base, eni.id);
        eni.prefixes.set(p.base, 0);
      }
    } catch (err) {
      for (const ip of taken) subnet.releaseAddress(ip);
      for (const base of eni.prefixes.keys()) subnet.releasePrefix(base);
      throw err;
    }
    this.#enis.set(eni.id, eni);
  }

  // ---- queries --------------------------------------------------------------------------------------------

  instanceLimits(instanceType: string): InstanceLimits | undefined {
    return this.#customTypes.get(instanceType) ?? bundledInstanceLimits(instanceType);
  }

  /** Every type DescribeInstanceTypes knows: the bundled table plus the world's own types. */
  instanceTypeNames(): string[] {
    const names = new Set(bundledInstanceTypes());
    for (const name of this.#customTypes.keys()) names.add(name);
    return [...names].sort();
  }

  hasSubnet(subnetId: string): boolean {
    return this.#subnets.has(subnetId);
  }

  subnets(): SubnetView[] {
    return [...this.#subnets.values()].map((s) => this.#subnetView(s));
  }

  subnet(subnetId: string): SubnetView {
    return this.#subnetView(this.#requireSubnet(subnetId));
  }

  reservations(subnetId: string): ReservationView[] {
    return this.#requireSubnet(subnetId).reservations.map((r) => ({
      reservationId: r.id,
      subnetId,
      cidr: formatCidr(r.cidr),
      type: r.type,
      description: r.description,
      ownerId: OWNER_ID,
    }));
  }

  hasInstance(instanceId: string): boolean {
    return this.#instances.has(instanceId);
  }

  instances(): InstanceView[] {
    return [...this.#instances.values()].map((i) => this.#instanceView(i));
  }

  instance(instanceId: string): InstanceView {
    const i = this.#instances.get(instanceId);
    if (!i) throw new SimError('InvalidInstanceID.NotFound', `The instance ID '${instanceId}' does not exist`);
    return this.#instanceView(i);
  }

  hasNetworkInterface(networkInterfaceId: string): boolean {
    return this.#enis.has(networkInterfaceId);
  }

  /** As describes show them: assignments still inside their visibility delay are hidden. */
  networkInterfaces(): NetworkInterfaceView[] {
    return [...this.#enis.values()].map((e) => this.#eniView(e));
  }

  networkInterface(networkInterfaceId: string): NetworkInterfaceView {
    return this.#eniView(this.#requireEni(networkInterfaceId));
  }

  /** Every owned address and prefix, visible or not: for invariant checks in tests. */
  ownerships(): Ownership[] {
    const out: Ownership[] = [];
    for (const e of this.#enis.values()) {
      out.push({ subnetId: e.subnetId, networkInterfaceId: e.id, kind: 'primary', value: formatIPv4(e.primaryIp) });
      for (const ip of e.secondary.keys()) out.push({ subnetId: e.subnetId, networkInterfaceId: e.id, kind: 'secondary', value: formatIPv4(ip) });
      for (const p of e.prefixes.keys()) out.push({ subnetId: e.subnetId, networkInterfaceId: e.id, kind: 'prefix', value: `${formatIPv4(p)}/28` });
    }
    return out;
  }

  // ---- mutations -------------------------------------------------------------------------------------------

  /**
   * AssignPrivateIpAddresses. All-or-nothing: every check runs before anything changes.
   * `visibleAfterMs` delays when describes show the new addresses (eventual consistency).
   */
  assign(networkInterfaceId: string, req: AssignRequest, opts: { visibleAfterMs?: number } = {}): { secondaryIps: string[]; prefixes: string[] } {
    const eni = this.#requireEni(networkInterfaceId);
    const subnet = this.#subnets.get(eni.subnetId)!;
    const wantsIps = req.secondaryCount !== undefined || (req.secondaryIps?.length ?? 0) > 0;
    const wantsPrefixes = req.prefixCount !== undefined || (req.prefixes?.length ?? 0) > 0;
    if (req.secondaryCount !== undefined && (req.secondaryIps?.length ?? 0) > 0) {
      throw new SimError('InvalidParameterCombination', 'You may specify either secondary private IP addresses or a count of them, not both.');
    }
    if (req.prefixCount !== undefined && (req.prefixes?.length ?? 0) > 0) {
      throw new SimError('InvalidParameterCombination', 'You may specify either IPv4 prefixes or a count of them, not both.');
    }
    if (wantsIps && wantsPrefixes) {
      throw new SimError('InvalidParameterCombination', 'You cannot assign IPv4 prefixes and secondary private IP addresses in the same request.');
    }
    if (!wantsIps && !wantsPrefixes) {
      throw new SimError('MissingParameter', 'The request must contain the parameter SecondaryPrivateIpAddressCount, PrivateIpAddresses, Ipv4PrefixCount or Ipv4Prefixes');
    }
    for (const [name, n] of [['SecondaryPrivateIpAddressCount', req.secondaryCount], ['Ipv4PrefixCount', req.prefixCount]] as const) {
      if (n !== undefined && (!Number.isInteger(n) || n < 1)) throw invalidParameterValue(name, String(n), 'It must be a positive integer.');
    }
    if (wantsPrefixes && eni.instanceId) {
      const limits = this.instanceLimits(this.#instances.get(eni.instanceId)!.type)!;
      if (!supportsPrefixDelegation(limits)) {
        throw new SimError('InvalidParameterValue', `IPv4 prefixes are not supported on instance type ${limits.instanceType}: prefix delegation needs a Nitro instance.`);
      }
    }
    const requested = wantsIps ? (req.secondaryCount ?? req.secondaryIps!.length) : (req.prefixCount ?? req.prefixes!.length);
    const used = 1 + eni.secondary.size + eni.prefixes.size;
    const limit = this.#slotLimit(eni);
    const picked = new Set<number>();

    if (wantsIps) {
      for (const text of req.secondaryIps ?? []) {
        const ip = parseAddressParam('PrivateIpAddresses', text);
        if (!cidrContains(subnet.cidr, ip)) throw new SimError('InvalidParameterValue', `Address ${text} does not fall within the subnet's address range ${formatCidr(subnet.cidr)}`);
        if (!subnet.isUsable(ip)) throw new SimError('InvalidParameterValue', `Address ${text} is reserved by AWS in subnet ${subnet.id}`);
        if (!subnet.addressFree(ip) || picked.has(ip)) throw new SimError('InvalidIPAddress.InUse', `Address ${text} is in use.`);
        picked.add(ip);
      }
    } else {
      for (const text of req.prefixes ?? []) {
        const p = parsePrefixParam(text);
        if (!cidrContains(subnet.cidr, p.base)) throw new SimError('InvalidParameterValue', `Prefix ${text} does not fall within the subnet's address range ${formatCidr(subnet.cidr)}`);
        if (!subnet.blockFree(p.base, picked)) throw new SimError('InvalidIPAddress.InUse', `Prefix ${text} overlaps addresses that are in use or reserved.`);
        picked.add(p.base);
      }
    }
    if (used + requested > limit) {
      throw new SimError('PrivateIpAddressLimitExceeded', `Number of private addresses will exceed limit: ${eni.id} holds ${used} of ${limit} (the primary address, each secondary address and each prefix take one).`);
    }
    if (wantsIps && req.secondaryCount !== undefined) {
      for (let k = 0; k < req.secondaryCount; k++) {
        const ip = subnet.pickAddress(picked);
        if (ip === undefined) throw new SimError('InsufficientFreeAddressesInSubnet', `The specified subnet ${subnet.id} does not have enough free addresses to satisfy the request.`);
        picked.add(ip);
      }
    } else if (wantsPrefixes && req.prefixCount !== undefined) {
      for (let k = 0; k < req.prefixCount; k++) {
        const base = subnet.pickBlock(picked);
        if (base === undefined) throw new SimError('InsufficientCidrBlocks', `There are not enough free cidr blocks in the specified subnet ${subnet.id} to satisfy the request.`);
        picked.add(base);
      }
    }

    const visibleAt = this.now() + Math.max(0, opts.visibleAfterMs ?? 0);
    if (wantsIps) {
      for (const ip of picked) {
        subnet.takeAddress(ip, eni.id);
        eni.secondary.set(ip, visibleAt);
      }
      return { secondaryIps: [...picked].map(formatIPv4), prefixes: [] };
    }
    for (const base of picked) {
      subnet.takePrefix(base, eni.id);
      eni.prefixes.set(base, visibleAt);
    }
    return { secondaryIps: [], prefixes: [...picked].map((b) => `${formatIPv4(b)}/28`) };
  }

  /** UnassignPrivateIpAddresses. All-or-nothing, like assign. */
  unassign(networkInterfaceId: string, req: UnassignRequest): void {
    const eni = this.#requireEni(networkInterfaceId);
    const subnet = this.#subnets.get(eni.subnetId)!;
    const ips = req.secondaryIps ?? [];
    const prefixes = req.prefixes ?? [];
    if (ips.length > 0 && prefixes.length > 0) {
      throw new SimError('InvalidParameterCombination', 'You cannot unassign IPv4 prefixes and secondary private IP addresses in the same request.');
    }
    if (ips.length === 0 && prefixes.length === 0) {
      throw new SimError('MissingParameter', 'The request must contain the parameter PrivateIpAddresses or Ipv4Prefixes');
    }
    const ipValues = ips.map((t) => parseAddressParam('PrivateIpAddresses', t));
    for (let k = 0; k < ipValues.length; k++) {
      const ip = ipValues[k]!;
      if (ip === eni.primaryIp) throw new SimError('InvalidParameterValue', `The primary private IP address ${ips[k]} of ${eni.id} cannot be unassigned.`);
      if (!eni.secondary.has(ip)) throw new SimError('InvalidParameterValue', `Some of the specified addresses are not assigned to interface ${eni.id}: ${ips[k]}`);
    }
    const prefixValues = prefixes.map(parsePrefixParam);
    for (let k = 0; k < prefixValues.length; k++) {
      if (!eni.prefixes.has(prefixValues[k]!.base)) throw new SimError('InvalidParameterValue', `Some of the specified prefixes are not assigned to interface ${eni.id}: ${prefixes[k]}`);
    }
    for (const ip of ipValues) {
      eni.secondary.delete(ip);
      subnet.releaseAddress(ip);
    }
    for (const p of prefixValues) {
      eni.prefixes.delete(p.base);
      subnet.releasePrefix(p.base);
    }
  }

  // ---- accounting helpers ------------------------------------------------------------------------------------

  #slotLimit(eni: EniState): number {
    // An ENI has maxAddresses exactly when it is attached to no instance.
    return eni.maxAddresses ?? this.instanceLimits(this.#instances.get(eni.instanceId!)!.type)!.ipv4PerInterface;
  }

  #nextId(kind: string, hexDigits: number): string {
    this.#sequence += 1;
    return `${kind}-${this.#sequence.toString(16).padStart(hexDigits, '0')}`;
  }

  #requireSubnet(subnetId: string): SubnetSpace {
    const s = this.#subnets.get(subnetId);
    if (!s) throw new SimError('InvalidSubnetID.NotFound', `The subnet ID '${subnetId}' does not exist`);
    return s;
  }

  #requireEni(networkInterfaceId: string): EniState {
    const e = this.#enis.get(networkInterfaceId);
    if (!e) throw new SimError('InvalidNetworkInterfaceID.NotFound', `The networkInterface ID '${networkInterfaceId}' does not exist`);
    return e;
  }

  #subnetView(s: SubnetSpace): SubnetView {
    return {
      subnetId: s.id,
      vpcId: s.vpcId,
      cidr: formatCidr(s.cidr),
      availabilityZone: s.availabilityZone,
      availableIpAddressCount: s.availableIpAddressCount,
    };
  }

  #eniView(e: EniState): NetworkInterfaceView {
    const subnet = this.#subnets.get(e.subnetId)!;
    const now = this.now();
    const secondaryIps: string[] = [];
    for (const [ip, at] of e.secondary) if (at <= now) secondaryIps.push(formatIPv4(ip));
    const prefixes: string[] = [];
    for (const [base, at] of e.prefixes) if (at <= now) prefixes.push(`${formatIPv4(base)}/28`);
    return {
      networkInterfaceId: e.id,
      subnetId: e.subnetId,
      vpcId: subnet.vpcId,
      availabilityZone: subnet.availabilityZone,
      description: e.description,
      status: e.instanceId ? 'in-use' : 'available',
      instanceId: e.instanceId,
      deviceIndex: e.deviceIndex,
      attachmentId: e.attachmentId,
      macAddress: e.macAddress,
      ownerId: OWNER_ID,
      primaryPrivateIp: formatIPv4(e.primaryIp),
      secondaryIps,
      prefixes,
    };
  }

  #instanceView(i: InstanceState): InstanceView {
    const subnet = this.#subnets.get(i.subnetId)!;
    const interfaces = i.eniIds.map((id) => this.#eniView(this.#enis.get(id)!));
    return {
      instanceId: i.id,
      instanceType: i.type,
      subnetId: i.subnetId,
      vpcId: subnet.vpcId,
      availabilityZone: subnet.availabilityZone,
      privateIp: formatIPv4(i.privateIp),
      platform: i.platform,
      state: i.state,
      hypervisor: this.instanceLimits(i.type)!.hypervisor === 'xen' ? 'xen' : 'nitro',
      interfaces,
    };
  }
}

function macFor(n: number): string {
  const hex = n.toString(16).padStart(8, '0');
  return `02:00:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}:${hex.slice(6, 8)}`;
}

function parseAddressParam(name: string, text: string): number {
  try {
    return parseIPv4(text);
  } catch {
    throw invalidParameterValue(name, text, 'Expected a dotted IPv4 address such as 10.0.1.17.');
  }
}

function parsePrefixParam(text: string): Cidr {
  let p: Cidr;
  try {
    p = parseCidr(text, { strict: true });
  } catch {
    throw invalidParameterValue('Ipv4Prefixes', text, 'Expected an aligned /28 CIDR block such as 10.0.1.16/28.');
  }
  if (p.prefixLength !== 28) throw invalidParameterValue('Ipv4Prefixes', text, 'Only /28 IPv4 prefixes are supported.');
  return p;
}
