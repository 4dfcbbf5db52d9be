/**
 * @module
 * The EC2 reads plugin commands make, over the EC2 Query protocol on node:https: requests signed with
 * SigV4 (sigv4.ts, checked against the SDK's signer) with credentials from the SDK's default chain, XML
 * answers mapped to pkg/ec2/port.ts's types, failures classified by EC2 error code into Ec2Error
 * (pkg/ec2/classify.ts). Why not @aws-sdk/client-ec2 (which pkg/ec2/sdk-adapter.ts uses for the
 * controller): its client carries every EC2 shape, 850 KB of code loaded on every run, for the one or two
 * reads a command makes.
 *
 * Reads only. Throttling, 5xx and reset connections are retried twice with jittered backoff; a request
 * that gets no answer within the timeout is not retried, so --request-timeout bounds each call.
 */
import type { Agent as HttpAgent } from 'node:http';
import type { Agent } from 'node:https';
import { http, https } from '../builtins.ts';
import { kindOfCode } from '../../pkg/core/ec2/classify.ts';
import { parseEc2Endpoint } from '../../pkg/adapters/ec2/endpoint.ts';
import { Ec2Error } from '../../pkg/core/ec2/errors.ts';
import { bundledInstanceLimits, type InstanceLimits } from '../../pkg/core/ec2/instance-limits.ts';
import { INSTANCES_PER_DESCRIBE, type CidrReservation, type NetworkInterface, type Subnet } from '../../pkg/core/ec2/port.ts';
import { formatMs } from '../kube/rest.ts';
import { mark } from '../timing.ts';
import type { AwsCredentials } from './config.ts';
import { signQueryPost } from './sigv4.ts';
import { child, childText, items, parseXml, type XmlElement } from './xml.ts';

const API_VERSION = '2016-11-15';
const ATTEMPTS = 3;

export interface Ec2ReaderOptions {
  region: string;
  /** Endpoint override; default the region's public endpoint. */
  endpoint: string | undefined;
  credentials: () => Promise<AwsCredentials>;
  /** Per attempt. */
  timeoutMs: number;
  userAgent: string;
  /** Called when a call starts; the returned function when it ends (progress notices). */
  onRequest?: (what: string) => () => void;
  /** MaxResults of paged calls; EC2's largest, 1000, unless a test wants to see several pages. */
  pageSize?: number;
}

export interface InstanceState {
  state: string;
  instanceType: string;
}

export interface Ec2Reader {
  readonly endpoint: string;
  describeInstanceInterfaces(instanceId: string): Promise<NetworkInterface[]>;
  /**
   * The ENIs attached to each of `instanceIds` (an instance EC2 does not know maps to nothing): one
   * DescribeNetworkInterfaces per {@link INSTANCES_PER_DESCRIBE} instances, pages followed.
   */
  describeInterfacesOfInstances(instanceIds: readonly string[]): Promise<Map<string, NetworkInterface[]>>;
  /** The state of each instance EC2 knows among `instanceIds` (by filter, so unknown ones are just absent). */
  describeInstanceStates(instanceIds: readonly string[]): Promise<Map<string, InstanceState>>;
  /** The instance's state, or undefined when EC2 says it does not exist (InvalidInstanceID.NotFound). */
  describeInstanceState(instanceId: string): Promise<InstanceState | undefined>;
  instanceLimits(instanceType: string): Promise<InstanceLimits>;
  describeSubnet(subnetId: string): Promise<Subnet>;
  /** Several subnets in one DescribeSubnets; EC2 answers InvalidSubnetID.NotFound when any is unknown. */
  describeSubnets(subnetIds: readonly string[]): Promise<Subnet[]>;
  subnetCidrReservations(subnetId: string): Promise<CidrReservation[]>;
  /** Every ENI in the subnet, every page followed. */
  describeSubnetInterfaces(subnetId: string): Promise<NetworkInterface[]>;
  /**
   * The primary ENIs (device index 0) of many instances: DescribeNetworkInterfaces filtered by up to
   * INSTANCES_PER_DESCRIBE instance ids per call, every page followed, calls in sequence.
   */
  describePrimaryInterfaces(instanceIds: readonly string[]): Promise<NetworkInterface[]>;
  close(): void;
}

/** The regional endpoint EC2 answers on (China regions live under amazonaws.com.cn). */
export function regionalEndpoint(region: string): string {
  return `https://ec2.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
}

export function createEc2Reader(o: Ec2ReaderOptions): Ec2Reader {
  const endpoint = o.endpoint ?? regionalEndpoint(o.region);
  const url = parseEc2Endpoint(endpoint);
  const agent = url.protocol === 'https:' ? new (https().Agent)({ keepAlive: true }) : new (http().Agent)({ keepAlive: true });

  /** `items`: map each item of that list as it is parsed (see parseXml); the mapped items of the attempt that succeeded. */
  const call = async <T = never>(action: string, params: Record<string, string>, items?: { list: string; map(item: XmlElement): T }): Promise<{ doc: XmlElement; mapped: T[] }> => {
    const body = new URLSearchParams({ Action: action, Version: API_VERSION, ...params }).toString();
    const done = o.onRequest?.(action);
    mark(`ec2: ${action} called`);
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          return await attemptCall(action, body, items);
        } catch (err) {
          const retry = err instanceof Ec2Error && attempt < ATTEMPTS && (err.kind === 'throttled' || err.code.startsWith('HTTP5') || err.code === 'ECONNRESET');
          if (!retry) throw err;
          await new Promise((r) => setTimeout(r, 100 * 2 ** attempt * (0.5 + Math.random())));
        }
      }
    } finally {
      done?.();
    }
  };

  const attemptCall = async <T>(action: string, body: string, items?: { list: string; map(item: XmlElement): T }): Promise<{ doc: XmlElement; mapped: T[] }> => {
    const credentials = await o.credentials().catch((err: unknown) => {
      throw new Ec2Error('unauthorized', 'CredentialsProviderError', action, (err as Error).message, { cause: err });
    });
    const headers = signQueryPost({
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', 'user-agent': o.userAgent },
      body,
      credentials,
      region: o.region,
      service: 'ec2',
      now: new Date(),
    });
    mark(`ec2: ${action} signed`);
    const { status, text } = await post(url, headers, body, agent, o.timeoutMs, action, endpoint);
    mark(`ec2: ${action} answered (${status})`);
    let doc: XmlElement;
    const mapped: T[] = [];
    try {
      doc = parseXml(text, items ? { list: items.list, onItem: (item) => mapped.push(items.map(item)) } : undefined);
    } catch {
      throw notEc2(status, text, action, endpoint);
    }
    if (status >= 200 && status < 300) return { doc, mapped };
    const error = child(child(doc, 'Errors'), 'Error') ?? (doc.name === 'Error' ? doc : undefined);
    const code = childText(error, 'Code');
    if (!code) throw notEc2(status, text, action, endpoint);
    const message = childText(error, 'Message') ?? '';
    return Promise.reject(new Ec2Error(kindOfCode(code), code, action, `EC2 ${action} failed with ${code}: ${message}`));
  };

  const pageSize = String(o.pageSize ?? 1000);

  /** Filters as EC2's Query protocol spells them: Filter.N.Name, Filter.N.Value.M. */
  const filterParams = (filters: ReadonlyArray<{ name: string; values: readonly string[] }>): Record<string, string> => {
    const params: Record<string, string> = {};
    filters.forEach((f, n) => {
      params[`Filter.${n + 1}.Name`] = f.name;
      f.values.forEach((v, m) => (params[`Filter.${n + 1}.Value.${m + 1}`] = v));
    });
    return params;
  };

  /** Every page of a Describe call filtered on one name by `values` (at most INSTANCES_PER_DESCRIBE of them). */
  const describePages = async (action: string, name: string, values: readonly string[], each: (doc: XmlElement) => void): Promise<void> => {
    const params = { ...filterParams([{ name, values }]), MaxResults: pageSize };
    let nextToken: string | undefined;
    do {
      const { doc } = await call(action, { ...params, ...(nextToken ? { NextToken: nextToken } : {}) });
      each(doc);
      nextToken = childText(doc, 'nextToken') || undefined;
    } while (nextToken);
  };

  /** The ENIs matching every filter, every page followed, each ENI mapped as it is parsed. */
  const describeFiltered = async (...filters: Array<{ name: string; values: readonly string[] }>): Promise<NetworkInterface[]> => {
    const params = { ...filterParams(filters), MaxResults: pageSize };
    const all: NetworkInterface[] = [];
    let nextToken: string | undefined;
    do {
      const { doc, mapped } = await call('DescribeNetworkInterfaces', { ...params, ...(nextToken ? { NextToken: nextToken } : {}) }, { list: 'networkInterfaceSet', map: eniOf });
      all.push(...mapped);
      nextToken = childText(doc, 'nextToken') || undefined;
    } while (nextToken);
    return all;
  };

  const chunks = (ids: readonly string[]) => Array.from({ length: Math.ceil(ids.length / INSTANCES_PER_DESCRIBE) }, (_, i) => ids.slice(i * INSTANCES_PER_DESCRIBE, (i + 1) * INSTANCES_PER_DESCRIBE));

  const limitsCache = new Map<string, Promise<InstanceLimits>>();

  return {
    endpoint,
    describeInstanceInterfaces: (instanceId) => describeFiltered({ name: 'attachment.instance-id', values: [instanceId] }),
    describeSubnetInterfaces: (subnetId) => describeFiltered({ name: 'subnet-id', values: [subnetId] }),
    async describePrimaryInterfaces(instanceIds) {
      const all: NetworkInterface[] = [];
      for (const chunk of chunks([...new Set(instanceIds)])) {
        all.push(...(await describeFiltered({ name: 'attachment.instance-id', values: chunk }, { name: 'attachment.device-index', values: ['0'] })));
      }
      return all;
    },
    async describeInterfacesOfInstances(instanceIds) {
      const byInstance = new Map<string, NetworkInterface[]>();
      const lists = await Promise.all(chunks([...new Set(instanceIds)]).map((ids) => describeFiltered({ name: 'attachment.instance-id', values: ids })));
      for (const eni of lists.flat()) {
        if (!eni.instanceId) continue;
        const list = byInstance.get(eni.instanceId) ?? [];
        list.push(eni);
        byInstance.set(eni.instanceId, list);
      }
      return byInstance;
    },
    async describeInstanceStates(instanceIds) {
      const states = new Map<string, InstanceState>();
      await Promise.all(
        chunks([...new Set(instanceIds)]).map((ids) =>
          describePages('DescribeInstances', 'instance-id', ids, (doc) => {
            for (const reservation of items(doc, 'reservationSet')) {
              for (const instance of items(reservation, 'instancesSet')) {
                const id = childText(instance, 'instanceId');
                if (id) states.set(id, { state: childText(child(instance, 'instanceState'), 'name') ?? '', instanceType: childText(instance, 'instanceType') ?? '' });
              }
            }
          }),
        ),
      );
      return states;
    },
    async describeInstanceState(instanceId) {
      try {
        const { doc } = await call('DescribeInstances', { 'InstanceId.1': instanceId });
        const instance = items(items(doc, 'reservationSet')[0], 'instancesSet')[0];
        if (!instance) return undefined;
        return { state: childText(child(instance, 'instanceState'), 'name') ?? '', instanceType: childText(instance, 'instanceType') ?? '' };
      } catch (err) {
        if (err instanceof Ec2Error && err.code === 'InvalidInstanceID.NotFound') return undefined;
        throw err;
      }
    },
    instanceLimits(instanceType) {
      const bundled = bundledInstanceLimits(instanceType);
      if (bundled) return Promise.resolve(bundled);
      let pending = limitsCache.get(instanceType);
      if (!pending) {
        pending = call('DescribeInstanceTypes', { 'InstanceType.1': instanceType }).then(({ doc }) => {
          const info = items(doc, 'instanceTypeSet')[0];
          const net = child(info, 'networkInfo');
          const perInterface = Number(childText(net, 'ipv4AddressesPerInterface'));
          const interfaces = Number(childText(net, 'maximumNetworkInterfaces'));
          if (!info || !perInterface || !interfaces) {
            throw new Ec2Error('not-found', 'InvalidInstanceType', 'DescribeInstanceTypes', `EC2 DescribeInstanceTypes found no instance type ${instanceType} (or its network limits)`);
          }
          const hypervisor = childText(info, 'hypervisor');
          return {
            instanceType,
            ipv4PerInterface: perInterface,
            interfaces,
            hypervisor: hypervisor === 'nitro' || hypervisor === 'xen' ? hypervisor : '',
            isBareMetal: childText(info, 'bareMetal') === 'true',
          } satisfies InstanceLimits;
        });
        limitsCache.set(instanceType, pending);
      }
      return pending;
    },
    async describeSubnet(subnetId) {
      const { doc } = await call('DescribeSubnets', { 'SubnetId.1': subnetId });
      const s = items(doc, 'subnetSet')[0];
      if (!s) throw new Ec2Error('not-found', 'InvalidSubnetID.NotFound', 'DescribeSubnets', `EC2 DescribeSubnets found no subnet ${subnetId}`);
      return subnetOf(s, subnetId);
    },
    async describeSubnets(subnetIds) {
      const unique = [...new Set(subnetIds)];
      if (unique.length === 0) return [];
      const params: Record<string, string> = {};
      unique.forEach((id, i) => (params[`SubnetId.${i + 1}`] = id));
      const { doc } = await call('DescribeSubnets', params);
      const found = items(doc, 'subnetSet').map((s) => subnetOf(s, ''));
      const missing = unique.filter((id) => !found.some((s) => s.subnetId === id));
      if (missing.length > 0) throw new Ec2Error('not-found', 'InvalidSubnetID.NotFound', 'DescribeSubnets', `EC2 DescribeSubnets found no subnet ${missing.join(', ')}`);
      return found;
    },
    async subnetCidrReservations(subnetId) {
      const all: CidrReservation[] = [];
      let nextToken: string | undefined;
      do {
        const { doc } = await call('GetSubnetCidrReservations', { SubnetId: subnetId, MaxResults: pageSize, ...(nextToken ? { NextToken: nextToken } : {}) });
        for (const r of items(doc, 'subnetIpv4CidrReservationSet')) {
          all.push({
            reservationId: childText(r, 'subnetCidrReservationId') ?? '',
            subnetId: childText(r, 'subnetId') ?? subnetId,
            cidr: childText(r, 'cidr') ?? '',
            type: childText(r, 'reservationType') === 'prefix' ? 'prefix' : 'explicit',
          });
        }
        nextToken = childText(doc, 'nextToken') || undefined;
      } while (nextToken);
      return all;
    },
    close: () => agent.destroy(),
  };
}

function subnetOf(s: XmlElement, fallbackId: string): Subnet {
  return {
    subnetId: childText(s, 'subnetId') ?? fallbackId,
    vpcId: childText(s, 'vpcId') ?? '',
    cidr: childText(s, 'cidrBlock') ?? '',
    availabilityZone: childText(s, 'availabilityZone') ?? '',
    availableIpAddressCount: Number(childText(s, 'availableIpAddressCount') ?? 0),
  };
}

function eniOf(e: XmlElement): NetworkInterface {
  const attachment = child(e, 'attachment');
  const deviceIndex = childText(attachment, 'deviceIndex');
  return {
    networkInterfaceId: childText(e, 'networkInterfaceId') ?? '',
    subnetId: childText(e, 'subnetId') ?? '',
    vpcId: childText(e, 'vpcId') ?? '',
    availabilityZone: childText(e, 'availabilityZone') ?? '',
    deviceIndex: deviceIndex === undefined || deviceIndex === '' ? undefined : Number(deviceIndex),
    instanceId: childText(attachment, 'instanceId') || undefined,
    status: childText(e, 'status') ?? '',
    primaryPrivateIp: childText(e, 'privateIpAddress') ?? '',
    secondaryIps: items(e, 'privateIpAddressesSet')
      .filter((a) => childText(a, 'primary') !== 'true')
      .map((a) => childText(a, 'privateIpAddress') ?? '')
      .filter(Boolean),
    prefixes: items(e, 'ipv4PrefixSet')
      .map((p) => childText(p, 'ipv4Prefix') ?? '')
      .filter(Boolean),
  };
}

/** An answer that is no EC2 XML (a 404 page, a proxy's error): say what answered, not "Unknown". */
function notEc2(status: number, text: string, action: string, endpoint: string): Ec2Error {
  const snippet = text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 120);
  return new Ec2Error(
    status >= 500 ? 'other' : 'unreachable',
    `HTTP${status}`,
    action,
    `EC2 endpoint ${endpoint} answered ${action} with HTTP ${status}${snippet ? ` ("${snippet}")` : ''}, which is not an EC2 response: check --ec2-endpoint or AWS_ENDPOINT_URL_EC2 (it must be an EC2 API endpoint such as https://ec2.REGION.amazonaws.com)`,
  );
}

function post(url: URL, headers: Record<string, string>, body: string, agent: Agent | HttpAgent, timeoutMs: number, action: string, endpoint: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      f();
    };
    const secure = url.protocol === 'https:';
    const req = (secure ? https() : http()).request(
      {
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port || (secure ? 443 : 80),
        path: url.pathname || '/',
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => finish(() => reject(unreachable(e, action, endpoint))));
        res.on('end', () => finish(() => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') })));
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      finish(() =>
        reject(new Ec2Error('unreachable', 'TimeoutError', action, `EC2 endpoint ${endpoint} did not answer ${action} within ${formatMs(timeoutMs)} (--request-timeout)`)),
      );
    }, timeoutMs);
    req.on('error', (e) => finish(() => reject(unreachable(e, action, endpoint))));
    req.end(body);
  });
}

function unreachable(e: Error, action: string, endpoint: string): Ec2Error {
  const code = (e as NodeJS.ErrnoException).code ?? e.name;
  return new Ec2Error(kindOfCode(code) === 'other' ? 'unreachable' : kindOfCode(code), code, action, `EC2 endpoint ${endpoint} is unreachable (${e.message})`, { cause: e });
}
