/**
 * @module
 * The pod mutation and the IP-annotation guard as admission policies (CEL evaluated inside
 * kube-apiserver), and the CEL the webhook registrations use. Every CEL text of the project lives
 * here, next to the webhook handlers it mirrors (pod-mutator.ts, annotation-guard.ts): one module
 * per form of each rule. The tests run the same cases through both forms on a real API server.
 *
 * - MutatingAdmissionPolicy (admissionregistration.k8s.io/v1, Kubernetes >= 1.36): Windows pods
 *   get request and limit 1 of the resource on their first container.
 * - ValidatingAdmissionPolicy (v1, Kubernetes >= 1.30): only the controller's identities may set,
 *   change or remove the IP annotation, on pods and every pod subresource.
 *
 * Both take the IPAM ConfigMap as their parameter (paramKind ConfigMap, the binding's paramRef
 * names the one the controller reads), so `enable-windows-ipam` switches them as it switches the
 * webhooks. A missing ConfigMap means IPAM off for the controller (pkg/core/ipam/config.ts), so the
 * bindings say `parameterNotFoundAction: Allow`: the policy is then not applied at all.
 */
import { ConfigKeys, OS_LABEL, OS_LABEL_BETA, POD_IP_ANNOTATION, RESOURCE_NAME, WINDOWS } from '../contract.ts';
import { TRUE_WORDS } from '../ipam/config.ts';
import { controllersText, GUARD_MESSAGE, type MessagePart } from './annotation-guard.ts';
import { RESOURCE_FIELDS, RESOURCE_QUANTITY, RESOURCES_PATH } from './pod-mutator.ts';
import { escapePointer } from './review.ts';

export const MUTATION_POLICY_NAME = 'winprefix-pod-mutator';
export const GUARD_POLICY_NAME = 'winprefix-ip-annotation-guard';
const API_VERSION = 'admissionregistration.k8s.io/v1';

export interface PolicyInputs {
  /** The IPAM ConfigMap the controller reads (--configmap). */
  configMap: { namespace: string; name: string };
  /** Usernames allowed to write the IP annotation, as the API server reports them. */
  controllerUsernames: readonly string[];
  labels?: Record<string, string>;
}

export interface NamedExpression {
  name: string;
  expression: string;
}

/** A CEL string literal (JSON's escapes are a subset of CEL's double-quoted string escapes). */
export function celString(text: string): string {
  return JSON.stringify(text);
}

function celList(items: Iterable<string>): string {
  return `[${[...items].map(celString).join(', ')}]`;
}

const ANNOTATION = celString(POD_IP_ANNOTATION);
const RESOURCE = celString(RESOURCE_NAME);

/** `enable-windows-ipam` is on, read from the param ConfigMap with the controller's word set. */
export const IPAM_ENABLED_CEL = `params.?data[?${celString(ConfigKeys.enableWindowsIpam)}].orValue("") in ${celList(TRUE_WORDS)}`;

/** The request is not from one of the controller's identities. */
export function notControllerCel(usernames: readonly string[]): string {
  return `!(request.userInfo.username in ${celList(usernames)})`;
}

const HAS_NEW = `(has(object.metadata.annotations) && ${ANNOTATION} in object.metadata.annotations)`;
const HAS_OLD = `(oldObject != null && has(oldObject.metadata.annotations) && ${ANNOTATION} in oldObject.metadata.annotations)`;

/**
 * The write sets, changes or removes the IP annotation (webhook match condition). Only those reach
 * the guard webhook: every other pod write, including each kubelet status update of a pod that
 * carries an address, never waits on it, so a stopped webhook with failurePolicy Fail blocks only
 * what it must. `oldObject` is null on CREATE (a new pod, or a pods/binding). Written with has()
 * rather than optionals, which not every server that has match conditions (1.28+) offers.
 */
export const CHANGES_ANNOTATION_CEL =
  `${HAS_NEW} != ${HAS_OLD} || ` +
  `(${HAS_NEW} && ${HAS_OLD} && object.metadata.annotations[${ANNOTATION}] != oldObject.metadata.annotations[${ANNOTATION}])`;

// ---- The pod mutation ------------------------------------------------------------------------

const OS_KEYS = celList([OS_LABEL, OS_LABEL_BETA]);
const W = celString(WINDOWS);

/** Same decision as pod-mutator.ts isWindowsPod: nodeSelector, or every required affinity term. */
const WINDOWS_POD_CEL =
  `object.spec.?nodeSelector[?${celString(OS_LABEL)}].orValue("") == ${W} || ` +
  `object.spec.?nodeSelector[?${celString(OS_LABEL_BETA)}].orValue("") == ${W} || ` +
  `(object.spec.?affinity.?nodeAffinity.?requiredDuringSchedulingIgnoredDuringExecution.?nodeSelectorTerms.orValue([]).size() > 0 && ` +
  `object.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.all(t, ` +
  `t.?matchExpressions.orValue([]).exists(e, e.key in ${OS_KEYS} && e.operator == "In" && ` +
  `e.?values.orValue([]).size() > 0 && e.values.all(v, v == ${W}))))`;

/** The pods the mutation applies to, in the order the webhook handler decides. */
export const MUTATION_MATCH_CONDITIONS: readonly NamedExpression[] = [
  { name: 'ipam-enabled', expression: IPAM_ENABLED_CEL },
  { name: 'pod-network', expression: '!object.spec.?hostNetwork.orValue(false)' },
  { name: 'windows-pod', expression: WINDOWS_POD_CEL },
  { name: 'has-containers', expression: 'object.spec.?containers.orValue([]).size() > 0' },
  {
    name: 'no-ip-resource-yet',
    expression: `!object.spec.containers.exists(c, ${RESOURCE_FIELDS.map((f) => `c.?resources.?${f}[?${RESOURCE}].hasValue()`).join(' || ')})`,
  },
];

/** Same patch as pod-mutator.ts: the whole resources, or each missing map, or the key into each map. */
const MUTATION_JSON_PATCH_CEL = (() => {
  const first = 'object.spec.containers[0]';
  const one = `{${RESOURCE}: ${celString(RESOURCE_QUANTITY)}}`;
  const perField = RESOURCE_FIELDS.map(
    (f) =>
      `has(${first}.resources.${f}) ` +
      `? JSONPatch{op: "add", path: ${celString(`${RESOURCES_PATH}/${f}/${escapePointer(RESOURCE_NAME)}`)}, value: ${celString(RESOURCE_QUANTITY)}} ` +
      `: JSONPatch{op: "add", path: ${celString(`${RESOURCES_PATH}/${f}`)}, value: ${one}}`,
  );
  const whole = `JSONPatch{op: "add", path: ${celString(RESOURCES_PATH)}, value: {${RESOURCE_FIELDS.map((f) => `${celString(f)}: ${one}`).join(', ')}}}`;
  return `has(${first}.resources) ? [${perField.join(', ')}] : [${whole}]`;
})();

function paramRef(o: PolicyInputs): Record<string, unknown> {
  return { name: o.configMap.name, namespace: o.configMap.namespace, parameterNotFoundAction: 'Allow' };
}

function meta(name: string, o: PolicyInputs): Record<string, unknown> {
  return o.labels ? { name, labels: o.labels } : { name };
}

/**
 * The MutatingAdmissionPolicy and its binding. failurePolicy Ignore, as the webhook: a policy
 * that cannot be evaluated leaves the pod as it is (it then gets no address, visibly) rather than
 * refusing pod creation.
 */
export function mutationPolicyObjects(o: PolicyInputs): Array<Record<string, unknown>> {
  return [
    {
      apiVersion: API_VERSION,
      kind: 'MutatingAdmissionPolicy',
      metadata: meta(MUTATION_POLICY_NAME, o),
      spec: {
        paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
        matchConstraints: {
          resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }],
        },
        matchConditions: MUTATION_MATCH_CONDITIONS.map((c) => ({ ...c })),
        failurePolicy: 'Ignore',
        reinvocationPolicy: 'Never',
        mutations: [{ patchType: 'JSONPatch', jsonPatch: { expression: MUTATION_JSON_PATCH_CEL } }],
      },
    },
    {
      apiVersion: API_VERSION,
      kind: 'MutatingAdmissionPolicyBinding',
      metadata: meta(MUTATION_POLICY_NAME, o),
      spec: { policyName: MUTATION_POLICY_NAME, paramRef: paramRef(o) },
    },
  ];
}

// ---- The IP-annotation guard -----------------------------------------------------------------

const SLOT_CEL: Record<'user' | 'before' | 'after', string> = {
  user: 'request.userInfo.username',
  before: 'variables.before.orValue("")',
  after: 'variables.after.orValue("")',
};

function renderCel(parts: readonly MessagePart[]): string {
  return parts.map((p) => (typeof p === 'string' ? celString(p) : SLOT_CEL[p.slot])).join(' + ');
}

/** The webhook's message, built in CEL from the same parts (annotation-guard.ts GUARD_MESSAGE). */
function guardMessageCel(usernames: readonly string[]): string {
  const what = GUARD_MESSAGE.what;
  return (
    `${renderCel(GUARD_MESSAGE.lead(controllersText(usernames)))} + ` +
    `(!variables.before.hasValue() ? ${renderCel(what.add)} : !variables.after.hasValue() ? ${renderCel(what.remove)} : ${renderCel(what.change)}) + ` +
    renderCel(GUARD_MESSAGE.tail)
  );
}

/**
 * The ValidatingAdmissionPolicy and its binding. It covers `pods` and every pod subresource
 * (`pods/status`, `pods/binding`, ...) on CREATE and UPDATE, and fails closed: it runs inside the
 * API server, so nothing can be unreachable, and an expression that cannot be evaluated refuses
 * the write rather than letting an unguarded annotation through. The controller's identities
 * are matched out, so its own writes cost nothing here.
 */
export function guardPolicyObjects(o: PolicyInputs): Array<Record<string, unknown>> {
  return [
    {
      apiVersion: API_VERSION,
      kind: 'ValidatingAdmissionPolicy',
      metadata: meta(GUARD_POLICY_NAME, o),
      spec: {
        paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
        matchConstraints: {
          resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods', 'pods/*'] }],
        },
        matchConditions: [
          { name: 'ipam-enabled', expression: IPAM_ENABLED_CEL },
          { name: 'not-the-controller', expression: notControllerCel(o.controllerUsernames) },
        ],
        failurePolicy: 'Fail',
        variables: [
          // Optional strings: absent is not the same as empty.
          { name: 'before', expression: `oldObject != null ? oldObject.metadata.?annotations[?${ANNOTATION}] : optional.none()` },
          { name: 'after', expression: `object.metadata.?annotations[?${ANNOTATION}]` },
        ],
        validations: [
          { expression: 'variables.before == variables.after', messageExpression: guardMessageCel(o.controllerUsernames), reason: 'Forbidden' },
        ],
      },
    },
    {
      apiVersion: API_VERSION,
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: meta(GUARD_POLICY_NAME, o),
      spec: { policyName: GUARD_POLICY_NAME, paramRef: paramRef(o), validationActions: ['Deny'] },
    },
  ];
}
