/**
 * @module
 * One pod's address story, stage by stage (schema.ts, STAGES): read from the pod, its events and, once it is
 * on a node, that node's report, made by `describe node`'s own analysis. A stage fails with the finding that
 * analysis makes about this pod (so the evidence, meaning and advice are the ones `describe node` and `check`
 * print); before the pod has a node, why pod words the failure itself. Stages after the first that failed or
 * waits are "not-reached". Pure.
 */
import { EventReasons, NODE_STATUS_ANNOTATION, POD_IP_ANNOTATION, RESOURCE_NAME } from '../../pkg/core/contract.ts';
import { isWindowsPod } from '../../pkg/core/admission/pod-mutator.ts';
import { eventSource, eventTime, SANDBOX_FAILED } from '../describe/ipam-events.ts';
import * as finding from '../describe/findings.ts';
import { requestsAddress } from '../describe/pods.ts';
import type { Finding, NodeReport, ReportPod } from '../describe/report.ts';
import type { KubeEvent, KubePod } from '../kube/objects.ts';
import { formatAge } from '../render/age.ts';
import { REPORT_API_VERSION } from '../describe/report.ts';
import { STORY_KIND, type PodStory, type Stage, type StageFinding, type StageId } from './schema.ts';

export interface StoryInputs {
  pod: KubePod;
  /** Events about the pod, any reason (scheduling, IPAM, kubelet). */
  podEvents: readonly KubeEvent[];
  /** The report of the pod's node (describe node's analysis), when it is on a Windows node. */
  report: NodeReport | undefined;
  now: Date;
}

const TITLES: Record<StageId, string> = {
  'selects-windows': 'Selects Windows nodes?',
  'resource-requested': 'The webhook added the address request?',
  scheduled: 'Scheduled on a node IPAM manages?',
  'address-assigned': 'Address assigned?',
  'on-eni': "Address on the node's ENI in EC2?",
  'sandbox-up': 'Sandbox up?',
};

/** Node-level causes: the pod waits because nothing manages its node's addresses, not for an address. */
const UNMANAGED_CAUSES = new Set(['no-ipam-controller', 'unsupported-instance-type', 'instance-unreadable']);

type Outcome = { state: Stage['state']; summary: string; evidence?: string[]; finding?: Finding | StageFinding | null };

const ago = (now: Date, at: Date | null) => (at ? `${formatAge((now.getTime() - at.getTime()) / 1000)} ago` : 'at an unknown time');
const eventLine = (now: Date, e: KubeEvent) => `event ${e.reason ?? ''} ${ago(now, eventTime(e))}${eventSource(e) ? ` (${eventSource(e)})` : ''}: ${(e.message ?? '').trim()}`;
const newest = (events: readonly KubeEvent[], reason: string) =>
  events.filter((e) => e.reason === reason).sort((a, b) => (eventTime(b)?.getTime() ?? 0) - (eventTime(a)?.getTime() ?? 0))[0];

export function podStory(i: StoryInputs): PodStory {
  const { pod, report, now } = i;
  const ns = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  const ref = { namespace: ns, name };
  const mine = (f: Finding) => f.pods.some((p) => p.namespace === ns && p.name === name);
  const findings = (report?.findings ?? []).filter(mine);
  const findingOf = (kind: Finding['kind']) => findings.find((f) => f.kind === kind);
  const entry: ReportPod | undefined = report?.pods.find((p) => p.namespace === ns && p.name === name);
  const annotation = pod.metadata?.annotations?.[POD_IP_ANNOTATION] ?? null;
  const created = pod.metadata?.creationTimestamp ? new Date(pod.metadata.creationTimestamp) : null;
  const waitedText = created ? formatAge((now.getTime() - created.getTime()) / 1000) : 'an unknown time';
  const phase = pod.status?.phase ?? 'Unknown';
  const nodeName = pod.spec?.nodeName ?? null;
  // A finished pod gave its address back (the analysis leaves it out): its story ends at the address.
  const finished = phase === 'Succeeded' || phase === 'Failed';

  const assigned = assignedAt(pod, i.podEvents);
  const address: PodStory['address'] =
    annotation !== null && entry?.address
      ? {
          ip: entry.address,
          annotation,
          source: entry.source,
          assignedAt: assigned?.at.toISOString() ?? null,
          assignedAtFrom: assigned?.from ?? null,
          secondsToAddress: assigned && created ? Math.max(0, Math.round((assigned.at.getTime() - created.getTime()) / 1000)) : null,
        }
      : null;

  const stages: Array<[StageId, () => Outcome]> = [
    [
      'selects-windows',
      () => {
        const selects = pod.spec ? isWindowsPod(pod.spec) : false;
        if (selects) return { state: 'passed', summary: 'yes: it pins kubernetes.io/os: windows (node selector or required node affinity)' };
        if (requestsAddress(pod) || annotation !== null) return { state: 'passed', summary: `it does not pin kubernetes.io/os: windows, but requests ${RESOURCE_NAME} itself` };
        const f = findingOf('pod-without-resource-request');
        return {
          state: 'failed',
          summary: 'no: it does not pin kubernetes.io/os: windows, so the IPAM webhook leaves it alone and no controller gives it an address',
          finding: f ?? finding.podsWithoutResourceRequest({ pods: [ref], selectsWindows: false, longest: waitedText, sandboxError: null }),
        };
      },
    ],
    [
      'resource-requested',
      () => {
        if (requestsAddress(pod)) return { state: 'passed', summary: `yes: it requests 1 ${RESOURCE_NAME}` };
        if (annotation !== null) return { state: 'passed', summary: `it has no ${RESOURCE_NAME} request, yet an address annotation: something other than the webhook flow wrote it` };
        const f = findingOf('pod-without-resource-request');
        return {
          state: 'failed',
          summary: `no: it has no ${RESOURCE_NAME} request, so no IPAM controller will give it an address`,
          finding: f ?? finding.podsWithoutResourceRequest({ pods: [ref], selectsWindows: true, longest: waitedText, sandboxError: null }),
        };
      },
    ],
    ['scheduled', () => scheduled(i, findings, waitedText)],
    [
      'address-assigned',
      () => {
        if (finished) return { state: 'passed', summary: `the pod has finished (${phase})${annotation !== null ? `; it had ${annotation}, which went back to the pool` : ''}` };
        const unreadable = findingOf('unreadable-pod-address');
        if (unreadable) return { state: 'failed', summary: `no: the annotation "${annotation}" is not an IPv4 address`, finding: unreadable };
        if (annotation === null) {
          const f = findingOf('pod-without-address');
          return {
            state: 'failed',
            summary: `no: it has waited ${waitedText} without an address${f?.cause && f.cause !== 'unknown' ? ` (${f.cause})` : ''}`,
            evidence: i.podEvents.filter((e) => e.reason === EventReasons.resourceAllocationFailed).slice(-1).map((e) => eventLine(now, e)),
            finding: f ?? null,
          };
        }
        const duplicate = findingOf('duplicate-pod-address');
        const when = address?.assignedAt
          ? `, ${ago(now, new Date(address.assignedAt))}${address.secondsToAddress !== null ? `, ${formatAge(address.secondsToAddress)} after the pod was created` : ''}`
          : '';
        const evidence = [
          ...(assigned?.event ? [eventLine(now, assigned.event)] : []),
          ...(assigned?.from === 'managed-fields' ? [`the annotation was written ${ago(now, assigned.at)} by ${assigned.manager} (from the pod's managedFields: no ResourceAllocated event is left)`] : []),
        ];
        if (duplicate) return { state: 'failed', summary: `${entry?.address} is assigned, but other pods on the node carry it too`, evidence, finding: duplicate };
        return { state: 'passed', summary: `yes: ${entry?.address ?? annotation} (annotation "${annotation}")${when}`, evidence };
      },
    ],
    [
      'on-eni',
      () => {
        if (finished) return { state: 'not-reached', summary: 'the pod has finished: nothing to check on the ENI' };
        const lost = findingOf('pod-address-not-on-eni');
        if (lost) return { state: 'failed', summary: `no: ${lost.cause === 'host-address' ? 'it is the primary address of an ENI (the host\'s own)' : 'no ENI of the node holds it'}`, finding: lost };
        const source = entry?.source;
        if (source?.kind === 'prefix') return { state: 'passed', summary: `yes: inside /28 prefix ${source.prefix} on ${source.interfaceId}`, evidence: [`EC2${report?.ec2.region ? ` (${report.ec2.region})` : ''}: ${source.interfaceId} holds ${source.prefix}`] };
        if (source?.kind === 'secondary-ip') return { state: 'passed', summary: `yes: a secondary IP of ${source.interfaceId}`, evidence: [`EC2${report?.ec2.region ? ` (${report.ec2.region})` : ''}: ${source.interfaceId} holds ${entry?.address}`] };
        return { state: 'unknown', summary: `not verified: EC2 was not read (${report?.ec2.error ?? 'no report'})` };
      },
    ],
    ['sandbox-up', () => sandbox(i, findingOf('pod-sandbox-failing'), phase, waitedText)],
  ];

  const out: Stage[] = [];
  let stoppedAt: StageId | null = null;
  for (const [id, run] of stages) {
    if (stoppedAt) {
      out.push({ id, title: TITLES[id], state: 'not-reached', summary: '', evidence: [], finding: null });
      continue;
    }
    const o = run();
    out.push({ id, title: TITLES[id], state: o.state, summary: o.summary, evidence: o.evidence ?? [], finding: o.finding ? stageFinding(o.finding) : null });
    if (o.state === 'failed' || o.state === 'pending') stoppedAt = id;
  }
  const addressStages: StageId[] = finished ? ['selects-windows', 'resource-requested', 'scheduled', 'address-assigned'] : ['selects-windows', 'resource-requested', 'scheduled', 'address-assigned', 'on-eni'];
  const working = addressStages.every((id) => out.find((s) => s.id === id)?.state === 'passed') && !out.some((s) => s.state === 'failed');
  const unknown = !working && !stoppedAt && out.some((s) => s.state === 'unknown');
  return {
    apiVersion: REPORT_API_VERSION,
    kind: STORY_KIND,
    metadata: { generatedAt: now.toISOString() },
    pod: { namespace: ns, name, uid: pod.metadata?.uid ?? '', phase, node: nodeName, createdAt: created ? created.toISOString() : null },
    verdict: working ? 'working' : unknown ? 'unknown' : 'failed',
    stoppedAt,
    address,
    stages: out,
  };
}

function stageFinding(f: Finding | StageFinding): StageFinding {
  return { kind: f.kind, cause: f.cause, subject: f.subject, message: f.message, meaning: f.meaning, action: f.action, commands: [...f.commands], pods: f.pods.map((p) => ({ namespace: p.namespace, name: p.name })) };
}

function scheduled(i: StoryInputs, findings: readonly Finding[], waitedText: string): Outcome {
  const { pod, report, now } = i;
  const ns = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  if (!pod.spec?.nodeName) {
    const condition = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    const failedScheduling = newest(i.podEvents, 'FailedScheduling');
    const evidence = [
      ...(condition?.status === 'False' ? [`condition PodScheduled=False (${condition.reason ?? ''}): ${condition.message ?? ''}`] : []),
      ...(failedScheduling ? [eventLine(now, failedScheduling)] : []),
    ];
    const text = `${condition?.message ?? ''} ${failedScheduling?.message ?? ''}`;
    if (evidence.length === 0) return { state: 'pending', summary: `not yet: the scheduler has not placed it (waiting ${waitedText}, no scheduling event yet)` };
    const short = text.includes(RESOURCE_NAME);
    return {
      state: 'failed',
      summary: short ? `no: no Windows node has a free ${RESOURCE_NAME} for it` : 'no: the scheduler cannot place it',
      evidence,
      finding: {
        kind: 'pod-unschedulable',
        cause: short ? 'insufficient-address-capacity' : null,
        subject: `pod ${ns}/${name}`,
        message: `pod ${ns}/${name} has waited ${waitedText} for a node: ${(condition?.message ?? failedScheduling?.message ?? '').trim()}`,
        meaning: short
          ? `Every Windows node that fits it advertises no free ${RESOURCE_NAME}: their pools are full, their capacity is not advertised yet, or the IPAM controller advertises none (not managed, unsupported type).`
          : 'IPAM starts only once the pod is on a node; the reason it is not is unrelated to addresses (resources, taints, affinity).',
        action: short
          ? 'See which Windows nodes have room and what they advertise, then add Windows nodes (or larger instance types) or free addresses; a node that advertises nothing needs an IPAM controller.'
          : 'Fix what the scheduler names (kubectl describe pod shows the same), then the address follows.',
        commands: short ? ['kubectl winprefix get nodes --sort-by free', `kubectl describe pod -n ${ns} ${name}`] : [`kubectl describe pod -n ${ns} ${name}`],
        pods: [{ namespace: ns, name }],
      },
    };
  }
  const node = pod.spec.nodeName;
  if (!report) return { state: 'unknown', summary: `on node ${node}, which could not be read` };
  const waiting = findings.find((f) => f.kind === 'pod-without-address' && f.cause !== null && UNMANAGED_CAUSES.has(f.cause));
  const by = report.node.managedBy === 'winprefix' ? 'the winprefix controller' : report.node.managedBy === 'aws-vpc-resource-controller' ? 'the AWS VPC Resource Controller' : null;
  const where = `${node}${report.node.instanceType ? ` (${report.node.instanceType})` : ''}`;
  const evidence = [
    report.mode.source === 'status-annotation'
      ? `${report.mode.mode} mode, from the controller's status (${NODE_STATUS_ANNOTATION}${report.statusAnnotation.at ? `, written ${ago(now, new Date(report.statusAnnotation.at))}` : ''}): ${report.mode.reason}`
      : `${report.mode.mode} mode, inferred: ${report.mode.reason}`,
    ...(report.capacity.advertised !== null ? [`the node advertises ${report.capacity.advertised} ${RESOURCE_NAME}`] : []),
  ];
  if (waiting) return { state: 'failed', summary: `on ${where}, but ${by ? `${by} does not manage its addresses` : 'no IPAM controller manages it'} (${waiting.cause})`, evidence, finding: waiting };
  if (report.mode.mode === 'unmanaged' && report.node.managedBy === 'unknown') {
    return {
      state: 'failed',
      summary: `on ${where}, which the winprefix controller does not manage: ${report.mode.reason}`,
      evidence,
      finding: {
        kind: 'node-not-managed',
        cause: 'no-ipam-controller',
        subject: `node ${node}`,
        message: `the winprefix controller does not manage node ${node}: ${report.mode.reason}`,
        meaning: 'No IPAM controller gives addresses on this node, so Windows pods scheduled here never get one.',
        action: 'Do what the reason says, or run the pod on a node IPAM manages (kubectl winprefix get nodes shows who manages which).',
        commands: [`kubectl winprefix describe node ${node}`],
        pods: [{ namespace: ns, name }],
      },
    };
  }
  const managed = by !== null || (report.capacity.advertised ?? 0) > 0;
  return {
    state: 'passed',
    summary: `yes: on ${where}, IPAM by ${by ?? (managed ? 'a controller that advertises the resource' : 'no known controller')} in ${report.mode.mode} mode${report.mode.source === 'inferred' ? ' (inferred)' : ''}`,
    evidence,
  };
}

function sandbox(i: StoryInputs, failing: Finding | undefined, phase: string, waitedText: string): Outcome {
  const { pod, now } = i;
  if (failing) {
    const e = newest(i.podEvents, SANDBOX_FAILED);
    return { state: 'failed', summary: 'no: kubelet keeps failing to create its sandbox (host side: Windows CNI, HNS)', evidence: e ? [eventLine(now, e)] : [], finding: failing };
  }
  const statuses = pod.status?.containerStatuses ?? [];
  const ready = statuses.filter((c) => c.ready).length;
  if (phase === 'Running') return { state: 'passed', summary: `yes: Running${statuses.length > 0 ? `, ${ready}/${statuses.length} containers ready` : ''}` };
  if (phase === 'Succeeded' || phase === 'Failed') return { state: 'passed', summary: `the pod has finished (${phase}): it gave its address back` };
  const waitingReason = statuses.find((c) => c.state?.waiting)?.state?.waiting?.reason;
  return { state: 'pending', summary: `not yet: ${waitingReason ?? 'Pending'} for ${waitedText}; kubelet has reported no sandbox failure` };
}

/** When the address was written: the pod's ResourceAllocated event, else the managedFields entry of its annotation. */
function assignedAt(pod: KubePod, events: readonly KubeEvent[]): { at: Date; from: 'event' | 'managed-fields'; event?: KubeEvent; manager?: string } | undefined {
  const event = newest(events, EventReasons.resourceAllocated);
  const at = event ? eventTime(event) : null;
  if (event && at) return { at, from: 'event', event };
  const key = `f:${POD_IP_ANNOTATION}`;
  for (const entry of pod.metadata?.managedFields ?? []) {
    const annotations = (entry.fieldsV1?.['f:metadata'] as Record<string, unknown> | undefined)?.['f:annotations'] as Record<string, unknown> | undefined;
    if (annotations && Object.hasOwn(annotations, key) && entry.time) return { at: new Date(entry.time), from: 'managed-fields', manager: entry.manager ?? 'an unnamed client' };
  }
  return undefined;
}
