/**
 * @module
 * The SubnetReport: what `kubectl winprefix subnets` found, as one value, and its schema. The schema is the
 * single source of the report's TypeScript type, of its validation (tests check real `-o json` output
 * against it) and of the field list in docs/planning.md (a test keeps them equal).
 *
 * Field names are a public contract: add fields freely; never rename or remove one without bumping the
 * apiVersion. Unknown values are `null`, never absent.
 */
import { arr, cidr, count, describeShape, exactly, fraction, matching, obj, oneOf, orNull, str, validate, type Infer } from '../../pkg/core/schema/shape.ts';
import { REPORT_API_VERSION } from '../describe/report.ts';
import { FINDING_FIELDS } from '../findings.ts';

export const SUBNET_REPORT_KIND = 'SubnetReport';

export const SUBNET_FINDING_KINDS = [
  /** No aligned /28 is left: the next prefix any node asks for fails with InsufficientCidrBlocks. */
  'no-free-prefix-block',
  /** Fewer pods than --headroom can still get an address in prefix mode. */
  'headroom-below',
] as const;

export const SUBNET_REPORT_SCHEMA = obj({
  apiVersion: exactly(REPORT_API_VERSION),
  kind: exactly(SUBNET_REPORT_KIND),
  metadata: obj({
    generatedAt: str,
    /** The -l selector added to kubernetes.io/os=windows, or null. */
    selector: orNull(str),
    /** The --subnet-id values; empty when the subnets came from the nodes' primary ENIs. */
    subnetIds: arr(str),
    /** --headroom, or null. */
    headroomWanted: orNull(count),
  }),
  ec2: obj({ region: str, endpoint: orNull(str), profile: orNull(str) }),
  subnets: arr(
    obj({
      subnetId: str,
      vpcId: str,
      cidr,
      zone: str,
      /** DescribeSubnets' AvailableIpAddressCount, as EC2 counts it. */
      ec2AvailableIpAddressCount: count,
      addresses: obj({
        total: count,
        /** The first four and the last. */
        awsReserved: count,
        usable: count,
        /** Primary and secondary addresses of every ENI in the subnet, 16 per delegated prefix. */
        inUse: count,
        inUseByWindowsNodes: count,
        free: count,
      }),
      /** Where the free addresses are; the four add up to addresses.free. */
      free: obj({
        /** In aligned /28 blocks a prefix can take. */
        inFreeBlocks: count,
        /** In blocks that hold an address in use or touch a reservation: no prefix can take them. */
        stranded: count,
        /** In the subnet's first and last block, beside AWS's reserved addresses. */
        nextToAwsReserved: count,
        /** Kept by explicit reservations: handed out only when asked for by address. */
        inExplicitReservations: count,
      }),
      /** stranded / (stranded + inFreeBlocks): the fragmentation; null when neither holds an address. */
      strandedShare: orNull(fraction),
      blocks: obj({
        total: count,
        /** Aligned /28s EC2 can still give as prefixes. */
        free: count,
        /** Delegated prefixes. */
        prefixes: count,
        prefixesOfWindowsNodes: count,
        /** Blocks with free addresses that no prefix can take. */
        fragmented: count,
        full: count,
        /** The first and last block (they hold AWS's reserved addresses). */
        edge: count,
      }),
      headroom: obj({
        /** More Windows pods the subnet can give an address in prefix mode before InsufficientCidrBlocks: fromFreeBlocks + unusedInNodePrefixes. */
        pods: count,
        /** 16 per free block. */
        fromFreeBlocks: count,
        /** Addresses in the Windows nodes' prefixes no pod uses. */
        unusedInNodePrefixes: count,
        /** Slots of the Windows nodes' primary ENIs that can still take a prefix (nodes of known type). */
        freeSlotsOnNodes: count,
        /** How many of `pods` today's nodes can take: unusedInNodePrefixes + 16 per free block they have a slot for. */
        podsNodesCanTake: count,
      }),
      /** The largest aligned range of free addresses in no reservation: what to reserve for prefixes. */
      largestFreeRange: orNull(obj({ cidr, blocks: count })),
      /** Every free block outside reservations as the fewest aligned ranges, largest first (the first is largestFreeRange). */
      freeRanges: arr(obj({ cidr, blocks: count })),
      reservations: arr(
        obj({
          id: str,
          cidr,
          type: oneOf('prefix', 'explicit'),
          addresses: count,
          inUse: count,
          free: count,
          /** Whole /28 blocks inside it a prefix can take. */
          freeBlocks: count,
          /** Delegated prefixes inside it. */
          prefixes: count,
        }),
      ),
      /** The Windows nodes whose primary ENI is in this subnet. */
      nodes: arr(
        obj({
          name: str,
          instanceId: str,
          instanceType: orNull(str),
          interfaceId: str,
          /** What the primary ENI holds: prefixes, secondary IPs, both (a mode change draining), or neither. */
          mode: oneOf('prefix', 'secondary', 'mixed', 'none'),
          /** ipv4PerInterface - 1; null when the instance type is unknown. */
          slots: orNull(count),
          prefixes: count,
          secondaryIps: count,
          freeSlots: orNull(count),
          /** Running or pending pods on the node with an address. */
          podsWithAddress: count,
          unusedInPrefixes: count,
        }),
      ),
      /** ENIs in the subnet that are not a listed Windows node's primary ENI. */
      otherInterfaces: count,
      /** With --map: every /28 block, one character per address (# used, w Windows nodes, . free, x reserved, p kept for prefixes); else null. */
      map: orNull(arr(obj({ cidr, cells: matching(/^[#w.xp]{16}$/, '16 of # w . x p') }))),
    }),
  ),
  /** Windows nodes left out: no instance EC2 knows, no providerID. */
  skippedNodes: arr(obj({ name: str, reason: str })),
  findings: arr(obj({ kind: oneOf(...SUBNET_FINDING_KINDS), subnetId: str, ...FINDING_FIELDS })),
});

export type SubnetReport = Infer<typeof SUBNET_REPORT_SCHEMA>;
export type SubnetEntry = SubnetReport['subnets'][number];
export type SubnetNode = SubnetEntry['nodes'][number];
export type SubnetFinding = SubnetReport['findings'][number];

export function validateSubnetReport(value: unknown): string[] {
  return validate(SUBNET_REPORT_SCHEMA, value);
}

export function describeSubnetReportSchema(): string[] {
  return describeShape(SUBNET_REPORT_SCHEMA);
}
