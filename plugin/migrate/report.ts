/**
 * @module
 * The MigrationPlan: what `kubectl winprefix migrate --to MODE` works out, as one value, and its schema,
 * the single source of its TypeScript type, its validation (tests check real `-o json` output against
 * it) and the field list in docs/planning.md (a test keeps them equal).
 *
 * Field names are a public contract: add fields freely; never rename or remove one without bumping the
 * apiVersion. Unknown values are `null`, never absent.
 */
import { arr, bool, cidr, count, describeShape, exactly, int, obj, oneOf, orNull, str, validate, type Infer } from '../../pkg/core/schema/shape.ts';
import { REPORT_API_VERSION } from '../describe/report.ts';
import { FINDING_FIELDS } from '../findings.ts';

export const MIGRATION_PLAN_KIND = 'MigrationPlan';

export const MIGRATE_FINDING_KINDS = [
  /** After the switch a node would advertise more addresses than its ENI can deliver. */
  'over-advertised-after-switch',
  /** A subnet has too few free /28 blocks (or addresses) for what its nodes need in the new mode. */
  'subnet-short-after-switch',
] as const;

export const NODE_ACTIONS = [
  /** Nothing of the old mode is on the ENI: the node switches at once. */
  'none',
  /** Only unused addresses of the old mode are on the ENI: the controller releases them, no drain needed. */
  'release',
  /** Pods hold old-mode addresses: drain (or replace) the node so they come back with new ones. */
  'drain',
  /** The node cannot run the target mode (not Nitro): replace it with a type that can. */
  'replace',
  /** EC2 or the instance type could not be read: nothing can be said. */
  'unknown',
] as const;

const mode = oneOf('prefix', 'secondary');

export const MIGRATION_PLAN_SCHEMA = obj({
  apiVersion: exactly(REPORT_API_VERSION),
  kind: exactly(MIGRATION_PLAN_KIND),
  metadata: obj({
    generatedAt: str,
    /** --to. */
    to: mode,
    /** The -l selector added to kubernetes.io/os=windows, or null. */
    selector: orNull(str),
  }),
  ec2: obj({ region: str, endpoint: orNull(str), profile: orNull(str) }),
  configMap: obj({
    /** "namespace/name". */
    ref: str,
    found: bool,
    /** Why it could not be read, or null. */
    error: orNull(str),
    /** The switches as they are; null when the ConfigMap could not be read. */
    ipamEnabled: orNull(bool),
    prefixDelegationEnabled: orNull(bool),
    /** The keys to set; empty when the ConfigMap already selects the target mode. */
    set: arr(obj({ key: str, from: orNull(str), to: str })),
    /** The kubectl command that makes the change (patch, or create when the ConfigMap does not exist); null when none is needed. */
    command: orNull(str),
    /** The same change in YAML: a merge patch of `data` (kubectl patch --type merge --patch-file), or the whole ConfigMap when it is created. */
    yaml: orNull(str),
    /** Values of the ConfigMap the new mode cannot use as written, and what is used instead. */
    problems: arr(obj({ key: str, value: str, message: str })),
  }),
  /** Whether the PodDisruptionBudgets could be listed (a drain's blockers are unknown otherwise). */
  disruptionBudgets: obj({ read: bool, error: orNull(str) }),
  nodes: arr(
    obj({
      name: str,
      instanceId: orNull(str),
      instanceType: orNull(str),
      /** winprefix advertises only what the ENI can deliver; the AWS VPC Resource Controller (assumed without our status annotation) advertises the new mode's nominal capacity at once. */
      managedBy: oneOf('winprefix', 'aws-vpc-resource-controller'),
      /** spec.unschedulable. */
      cordoned: bool,
      now: obj({
        mode: oneOf('prefix', 'secondary', 'mixed', 'none', 'unknown'),
        /** node.status.capacity of the address resource. */
        advertised: orNull(int),
        slots: orNull(count),
        prefixes: count,
        secondaryIps: count,
        podsWithAddress: count,
        /** kubelet's max-pods (status.allocatable.pods). */
        maxPods: orNull(count),
      }),
      after: obj({
        /** The mode the node runs after the switch (a non-Nitro node stays in secondary mode); null when unknown. */
        mode: orNull(mode),
        modeReason: str,
        /** slots (secondary) or slots x 16 (prefix). */
        nominal: orNull(count),
        /** What the node will advertise. */
        advertised: orNull(count),
        /** What its ENI can deliver while the old mode's addresses under running pods stay (pkg/core/ipam/state.ts deliverableCapacity). */
        deliverable: orNull(count),
        overAdvertisedBy: count,
        /** Pods requesting an address beyond what is advertised: no new Windows pod lands until this many go. */
        podsBeyondCapacity: count,
        /** The effective warm targets in the new mode. */
        config: orNull(obj({ sizing: oneOf('ip-targets', 'prefix-target'), warmIPTarget: count, minimumIPTarget: count, warmPrefixTarget: count })),
        /** What the pool holds for today's pods in the new mode: prefixes, or secondary IPs (the real pool, simulated). */
        holdsForPods: orNull(count),
      }),
      oldMode: obj({
        mode: orNull(mode),
        /** Slots the old mode holds on the primary ENI. */
        slots: count,
        /** Of those, slots running pods keep until they go. */
        slotsHeldByPods: count,
        /** Pods on old-mode addresses: they keep them until they go. */
        pods: arr(obj({ namespace: str, name: str, address: str })),
      }),
      action: oneOf(...NODE_ACTIONS),
      why: str,
      /** Position in the drain/replace order; null for nodes with nothing to do. */
      order: orNull(count),
      /** PodDisruptionBudgets covering pods a drain would evict. */
      budgets: arr(obj({ namespace: str, name: str, disruptionsAllowed: count, pods: arr(str), blocks: bool })),
      subnetId: orNull(str),
      /** Why EC2 facts are missing; null when they were read. */
      unread: orNull(str),
    }),
  ),
  /** Room in each subnet of the switching nodes for what the new mode needs. */
  subnets: arr(
    obj({
      subnetId: str,
      cidr,
      nodes: arr(str),
      /** prefixes (to prefix mode: free /28 blocks) or addresses (to secondary mode). */
      unit: oneOf('prefixes', 'addresses'),
      /** What the nodes' pods need beyond what they hold. */
      needed: count,
      freeNow: count,
      /** Once the switching nodes' old-mode addresses are released (their secondary IPs free blocks; their prefixes free addresses). */
      freeAfterRelease: count,
      shortBy: count,
    }),
  ),
  /** The plan in order: each step what to do, with the commands. */
  steps: arr(obj({ step: count, what: str, nodes: arr(str), commands: arr(str) })),
  findings: arr(obj({ kind: oneOf(...MIGRATE_FINDING_KINDS), nodes: arr(str), subnetId: orNull(str), ...FINDING_FIELDS })),
});

export type MigrationPlan = Infer<typeof MIGRATION_PLAN_SCHEMA>;
export type PlannedNode = MigrationPlan['nodes'][number];
export type PlannedSubnet = MigrationPlan['subnets'][number];
export type MigrateFinding = MigrationPlan['findings'][number];
export type PlanStep = MigrationPlan['steps'][number];
export type NodeAction = PlannedNode['action'];

export function validateMigrationPlan(value: unknown): string[] {
  return validate(MIGRATION_PLAN_SCHEMA, value);
}

export function describeMigrationPlanSchema(): string[] {
  return describeShape(MIGRATION_PLAN_SCHEMA);
}

