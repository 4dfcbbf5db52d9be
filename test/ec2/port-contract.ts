/**
 * @module
 * The EC2 behaviour the controller and the plugin rely on, as one suite that every implementation of the
 * EC2 port must pass (port-contract.test.ts runs it): the SDK adapter against the simulator over HTTP, and
 * the simulator's World in-process. A second, smaller suite holds everything that carries out the pool's
 * requests (the controller's performEc2Request over a port, the in-process WorldEni) to the same answers.
 *
 * What a subject cannot show is skipped with the reason (an in-process EC2 is consistent at once, so it
 * has no visibility lag to wait out; only the SDK adapter makes calls that can be counted).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Ec2AssignmentNotVisibleError, Ec2Error, type Ec2ErrorKind } from '../../pkg/core/ec2/errors.ts';
import { INSTANCES_PER_DESCRIBE, type Ec2Port } from '../../pkg/core/ec2/port.ts';
import type { Ec2Request, Ec2Result } from '../../pkg/core/ipam/types.ts';
import { cidrContains, parseCidr, parseIPv4 } from '../../pkg/core/net/ipv4.ts';
import type { WorldSpec } from '../../pkg/ec2sim/world-spec.ts';

/** An EC2 port built on a world, and what else the subject can do. */
export interface RunningPort {
  port: Ec2Port;
  close(): Promise<void>;
  /** EC2 API calls made so far, by action; undefined when the subject makes none (in-process). */
  calls?(action: string): number;
  /** From now on EC2 shows new assignments only after this long (eventual consistency); undefined: it cannot lag. */
  lagVisibility?(ms: number): void;
}

export interface PortSubject {
  name: string;
  start(world: WorldSpec): Promise<RunningPort>;
  /** Why this subject never lags behind its own assignments, if it does not (its lag test is skipped with this). */
  neverLags?: string;
}

/** Something that carries out the pool's requests on one ENI of 9 slots (an m5.large's primary ENI). */
export interface RequestSubject {
  name: string;
  start(): Promise<{ perform(request: Ec2Request): Promise<Ec2Result>; close(): Promise<void> }>;
}

export const VPC = 'vpc-0c000001';
export const SUBNET = 'subnet-0c000001';
/** A small subnet where every /28 holds a stray address: no prefix fits, secondary IPs do. */
export const FRAGMENTED = 'subnet-0c000002';
export const BARE = 'subnet-0c000003';
export const INSTANCE = 'i-0c000000000000001';
export const ENI = 'eni-0c000000000000001';
export const FRAGMENTED_INSTANCE = 'i-0f0000000000000f1';
export const FRAGMENTED_ENI = 'eni-0f0000000000000f1';
const CUSTOM_TYPE = 'z9.contract';
/** More instances than one describe takes, more ENIs than one page holds. */
const MANY_INSTANCES = 2 * INSTANCES_PER_DESCRIBE + 50;
const OTHER_ENIS = 1_200;

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
const instanceId = (k: number) => `i-0c${hex(k + 1, 15)}`;
/** Well-formed ids that name nothing. */
const NO_INSTANCE = 'i-0d0000000000dead0';
const NO_ENI = 'eni-0d0000000000dead0';
const NO_SUBNET = 'subnet-0dead000';
const LOOSE_ENI = 'eni-0f000000000000f0f';

/** One subnet with many instances and other ENIs (for the reads), a fragmented one, and one with nothing in it. */
export function contractWorld(o: { crowded: boolean }): WorldSpec {
  const instances = o.crowded ? MANY_INSTANCES : 1;
  return {
    vpcs: [{ id: VPC, cidr: '10.0.0.0/16' }],
    subnets: [
      {
        id: SUBNET,
        vpcId: VPC,
        cidr: '10.0.0.0/20',
        availabilityZone: 'us-west-2a',
        reservations: [{ cidr: '10.0.8.0/24', type: 'prefix', description: 'pods' }, { cidr: '10.0.9.0/28', type: 'explicit' }],
      },
      { id: FRAGMENTED, vpcId: VPC, cidr: '10.0.16.0/25', availabilityZone: 'us-west-2b' },
      { id: BARE, vpcId: VPC, cidr: '10.0.32.0/24', availabilityZone: 'us-west-2c' },
    ],
    instanceTypes: { [CUSTOM_TYPE]: { ipv4PerInterface: 4, interfaces: 2, hypervisor: 'nitro' } },
    instances: [
      ...Array.from({ length: instances }, (_, k) => ({ id: instanceId(k), type: 'm5.large', subnetId: SUBNET, privateIp: `10.0.${1 + Math.floor(k / 200)}.${10 + (k % 200)}` })),
      { id: FRAGMENTED_INSTANCE, type: 'm5.large', subnetId: FRAGMENTED, privateIp: '10.0.16.10' },
      { id: 'i-0f0000000000000c1', type: CUSTOM_TYPE, subnetId: BARE, privateIp: '10.0.32.10' },
    ],
    networkInterfaces: [
      // A stray address in every inner /28 of the fragmented subnet (the first and last hold reserved ones).
      { id: LOOSE_ENI, subnetId: FRAGMENTED, privateIp: '10.0.16.20', secondaryIps: ['10.0.16.40', '10.0.16.50', '10.0.16.70', '10.0.16.90', '10.0.16.100'] },
      ...(o.crowded
        ? Array.from({ length: OTHER_ENIS }, (_, k) => ({ id: `eni-0e${hex(k, 15)}`, subnetId: SUBNET, privateIp: `10.0.${4 + Math.floor(k / 250)}.${4 + (k % 250)}` }))
        : []),
    ],
  };
}

async function kindOf(p: Promise<unknown>): Promise<Ec2ErrorKind> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof Ec2Error, `expected an Ec2Error, got ${String(err)}`);
    return err.kind;
  }
  assert.fail('expected the call to fail');
}

const inSubnet = (cidr: string, address: string) => cidrContains(parseCidr(cidr), parseIPv4(address.split('/')[0]!));

/** Runs the EC2 port contract against `subject`. */
export function ec2PortContract(subject: PortSubject): void {
  describe(`EC2 port contract, ${subject.name}: reads`, () => {
    let ec2: RunningPort;
    before(async () => {
      ec2 = await subject.start(contractWorld({ crowded: true }));
    });
    after(() => ec2.close());

    test('describeInstance: type, placement, and the primary ENI is the one carrying the instance address', async () => {
      const i = await ec2.port.describeInstance(INSTANCE);
      assert.deepEqual(
        [i.instanceId, i.instanceType, i.subnetId, i.vpcId, i.availabilityZone, i.privateIp, i.state],
        [INSTANCE, 'm5.large', SUBNET, VPC, 'us-west-2a', '10.0.1.10', 'running'],
      );
      assert.deepEqual(i.primaryInterface, {
        networkInterfaceId: ENI, subnetId: SUBNET, vpcId: VPC, availabilityZone: 'us-west-2a', deviceIndex: 0, instanceId: INSTANCE,
        status: 'in-use', primaryPrivateIp: '10.0.1.10', secondaryIps: [], prefixes: [],
      });
      assert.deepEqual(i.interfaces, [i.primaryInterface]);
    });

    test('describeInterface and describeInstanceInterfaces agree; an ENI attached to nothing has no instance or device index', async () => {
      assert.deepEqual(await ec2.port.describeInstanceInterfaces(INSTANCE), [await ec2.port.describeInterface(ENI)]);
      const loose = await ec2.port.describeInterface(LOOSE_ENI);
      assert.deepEqual([loose.instanceId, loose.deviceIndex, loose.status, loose.secondaryIps.length], [undefined, undefined, 'available', 5]);
      assert.deepEqual(await ec2.port.describeInstanceInterfaces(NO_INSTANCE), []);
    });

    test(`describePrimaryInterfaces: the primary ENI of each instance asked for, across more than ${INSTANCES_PER_DESCRIBE} at a time`, async () => {
      const ids = Array.from({ length: MANY_INSTANCES }, (_, k) => instanceId(k));
      const before = ec2.calls?.('DescribeNetworkInterfaces');
      const got = await ec2.port.describePrimaryInterfaces([...ids, NO_INSTANCE]);
      assert.deepEqual(got.map((e) => e.instanceId).sort(), [...ids].sort(), 'one per instance, unknown ids simply absent');
      assert.ok(got.every((e) => e.deviceIndex === 0 && e.primaryPrivateIp !== ''));
      if (before !== undefined) assert.equal(ec2.calls!('DescribeNetworkInterfaces') - before, Math.ceil((ids.length + 1) / INSTANCES_PER_DESCRIBE), 'one call per batch of instance ids');
      assert.deepEqual(await ec2.port.describePrimaryInterfaces([]), []);
    });

    test('describeSubnetInterfaces: every ENI of the subnet, across pages', async () => {
      const before = ec2.calls?.('DescribeNetworkInterfaces');
      const all = await ec2.port.describeSubnetInterfaces(SUBNET);
      const ids = all.map((e) => e.networkInterfaceId);
      assert.equal(ids.length, MANY_INSTANCES + OTHER_ENIS);
      assert.equal(new Set(ids).size, ids.length, 'no ENI twice');
      assert.ok(all.every((e) => e.subnetId === SUBNET));
      if (before !== undefined) assert.ok(ec2.calls!('DescribeNetworkInterfaces') - before >= 2, 'more than one page');
      assert.deepEqual(await ec2.port.describeSubnetInterfaces(NO_SUBNET), []);
    });

    test('describeSubnet and subnetCidrReservations', async () => {
      const s = await ec2.port.describeSubnet(SUBNET);
      // 4096 - 5 reserved, less every primary address.
      assert.deepEqual(s, { subnetId: SUBNET, vpcId: VPC, cidr: '10.0.0.0/20', availabilityZone: 'us-west-2a', availableIpAddressCount: 4096 - 5 - MANY_INSTANCES - OTHER_ENIS });
      const r = await ec2.port.subnetCidrReservations(SUBNET);
      assert.deepEqual(r.map((x) => [x.subnetId, x.cidr, x.type]), [[SUBNET, '10.0.8.0/24', 'prefix'], [SUBNET, '10.0.9.0/28', 'explicit']]);
      assert.ok(r.every((x) => /^scr-[0-9a-f]{17}$/.test(x.reservationId)));
      assert.deepEqual(await ec2.port.subnetCidrReservations(BARE), []);
    });

    test('what does not exist is kind not-found', async () => {
      assert.equal(await kindOf(ec2.port.describeInstance(NO_INSTANCE)), 'not-found');
      assert.equal(await kindOf(ec2.port.describeInterface(NO_ENI)), 'not-found');
      assert.equal(await kindOf(ec2.port.describeSubnet(NO_SUBNET)), 'not-found');
      assert.equal(await kindOf(ec2.port.subnetCidrReservations(NO_SUBNET)), 'not-found');
      assert.equal(await kindOf(ec2.port.instanceLimits('z9.nonexistent')), 'not-found');
    });

    test('instanceLimits: the bundled table, and types EC2 knows beyond it', async () => {
      const m5 = await ec2.port.instanceLimits('m5.large');
      assert.deepEqual([m5.ipv4PerInterface, m5.interfaces, m5.hypervisor], [10, 3, 'nitro']);
      const custom = await ec2.port.instanceLimits(CUSTOM_TYPE);
      assert.deepEqual([custom.instanceType, custom.ipv4PerInterface, custom.interfaces, custom.hypervisor, custom.isBareMetal], [CUSTOM_TYPE, 4, 2, 'nitro', false]);
    });
  });

  describe(`EC2 port contract, ${subject.name}: assign and unassign`, () => {
    let ec2: RunningPort;
    const eni = () => ec2.port.describeInterface(ENI);
    const free = async () => (await ec2.port.describeSubnet(SUBNET)).availableIpAddressCount;
    // A fresh world per test: each one starts from an empty ENI of 9 slots (an m5.large).
    const fresh = async () => {
      await ec2?.close();
      ec2 = await subject.start(contractWorld({ crowded: false }));
    };
    after(() => ec2?.close());

    test('assignPrefixes: aligned /28s of the subnet, from its prefix reservation first, visible at once, 16 addresses each', async () => {
      await fresh();
      const before = await free();
      const got = await ec2.port.assignPrefixes(ENI, 2);
      assert.equal(got.length, 2);
      for (const p of got) {
        assert.match(p, /\/28$/);
        assert.equal(parseIPv4(p.split('/')[0]!) % 16, 0, `${p} is aligned`);
        assert.ok(inSubnet('10.0.8.0/24', p), `${p} comes from the prefix reservation`);
      }
      assert.deepEqual((await eni()).prefixes.sort(), [...got].sort());
      assert.equal(await free(), before - 32);
    });

    test('assignSecondaryIps: distinct addresses of the subnet, never the primary, visible at once', async () => {
      await fresh();
      const before = await free();
      const got = await ec2.port.assignSecondaryIps(ENI, 3);
      assert.equal(new Set(got).size, 3);
      for (const ip of got) {
        assert.ok(inSubnet('10.0.0.0/20', ip) && ip !== '10.0.1.10', ip);
        assert.ok(!inSubnet('10.0.9.0/28', ip), `${ip} is not from the explicit reservation`);
      }
      assert.deepEqual((await eni()).secondaryIps.sort(), [...got].sort());
      assert.equal(await free(), before - 3);
      assert.equal(await kindOf(ec2.port.assignSecondaryIps(ENI, 0)), 'other', 'a count below 1 is refused before anything is asked');
    });

    test('prefixes and secondary IPs share the slots; over the limit is address-limit-exceeded and assigns nothing', async () => {
      await fresh();
      await ec2.port.assignPrefixes(ENI, 5);
      await ec2.port.assignSecondaryIps(ENI, 4);
      const full = await eni();
      assert.equal(await kindOf(ec2.port.assignPrefixes(ENI, 1)), 'address-limit-exceeded');
      assert.equal(await kindOf(ec2.port.assignSecondaryIps(ENI, 1)), 'address-limit-exceeded');
      assert.deepEqual(await eni(), full, 'all or nothing');
    });

    test('a subnet without a free aligned /28 is insufficient-cidr-blocks for prefixes, while secondary IPs still fit', async () => {
      await fresh();
      assert.equal(await kindOf(ec2.port.assignPrefixes(FRAGMENTED_ENI, 1)), 'insufficient-cidr-blocks');
      assert.equal((await ec2.port.assignSecondaryIps(FRAGMENTED_ENI, 2)).length, 2);
    });

    test('unassign gives addresses back; an address the ENI does not hold is refused (kind other) and nothing is removed', async () => {
      await fresh();
      const prefixes = await ec2.port.assignPrefixes(ENI, 2);
      const ips = await ec2.port.assignSecondaryIps(ENI, 2);
      assert.equal(await kindOf(ec2.port.unassignPrefixes(ENI, [prefixes[0]!, '10.0.8.240/28'])), 'other');
      assert.equal(await kindOf(ec2.port.unassignSecondaryIps(ENI, [ips[0]!, '10.0.3.3'])), 'other');
      assert.deepEqual([(await eni()).prefixes.length, (await eni()).secondaryIps.length], [2, 2], 'all or nothing');
      await ec2.port.unassignPrefixes(ENI, prefixes);
      // Annotation-style "ip/mask" values are taken as the bare address.
      await ec2.port.unassignSecondaryIps(ENI, [`${ips[0]}/20`, ips[1]!]);
      assert.deepEqual([(await eni()).prefixes, (await eni()).secondaryIps], [[], []]);
      await ec2.port.unassignPrefixes(ENI, []);
      await ec2.port.unassignSecondaryIps(ENI, []);
      assert.equal(await kindOf(ec2.port.unassignPrefixes(NO_ENI, ['10.0.8.0/28'])), 'not-found');
    });

    test('an assign EC2 took but does not show within the bounded wait fails with what is missing; nothing unseen is reported as added', { skip: subject.neverLags ?? false }, async () => {
      await fresh();
      ec2.lagVisibility!(60_000);
      const err = await ec2.port.assignPrefixes(ENI, 2).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof Ec2AssignmentNotVisibleError, `got ${String(err)}`);
      assert.deepEqual([err.kind, err.visible, err.missing.length], ['other', [], 2]);
      assert.ok(err.missing.every((p) => inSubnet('10.0.8.0/24', p)));
    });
  });
}

/** Runs the pool-request contract against `subject`: the same requests get the same kinds of answers. */
export function poolRequestContract(subject: RequestSubject): void {
  describe(`pool requests, ${subject.name}`, () => {
    test('assign, re-read, over the limit, unassign of an unknown and of a held address', async () => {
      const eni = await subject.start();
      try {
        const grown = await eni.perform({ id: 1, kind: 'assign-prefixes', count: 2 });
        assert.ok(grown.outcome.ok && 'added' in grown.outcome && grown.outcome.added.length === 2, JSON.stringify(grown.outcome));
        const added = (grown.outcome as { added: string[] }).added;
        const ips = await eni.perform({ id: 2, kind: 'assign-secondary-ips', count: 3 });
        const ipsAdded = (ips.outcome as { added: string[] }).added;
        assert.equal(ipsAdded.length, 3);

        const read = await eni.perform({ id: 3, kind: 'resync', trigger: 'ec2-error' });
        assert.ok(read.outcome.ok && 'eni' in read.outcome);
        const seen = (read.outcome as { eni: { prefixes: string[]; secondaryIps: string[] } }).eni;
        assert.deepEqual([[...seen.prefixes].sort(), [...seen.secondaryIps].sort()], [[...added].sort(), [...ipsAdded].sort()]);

        const over = await eni.perform({ id: 4, kind: 'assign-prefixes', count: 5 });
        assert.deepEqual([over.outcome.ok, (over.outcome as { error?: string }).error, (over.outcome as { added: string[] }).added], [false, 'address-limit-exceeded', []]);

        const unknown = await eni.perform({ id: 5, kind: 'unassign-prefixes', prefixes: [added[0]!, '10.250.0.0/28'] });
        assert.deepEqual([unknown.outcome.ok, (unknown.outcome as { error?: string }).error, (unknown.outcome as { removed: string[] }).removed], [false, 'other', []]);

        const back = await eni.perform({ id: 6, kind: 'unassign-prefixes', prefixes: added });
        assert.deepEqual(back.outcome, { ok: true, removed: added });
        const backIps = await eni.perform({ id: 7, kind: 'unassign-secondary-ips', ips: ipsAdded });
        assert.deepEqual(backIps.outcome, { ok: true, removed: ipsAdded });
        const empty = await eni.perform({ id: 8, kind: 'resync', trigger: 'contradiction' });
        assert.deepEqual(empty.outcome, { ok: true, eni: { prefixes: [], secondaryIps: [] } });
      } finally {
        await eni.close();
      }
    });
  });
}
