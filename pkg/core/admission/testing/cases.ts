/**
 * @module
 * The admission cases every form of the rules must pass: the pure webhook handlers (unit tests),
 * the webhooks as kube-apiserver calls them, and the admission policies kube-apiserver evaluates
 * itself (test/admission/). One table, so the forms cannot drift apart.
 *
 * Pod specs are written as the API server hands them to admission, i.e. after its defaulting:
 * a container that sets limits also has requests (the API server copies limits into missing
 * requests before any admission plugin runs).
 */
import { ConfigKeys, OS_LABEL, OS_LABEL_BETA, RESOURCE_NAME, WINDOWS } from '../../contract.ts';
import type { AdmissionReview, JsonPatchOp } from '../review.ts';

export interface MutationCase {
  name: string;
  spec: Record<string, unknown>;
  /** For each container: the IP resource's [request, limit] after admission (undefined: not set). */
  expect: Array<[string | undefined, string | undefined]>;
}

const R = RESOURCE_NAME;
const windows = { nodeSelector: { [OS_LABEL]: WINDOWS } };
const app = (resources?: Record<string, unknown>) => ({ name: 'app', image: 'mcr.microsoft.com/windows/nanoserver:ltsc2022', ...(resources ? { resources } : {}) });
const sidecar = (resources?: Record<string, unknown>) => ({ name: 'sidecar', image: 'sidecar', ...(resources ? { resources } : {}) });
const required = (terms: unknown[]) => ({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } } });
const osIn = (key: string, values: string[]) => ({ matchExpressions: [{ key, operator: 'In', values }] });

const ONE: [string, string] = ['1', '1'];
const NONE: [undefined, undefined] = [undefined, undefined];

/** With IPAM enabled. */
export const MUTATION_CASES: readonly MutationCase[] = [
  { name: `nodeSelector ${OS_LABEL}=windows: container 0 only`, spec: { ...windows, containers: [app(), sidecar()] }, expect: [ONE, NONE] },
  { name: `nodeSelector ${OS_LABEL_BETA}=windows`, spec: { nodeSelector: { [OS_LABEL_BETA]: WINDOWS }, containers: [app()] }, expect: [ONE] },
  {
    name: 'existing limits and requests keep their entries',
    spec: { ...windows, containers: [app({ limits: { cpu: '1' }, requests: { cpu: '500m', memory: '1Gi' } })] },
    expect: [ONE],
  },
  { name: 'requests only: the limits map is added', spec: { ...windows, containers: [app({ requests: { memory: '1Gi' } })] }, expect: [ONE] },
  { name: `required affinity ${OS_LABEL} In [windows]`, spec: { ...required([osIn(OS_LABEL, [WINDOWS])]), containers: [app()] }, expect: [ONE] },
  {
    name: `required affinity ${OS_LABEL_BETA} In [windows] beside another expression`,
    spec: { ...required([{ matchExpressions: [{ key: 'zone', operator: 'Exists' }, { key: OS_LABEL_BETA, operator: 'In', values: [WINDOWS] }] }]), containers: [app()] },
    expect: [ONE],
  },
  { name: 'affinity also allowing linux', spec: { ...required([osIn(OS_LABEL, [WINDOWS, 'linux'])]), containers: [app()] }, expect: [NONE] },
  { name: 'affinity NotIn linux', spec: { ...required([{ matchExpressions: [{ key: OS_LABEL, operator: 'NotIn', values: ['linux'] }] }]), containers: [app()] }, expect: [NONE] },
  {
    name: 'one affinity term without the OS label',
    spec: { ...required([osIn(OS_LABEL, [WINDOWS]), osIn('zone', ['a'])]), containers: [app()] },
    expect: [NONE],
  },
  {
    name: 'preferred affinity only',
    spec: { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: osIn(OS_LABEL, [WINDOWS]) }] } }, containers: [app()] },
    expect: [NONE],
  },
  { name: 'nodeSelector linux', spec: { nodeSelector: { [OS_LABEL]: 'linux' }, containers: [app()] }, expect: [NONE] },
  { name: 'no OS constraint', spec: { containers: [app()] }, expect: [NONE] },
  { name: 'hostNetwork Windows pod', spec: { ...windows, hostNetwork: true, containers: [app()] }, expect: [NONE] },
  {
    name: 'a later container already requests the resource',
    spec: { ...windows, containers: [app(), sidecar({ requests: { [R]: '2' }, limits: { [R]: '2' } })] },
    expect: [NONE, ['2', '2']],
  },
  // The API server requires request == limit for an extended resource; 3 shows nothing replaced it with 1.
  { name: 'container 0 already requests the resource', spec: { ...windows, containers: [app({ requests: { [R]: '3' }, limits: { [R]: '3' } })] }, expect: [['3', '3']] },
];

/** The ConfigMap states of the IPAM switch; undefined data means the ConfigMap does not exist. */
export const SWITCH_CASES: ReadonlyArray<{ name: string; data: Record<string, string> | undefined; enabled: boolean }> = [
  { name: 'enabled', data: { [ConfigKeys.enableWindowsIpam]: 'true' }, enabled: true },
  { name: 'enabled as "T"', data: { [ConfigKeys.enableWindowsIpam]: 'T' }, enabled: true },
  { name: 'disabled', data: { [ConfigKeys.enableWindowsIpam]: 'false' }, enabled: false },
  { name: 'not a boolean', data: { [ConfigKeys.enableWindowsIpam]: 'yes' }, enabled: false },
  { name: 'key absent', data: { [ConfigKeys.enableWindowsPrefixDelegation]: 'true' }, enabled: false },
  { name: 'ConfigMap missing', data: undefined, enabled: false },
];

/** The Windows pod the switch cases create. */
export const SWITCH_POD_SPEC: Record<string, unknown> = { ...windows, containers: [app()] };

/** What a case's pod looks like after admission, as the expectation reads it. */
export function ipResources(spec: unknown): Array<[string | undefined, string | undefined]> {
  const containers = ((spec as { containers?: Array<{ resources?: { requests?: Record<string, string>; limits?: Record<string, string> } }> }).containers ?? []);
  return containers.map((c) => [c.resources?.requests?.[R], c.resources?.limits?.[R]]);
}

/** A review of a pod, as kube-apiserver sends it: `object` for CREATE and UPDATE, `oldObject` for UPDATE and DELETE. */
export function podReview(o: { uid: string; operation: 'CREATE' | 'UPDATE' | 'DELETE'; username: string; object?: unknown; oldObject?: unknown }): AdmissionReview {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: o.uid,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      operation: o.operation,
      userInfo: { username: o.username },
      ...(o.object !== undefined ? { object: o.object } : {}),
      ...(o.oldObject !== undefined ? { oldObject: o.oldObject } : {}),
    },
  };
}

/** A CREATE review of a pod with this spec, as kube-apiserver sends it. */
export function podCreateReview(spec: Record<string, unknown>, uid = 'case'): AdmissionReview {
  return podReview({ uid, operation: 'CREATE', username: 'alice', object: { metadata: { name: 'case' }, spec: structuredClone(spec) } });
}

/** Applies a patch of "add" operations (all the mutator emits) to a copy of `doc`. */
export function applyAddPatch<T>(doc: T, ops: JsonPatchOp[]): T {
  const out = structuredClone(doc) as Record<string, unknown>;
  for (const op of ops) {
    if (op.op !== 'add') throw new Error(`applyAddPatch: unexpected op ${op.op}`);
    const parts = op.path.split('/').slice(1).map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
    let cur = out;
    for (const p of parts.slice(0, -1)) cur = (Array.isArray(cur) ? cur[Number(p)] : cur[p]) as Record<string, unknown>;
    cur[parts.at(-1)!] = op.value;
  }
  return out as T;
}
