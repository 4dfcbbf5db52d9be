/**
 * @module
 * The {@link Ec2Port} on `@aws-sdk/client-ec2` (EC2Client plus command classes, which bundle smaller than the
 * aggregated EC2 class). It adds what the controller and plugin need around the SDK:
 * - endpoint: the `endpoint` option, else the SDK's own AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL handling;
 * - credentials and region: the SDK's default chains (env, profile, SSO, web identity, IMDS), or `profile`;
 * - a per-attempt request timeout, and the SDK's standard retryer (throttling and 5xx are retried);
 * - the process-wide token bucket, taken once per HTTP attempt so retries also pay;
 * - every failure classified by code into an Ec2Error (classify.ts);
 * - after an assign, a bounded wait until DescribeNetworkInterfaces shows the new addresses (see
 *   {@link VISIBILITY_WAIT_DEFAULTS});
 * - an `onCall` hook per EC2 API call (after retries), for metrics.
 */
import {
  AssignPrivateIpAddressesCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  EC2Client,
  GetSubnetCidrReservationsCommand,
  UnassignPrivateIpAddressesCommand,
  type EC2ClientConfig,
  type Filter,
  type _InstanceType,
} from '@aws-sdk/client-ec2';
// Type-only (erased): the SDK's own middleware types, from the @smithy/types package it depends on.
import type { FinalizeRequestMiddleware, MetadataBearer } from '@smithy/types';
import { classifyEc2Error } from '../../core/ec2/classify.ts';
import { checkAssignCount, Ec2Error } from '../../core/ec2/errors.ts';
import { parseEc2Endpoint } from './endpoint.ts';
import { bundledInstanceLimits, type InstanceLimits } from '../../core/ec2/instance-limits.ts';
import { INSTANCES_PER_DESCRIBE, type CidrReservation, type Ec2Port, type NetworkInterface, type Subnet } from '../../core/ec2/port.ts';
import { fromSdkEni, fromSdkInstance } from './sdk-mapping.ts';
import { processEc2TokenBucket, TokenBucket } from '../../support/token-bucket.ts';
import { systemClock, type Clock } from '../../support/clock.ts';
import { VISIBILITY_WAIT_DEFAULTS, waitUntilVisible } from './visibility-wait.ts';
import type { WriteFence } from '../../support/fence.ts';

/** The calls that change an ENI: fenced by leadership. */
const MUTATING_COMMANDS = new Set(['AssignPrivateIpAddressesCommand', 'UnassignPrivateIpAddressesCommand']);

/** Upstream's defaults: 12 calls/s, burst 18, 3 attempts, 30 s per request. */
export const EC2_ADAPTER_DEFAULTS = {
  ratePerSecond: 12,
  burst: 18,
  maxAttempts: 3,
  requestTimeoutMs: 30_000,
} as const;

export { VISIBILITY_WAIT_DEFAULTS } from './visibility-wait.ts';

export interface Ec2AdapterOptions {
  /** AWS region; default: the SDK's chain (AWS_REGION, AWS_DEFAULT_REGION via profile, ...). */
  region?: string;
  /** Endpoint override (a flag). Without it the SDK reads AWS_ENDPOINT_URL_EC2, then AWS_ENDPOINT_URL. */
  endpoint?: string;
  /** Shared-config profile; default: the SDK's (AWS_PROFILE or "default"). */
  profile?: string;
  /** Static credentials; default: the SDK's default credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Per HTTP attempt; default 30 s. */
  requestTimeoutMs?: number;
  /** Attempts per call with the SDK's standard retryer (1 = no retry); default 3. */
  maxAttempts?: number;
  /** The process-wide bucket with these settings (default 12/s, burst 18), or a bucket of your own (tests). */
  rateLimit?: { ratePerSecond: number; burst: number } | TokenBucket;
  visibilityWait?: { initialDelayMs?: number; maxTotalSleepMs?: number };
  /** Times calls (monotonic) and the visibility wait's sleeps; default: the system clock. */
  clock?: Pick<Clock, 'monotonic' | 'sleep'>;
  /** Called once per EC2 API call, after the SDK's retries, with the classified error if it failed. */
  onCall?: (action: string, durationMs: number, error?: Ec2Error) => void;
  /**
   * Checked for every attempt of a call that changes the ENI, after its rate-limit token and signing,
   * right before the HTTP request: a replica that may no longer lead sends nothing (docs/controller.md, "Leadership").
   */
  fence?: WriteFence;
}

export interface Ec2Adapter extends Ec2Port {
  /** The underlying client (for callers that need a command the port lacks). */
  readonly client: EC2Client;
  readonly rateLimiter: TokenBucket;
  /** Closes the client's sockets. */
  destroy(): void;
}

export function createEc2Adapter(options: Ec2AdapterOptions = {}): Ec2Adapter {
  const config: EC2ClientConfig = {
    maxAttempts: options.maxAttempts ?? EC2_ADAPTER_DEFAULTS.maxAttempts,
    retryMode: 'standard',
    requestHandler: {
      requestTimeout: options.requestTimeoutMs ?? EC2_ADAPTER_DEFAULTS.requestTimeoutMs,
      connectionTimeout: options.requestTimeoutMs ?? EC2_ADAPTER_DEFAULTS.requestTimeoutMs,
      // Without this the SDK only logs a warning when requestTimeout passes and keeps waiting.
      throwOnRequestTimeout: true,
    },
  };
  if (options.region) config.region = options.region;
  if (options.endpoint) {
    // Refused here with what to pass instead; the SDK's own error comes at the first call and says less.
    parseEc2Endpoint(options.endpoint);
    config.endpoint = options.endpoint;
  }
  if (options.profile) config.profile = options.profile;
  if (options.credentials) config.credentials = options.credentials;
  const client = new EC2Client(config);

  const bucket =
    options.rateLimit instanceof TokenBucket
      ? options.rateLimit
      : processEc2TokenBucket(options.rateLimit ?? { ratePerSecond: EC2_ADAPTER_DEFAULTS.ratePerSecond, burst: EC2_ADAPTER_DEFAULTS.burst });
  // Before signing and inside the retry loop: every attempt, retries included, takes a token.
  const fence = options.fence;
  const takeToken: FinalizeRequestMiddleware<object, MetadataBearer> = (next) => async (args) => {
    await bucket.take();
    return next(args);
  };
  client.middlewareStack.addRelativeTo(
    takeToken,
    { relation: 'before', toMiddleware: 'httpSigningMiddleware', name: 'winprefixEc2TokenBucket', override: true },
  );
  if (fence) {
    // After signing (which awaits credentials), so nothing asynchronous of ours lies between this
    // check and the request handler opening the HTTP request.
    const checkFence: FinalizeRequestMiddleware<object, MetadataBearer> = (next, context) => async (args) => {
      const command = (context as { commandName?: string }).commandName ?? '';
      if (MUTATING_COMMANDS.has(command) && !fence.allowed()) {
        const action = command.replace(/Command$/, '');
        throw new Ec2Error('other', 'WinprefixNotLeading', action, `${action} not sent: this replica may no longer lead`);
      }
      return next(args);
    };
    client.middlewareStack.addRelativeTo(
      checkFence,
      { relation: 'after', toMiddleware: 'httpSigningMiddleware', name: 'winprefixEc2WriteFence', override: true },
    );
  }

  const clock = options.clock ?? systemClock;
  const call = async <T>(action: string, run: () => Promise<T>): Promise<T> => {
    const started = clock.monotonic();
    try {
      const result = await run();
      options.onCall?.(action, clock.monotonic() - started, undefined);
      return result;
    } catch (err) {
      const classified = classifyEc2Error(err, action);
      options.onCall?.(action, clock.monotonic() - started, classified);
      throw classified;
    }
  };

  const describeInterface = async (networkInterfaceId: string): Promise<NetworkInterface> => {
    const out = await call('DescribeNetworkInterfaces', () =>
      client.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [networkInterfaceId] })),
    );
    const eni = out.NetworkInterfaces?.[0];
    if (!eni) throw notFound('DescribeNetworkInterfaces', 'InvalidNetworkInterfaceID.NotFound', `network interface ${networkInterfaceId}`);
    return fromSdkEni(eni);
  };

  const describeFiltered = async (...filters: Filter[]): Promise<NetworkInterface[]> => {
    const all: NetworkInterface[] = [];
    let nextToken: string | undefined;
    do {
      const out = await call('DescribeNetworkInterfaces', () =>
        client.send(new DescribeNetworkInterfacesCommand({ Filters: filters, MaxResults: 1000, NextToken: nextToken })),
      );
      for (const eni of out.NetworkInterfaces ?? []) all.push(fromSdkEni(eni));
      nextToken = out.NextToken || undefined;
    } while (nextToken);
    return all;
  };

  const wait = {
    initialDelayMs: options.visibilityWait?.initialDelayMs ?? VISIBILITY_WAIT_DEFAULTS.initialDelayMs,
    maxTotalSleepMs: options.visibilityWait?.maxTotalSleepMs ?? VISIBILITY_WAIT_DEFAULTS.maxTotalSleepMs,
    clock,
  };

  const waitFor = (eniId: string, assigned: string[], pick: (eni: NetworkInterface) => string[]): Promise<string[]> =>
    waitUntilVisible({ networkInterfaceId: eniId, assigned, describe: async () => pick(await describeInterface(eniId)), ...wait });

  const limitsCache = new Map<string, Promise<InstanceLimits>>();

  const adapter: Ec2Adapter = {
    client,
    rateLimiter: bucket,
    destroy: () => client.destroy(),

    async describeInstance(instanceId) {
      const out = await call('DescribeInstances', () => client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })));
      const instance = out.Reservations?.[0]?.Instances?.[0];
      if (!instance) throw notFound('DescribeInstances', 'InvalidInstanceID.NotFound', `instance ${instanceId}`);
      return fromSdkInstance(instance);
    },

    describeInstanceInterfaces: (instanceId) => describeFiltered({ Name: 'attachment.instance-id', Values: [instanceId] }),
    describeInterface,
    async describePrimaryInterfaces(instanceIds) {
      const all: NetworkInterface[] = [];
      for (let i = 0; i < instanceIds.length; i += INSTANCES_PER_DESCRIBE) {
        const chunk = instanceIds.slice(i, i + INSTANCES_PER_DESCRIBE);
        all.push(...(await describeFiltered({ Name: 'attachment.instance-id', Values: [...chunk] }, { Name: 'attachment.device-index', Values: ['0'] })));
      }
      return all;
    },
    describeSubnetInterfaces: (subnetId) => describeFiltered({ Name: 'subnet-id', Values: [subnetId] }),

    async describeSubnet(subnetId) {
      const out = await call('DescribeSubnets', () => client.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] })));
      const s = out.Subnets?.[0];
      if (!s) throw notFound('DescribeSubnets', 'InvalidSubnetID.NotFound', `subnet ${subnetId}`);
      return {
        subnetId: s.SubnetId ?? subnetId,
        vpcId: s.VpcId ?? '',
        cidr: s.CidrBlock ?? '',
        availabilityZone: s.AvailabilityZone ?? '',
        availableIpAddressCount: s.AvailableIpAddressCount ?? 0,
      } satisfies Subnet;
    },

    async subnetCidrReservations(subnetId) {
      const all: CidrReservation[] = [];
      let nextToken: string | undefined;
      do {
        const out = await call('GetSubnetCidrReservations', () =>
          client.send(new GetSubnetCidrReservationsCommand({ SubnetId: subnetId, MaxResults: 1000, NextToken: nextToken })),
        );
        for (const r of out.SubnetIpv4CidrReservations ?? []) {
          all.push({
            reservationId: r.SubnetCidrReservationId ?? '',
            subnetId: r.SubnetId ?? subnetId,
            cidr: r.Cidr ?? '',
            type: r.ReservationType === 'prefix' ? 'prefix' : 'explicit',
          });
        }
        nextToken = out.NextToken || undefined;
      } while (nextToken);
      return all;
    },

    async assignPrefixes(networkInterfaceId, count) {
      checkAssignCount(count);
      const out = await call('AssignPrivateIpAddresses', () =>
        client.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: networkInterfaceId, Ipv4PrefixCount: count })),
      );
      const assigned = (out.AssignedIpv4Prefixes ?? []).map((p) => p.Ipv4Prefix ?? '').filter(Boolean);
      if (assigned.length === 0) throw emptyAssignment(networkInterfaceId, count, 'prefixes');
      return waitFor(networkInterfaceId, assigned, (eni) => eni.prefixes);
    },

    async assignSecondaryIps(networkInterfaceId, count) {
      checkAssignCount(count);
      const out = await call('AssignPrivateIpAddresses', () =>
        client.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: networkInterfaceId, SecondaryPrivateIpAddressCount: count })),
      );
      const assigned = (out.AssignedPrivateIpAddresses ?? []).map((a) => a.PrivateIpAddress ?? '').filter(Boolean);
      if (assigned.length === 0) throw emptyAssignment(networkInterfaceId, count, 'secondary IPs');
      return waitFor(networkInterfaceId, assigned, (eni) => eni.secondaryIps);
    },

    async unassignPrefixes(networkInterfaceId, prefixes) {
      if (prefixes.length === 0) return;
      await call('UnassignPrivateIpAddresses', () =>
        client.send(new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: networkInterfaceId, Ipv4Prefixes: prefixes })),
      );
    },

    async unassignSecondaryIps(networkInterfaceId, ips) {
      if (ips.length === 0) return;
      // Callers may hold annotation-style "ip/mask" values; EC2 takes bare addresses (upstream strips too).
      const bare = ips.map((ip) => ip.split('/')[0]!);
      await call('UnassignPrivateIpAddresses', () =>
        client.send(new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: networkInterfaceId, PrivateIpAddresses: bare })),
      );
    },

    instanceLimits(instanceType) {
      const bundled = bundledInstanceLimits(instanceType);
      if (bundled) return Promise.resolve(bundled);
      let pending = limitsCache.get(instanceType);
      if (!pending) {
        pending = lookUpInstanceType(instanceType);
        // Failures are not cached: the next node with this type tries again.
        pending.catch(() => limitsCache.delete(instanceType));
        limitsCache.set(instanceType, pending);
      }
      return pending;
    },
  };

  async function lookUpInstanceType(instanceType: string): Promise<InstanceLimits> {
    if (instanceType === '') throw notFound('DescribeInstanceTypes', 'InvalidInstanceType', 'an empty instance type');
    const out = await call('DescribeInstanceTypes', () =>
      // The SDK types InstanceTypes as the closed list of names it knew when published; the types we look up
      // are by definition the ones our table lacks, so a newer name is expected here.
      client.send(new DescribeInstanceTypesCommand({ InstanceTypes: [instanceType as _InstanceType] })),
    );
    const info = out.InstanceTypes?.[0];
    const net = info?.NetworkInfo;
    if (!info || !net?.Ipv4AddressesPerInterface || !net.MaximumNetworkInterfaces) {
      throw notFound('DescribeInstanceTypes', 'InvalidInstanceType', `instance type ${instanceType} (or its network limits)`);
    }
    return {
      instanceType,
      ipv4PerInterface: net.Ipv4AddressesPerInterface,
      interfaces: net.MaximumNetworkInterfaces,
      hypervisor: info.Hypervisor === 'nitro' || info.Hypervisor === 'xen' ? info.Hypervisor : '',
      isBareMetal: info.BareMetal ?? false,
    };
  }

  return adapter;
}

function notFound(action: string, code: string, what: string): Ec2Error {
  return new Ec2Error('not-found', code, action, `EC2 ${action} found no ${what} (check the id and the region)`);
}

function emptyAssignment(eniId: string, count: number, what: string): Ec2Error {
  return new Ec2Error('other', 'WinprefixEmptyAssignment', 'AssignPrivateIpAddresses', `EC2 accepted a request for ${count} ${what} on ${eniId} but assigned none`);
}
