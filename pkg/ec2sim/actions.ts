/**
 * @module
 * The EC2 actions the simulator serves: each reads Query parameters the way EC2 does, calls the world model,
 * and returns the response body in EC2's XML element names. Unknown actions answer InvalidAction.
 */
import type { Faults } from './faults.ts';
import { ID_PATTERNS } from './ids.ts';
import { matchesFilters, paginate, type QueryParams } from './query-params.ts';
import { SimError } from './sim-error.ts';
import { OWNER_ID, type InstanceView, type NetworkInterfaceView, type SubnetView, type World } from './world.ts';
import type { XmlValue } from './xml.ts';

export interface ActionContext {
  world: World;
  faults: Faults;
  params: QueryParams;
}

type Handler = (ctx: ActionContext) => Record<string, XmlValue>;

const PAGE = { min: 5, max: 1000 } as const;

function checkIds(ids: string[], pattern: RegExp, malformedCode: string, expecting: string): void {
  for (const id of ids) {
    if (!pattern.test(id)) throw new SimError(malformedCode, `Invalid id: "${id}" (expecting "${expecting}")`);
  }
}

function notFound(code: string, noun: string, missing: string[]): SimError {
  return missing.length === 1
    ? new SimError(code, `The ${noun} ID '${missing[0]}' does not exist`)
    : new SimError(code, `The ${noun} IDs '${missing.join(', ')}' do not exist`);
}

function requestKey(action: string, params: QueryParams, names: string[]): string {
  return JSON.stringify([action, ...names.map((n) => params.get(n) ?? params.list(n).join(','))]);
}

/** How one Describe* action finds its resources by id, filter and page. */
interface DescribeSpec<T> {
  action: string;
  /** The flattened id list parameter, e.g. "NetworkInterfaceId". */
  idParam: string;
  id: { pattern: RegExp; expecting: string; malformedCode: string; notFoundCode: string; noun: string };
  /** EC2's message when ids and MaxResults come together; absent where EC2 allows both. */
  idsWithMaxResults?: string;
  filters: readonly string[];
  field: (item: T, filterName: string) => string | string[] | undefined;
  has: (id: string) => boolean;
  get: (id: string) => T;
  all: () => T[];
}

/** The part every Describe* action shares: ids checked and looked up (or all), filters applied, one page. */
function describeResources<T>(params: QueryParams, spec: DescribeSpec<T>): { page: T[]; nextToken: string | undefined } {
  const ids = params.list(spec.idParam);
  const filters = params.filters(spec.filters);
  const maxResults = params.integer('MaxResults', PAGE);
  if (spec.idsWithMaxResults !== undefined && ids.length > 0 && maxResults !== undefined) {
    throw new SimError('InvalidParameterCombination', spec.idsWithMaxResults);
  }
  checkIds(ids, spec.id.pattern, spec.id.malformedCode, spec.id.expecting);
  const missing = ids.filter((id) => !spec.has(id));
  if (missing.length > 0) throw notFound(spec.id.notFoundCode, spec.id.noun, missing);
  const all = ids.length > 0 ? ids.map(spec.get) : spec.all();
  return paginate(
    all.filter((item) => matchesFilters(filters, (name) => spec.field(item, name))),
    {
      maxResults,
      nextToken: params.get('NextToken'),
      requestKey: requestKey(spec.action, params, [spec.idParam, 'MaxResults']) + JSON.stringify(filters),
    },
  );
}

/** The address lists of an ENI, the same in DescribeNetworkInterfaces and in DescribeInstances. */
function eniAddressesXml(e: NetworkInterfaceView): Record<string, XmlValue> {
  return {
    privateIpAddressesSet: [
      { privateIpAddress: e.primaryPrivateIp, primary: true },
      ...e.secondaryIps.map((ip) => ({ privateIpAddress: ip, primary: false })),
    ],
    ipv4PrefixSet: e.prefixes.length > 0 ? e.prefixes.map((p) => ({ ipv4Prefix: p })) : undefined,
  };
}

function eniXml(e: NetworkInterfaceView): XmlValue {
  return {
    networkInterfaceId: e.networkInterfaceId,
    subnetId: e.subnetId,
    vpcId: e.vpcId,
    availabilityZone: e.availabilityZone,
    description: e.description,
    ownerId: e.ownerId,
    requesterManaged: false,
    status: e.status,
    macAddress: e.macAddress,
    privateIpAddress: e.primaryPrivateIp,
    sourceDestCheck: true,
    interfaceType: 'interface',
    attachment: e.instanceId === undefined ? undefined : {
      attachmentId: e.attachmentId,
      instanceId: e.instanceId,
      instanceOwnerId: e.ownerId,
      deviceIndex: e.deviceIndex,
      networkCardIndex: 0,
      status: 'attached',
      deleteOnTermination: true,
    },
    ...eniAddressesXml(e),
  };
}

/** An ENI as DescribeInstances nests it: no zone, and the attachment does not repeat the instance. */
function instanceEniXml(e: NetworkInterfaceView): XmlValue {
  return {
    networkInterfaceId: e.networkInterfaceId,
    subnetId: e.subnetId,
    vpcId: e.vpcId,
    description: e.description,
    ownerId: e.ownerId,
    status: e.status,
    macAddress: e.macAddress,
    privateIpAddress: e.primaryPrivateIp,
    sourceDestCheck: true,
    interfaceType: 'interface',
    attachment: {
      attachmentId: e.attachmentId,
      deviceIndex: e.deviceIndex,
      networkCardIndex: 0,
      status: 'attached',
      deleteOnTermination: true,
    },
    ...eniAddressesXml(e),
  };
}

function instanceXml(i: InstanceView): XmlValue {
  return {
    instanceId: i.instanceId,
    imageId: 'ami-0123456789abcdef0',
    instanceState: { code: i.state === 'running' ? 16 : i.state === 'pending' ? 0 : i.state === 'stopping' ? 64 : 80, name: i.state },
    instanceType: i.instanceType,
    placement: { availabilityZone: i.availabilityZone, tenancy: 'default' },
    platform: i.platform === 'windows' ? 'windows' : undefined,
    subnetId: i.subnetId,
    vpcId: i.vpcId,
    privateIpAddress: i.privateIp,
    architecture: 'x86_64',
    hypervisor: i.hypervisor,
    networkInterfaceSet: i.interfaces.map(instanceEniXml),
  };
}

function eniField(e: NetworkInterfaceView, name: string): string | string[] | undefined {
  switch (name) {
    case 'subnet-id': return e.subnetId;
    case 'attachment.instance-id': return e.instanceId;
    case 'vpc-id': return e.vpcId;
    case 'network-interface-id': return e.networkInterfaceId;
    case 'status': return e.status;
    case 'availability-zone': return e.availabilityZone;
    case 'private-ip-address': return e.primaryPrivateIp;
    // Every private IPv4 address of the ENI, secondaries included: "which ENI holds this address?"
    case 'addresses.private-ip-address': return [e.primaryPrivateIp, ...e.secondaryIps];
    case 'attachment.device-index': return e.deviceIndex === undefined ? undefined : String(e.deviceIndex);
    default: return undefined;
  }
}

const describeNetworkInterfaces: Handler = ({ world, params }) => {
  const { page, nextToken } = describeResources(params, {
    action: 'DescribeNetworkInterfaces',
    idParam: 'NetworkInterfaceId',
    id: { pattern: ID_PATTERNS.networkInterface, expecting: 'eni-...', malformedCode: 'InvalidNetworkInterfaceID.Malformed', notFoundCode: 'InvalidNetworkInterfaceID.NotFound', noun: 'networkInterface' },
    idsWithMaxResults: 'The parameter NetworkInterfaceIds cannot be used with the parameter MaxResults',
    filters: ['subnet-id', 'attachment.instance-id', 'vpc-id', 'network-interface-id', 'status', 'availability-zone', 'private-ip-address', 'addresses.private-ip-address', 'attachment.device-index'],
    field: eniField,
    has: (id) => world.hasNetworkInterface(id),
    get: (id) => world.networkInterface(id),
    all: () => world.networkInterfaces(),
  });
  return { networkInterfaceSet: page.map(eniXml), nextToken };
};

function instanceField(i: InstanceView, name: string): string | undefined {
  switch (name) {
    case 'instance-id': return i.instanceId;
    case 'subnet-id': return i.subnetId;
    case 'vpc-id': return i.vpcId;
    case 'private-ip-address': return i.privateIp;
    case 'instance-state-name': return i.state;
    case 'instance-type': return i.instanceType;
    case 'platform': return i.platform === 'windows' ? 'windows' : undefined;
    default: return undefined;
  }
}

const describeInstances: Handler = ({ world, params }) => {
  const { page, nextToken } = describeResources(params, {
    action: 'DescribeInstances',
    idParam: 'InstanceId',
    id: { pattern: ID_PATTERNS.instance, expecting: 'i-...', malformedCode: 'InvalidInstanceID.Malformed', notFoundCode: 'InvalidInstanceID.NotFound', noun: 'instance' },
    idsWithMaxResults: 'The parameter instancesSet cannot be used with the parameter maxResults',
    filters: ['instance-id', 'subnet-id', 'vpc-id', 'private-ip-address', 'instance-state-name', 'instance-type', 'platform'],
    field: instanceField,
    has: (id) => world.hasInstance(id),
    get: (id) => world.instance(id),
    all: () => world.instances(),
  });
  // One reservation per instance: enough for every caller that takes "the first reservation's first instance".
  return {
    reservationSet: page.map((i) => ({
      reservationId: `r-${i.instanceId.slice(2)}`,
      ownerId: OWNER_ID,
      groupSet: [],
      instancesSet: [instanceXml(i)],
    })),
    nextToken,
  };
};

function subnetField(s: SubnetView, name: string): string | undefined {
  switch (name) {
    case 'subnet-id': return s.subnetId;
    case 'vpc-id': return s.vpcId;
    case 'availability-zone': return s.availabilityZone;
    case 'cidr-block': return s.cidr;
    default: return undefined;
  }
}

const describeSubnets: Handler = ({ world, params }) => {
  const { page, nextToken } = describeResources(params, {
    action: 'DescribeSubnets',
    idParam: 'SubnetId',
    id: { pattern: ID_PATTERNS.subnet, expecting: 'subnet-...', malformedCode: 'InvalidSubnetID.Malformed', notFoundCode: 'InvalidSubnetID.NotFound', noun: 'subnet' },
    filters: ['subnet-id', 'vpc-id', 'availability-zone', 'cidr-block'],
    field: subnetField,
    has: (id) => world.hasSubnet(id),
    get: (id) => world.subnet(id),
    all: () => world.subnets(),
  });
  return {
    subnetSet: page.map((s) => ({
      subnetId: s.subnetId,
      subnetArn: `arn:aws:ec2:${world.region}:${OWNER_ID}:subnet/${s.subnetId}`,
      state: 'available',
      vpcId: s.vpcId,
      ownerId: OWNER_ID,
      cidrBlock: s.cidr,
      availableIpAddressCount: s.availableIpAddressCount,
      availabilityZone: s.availabilityZone,
      defaultForAz: false,
      mapPublicIpOnLaunch: false,
    })),
    nextToken,
  };
};

const getSubnetCidrReservations: Handler = ({ world, params }) => {
  const subnetId = params.required('SubnetId');
  checkIds([subnetId], ID_PATTERNS.subnet, 'InvalidSubnetID.Malformed', 'subnet-...');
  const filters = params.filters(['reservationType', 'subnet-id']);
  const maxResults = params.integer('MaxResults', PAGE);
  const matching = world
    .reservations(subnetId)
    .filter((r) => matchesFilters(filters, (name) => (name === 'reservationType' ? r.type : r.subnetId)));
  const { page, nextToken } = paginate(matching, {
    maxResults,
    nextToken: params.get('NextToken'),
    requestKey: requestKey('GetSubnetCidrReservations', params, ['SubnetId', 'MaxResults']) + JSON.stringify(filters),
  });
  return {
    subnetIpv4CidrReservationSet: page.map((r) => ({
      subnetCidrReservationId: r.reservationId,
      subnetId: r.subnetId,
      cidr: r.cidr,
      reservationType: r.type,
      ownerId: r.ownerId,
      description: r.description || undefined,
    })),
    subnetIpv6CidrReservationSet: [],
    nextToken,
  };
};

const describeInstanceTypes: Handler = ({ world, params }) => {
  const requested = params.list('InstanceType');
  const maxResults = params.integer('MaxResults', { min: 5, max: 100 });
  if (requested.length > 0 && maxResults !== undefined) {
    throw new SimError('InvalidParameterCombination', 'The parameter InstanceTypes cannot be used with the parameter MaxResults');
  }
  const unknown = requested.filter((t) => !world.instanceLimits(t));
  if (unknown.length > 0) {
    throw new SimError('InvalidInstanceType', `The following supplied instance types do not exist: [${unknown.join(', ')}]`);
  }
  const names = requested.length > 0 ? requested : world.instanceTypeNames();
  // Unpaged "all types" listings are capped at 100 per page, as EC2 does.
  const { page, nextToken } = paginate(names, {
    maxResults: requested.length > 0 ? undefined : (maxResults ?? 100),
    nextToken: params.get('NextToken'),
    requestKey: requestKey('DescribeInstanceTypes', params, ['InstanceType', 'MaxResults']),
  });
  return {
    instanceTypeSet: page.map((name) => {
      const l = world.instanceLimits(name)!;
      return {
        instanceType: name,
        currentGeneration: true,
        bareMetal: l.isBareMetal,
        hypervisor: l.hypervisor === '' ? undefined : l.hypervisor,
        networkInfo: {
          networkPerformance: 'Up to 10 Gigabit',
          maximumNetworkInterfaces: l.interfaces,
          maximumNetworkCards: 1,
          defaultNetworkCardIndex: 0,
          ipv4AddressesPerInterface: l.ipv4PerInterface,
          ipv6AddressesPerInterface: l.ipv4PerInterface,
          ipv6Supported: true,
          enaSupport: l.hypervisor === 'xen' ? 'unsupported' : 'required',
        },
      };
    }),
    nextToken,
  };
};

function eniParam(params: QueryParams): string {
  const id = params.required('NetworkInterfaceId');
  checkIds([id], ID_PATTERNS.networkInterface, 'InvalidNetworkInterfaceID.Malformed', 'eni-...');
  return id;
}

const assignPrivateIpAddresses: Handler = ({ world, faults, params }) => {
  const eniId = eniParam(params);
  const result = world.assign(
    eniId,
    {
      secondaryCount: params.integer('SecondaryPrivateIpAddressCount'),
      secondaryIps: params.list('PrivateIpAddress'),
      prefixCount: params.integer('Ipv4PrefixCount'),
      prefixes: params.list('Ipv4Prefix'),
    },
    { visibleAfterMs: faults.visibilityDelayMs },
  );
  return {
    networkInterfaceId: eniId,
    assignedPrivateIpAddressesSet: result.secondaryIps.length > 0 ? result.secondaryIps.map((ip) => ({ privateIpAddress: ip })) : undefined,
    assignedIpv4PrefixSet: result.prefixes.length > 0 ? result.prefixes.map((p) => ({ ipv4Prefix: p })) : undefined,
  };
};

const unassignPrivateIpAddresses: Handler = ({ world, params }) => {
  const eniId = eniParam(params);
  world.unassign(eniId, { secondaryIps: params.list('PrivateIpAddress'), prefixes: params.list('Ipv4Prefix') });
  return { return: true };
};

export const ACTIONS: Readonly<Record<string, Handler>> = {
  DescribeNetworkInterfaces: describeNetworkInterfaces,
  DescribeInstances: describeInstances,
  DescribeSubnets: describeSubnets,
  GetSubnetCidrReservations: getSubnetCidrReservations,
  DescribeInstanceTypes: describeInstanceTypes,
  AssignPrivateIpAddresses: assignPrivateIpAddresses,
  UnassignPrivateIpAddresses: unassignPrivateIpAddresses,
};

export function actionHandler(action: string): Handler {
  const handler = Object.hasOwn(ACTIONS, action) ? ACTIONS[action] : undefined;
  if (!handler) throw new SimError('InvalidAction', `The action ${action} is not valid for this web service.`);
  return handler;
}
