/**
 * @module
 * The two admission webhook registrations (pod mutator, IP-annotation guard), for API servers that
 * cannot run the rules as admission policies (admission-form.ts). The install manifest points them
 * at the Service and lets cert-manager inject the CA; tests register the very same objects pointed
 * at a URL with a caBundle, so what is tested is what ships.
 */
import { notControllerCel, CHANGES_ANNOTATION_CEL } from '../core/admission/admission-policies.ts';
import { MUTATE_POD_PATH as MUTATE_PATH, VALIDATE_POD_PATH as VALIDATE_PATH } from '../adapters/http/admission.ts';
export const MUTATING_WEBHOOK_NAME = 'winprefix-pod-mutator';
export const VALIDATING_WEBHOOK_NAME = 'winprefix-ip-annotation-guard';

export type WebhookTarget =
  | { kind: 'service'; namespace: string; name: string; port: number; certificateRef: string }
  | { kind: 'url'; baseUrl: string; caBundle: string };

type ClientConfig = Record<string, unknown>;

function clientConfig(t: WebhookTarget, path: string): ClientConfig {
  return t.kind === 'service'
    ? { service: { namespace: t.namespace, name: t.name, port: t.port, path } }
    : { url: `${t.baseUrl.replace(/\/$/, '')}${path}`, caBundle: t.caBundle };
}

function metadata(name: string, t: WebhookTarget): Record<string, unknown> {
  return t.kind === 'service'
    ? { name, annotations: { 'cert-manager.io/inject-ca-from': t.certificateRef } }
    : { name };
}

/** Pods in these namespaces are never sent to the mutator: the control plane must not depend on our webhook. */
const SYSTEM_NAMESPACES = ['kube-system', 'kube-node-lease'];

export interface WebhookOptions {
  /** Which of the two to register (default both): a cluster may run either rule as a policy instead. */
  mutation?: boolean;
  guard?: boolean;
  /** Also never sent to the mutator (the controller's own namespace). */
  excludeNamespaces?: string[];
  /** Identities the guard exempts by a match condition, so the controller's own patches never wait on a webhook. */
  controllerUsernames?: readonly string[];
  /** The server evaluates CEL match conditions (Kubernetes >= 1.28). Default true. */
  matchConditions?: boolean;
}

/**
 * The mutator keeps `failurePolicy: Ignore`, as upstream: with every replica down, pods are still
 * created (a Windows pod then lacks the resource and stays unannotated, which is visible) rather
 * than every pod write in the cluster being blocked.
 *
 * The guard fails closed (`failurePolicy: Fail`): with no replica answering, a write that touches
 * the IP annotation is refused, never let through unchecked. It covers pods and every pod
 * subresource (`pods/status` and `pods/binding` can write annotations). Its match conditions keep
 * that cheap and safe: only writes that set, change or remove the annotation reach it, so other pod
 * traffic (kubelets' status updates, pods being created) never waits on it, and the controller's
 * identities are exempt, so its own patch is one API round trip and it can never block itself.
 * With match conditions it therefore covers every namespace. A server without them (before 1.28)
 * sends it every pod write, so there the system namespaces and the controller's own are left out,
 * lest a down controller block the pods that would bring it back.
 */
export function webhookConfigurations(target: WebhookTarget, o: WebhookOptions = {}): Array<Record<string, unknown>> {
  const matchConditions = o.matchConditions ?? true;
  const excluded = (namespaces: string[]) => ({ matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: namespaces }] });
  const systemAndOwn = [...SYSTEM_NAMESPACES, ...(o.excludeNamespaces ?? [])];
  const mutating = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: metadata(MUTATING_WEBHOOK_NAME, target),
    webhooks: [
      {
        name: 'mpod.winprefix.io',
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: 'Ignore',
        timeoutSeconds: 10,
        reinvocationPolicy: 'Never',
        namespaceSelector: excluded(systemAndOwn),
        clientConfig: clientConfig(target, MUTATE_PATH),
        rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'], scope: 'Namespaced' }],
      },
    ],
  };
  const usernames = o.controllerUsernames ?? [];
  const validating = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: metadata(VALIDATING_WEBHOOK_NAME, target),
    webhooks: [
      {
        name: 'vpod.winprefix.io',
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: 'Fail',
        timeoutSeconds: 10,
        ...(matchConditions ? {} : { namespaceSelector: excluded(systemAndOwn) }),
        clientConfig: clientConfig(target, VALIDATE_PATH),
        rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods', 'pods/*'], scope: 'Namespaced' }],
        ...(matchConditions
          ? {
              matchConditions: [
                { name: 'changes-ip-annotation', expression: CHANGES_ANNOTATION_CEL },
                ...(usernames.length > 0 ? [{ name: 'not-the-controller', expression: notControllerCel(usernames) }] : []),
              ],
            }
          : {}),
      },
    ],
  };
  return [...(o.mutation ?? true ? [mutating] : []), ...(o.guard ?? true ? [validating] : [])];
}
