/**
 * @module
 * The document `check -o json|yaml` prints, a ClusterCheck: what was checked, each node's verdict, and every
 * finding, those of `describe node` (per node, the same kinds and wording) and the cross-node ones. Written once
 * with pkg/core/schema/shape.ts: the TypeScript type, the validator the tests run on real output, and the field
 * list in docs/plugin-commands.md (a test keeps them equal). Fields are only ever added within `winprefix.io/v1`.
 */
import { arr, bool, count, describeShape, exactly, obj, oneOf, orNull, str, validate, type Infer } from '../../pkg/core/schema/shape.ts';
import { CROSS_NODE_FINDING_KINDS } from '../cluster/cross-node.ts';
import { FINDING_KINDS, REPORT_API_VERSION } from '../describe/report.ts';
import { FINDING_FIELDS } from '../findings.ts';

export const CHECK_KIND = 'ClusterCheck';

export const CLUSTER_CHECK_SCHEMA = obj({
  apiVersion: exactly(REPORT_API_VERSION),
  kind: exactly(CHECK_KIND),
  metadata: obj({
    generatedAt: str,
    /** The -l selector, or null. */
    selector: orNull(str),
    /** The nodes named on the command line; empty: every Windows node. */
    nodeNames: arr(str),
  }),
  summary: obj({
    nodes: count,
    /** Nodes whose ENIs EC2 showed: the others could not be verified (see nodes[].ec2.error). */
    verified: count,
    nodesWithFindings: count,
    findings: count,
    crossNodeFindings: count,
    /** IPAM pods on the checked nodes (as describe node counts them), and those without an address. */
    pods: count,
    podsWithoutAddress: count,
    /** 0 all verified and no finding, 1 findings, 2 some node could not be verified. */
    exitCode: count,
  }),
  nodes: arr(
    obj({
      name: str,
      managedBy: oneOf('winprefix', 'aws-vpc-resource-controller', 'unknown'),
      mode: oneOf('prefix', 'secondary', 'mixed', 'unmanaged', 'unknown'),
      pods: count,
      podsWithoutAddress: count,
      /** Findings about this node: its own and the cross-node ones it is part of. */
      findings: count,
      kinds: arr(str),
      ec2: obj({ read: bool, error: orNull(str), errorCode: orNull(str) }),
    }),
  ),
  findings: arr(
    obj({
      kind: oneOf(...FINDING_KINDS, ...CROSS_NODE_FINDING_KINDS),
      /** `node`: what describe node reports for each of `nodes` (identical findings of several nodes are one); `cross-node`: only the cluster shows it. */
      scope: oneOf('node', 'cross-node'),
      /** The nodes it is about, sorted. */
      nodes: arr(str),
      ...FINDING_FIELDS,
    }),
  ),
});

export type ClusterCheck = Infer<typeof CLUSTER_CHECK_SCHEMA>;
export type CheckFinding = ClusterCheck['findings'][number];
export type CheckNode = ClusterCheck['nodes'][number];

export function validateClusterCheck(value: unknown): string[] {
  return validate(CLUSTER_CHECK_SCHEMA, value);
}

/** The field list docs/plugin-commands.md shows. */
export function describeClusterCheckSchema(): string[] {
  return describeShape(CLUSTER_CHECK_SCHEMA);
}
