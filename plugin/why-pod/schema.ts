/**
 * @module
 * The document `why pod -o json|yaml` prints, a PodAddressStory: the pod, its address (where from, when, how
 * long it took) and each stage of the address workflow with its state, evidence and, for the stage that failed,
 * the finding `describe node` makes of it (what it means, what to do, the commands). Written once with
 * pkg/core/schema/shape.ts: type, validator and the field list in docs/plugin-commands.md. Fields are only ever
 * added within `winprefix.io/v1`.
 */
import { arr, count, describeShape, exactly, obj, oneOf, orNull, str, validate, type Infer } from '../../pkg/core/schema/shape.ts';
import { POD_SOURCE_SCHEMA, REPORT_API_VERSION } from '../describe/report.ts';
import { FINDING_FIELDS } from '../findings.ts';

export const STORY_KIND = 'PodAddressStory';

/** The stages of a Windows pod's address, in the order they happen. */
export const STAGES = [
  /** The pod pins kubernetes.io/os: windows (nodeSelector or required node affinity), which is what the webhook looks for. */
  'selects-windows',
  /** The mutating webhook (or policy) added the vpc.amazonaws.com/PrivateIPv4Address request. */
  'resource-requested',
  /** The scheduler placed it on a Windows node an IPAM controller manages. */
  'scheduled',
  /** The controller wrote the address annotation. */
  'address-assigned',
  /** EC2 shows the address on the node's ENI (in a /28 prefix or as a secondary IP). */
  'on-eni',
  /** kubelet and the Windows CNI created its sandbox: the pod runs. */
  'sandbox-up',
] as const;
export type StageId = (typeof STAGES)[number];

export const STAGE_STATES = ['passed', 'failed', 'pending', 'unknown', 'not-reached'] as const;

export const POD_STORY_SCHEMA = obj({
  apiVersion: exactly(REPORT_API_VERSION),
  kind: exactly(STORY_KIND),
  metadata: obj({ generatedAt: str }),
  pod: obj({
    namespace: str,
    name: str,
    uid: str,
    phase: str,
    node: orNull(str),
    createdAt: orNull(str),
  }),
  /** working: every stage through on-eni passed and the sandbox did not fail; failed: a stage failed (or waits); unknown: a stage could not be verified. */
  verdict: oneOf('working', 'failed', 'unknown'),
  /** The first stage that failed or waits, or null. */
  stoppedAt: orNull(oneOf(...STAGES)),
  address: orNull(
    obj({
      ip: str,
      annotation: str,
      source: POD_SOURCE_SCHEMA,
      /** When the address was written: the ResourceAllocated event, else the annotation's managedFields entry. */
      assignedAt: orNull(str),
      assignedAtFrom: orNull(oneOf('event', 'managed-fields')),
      /** From the pod's creation to assignedAt. */
      secondsToAddress: orNull(count),
    }),
  ),
  stages: arr(
    obj({
      id: oneOf(...STAGES),
      /** The question the stage answers ("Address assigned?"). */
      title: str,
      state: oneOf(...STAGE_STATES),
      /** The answer in one line. */
      summary: str,
      /** What it is based on: events, the controller status, EC2, the pod's conditions. */
      evidence: arr(str),
      /** For a stage that failed: the finding, as describe node words it (or, before the pod has a node, as why pod does). */
      finding: orNull(obj({ kind: str, ...FINDING_FIELDS })),
    }),
  ),
});

export type PodStory = Infer<typeof POD_STORY_SCHEMA>;
export type Stage = PodStory['stages'][number];
export type StageFinding = NonNullable<Stage['finding']>;

export function validatePodStory(value: unknown): string[] {
  return validate(POD_STORY_SCHEMA, value);
}

export function describePodStorySchema(): string[] {
  return describeShape(POD_STORY_SCHEMA);
}
