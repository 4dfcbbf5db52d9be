/**
 * @module
 * World files (JSON or YAML, documented in docs/ec2-simulator.md) -> a validated {@link WorldSpec}.
 * Every error names the field path and the bad value, e.g. `instances[2].privateIp: "10.0.1" is not ...`.
 * Semantic checks that need the whole world (CIDR containment, addresses in use) happen in `World`.
 */
import { readFile } from 'node:fs/promises';
import { load } from 'js-yaml';
import { parseCidr, parseIPv4 } from '../core/net/ipv4.ts';
import { ID_PATTERNS } from './ids.ts';
import { WorldError } from './sim-error.ts';
import type { CidrReservationSpec, InstanceSpec, InstanceTypeSpec, NetworkInterfaceSpec, SubnetSpec, VpcSpec, WorldSpec } from './world-spec.ts';

type Obj = Record<string, unknown>;

function fail(path: string, value: unknown, what: string): never {
  throw new WorldError(`${path}: ${JSON.stringify(value)} ${what}`);
}

/** Without `known`, any keys are accepted (maps such as instanceTypes, keyed by name). */
function object(path: string, value: unknown, known?: readonly string[]): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, value, 'must be an object');
  for (const key of Object.keys(value)) {
    if (known && !known.includes(key)) throw new WorldError(`${path}.${key}: unknown field; known fields here: ${known.join(', ')}`);
  }
  return value as Obj;
}

function list(path: string, value: unknown, { optional }: { optional: boolean }): unknown[] {
  if (value === undefined && optional) return [];
  if (!Array.isArray(value)) fail(path, value, 'must be a list');
  return value;
}

function string(path: string, value: unknown, pattern?: RegExp, example?: string): string {
  if (typeof value !== 'string' || value === '') fail(path, value, 'must be a non-empty string');
  if (pattern && !pattern.test(value)) fail(path, value, `is malformed; expected something like ${example}`);
  return value;
}

function optionalString(path: string, value: unknown): string | undefined {
  return value === undefined ? undefined : string(path, value);
}

function oneOf<T extends string>(path: string, value: unknown, choices: readonly T[]): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) fail(path, value, `must be one of ${choices.join(', ')}`);
  return value as T;
}

function integer(path: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) fail(path, value, `must be an integer >= ${min}`);
  return value;
}

function address(path: string, value: unknown): string {
  const text = string(path, value);
  try {
    parseIPv4(text);
  } catch (err) {
    throw new WorldError(`${path}: ${(err as Error).message}`);
  }
  return text;
}

function cidr(path: string, value: unknown): string {
  const text = string(path, value);
  try {
    parseCidr(text, { strict: true });
  } catch (err) {
    throw new WorldError(`${path}: ${(err as Error).message}`);
  }
  return text;
}

const ZONE = /^[a-z]{2}(-[a-z]+)+-\d[a-z]$/;

/** One instance entry; also what POST /_admin/instances takes. */
export function validateInstanceSpec(v: unknown, p = 'instance'): InstanceSpec {
  const o = object(p, v, ['id', 'type', 'subnetId', 'privateIp', 'networkInterfaceId', 'platform', 'state', 'secondaryIps', 'prefixes']);
  return {
    id: string(`${p}.id`, o.id, ID_PATTERNS.instance, 'i-0123456789abcdef0'),
    type: string(`${p}.type`, o.type, /^[a-z0-9-]+\.[a-z0-9-]+$/, 'm5.large'),
    subnetId: string(`${p}.subnetId`, o.subnetId, ID_PATTERNS.subnet, 'subnet-0a1b2c3d'),
    privateIp: address(`${p}.privateIp`, o.privateIp),
    networkInterfaceId: o.networkInterfaceId === undefined ? undefined : string(`${p}.networkInterfaceId`, o.networkInterfaceId, ID_PATTERNS.networkInterface, 'eni-0a1b2c3d'),
    platform: o.platform === undefined ? undefined : oneOf(`${p}.platform`, o.platform, ['windows', 'linux'] as const),
    state: o.state === undefined ? undefined : oneOf(`${p}.state`, o.state, ['pending', 'running', 'stopping', 'stopped'] as const),
    secondaryIps: list(`${p}.secondaryIps`, o.secondaryIps, { optional: true }).map((a, j) => address(`${p}.secondaryIps[${j}]`, a)),
    prefixes: list(`${p}.prefixes`, o.prefixes, { optional: true }).map((c, j) => cidr(`${p}.prefixes[${j}]`, c)),
  };
}

export function validateWorldSpec(input: unknown): WorldSpec {
  const root = object('world', input, ['region', 'seed', 'vpcs', 'subnets', 'instanceTypes', 'instances', 'networkInterfaces']);
  const spec: WorldSpec = {
    vpcs: list('vpcs', root.vpcs, { optional: false }).map((v, i): VpcSpec => {
      const p = `vpcs[${i}]`;
      const o = object(p, v, ['id', 'cidr']);
      return { id: string(`${p}.id`, o.id, ID_PATTERNS.vpc, 'vpc-0a1b2c3d'), cidr: cidr(`${p}.cidr`, o.cidr) };
    }),
    subnets: list('subnets', root.subnets, { optional: false }).map((v, i): SubnetSpec => {
      const p = `subnets[${i}]`;
      const o = object(p, v, ['id', 'vpcId', 'cidr', 'availabilityZone', 'reservations']);
      return {
        id: string(`${p}.id`, o.id, ID_PATTERNS.subnet, 'subnet-0a1b2c3d'),
        vpcId: string(`${p}.vpcId`, o.vpcId, ID_PATTERNS.vpc, 'vpc-0a1b2c3d'),
        cidr: cidr(`${p}.cidr`, o.cidr),
        availabilityZone: string(`${p}.availabilityZone`, o.availabilityZone, ZONE, 'us-west-2a'),
        reservations: list(`${p}.reservations`, o.reservations, { optional: true }).map((r, j): CidrReservationSpec => {
          const rp = `${p}.reservations[${j}]`;
          const ro = object(rp, r, ['id', 'cidr', 'type', 'description']);
          return {
            id: ro.id === undefined ? undefined : string(`${rp}.id`, ro.id, /^scr-[0-9a-f]{8,17}$/, 'scr-0a1b2c3d4e5f67890'),
            cidr: cidr(`${rp}.cidr`, ro.cidr),
            type: oneOf(`${rp}.type`, ro.type, ['prefix', 'explicit'] as const),
            description: optionalString(`${rp}.description`, ro.description),
          };
        }),
      };
    }),
    instances: list('instances', root.instances, { optional: false }).map((v, i) => validateInstanceSpec(v, `instances[${i}]`)),
  };
  if (root.region !== undefined) spec.region = string('region', root.region, /^[a-z]{2}(-[a-z]+)+-\d$/, 'us-west-2');
  if (root.seed !== undefined) spec.seed = integer('seed', root.seed, 0);
  if (root.instanceTypes !== undefined) {
    const types = object('instanceTypes', root.instanceTypes);
    spec.instanceTypes = {};
    for (const [name, v] of Object.entries(types)) {
      const p = `instanceTypes.${name}`;
      string(p, name, /^[a-z0-9-]+\.[a-z0-9-]+$/, 'x9.large');
      const o = object(p, v, ['ipv4PerInterface', 'interfaces', 'hypervisor', 'bareMetal']);
      const t: InstanceTypeSpec = {
        ipv4PerInterface: integer(`${p}.ipv4PerInterface`, o.ipv4PerInterface, 1),
        interfaces: integer(`${p}.interfaces`, o.interfaces, 1),
        hypervisor: oneOf(`${p}.hypervisor`, o.hypervisor ?? '', ['nitro', 'xen', ''] as const),
      };
      if (o.bareMetal !== undefined) {
        if (typeof o.bareMetal !== 'boolean') fail(`${p}.bareMetal`, o.bareMetal, 'must be true or false');
        t.bareMetal = o.bareMetal;
      }
      spec.instanceTypes[name] = t;
    }
  }
  if (root.networkInterfaces !== undefined) {
    spec.networkInterfaces = list('networkInterfaces', root.networkInterfaces, { optional: false }).map((v, i): NetworkInterfaceSpec => {
      const p = `networkInterfaces[${i}]`;
      const o = object(p, v, ['id', 'subnetId', 'privateIp', 'secondaryIps', 'prefixes', 'description', 'maxAddresses']);
      return {
        id: string(`${p}.id`, o.id, ID_PATTERNS.networkInterface, 'eni-0a1b2c3d'),
        subnetId: string(`${p}.subnetId`, o.subnetId, ID_PATTERNS.subnet, 'subnet-0a1b2c3d'),
        privateIp: address(`${p}.privateIp`, o.privateIp),
        secondaryIps: list(`${p}.secondaryIps`, o.secondaryIps, { optional: true }).map((a, j) => address(`${p}.secondaryIps[${j}]`, a)),
        prefixes: list(`${p}.prefixes`, o.prefixes, { optional: true }).map((c, j) => cidr(`${p}.prefixes[${j}]`, c)),
        description: optionalString(`${p}.description`, o.description),
        maxAddresses: o.maxAddresses === undefined ? undefined : integer(`${p}.maxAddresses`, o.maxAddresses, 1),
      };
    });
  }
  return spec;
}

/** Parses JSON or YAML text (YAML is a superset, but JSON gets JSON's clearer errors). */
export function parseWorldText(text: string, source = 'world file'): WorldSpec {
  let data: unknown;
  try {
    data = text.trimStart().startsWith('{') ? JSON.parse(text) : load(text);
  } catch (err) {
    throw new WorldError(`${source} is neither valid JSON nor valid YAML: ${(err as Error).message}`);
  }
  try {
    return validateWorldSpec(data);
  } catch (err) {
    if (err instanceof WorldError) throw new WorldError(`${source}: ${err.message}`);
    throw err;
  }
}

export async function loadWorldFile(path: string): Promise<WorldSpec> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new WorldError(`cannot read world file ${path}: ${(err as Error).message}`);
  }
  return parseWorldText(text, path);
}
