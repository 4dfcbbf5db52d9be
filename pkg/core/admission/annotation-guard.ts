/**
 * @module
 * The pod validating webhook (/validate-v1-pod): only the controller's own identity may add,
 * change or remove the IP annotation. The Windows host CNI trusts that annotation blindly, so
 * anyone else writing it could give a pod an address that belongs to another pod.
 */
import { POD_IP_ANNOTATION } from '../contract.ts';
import { allowed, denied, type AdmissionReview } from './review.ts';

export interface GuardPodAnnotationOptions {
  /** Usernames as the API server reports them, e.g. system:serviceaccount:kube-system:winprefix-controller. */
  controllerUsernames: string[];
  /** Live IPAM switch: when IPAM is off the annotation is not protected (as upstream). */
  enabled: () => boolean;
}

export function guardPodAnnotation(review: AdmissionReview, o: GuardPodAnnotationOptions): AdmissionReview {
  const req = review.request;
  if (!req || req.kind?.kind !== 'Pod') return allowed(review);
  if (req.operation !== 'CREATE' && req.operation !== 'UPDATE') return allowed(review);
  if (!o.enabled()) return allowed(review);
  const before = req.operation === 'UPDATE' ? annotationOf(req.oldObject) : undefined;
  const after = annotationOf(req.object);
  if (before === after) return allowed(review);
  const user = req.userInfo?.username ?? '';
  if (o.controllerUsernames.includes(user)) return allowed(review);
  const what = before === undefined ? `add it (value "${after}")` : after === undefined ? `remove it (was "${before}")` : `change it from "${before}" to "${after}"`;
  const who = o.controllerUsernames.length > 0 ? o.controllerUsernames.map((u) => `"${u}"`).join(' or ') : 'the winprefix controller';
  return denied(
    review,
    `the pod annotation ${POD_IP_ANNOTATION} is managed by the IPAM controller and only ${who} may set it; ` +
      `user "${user}" tried to ${what}. Leave this annotation out of your change: the controller assigns the address`,
  );
}

function annotationOf(obj: unknown): string | undefined {
  const v = (obj as { metadata?: { annotations?: Record<string, unknown> } } | undefined)?.metadata?.annotations?.[POD_IP_ANNOTATION];
  return typeof v === 'string' ? v : undefined;
}
