/**
 * @module
 * The document `get nodes -o json|yaml` prints, a WindowsNodeList: one item per Windows node and the totals.
 * Written once with pkg/core/schema/shape.ts, it is the TypeScript type, the validator the tests run on real
 * output, and the field list in docs/plugin-commands.md (a test keeps them equal). Versioned like the
 * NodeReport: fields are only ever added within `winprefix.io/v1`; unknown values are `null`, never absent.
 */
import { arr, bool, count, describeShape, exactly, int, obj, oneOf, orNull, str, validate, type Infer } from '../../pkg/core/schema/shape.ts';
import { REPORT_API_VERSION } from '../describe/report.ts';

export const NODE_LIST_KIND = 'WindowsNodeList';

const managedBy = oneOf('winprefix', 'aws-vpc-resource-controller', 'unknown');

export const NODE_ROW_SCHEMA = obj({
  name: str,
  instanceId: orNull(str),
  instanceType: orNull(str),
  zone: orNull(str),
  /** Who manages the node's IPAM; `managedBySource` says whether the controller's status says so or it was inferred. */
  managedBy,
  mode: oneOf('prefix', 'secondary', 'mixed', 'unmanaged', 'unknown'),
  /** `status-annotation`: the winprefix controller says so; `inferred`: from EC2, the ConfigMap and the advertised capacity. */
  modeSource: oneOf('status-annotation', 'inferred'),
  /** Where the prefix and address counts come from: EC2 (with --ec2, or check), the controller's status, or only the pods. */
  occupancySource: oneOf('ec2', 'status-annotation', 'pods'),
  /** Attached /28 prefixes, those with all 16 addresses used, those with none used or cooling; null when only pods were read. */
  prefixes: orNull(obj({ attached: count, full: count, free: count })),
  /** Addresses on the ENI: used by pods, free (warm), cooling; free and cooling are null when only pods were read. */
  addresses: obj({ used: count, free: orNull(count), cooling: orNull(count) }),
  /** IPAM pods on the node (as describe node counts them): with an address, and waiting without one. */
  pods: obj({ withAddress: count, withoutAddress: count }),
  capacity: obj({ advertised: orNull(int), deliverable: orNull(int), maxPods: orNull(int) }),
  slots: obj({ total: orNull(int), prefixes: orNull(int), secondaryIps: orNull(int), free: orNull(int) }),
  /** What `check` reports for this node: its own findings and the cross-node ones it is part of. */
  findings: obj({ count, kinds: arr(str) }),
  /** The winprefix controller's status annotation: when it was written, or why it is unreadable. */
  status: obj({ present: bool, at: orNull(str), ageSeconds: orNull(count), error: orNull(str) }),
  ec2: obj({ read: bool, error: orNull(str) }),
});

export const NODE_LIST_SCHEMA = obj({
  apiVersion: exactly(REPORT_API_VERSION),
  kind: exactly(NODE_LIST_KIND),
  metadata: obj({
    generatedAt: str,
    /** The -l selector, or null. */
    selector: orNull(str),
    /** Whether EC2 was read (--ec2). */
    ec2: bool,
  }),
  items: arr(NODE_ROW_SCHEMA),
  /** Sums over the items: an item's null adds nothing; null when no item knows the value. */
  totals: obj({
    nodes: count,
    byManager: obj({ winprefix: count, awsVpcResourceController: count, unknown: count }),
    prefixes: orNull(obj({ attached: count, full: count, free: count })),
    addresses: obj({ used: count, free: orNull(count), cooling: orNull(count) }),
    pods: obj({ withAddress: count, withoutAddress: count }),
    capacity: obj({ advertised: orNull(count), deliverable: orNull(count) }),
    findings: count,
    nodesWithFindings: count,
  }),
});

export type NodeList = Infer<typeof NODE_LIST_SCHEMA>;
export type NodeRow = Infer<typeof NODE_ROW_SCHEMA>;
export type NodeTotals = NodeList['totals'];

export function validateNodeList(value: unknown): string[] {
  return validate(NODE_LIST_SCHEMA, value);
}

/** The field list docs/plugin-commands.md shows. */
export function describeNodeListSchema(): string[] {
  return describeShape(NODE_LIST_SCHEMA);
}

export function validateNodeRow(value: unknown): string[] {
  return validate(NODE_ROW_SCHEMA, value);
}
