/**
 * The EC2 adapter (createEc2Adapter) against the simulator over HTTP: mapping to the port's types, pagination,
 * wait-until-visible, classification of every failure kind, SDK retries, the token bucket, instance limits,
 * endpoint resolution from the environment, and the onCall hook.
 */
import { ENI, INSTANCE, SUBNET, smallWorld } from './fixtures.ts';
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { Ec2AssignmentNotVisibleError, Ec2Error } from '../../pkg/core/ec2/errors.ts';
import { createEc2Adapter, type Ec2AdapterOptions } from '../../pkg/adapters/ec2/sdk-adapter.ts';
import { TokenBucket } from '../../pkg/support/token-bucket.ts';
import { fenceOf } from '../../pkg/support/fence.ts';
import { startEc2Simulator, type Ec2Simulator } from '../../pkg/ec2sim/server.ts';

/** A bucket that never limits, so tests that are not about rate limiting run at full speed. */
const unlimited = (): TokenBucket => new TokenBucket({ ratePerSecond: 1e6, burst: 1e6 });

class CountingBucket extends TokenBucket {
  takes = 0;
  override take(signal?: AbortSignal): Promise<number> {
    this.takes += 1;
    return super.take(signal);
  }
}

async function ec2Failure(promise: Promise<unknown>): Promise<Ec2Error> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof Ec2Error, `expected an Ec2Error, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to fail');
}

async function freePortThatRefuses(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('adapter: reads', () => {
  let sim: Ec2Simulator;
  before(async () => {
    const world = smallWorld({ instances: 3, cidr: '10.0.0.0/20' });
    world.instances[0]!.secondaryIps = ['10.0.1.100'];
    world.instances[0]!.prefixes = ['10.0.1.112/28'];
    world.subnets[0]!.reservations = [{ cidr: '10.0.8.0/24', type: 'prefix' }];
    // Enough other ENIs in the subnet that listing it takes two pages of 1000.
    world.networkInterfaces = Array.from({ length: 1200 }, (_, k) => ({
      id: `eni-${(0xe0000000 + k).toString(16)}`,
      subnetId: SUBNET,
      privateIp: `10.0.${2 + Math.floor(k / 250)}.${1 + (k % 250) + 3}`,
    }));
    sim = await startEc2Simulator({ world });
  });
  after(() => sim.close());
  const adapter = (extra: Ec2AdapterOptions = {}) => createEc2Adapter({ region: 'us-west-2', endpoint: sim.endpoint, rateLimit: unlimited(), ...extra });

  test('describeInstance maps the instance and finds the primary ENI by the instance IP', async () => {
    const ec2 = adapter();
    const i = await ec2.describeInstance(INSTANCE);
    assert.equal(i.instanceType, 'm5.large');
    assert.equal(i.availabilityZone, 'us-west-2a');
    assert.equal(i.subnetId, SUBNET);
    assert.equal(i.primaryInterface.networkInterfaceId, ENI);
    assert.equal(i.primaryInterface.deviceIndex, 0);
    assert.equal(i.primaryInterface.instanceId, INSTANCE);
    assert.deepEqual(i.primaryInterface.secondaryIps, ['10.0.1.100']);
    assert.deepEqual(i.primaryInterface.prefixes, ['10.0.1.112/28']);
    assert.equal(i.interfaces.length, 1);
    ec2.destroy();
  });

  test('describeInterface, describeInstanceInterfaces and describeSubnet', async () => {
    const ec2 = adapter();
    const eni = await ec2.describeInterface(ENI);
    assert.equal(eni.primaryPrivateIp, '10.0.1.10');
    assert.equal(eni.vpcId, 'vpc-00000001');
    assert.deepEqual((await ec2.describeInstanceInterfaces('i-00000002')).map((e) => e.networkInterfaceId), ['eni-00000002']);
    const s = await ec2.describeSubnet(SUBNET);
    assert.deepEqual([s.cidr, s.availabilityZone, s.vpcId], ['10.0.0.0/20', 'us-west-2a', 'vpc-00000001']);
    assert.equal(s.availableIpAddressCount, 4096 - 5 - 3 - 1200 - 1 - 16);
    assert.deepEqual(await ec2.subnetCidrReservations(SUBNET), [
      { reservationId: (await ec2.subnetCidrReservations(SUBNET))[0]!.reservationId, subnetId: SUBNET, cidr: '10.0.8.0/24', type: 'prefix' },
    ]);
    ec2.destroy();
  });

  test('describeSubnetInterfaces follows NextToken across pages', async () => {
    const ec2 = adapter();
    sim.counters.reset();
    const all = await ec2.describeSubnetInterfaces(SUBNET);
    assert.equal(all.length, 1203);
    assert.equal(new Set(all.map((e) => e.networkInterfaceId)).size, 1203);
    assert.equal(sim.counters.calls('DescribeNetworkInterfaces'), 2);
    ec2.destroy();
  });

  test('not found: instance, interface, subnet', async () => {
    const ec2 = adapter();
    const i = await ec2Failure(ec2.describeInstance('i-0000abcd'));
    assert.deepEqual([i.kind, i.code, i.action], ['not-found', 'InvalidInstanceID.NotFound', 'DescribeInstances']);
    assert.equal((await ec2Failure(ec2.describeInterface('eni-0000abcd'))).code, 'InvalidNetworkInterfaceID.NotFound');
    assert.equal((await ec2Failure(ec2.describeSubnet('subnet-0000abcd'))).kind, 'not-found');
    ec2.destroy();
  });
});

describe('adapter: assign, unassign and visibility', () => {
  let sim: Ec2Simulator;
  before(async () => {
    sim = await startEc2Simulator({ world: smallWorld({ instances: 2 }) });
  });
  after(() => sim.close());
  const adapter = (extra: Ec2AdapterOptions = {}) => createEc2Adapter({ region: 'us-west-2', endpoint: sim.endpoint, rateLimit: unlimited(), ...extra });

  test('assignPrefixes waits until the prefixes are visible, then returns them', async () => {
    const ec2 = adapter();
    sim.faults.set({ visibilityDelayMs: 400 });
    sim.counters.reset();
    const started = performance.now();
    const prefixes = await ec2.assignPrefixes(ENI, 2).finally(() => sim.faults.clear());
    const elapsed = performance.now() - started;
    assert.equal(prefixes.length, 2);
    // Polls at 0, 250, 750 ms: normally the third describe is the first after the 400 ms delay; a slow machine
    // may stretch the schedule so the second one already sees them. Never one (hidden at first), never more than 4.
    assert.ok(elapsed >= 400 && elapsed < 2500, `waited ${elapsed} ms`);
    const describes = sim.counters.calls('DescribeNetworkInterfaces');
    assert.ok(describes >= 2 && describes <= 4, `${describes} describes`);
    assert.deepEqual((await ec2.describeInterface(ENI)).prefixes.sort(), [...prefixes].sort());
    await ec2.unassignPrefixes(ENI, prefixes);
    assert.deepEqual((await ec2.describeInterface(ENI)).prefixes, []);
    ec2.destroy();
  });

  test('the wait is bounded: what stays invisible is reported, what is visible is returned in the error', async () => {
    const ec2 = adapter({ visibilityWait: { initialDelayMs: 50, maxTotalSleepMs: 200 } });
    sim.faults.set({ visibilityDelayMs: 60_000 });
    const started = performance.now();
    const err = await ec2Failure(ec2.assignSecondaryIps(ENI, 2).finally(() => sim.faults.clear()));
    const elapsed = performance.now() - started;
    assert.ok(err instanceof Ec2AssignmentNotVisibleError);
    assert.equal(err.code, 'WinprefixAssignmentNotVisible');
    assert.equal(err.missing.length, 2);
    assert.deepEqual(err.visible, []);
    // Sleeps of 50 + 100 ms; the next one (200) would exceed the 200 ms budget.
    assert.ok(elapsed >= 150 && elapsed < 4000, `waited ${elapsed} ms`);
    // The addresses are assigned nonetheless; they still belong to the ENI for the re-sync to find.
    assert.equal(sim.world.ownerships().filter((o) => o.networkInterfaceId === ENI && o.kind === 'secondary').length, 2);
    await ec2.unassignSecondaryIps(ENI, err.missing.map((ip) => `${ip}/24`));
    assert.equal(sim.world.ownerships().filter((o) => o.networkInterfaceId === ENI && o.kind === 'secondary').length, 0);
    ec2.destroy();
  });

  test('assignSecondaryIps returns at once when EC2 is consistent', async () => {
    const ec2 = adapter();
    sim.counters.reset();
    const ips = await ec2.assignSecondaryIps('eni-00000002', 3);
    assert.equal(ips.length, 3);
    assert.equal(sim.counters.calls('DescribeNetworkInterfaces'), 1);
    await ec2.unassignSecondaryIps('eni-00000002', ips);
    ec2.destroy();
  });

  test('EC2 errors are classified by code: limit, insufficient CIDR blocks, not found', async () => {
    const ec2 = adapter();
    const limit = await ec2Failure(ec2.assignPrefixes(ENI, 10));
    assert.deepEqual([limit.kind, limit.code], ['address-limit-exceeded', 'PrivateIpAddressLimitExceeded']);
    const missing = await ec2Failure(ec2.unassignPrefixes('eni-0000abcd', ['10.0.1.16/28']));
    assert.deepEqual([missing.kind, missing.action], ['not-found', 'UnassignPrivateIpAddresses']);
    const bad = await ec2Failure(ec2.assignPrefixes(ENI, 0));
    assert.equal(bad.code, 'WinprefixBadArgument');
    ec2.destroy();
  });

  test('a closed write fence stops every ENI change before it is sent; reads still pass', async () => {
    let leading = false;
    const ec2 = adapter({ fence: fenceOf(() => leading), maxAttempts: 3 });
    sim.counters.reset();
    try {
      const refused = await ec2Failure(ec2.assignPrefixes(ENI, 1));
      assert.deepEqual([refused.code, refused.action], ['WinprefixNotLeading', 'AssignPrivateIpAddresses']);
      assert.match(refused.message, /not sent: this replica may no longer lead/);
      const unassign = await ec2Failure(ec2.unassignSecondaryIps(ENI, ['10.0.1.50']));
      assert.equal(unassign.code, 'WinprefixNotLeading');
      assert.equal((await ec2.describeInterface(ENI)).networkInterfaceId, ENI);
      assert.equal(sim.counters.calls('AssignPrivateIpAddresses') + sim.counters.calls('UnassignPrivateIpAddresses'), 0, 'nothing reached EC2');
      leading = true;
      const prefixes = await ec2.assignPrefixes(ENI, 1);
      assert.equal(sim.counters.calls('AssignPrivateIpAddresses'), 1);
      await ec2.unassignPrefixes(ENI, prefixes);
    } finally {
      ec2.destroy();
    }
  });

  test('InsufficientCidrBlocks from a fragmented subnet is its own kind', async () => {
    const world = smallWorld({ cidr: '10.0.1.0/26' });
    world.networkInterfaces = [{ id: 'eni-0e000001', subnetId: SUBNET, privateIp: '10.0.1.20', secondaryIps: ['10.0.1.40'] }];
    const frag = await startEc2Simulator({ world });
    const ec2 = createEc2Adapter({ region: 'us-west-2', endpoint: frag.endpoint, rateLimit: unlimited() });
    try {
      const err = await ec2Failure(ec2.assignPrefixes(ENI, 1));
      assert.deepEqual([err.kind, err.code], ['insufficient-cidr-blocks', 'InsufficientCidrBlocks']);
      assert.equal((await ec2.assignSecondaryIps(ENI, 2)).length, 2);
    } finally {
      ec2.destroy();
      await frag.close();
    }
  });
});

describe('adapter: retries, throttling, failures, timeouts', () => {
  let sim: Ec2Simulator;
  before(async () => {
    sim = await startEc2Simulator({ world: smallWorld() });
  });
  after(() => sim.close());

  test('throttled calls are retried by the SDK; every attempt takes a token', async () => {
    const bucket = new CountingBucket({ ratePerSecond: 1e6, burst: 1e6 });
    const ec2 = createEc2Adapter({ region: 'us-west-2', endpoint: sim.endpoint, rateLimit: bucket, maxAttempts: 3 });
    sim.faults.set({ throttleFraction: 1, actions: ['DescribeInstances'] });
    sim.counters.reset();
    const err = await ec2Failure(ec2.describeInstance(INSTANCE).finally(() => sim.faults.clear()));
    assert.deepEqual([err.kind, err.code], ['throttled', 'RequestLimitExceeded']);
    assert.equal(sim.counters.snapshot().DescribeInstances?.throttled, 3);
    assert.equal(bucket.takes, 3);
    ec2.destroy();
  });

  test('a partly throttled and failing EC2 still answers every call thanks to retries (seeded)', async () => {
    const ec2 = createEc2Adapter({ region: 'us-west-2', endpoint: sim.endpoint, rateLimit: unlimited(), maxAttempts: 5 });
    sim.faults.set({ throttleFraction: 0.2, failFraction: 0.1, seed: 3 });
    sim.counters.reset();
    try {
      for (let k = 0; k < 15; k++) assert.equal((await ec2.describeInterface(ENI)).networkInterfaceId, ENI);
    } finally {
      sim.faults.clear();
    }
    const c = sim.counters.snapshot().DescribeNetworkInterfaces!;
    assert.ok(c.throttled + c.failed > 0, 'the seed injected no fault; pick another');
    assert.equal(c.calls - c.errors, 15);
    ec2.destroy();
  });

  test('InternalError after all attempts is kind other, with its code', async () => {
    const ec2 = createEc2Adapter({ region: 'us-west-2', endpoint: sim.endpoint, rateLimit: unlimited(), maxAttempts: 2 });
    sim.faults.set({ failFraction: 1 });
    sim.counters.reset();
    const err = await ec2Failure(ec2.describeSubnet(SUBNET).finally(() => sim.faults.clear()));
    assert.deepEqual([err.kind, err.code], ['other', 'InternalError']);
    assert.equal(sim.counters.calls('DescribeSubnets'), 2);
    ec2.destroy();
  });

  test('UnauthorizedOperation is unauthorized and names the missing permission', async () => {
    const ec2 = createEc2Adapter({ region: 'us-west-2', endpoint: sim.endpoint, rateLimit: unlimited() });
    sim.faults.set({ unauthorizedActions: ['UnassignPrivateIpAddresses'] });
    const err = await ec2Failure(ec2.unassignPrefixes(ENI, ['10.0.1.16/28']).finally(() => sim.faults.clear()));
    assert.deepEqual([err.kind, err.code, err.permission], ['unauthorized', 'UnauthorizedOperation', 'ec2:UnassignPrivateIpAddresses']);
    assert.match(err.message, /grant ec2:UnassignPrivateIpAddresses/);
    ec2.destroy();
  });

  test('a request slower than the timeout is unreachable', async () => {
    const ec2 = createEc2Adapter({ region: 'us-west-2', endpoint: sim.endpoint, rateLimit: unlimited(), maxAttempts: 1, requestTimeoutMs: 150 });
    sim.faults.set({ latencyMs: 4000 });
    const started = performance.now();
    const err = await ec2Failure(ec2.describeInstance(INSTANCE).finally(() => sim.faults.clear()));
    assert.equal(err.kind, 'unreachable', `${err.code}: ${err.message}`);
    assert.ok(performance.now() - started < 3000, 'the timeout did not cut the request short');
    ec2.destroy();
  });

  test('a refused connection is unreachable with code ECONNREFUSED', async () => {
    const port = await freePortThatRefuses();
    const ec2 = createEc2Adapter({ region: 'us-west-2', endpoint: `http://127.0.0.1:${port}`, rateLimit: unlimited(), maxAttempts: 1 });
    const err = await ec2Failure(ec2.describeSubnet(SUBNET));
    assert.deepEqual([err.kind, err.code], ['unreachable', 'ECONNREFUSED']);
    ec2.destroy();
  });

  test('the token bucket paces calls: 1 burst + 8 calls at 20/s take about 400 ms', async () => {
    const ec2 = createEc2Adapter({ region: 'us-west-2', endpoint: sim.endpoint, rateLimit: { ratePerSecond: 20, burst: 1 } });
    // Drain whatever the shared process bucket held.
    while (ec2.rateLimiter.tryTake());
    const started = performance.now();
    await Promise.all(Array.from({ length: 9 }, () => ec2.describeSubnet(SUBNET)));
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 400, `9 calls at 20/s took only ${elapsed} ms`);
    assert.ok(elapsed < 5000, `pacing far too slow: ${elapsed} ms`);
    ec2.destroy();
  });

  test('against an EC2 that throttles by rate, the client bucket keeps every call under the limit', async () => {
    // The simulated account allows 10 calls/s with a burst of 5; the adapter paces itself at 8/s, burst 1.
    sim.faults.set({ accountRateLimit: { ratePerSecond: 10, burst: 5 }, actions: ['DescribeSubnets'] });
    sim.counters.reset();
    const paced = createEc2Adapter({ region: 'us-west-2', endpoint: sim.endpoint, rateLimit: new TokenBucket({ ratePerSecond: 8, burst: 1 }), maxAttempts: 1 });
    try {
      await Promise.all(Array.from({ length: 12 }, () => paced.describeSubnet(SUBNET)));
      assert.equal(sim.counters.snapshot().DescribeSubnets?.throttled, 0);
      // Without pacing the same burst is throttled.
      const unpaced = createEc2Adapter({ region: 'us-west-2', endpoint: sim.endpoint, rateLimit: unlimited(), maxAttempts: 1 });
      const results = await Promise.allSettled(Array.from({ length: 12 }, () => unpaced.describeSubnet(SUBNET)));
      const throttled = results.filter((r) => r.status === 'rejected' && (r.reason as Ec2Error).kind === 'throttled').length;
      assert.ok(throttled >= 3, `only ${throttled} of 12 unpaced calls throttled`);
      unpaced.destroy();
    } finally {
      sim.faults.clear();
      paced.destroy();
    }
  });

  test('adapters share the one process bucket', () => {
    const a = createEc2Adapter({ region: 'us-west-2', endpoint: sim.endpoint, rateLimit: { ratePerSecond: 12, burst: 18 } });
    const b = createEc2Adapter({ region: 'us-west-2', endpoint: sim.endpoint });
    assert.equal(a.rateLimiter, b.rateLimiter);
    a.destroy();
    b.destroy();
  });

  test('onCall reports every EC2 call with its duration and classified error', async () => {
    const calls: Array<[string, number, string | undefined]> = [];
    const ec2 = createEc2Adapter({
      region: 'us-west-2',
      endpoint: sim.endpoint,
      rateLimit: unlimited(),
      onCall: (action, ms, error) => calls.push([action, ms, error?.code]),
    });
    await ec2.describeInstance(INSTANCE);
    await ec2Failure(ec2.describeInstance('i-0000abcd'));
    const ips = await ec2.assignSecondaryIps(ENI, 1);
    await ec2.unassignSecondaryIps(ENI, ips);
    assert.deepEqual(calls.map(([a, , e]) => [a, e]), [
      ['DescribeInstances', undefined],
      ['DescribeInstances', 'InvalidInstanceID.NotFound'],
      ['AssignPrivateIpAddresses', undefined],
      ['DescribeNetworkInterfaces', undefined],
      ['UnassignPrivateIpAddresses', undefined],
    ]);
    for (const [, ms] of calls) assert.ok(ms > 0);
    ec2.destroy();
  });
});

describe('adapter: instance limits', () => {
  let sim: Ec2Simulator;
  before(async () => {
    const world = smallWorld();
    world.instanceTypes = { 'x9.large': { ipv4PerInterface: 7, interfaces: 2, hypervisor: 'nitro' }, 'x9.metal': { ipv4PerInterface: 50, interfaces: 15, hypervisor: '', bareMetal: true } };
    sim = await startEc2Simulator({ world });
  });
  after(() => sim.close());

  test('bundled types need no EC2 call; others are looked up once and cached', async () => {
    const ec2 = createEc2Adapter({ region: 'us-west-2', endpoint: sim.endpoint, rateLimit: unlimited() });
    sim.counters.reset();
    assert.equal((await ec2.instanceLimits('m5.large')).ipv4PerInterface, 10);
    assert.equal(sim.counters.total(), 0);
    const [a, b] = await Promise.all([ec2.instanceLimits('x9.large'), ec2.instanceLimits('x9.large')]);
    assert.deepEqual(a, { instanceType: 'x9.large', ipv4PerInterface: 7, interfaces: 2, hypervisor: 'nitro', isBareMetal: false });
    assert.deepEqual(b, a);
    await ec2.instanceLimits('x9.large');
    assert.equal(sim.counters.calls('DescribeInstanceTypes'), 1);
    const metal = await ec2.instanceLimits('x9.metal');
    assert.deepEqual([metal.hypervisor, metal.isBareMetal], ['', true]);
    ec2.destroy();
  });

  test('an unknown type is not-found, and the failure is not cached', async () => {
    const ec2 = createEc2Adapter({ region: 'us-west-2', endpoint: sim.endpoint, rateLimit: unlimited() });
    sim.counters.reset();
    const err = await ec2Failure(ec2.instanceLimits('z9.huge'));
    assert.deepEqual([err.kind, err.code], ['not-found', 'InvalidInstanceType']);
    await ec2Failure(ec2.instanceLimits('z9.huge'));
    assert.equal(sim.counters.calls('DescribeInstanceTypes'), 2);
    ec2.destroy();
  });
});

describe('adapter: endpoint and credentials from the environment', () => {
  let sim: Ec2Simulator;
  before(async () => {
    sim = await startEc2Simulator({ world: smallWorld() });
  });
  after(() => sim.close());

  for (const variable of ['AWS_ENDPOINT_URL_EC2', 'AWS_ENDPOINT_URL'] as const) {
    test(`the SDK honours ${variable} when no endpoint flag is given`, async () => {
      process.env[variable] = sim.endpoint;
      try {
        const ec2 = createEc2Adapter({ rateLimit: unlimited() });
        sim.counters.reset();
        assert.equal((await ec2.describeInstance(INSTANCE)).instanceId, INSTANCE);
        assert.equal(sim.counters.calls('DescribeInstances'), 1);
        ec2.destroy();
      } finally {
        delete process.env[variable];
      }
    });
  }

  test('the endpoint flag wins over AWS_ENDPOINT_URL_EC2', async () => {
    process.env.AWS_ENDPOINT_URL_EC2 = `http://127.0.0.1:${await freePortThatRefuses()}`;
    try {
      const ec2 = createEc2Adapter({ endpoint: sim.endpoint, rateLimit: unlimited() });
      assert.equal((await ec2.describeSubnet(SUBNET)).subnetId, SUBNET);
      ec2.destroy();
    } finally {
      delete process.env.AWS_ENDPOINT_URL_EC2;
    }
  });

  test('a bad endpoint flag is rejected with the value', () => {
    assert.throws(() => createEc2Adapter({ endpoint: 'localhost:4566' }), (e: unknown) => e instanceof Ec2Error && /localhost:4566/.test(e.message));
  });

  test('no credentials anywhere (IMDS disabled) is unauthorized and names the permission', async () => {
    const saved = { ...process.env };
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/credentials';
    process.env.AWS_CONFIG_FILE = '/nonexistent/config';
    try {
      const ec2 = createEc2Adapter({ endpoint: sim.endpoint, rateLimit: unlimited(), maxAttempts: 1 });
      sim.counters.reset();
      const err = await ec2Failure(ec2.describeInstance(INSTANCE));
      assert.equal(err.kind, 'unauthorized', `${err.code}: ${err.message}`);
      assert.match(err.message, /ec2:DescribeInstances/);
      assert.equal(sim.counters.total(), 0, 'a request went out without credentials');
      ec2.destroy();
    } finally {
      Object.assign(process.env, saved);
      delete process.env.AWS_SHARED_CREDENTIALS_FILE;
      delete process.env.AWS_CONFIG_FILE;
    }
  });
});
