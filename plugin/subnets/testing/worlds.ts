/**
 * @module
 * Simulator worlds for the planning commands' tests: healthy, fragmented, reserved and nearly full
 * subnets with Windows nodes in prefix, secondary and mixed mode, their pods, and other tenants whose
 * addresses the simulator placed at random (as EC2 places them). Each world is built by running EC2's own
 * rules (pkg/ec2sim World), then frozen into a static WorldSpec, so the same state can be loaded again as
 * often as a test needs: into the simulator server for the integration tests, into fresh Worlds for the
 * brute-force counts.
 *
 * The brute force asks the simulator itself: how many prefixes it hands out before InsufficientCidrBlocks,
 * how many secondary addresses before InsufficientFreeAddressesInSubnet, and it counts everything else
 * address by address from the world's ownerships. Nothing here uses pkg/core/ec2/subnet-usage.ts.
 */
import { NODE_STATUS_ANNOTATION, RESOURCE_NAME } from '../../../pkg/core/contract.ts';
import { bundledInstanceLimits } from '../../../pkg/core/ec2/instance-limits.ts';
import { formatCidr, formatIPv4, parseCidr, parseIPv4, sizeOf } from '../../../pkg/core/net/ipv4.ts';
import { createPrng, type Prng } from '../../../pkg/ec2sim/prng.ts';
import { SimError } from '../../../pkg/ec2sim/sim-error.ts';
import { World } from '../../../pkg/ec2sim/world.ts';
import type { CidrReservationSpec, WorldSpec } from '../../../pkg/ec2sim/world-spec.ts';
import type { PlanningNode } from '../../cluster/planning-reads.ts';
import type { KubeNode, KubePod } from '../../kube/objects.ts';

export const ZONE = 'us-west-2a';
/** The ENI of another tenant with room for every address of the subnet: the brute force's probe (one per world, so worlds can share a simulator). */
export function probeOf(w: { subnetId: string } | WorldSpec): string {
  const subnetId = 'subnetId' in w ? w.subnetId : w.subnets[0]!.id;
  return `eni-0f${subnetId.slice(-6)}`;
}

export interface NodePlan {
  name: string;
  instanceId: string;
  type: string;
  /** Pods with an address: how many take addresses of the node's prefixes, how many its secondary IPs. */
  podsOnPrefixes: number;
  podsOnSecondaryIps: number;
  /** Pods that asked for an address and have none. */
  waitingPods: number;
  /** The capacity the node advertises (node.status.capacity). */
  advertised: number;
  /** Set when the winprefix controller manages it (a status annotation). */
  managedByWinprefix?: boolean;
}

export interface PlanningWorld {
  name: string;
  subnetId: string;
  spec: WorldSpec;
  nodes: NodePlan[];
}

const VPC = 'vpc-0a0b0c01';

export function base(cidr: string, subnetId: string, reservations: CidrReservationSpec[] = []): WorldSpec {
  return {
    region: 'us-west-2',
    seed: 11,
    vpcs: [{ id: VPC, cidr: '10.40.0.0/16' }],
    subnets: [{ id: subnetId, vpcId: VPC, cidr, availabilityZone: ZONE, reservations }],
    instances: [],
    networkInterfaces: [],
  };
}

/** The world's state as a static spec: every address where the simulator put it. */
export function freeze(world: World, spec: WorldSpec): WorldSpec {
  const enis = new Map(world.networkInterfaces().map((e) => [e.networkInterfaceId, e]));
  return {
    ...spec,
    instances: spec.instances.map((i) => {
      const view = world.instance(i.id).interfaces[0]!;
      return { ...i, secondaryIps: view.secondaryIps, prefixes: view.prefixes };
    }),
    networkInterfaces: (spec.networkInterfaces ?? []).map((n) => {
      const view = enis.get(n.id)!;
      return { ...n, secondaryIps: view.secondaryIps, prefixes: view.prefixes };
    }),
  };
}

export const instanceId = (k: number) => `i-0a0b${k.toString(16).padStart(4, '0')}`;
export const eniOf = (id: string) => `eni-${id.slice(2)}`;

export function addNode(spec: WorldSpec, plan: Omit<NodePlan, 'instanceId'>, k: number, privateIp: string): NodePlan {
  const id = instanceId(k);
  spec.instances.push({ id, type: plan.type, subnetId: spec.subnets[0]!.id, privateIp, platform: 'windows' });
  return { ...plan, instanceId: id };
}

export function addTenant(spec: WorldSpec, id: string, privateIp: string): void {
  (spec.networkInterfaces ??= []).push({ id, subnetId: spec.subnets[0]!.id, privateIp, description: 'another tenant', maxAddresses: 70_000 });
}

/** A /22 with room: nodes in every mode, two tenants with scattered addresses. */
export function healthyWorld(): PlanningWorld {
  const spec = base('10.40.0.0/22', 'subnet-0a0b0001');
  const nodes = [
    addNode(spec, { name: 'win-a', type: 'm5.large', podsOnPrefixes: 20, podsOnSecondaryIps: 0, waitingPods: 0, advertised: 144 }, 1, '10.40.0.10'),
    addNode(spec, { name: 'win-b', type: 'c5.xlarge', podsOnPrefixes: 5, podsOnSecondaryIps: 0, waitingPods: 0, advertised: 224, managedByWinprefix: true }, 2, '10.40.0.11'),
    addNode(spec, { name: 'win-c', type: 'm5.large', podsOnPrefixes: 0, podsOnSecondaryIps: 4, waitingPods: 1, advertised: 9 }, 3, '10.40.0.12'),
    addNode(spec, { name: 'win-d', type: 'm5.large', podsOnPrefixes: 3, podsOnSecondaryIps: 2, waitingPods: 0, advertised: 144 }, 4, '10.40.0.13'),
  ];
  addTenant(spec, 'eni-0e0b0001', '10.40.1.5');
  addTenant(spec, 'eni-0e0b0002', '10.40.2.5');
  addTenant(spec, probeOf(spec), '10.40.0.7');
  const world = new World(spec);
  world.assign(eniOf(instanceId(1)), { prefixCount: 2 });
  world.assign(eniOf(instanceId(2)), { prefixCount: 1 });
  world.assign(eniOf(instanceId(3)), { secondaryCount: 6 });
  world.assign(eniOf(instanceId(4)), { secondaryCount: 3 });
  world.assign(eniOf(instanceId(4)), { prefixCount: 1 });
  world.assign('eni-0e0b0001', { secondaryCount: 30 });
  world.assign('eni-0e0b0002', { secondaryCount: 12 });
  return { name: 'healthy', subnetId: 'subnet-0a0b0001', spec: freeze(world, spec), nodes };
}

/** A /24 where every block holds an address of another tenant: free addresses, no free /28. */
export function fragmentedWorld(): PlanningWorld {
  const spec = base('10.40.4.0/24', 'subnet-0a0b0002');
  const nodes = [
    addNode(spec, { name: 'win-frag-a', type: 'm5.large', podsOnPrefixes: 14, podsOnSecondaryIps: 0, waitingPods: 6, advertised: 144 }, 11, '10.40.4.10'),
    addNode(spec, { name: 'win-frag-b', type: 'm5.large', podsOnPrefixes: 0, podsOnSecondaryIps: 5, waitingPods: 0, advertised: 9 }, 12, '10.40.4.11'),
  ];
  addTenant(spec, 'eni-0e0b0011', '10.40.4.6');
  addTenant(spec, probeOf(spec), '10.40.4.7');
  const world = new World(spec);
  world.assign(eniOf(instanceId(11)), { prefixCount: 1 });
  world.assign(eniOf(instanceId(12)), { secondaryCount: 7 });
  // One address of the tenant in every block still free, at a random place in it, then more at random.
  const prng = createPrng(4);
  const taken = new Set(world.ownerships().filter((o) => o.kind !== 'prefix').map((o) => parseIPv4(o.value)));
  const prefixBlocks = new Set(world.ownerships().filter((o) => o.kind === 'prefix').map((o) => parseCidr(o.value).base));
  const subnet = parseCidr('10.40.4.0/24');
  const stray: string[] = [];
  for (let b = subnet.base + 16; b < subnet.base + 240; b += 16) {
    if (prefixBlocks.has(b) || [...Array(16).keys()].some((i) => taken.has(b + i))) continue;
    stray.push(formatIPv4(b + prng.int(16)));
  }
  world.assign('eni-0e0b0011', { secondaryIps: stray });
  world.assign('eni-0e0b0011', { secondaryCount: 25 });
  return { name: 'fragmented', subnetId: 'subnet-0a0b0002', spec: freeze(world, spec), nodes };
}

/** A /24 with a prefix reservation, an explicit one and a prefix reservation too small to hold a block. */
export function reservedWorld(): PlanningWorld {
  const spec = base('10.40.8.0/24', 'subnet-0a0b0003', [
    { id: 'scr-0a0b00000000000a1', cidr: '10.40.8.128/26', type: 'prefix', description: 'Windows pod prefixes' },
    { id: 'scr-0a0b00000000000a2', cidr: '10.40.8.96/28', type: 'explicit', description: 'appliances' },
    { id: 'scr-0a0b00000000000a3', cidr: '10.40.8.232/29', type: 'prefix', description: 'too small for a /28' },
  ]);
  const nodes = [
    addNode(spec, { name: 'win-res-a', type: 'c5.4xlarge', podsOnPrefixes: 30, podsOnSecondaryIps: 0, waitingPods: 0, advertised: 224 }, 21, '10.40.8.10'),
    addNode(spec, { name: 'win-res-b', type: 'm5.large', podsOnPrefixes: 2, podsOnSecondaryIps: 0, waitingPods: 0, advertised: 144, managedByWinprefix: true }, 22, '10.40.8.11'),
  ];
  addTenant(spec, 'eni-0e0b0021', '10.40.8.20');
  addTenant(spec, probeOf(spec), '10.40.8.7');
  const world = new World(spec);
  world.assign(eniOf(instanceId(21)), { prefixCount: 2 });
  world.assign(eniOf(instanceId(22)), { prefixCount: 1 });
  world.assign('eni-0e0b0021', { secondaryCount: 20 });
  world.assign('eni-0e0b0021', { secondaryIps: ['10.40.8.100'] });
  return { name: 'reserved', subnetId: 'subnet-0a0b0003', spec: freeze(world, spec), nodes };
}

/** A /23 used up but for two whole blocks and a few scattered addresses. */
export function nearlyFullWorld(): PlanningWorld {
  const spec = base('10.40.10.0/23', 'subnet-0a0b0004');
  const nodes = [
    addNode(spec, { name: 'win-full-a', type: 'm5.large', podsOnPrefixes: 30, podsOnSecondaryIps: 0, waitingPods: 0, advertised: 144 }, 31, '10.40.10.10'),
    addNode(spec, { name: 'win-full-b', type: 'm5.xlarge', podsOnPrefixes: 12, podsOnSecondaryIps: 0, waitingPods: 0, advertised: 224 }, 32, '10.40.10.11'),
  ];
  addTenant(spec, 'eni-0e0b0031', '10.40.10.6');
  addTenant(spec, probeOf(spec), '10.40.10.7');
  const world = new World(spec);
  world.assign(eniOf(instanceId(31)), { prefixCount: 2 });
  world.assign(eniOf(instanceId(32)), { prefixCount: 1 });
  // Keep 10.40.11.64/28 and 10.40.11.160/28 whole, and one address in every fifth other block free.
  const keep = new Set([parseIPv4('10.40.11.64'), parseIPv4('10.40.11.160')]);
  const prng: Prng = createPrng(9);
  const free = new Set(world.ownerships().flatMap((o) => (o.kind === 'prefix' ? [...Array(16).keys()].map((i) => parseCidr(o.value).base + i) : [parseIPv4(o.value)])));
  const subnet = parseCidr('10.40.10.0/23');
  const fill: string[] = [];
  for (let ip = subnet.base + 4; ip <= subnet.base + sizeOf(subnet) - 2; ip++) {
    const block = ip - (ip % 16);
    if (keep.has(block) || free.has(ip)) continue;
    if ((block / 16) % 5 === 0 && ip % 16 === 3 + prng.int(2)) continue;
    fill.push(formatIPv4(ip));
  }
  world.assign('eni-0e0b0031', { secondaryIps: fill });
  return { name: 'nearly-full', subnetId: 'subnet-0a0b0004', spec: freeze(world, spec), nodes };
}

export const WORLDS: ReadonlyArray<() => PlanningWorld> = [healthyWorld, fragmentedWorld, reservedWorld, nearlyFullWorld];

/** Kubernetes objects for a world's nodes and pods, as the AWS controller (or winprefix) leaves them. */
export function kubeObjects(w: PlanningWorld, world = new World(w.spec)): Array<{ plan: NodePlan; node: KubeNode; pods: KubePod[] }> {
  return w.nodes.map((plan) => {
    const eni = world.instance(plan.instanceId).interfaces[0]!;
    const prefixAddresses = eni.prefixes.flatMap((p) => [...Array(16).keys()].map((i) => formatIPv4(parseCidr(p).base + i)));
    const mask = parseCidr(world.subnet(w.subnetId).cidr).prefixLength;
    const pods: KubePod[] = [];
    const pod = (name: string, annotation: string | null): KubePod => ({
      metadata: { name, namespace: 'apps', uid: `uid-${plan.name}-${name}`, labels: { app: plan.name }, creationTimestamp: '2026-11-20T10:00:00Z', ...(annotation ? { annotations: { [RESOURCE_NAME]: annotation } } : {}) },
      spec: { nodeName: plan.name, nodeSelector: { 'kubernetes.io/os': 'windows' }, containers: [{ name: 'c', resources: { requests: { [RESOURCE_NAME]: '1' }, limits: { [RESOURCE_NAME]: '1' } } }] },
      status: { phase: annotation ? 'Running' : 'Pending' },
    });
    for (let i = 0; i < plan.podsOnPrefixes; i++) pods.push(pod(`${plan.name}-p${i}`, `${prefixAddresses[i]!}/32`));
    for (let i = 0; i < plan.podsOnSecondaryIps; i++) pods.push(pod(`${plan.name}-s${i}`, `${eni.secondaryIps[i]!}/${mask}`));
    for (let i = 0; i < plan.waitingPods; i++) pods.push(pod(`${plan.name}-w${i}`, null));
    const node: KubeNode = {
      metadata: {
        name: plan.name,
        labels: { 'kubernetes.io/os': 'windows', 'node.kubernetes.io/instance-type': plan.type, 'topology.kubernetes.io/zone': ZONE },
        ...(plan.managedByWinprefix
          ? { annotations: { [NODE_STATUS_ANNOTATION]: JSON.stringify({ v: 1, at: '2026-11-22T11:59:00Z', mode: eni.prefixes.length > 0 ? 'prefix' : 'secondary', reason: 'managed by winprefix' }) } }
          : {}),
      },
      spec: { providerID: `aws:///${ZONE}/${plan.instanceId}` },
      status: { capacity: { [RESOURCE_NAME]: String(plan.advertised), pods: '110' }, allocatable: { [RESOURCE_NAME]: String(plan.advertised), pods: '110' } },
    };
    return { plan, node, pods };
  });
}

/** What plugin/cluster/planning-reads.ts reads of this world. */
export function windowsNodes(w: PlanningWorld, world = new World(w.spec)): PlanningNode[] {
  return kubeObjects(w, world).map(({ plan, node, pods }) => {
    const view = world.instance(plan.instanceId).interfaces[0]!;
    return {
      name: plan.name,
      node,
      instanceId: plan.instanceId,
      instanceType: plan.type,
      zone: ZONE,
      pods,
      eni: { ...view, deviceIndex: 0 },
      limits: bundledInstanceLimits(plan.type) ?? null,
      unread: null,
    };
  });
}

export interface BruteCount {
  /** Prefixes the simulator hands the probe before InsufficientCidrBlocks. */
  prefixesEc2Gives: number;
  /** Secondary addresses it hands the probe before InsufficientFreeAddressesInSubnet. */
  secondariesEc2Gives: number;
  inUse: number;
  inUseByNodes: number;
  free: number;
  stranded: number;
  nextToAwsReserved: number;
  inExplicitReservations: number;
  fragmentedBlocks: number;
  reservations: Array<{ cidr: string; inUse: number; free: number; prefixesInside: number }>;
  /** The largest aligned range free of addresses in use and of reservations, lowest first. */
  largestFreeRange: string | null;
  unusedInNodePrefixes: number;
  freeSlotsOnNodes: number;
}

function until(step: () => void): number {
  let n = 0;
  for (;;) {
    try {
      step();
      n++;
    } catch (err) {
      if (err instanceof SimError) return n;
      throw err;
    }
  }
}

export function bruteForce(w: PlanningWorld): BruteCount {
  return { ...countByHand(w), prefixesEc2Gives: prefixesEc2Gives(w), secondariesEc2Gives: countSecondaries(w) };
}

function prefixesEc2Gives(w: PlanningWorld): number {
  const world = new World(w.spec);
  return until(() => void world.assign(probeOf(w), { prefixCount: 1 }));
}

function countSecondaries(w: PlanningWorld): number {
  const world = new World(w.spec);
  return until(() => void world.assign(probeOf(w), { secondaryCount: 1 }));
}

function countByHand(w: PlanningWorld): Omit<BruteCount, 'prefixesEc2Gives' | 'secondariesEc2Gives'> {
  const world = new World(w.spec);
  const subnet = parseCidr(world.subnet(w.subnetId).cidr);
  const size = sizeOf(subnet);
  const first = subnet.base + 4;
  const last = subnet.base + size - 2;
  const nodeEnis = new Set(w.nodes.map((n) => eniOf(n.instanceId)));
  const used = new Set<number>();
  let inUseByNodes = 0;
  for (const o of world.ownerships()) {
    if (o.subnetId !== w.subnetId) continue;
    const addresses = o.kind === 'prefix' ? [...Array(16).keys()].map((i) => parseCidr(o.value).base + i) : [parseIPv4(o.value)];
    for (const ip of addresses) used.add(ip);
    if (nodeEnis.has(o.networkInterfaceId)) inUseByNodes += addresses.length;
  }
  const reservations = world.reservations(w.subnetId).map((r) => ({ ...r, block: parseCidr(r.cidr) }));
  const inRes = (ip: number) => reservations.find((r) => ip >= r.block.base && ip < r.block.base + sizeOf(r.block));
  const isFree = (ip: number) => ip >= first && ip <= last && !used.has(ip);
  let stranded = 0;
  let edge = 0;
  let explicit = 0;
  let fragmented = 0;
  for (let b = subnet.base; b < subnet.base + size; b += 16) {
    const cells = [...Array(16).keys()].map((i) => b + i);
    const whollyFree = cells.every(isFree);
    const res = cells.map(inRes);
    const prefixable = whollyFree && !res.some((r) => r?.type === 'explicit') && (res.every((r) => r?.type === 'prefix') || res.every((r) => r === undefined));
    if (prefixable) continue;
    const isEdge = b < first || b + 15 > last;
    let freeHere = 0;
    for (const ip of cells) {
      if (!isFree(ip)) continue;
      freeHere++;
      if (inRes(ip)?.type === 'explicit') explicit++;
      else if (isEdge) edge++;
      else stranded++;
    }
    const heldAsPrefix = world.ownerships().some((o) => o.kind === 'prefix' && parseCidr(o.value).base === b);
    if (!isEdge && !heldAsPrefix && freeHere > 0) fragmented++;
  }
  let largest: string | null = null;
  for (let length = subnet.prefixLength; length <= 28 && !largest; length++) {
    const step = 2 ** (32 - length);
    for (let b = subnet.base; b < subnet.base + size && !largest; b += step) {
      let ok = true;
      for (let ip = b; ip < b + step && ok; ip++) ok = isFree(ip) && !inRes(ip);
      if (ok) largest = formatCidr({ base: b, prefixLength: length });
    }
  }
  const pods = kubeObjects(w, world);
  let unused = 0;
  let freeSlots = 0;
  for (const { plan } of pods) {
    const eni = world.instance(plan.instanceId).interfaces[0]!;
    unused += 16 * eni.prefixes.length - plan.podsOnPrefixes;
    freeSlots += world.instanceLimits(plan.type)!.ipv4PerInterface - 1 - eni.prefixes.length - eni.secondaryIps.length;
  }
  return {
    inUse: used.size,
    inUseByNodes,
    free: last - first + 1 - used.size,
    stranded,
    nextToAwsReserved: edge,
    inExplicitReservations: explicit,
    fragmentedBlocks: fragmented,
    reservations: reservations.map((r) => {
      let inUse = 0;
      let free = 0;
      for (let ip = r.block.base; ip < r.block.base + sizeOf(r.block); ip++) {
        if (used.has(ip)) inUse++;
        else if (ip >= first && ip <= last) free++;
      }
      const prefixesInside = world.ownerships().filter((o) => o.kind === 'prefix' && parseCidr(o.value).base >= r.block.base && parseCidr(o.value).base < r.block.base + sizeOf(r.block)).length;
      return { cidr: r.cidr, inUse, free, prefixesInside };
    }),
    largestFreeRange: largest,
    unusedInNodePrefixes: unused,
    freeSlotsOnNodes: freeSlots,
  };
}
