/**
 * @module
 * The two admission webhook registrations (pod mutator, IP-annotation guard). The install manifest
 * points them at the Service and lets cert-manager inject the CA; tests register the very same
 * objects pointed at a URL with a caBundle, so what is tested is what ships.
 */
import { POD_IP_ANNOTATION } from '../core/contract.ts';
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

/** Pods in these namespaces are never sent to us: the control plane must not depend on our webhook. */
const SYSTEM_NAMESPACES = ['kube-system', 'kube-node-lease'];

/**
 * `failurePolicy: Ignore` on both, as upstream: if every replica is down, pods are still created
 * (a Windows pod then lacks the resource and stays unannotated, which is visible), rather than
 * blocking every pod write in the cluster.
 */
export function webhookConfigurations(target: WebhookTarget, o: { excludeNamespaces?: string[] } = {}): Array<Record<string, unknown>> {
  const namespaceSelector = {
    matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [...SYSTEM_NAMESPACES, ...(o.excludeNamespaces ?? [])] }],
  };
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
        namespaceSelector,
        clientConfig: clientConfig(target, MUTATE_PATH),
        rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'], scope: 'Namespaced' }],
      },
    ],
  };
  const annotation = `'${POD_IP_ANNOTATION}'`;
  const validating = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: metadata(VALIDATING_WEBHOOK_NAME, target),
    webhooks: [
      {
        name: 'vpod.winprefix.io',
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: 'Ignore',
        timeoutSeconds: 10,
        namespaceSelector,
        clientConfig: clientConfig(target, VALIDATE_PATH),
        rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods'], scope: 'Namespaced' }],
        // Only writes that carry the IP annotation (before or after) reach us: pod status
        // updates from every kubelet would otherwise all pass through the webhook.
        matchConditions: [
          {
            name: 'touches-ip-annotation',
            expression:
              `(has(object.metadata.annotations) && ${annotation} in object.metadata.annotations) || ` +
              `(oldObject != null && has(oldObject.metadata.annotations) && ${annotation} in oldObject.metadata.annotations)`,
          },
        ],
      },
    ],
  };
  return [mutating, validating];
}
