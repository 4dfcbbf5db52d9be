/**
 * @module
 * The IP-annotation guard as a webhook handler (/validate-v1-pod): only the controller's own
 * identities may add, change or remove the IP annotation, through any write path (the pod itself,
 * `pods/status`, a `pods/binding`, which copies its annotations onto the pod, or any other pod
 * subresource). The Windows host CNI trusts that annotation blindly, so anyone else writing it
 * could give a pod an address that belongs to another pod.
 *
 * The same rule as a ValidatingAdmissionPolicy is in admission-policies.ts; the denial text is
 * defined once here ({@link GUARD_MESSAGE}) and rendered by both, so a user reads the same
 * message whichever form the cluster runs.
 */
import { POD_IP_ANNOTATION } from '../contract.ts';
import { allowed, denied, type AdmissionReview } from './review.ts';

export interface GuardPodAnnotationOptions {
  /** Usernames as the API server reports them, e.g. system:serviceaccount:kube-system:winprefix-controller. */
  controllerUsernames: string[];
  /** Live IPAM switch: when IPAM is off the annotation is not protected (as upstream). */
  enabled: () => boolean;
}

/** A placeholder in the denial text for a value of the request being judged. */
export interface MessageSlot {
  slot: 'user' | 'before' | 'after';
}
export type MessagePart = string | MessageSlot;

const USER: MessageSlot = { slot: 'user' };
const BEFORE: MessageSlot = { slot: 'before' };
const AFTER: MessageSlot = { slot: 'after' };

/**
 * The denial text in parts: literal text and slots for the user and the annotation's value
 * before and after the write. `what` is picked by which of the two values exist.
 */
export const GUARD_MESSAGE = {
  lead: (who: string): MessagePart[] => [
    `the pod annotation ${POD_IP_ANNOTATION} is managed by the IPAM controller and only ${who} may set it; user "`,
    USER,
    '" tried to ',
  ],
  what: {
    add: ['add it (value "', AFTER, '")'] as MessagePart[],
    remove: ['remove it (was "', BEFORE, '")'] as MessagePart[],
    change: ['change it from "', BEFORE, '" to "', AFTER, '"'] as MessagePart[],
  },
  tail: ['. Leave this annotation out of your change: the controller assigns the address'] as MessagePart[],
} as const;

/** Who may write the annotation, as the message names them. */
export function controllersText(usernames: readonly string[]): string {
  return usernames.length > 0 ? usernames.map((u) => `"${u}"`).join(' or ') : 'the winprefix controller';
}

export function guardPodAnnotation(review: AdmissionReview, o: GuardPodAnnotationOptions): AdmissionReview {
  const req = review.request;
  if (!req || !isPodWrite(req.resource)) return allowed(review);
  if (req.operation !== 'CREATE' && req.operation !== 'UPDATE') return allowed(review);
  if (!o.enabled()) return allowed(review);
  const before = req.operation === 'UPDATE' ? annotationOf(req.oldObject) : undefined;
  const after = annotationOf(req.object);
  if (before === after) return allowed(review);
  const user = req.userInfo?.username ?? '';
  if (o.controllerUsernames.includes(user)) return allowed(review);
  const what = before === undefined ? GUARD_MESSAGE.what.add : after === undefined ? GUARD_MESSAGE.what.remove : GUARD_MESSAGE.what.change;
  const values = { user, before: before ?? '', after: after ?? '' };
  const text = [...GUARD_MESSAGE.lead(controllersText(o.controllerUsernames)), ...what, ...GUARD_MESSAGE.tail]
    .map((p) => (typeof p === 'string' ? p : values[p.slot]))
    .join('');
  return denied(review, text);
}

/**
 * Pods and every pod subresource: a `pods/binding` carries annotations the API server copies onto
 * the pod, and `pods/status` writes metadata too. The object is then a Binding, not a Pod, which is
 * why this looks at the resource rather than the kind.
 */
function isPodWrite(resource: { group: string; resource: string } | undefined): boolean {
  return resource?.group === '' && resource.resource === 'pods';
}

function annotationOf(obj: unknown): string | undefined {
  const v = (obj as { metadata?: { annotations?: Record<string, unknown> } } | undefined)?.metadata?.annotations?.[POD_IP_ANNOTATION];
  return typeof v === 'string' ? v : undefined;
}
