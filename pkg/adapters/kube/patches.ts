/**
 * @module
 * The writes the controller makes to pods and nodes, each with the content type and
 * subresource it needs (docs/platform-notes.md, "Patch content types" and "The status
 * subresource": without an explicit Content-Type client-node sends json-patch+json and an
 * object body fails with 400/415).
 */
import { PatchStrategy, setHeaderOptions, type CoreV1Api } from '@kubernetes/client-node';
import { KubeApiError, isConflict, isNotFound } from './errors.ts';
import { discardResponse } from './http-library.ts';

/** What the patch functions need from the clients; KubeClients satisfies it. */
export interface PatchClients {
  core: Pick<CoreV1Api, 'patchNamespacedPod' | 'patchNode' | 'patchNodeStatus'>;
}

// The controller never reads what a patch returns.
/** A JSON merge patch whose answer is not read (nor decoded): what every write here, and the event recorder's, needs. */
export const MERGE = () => discardResponse(setHeaderOptions('Content-Type', PatchStrategy.MergePatch));

export type AnnotateResult = 'patched' | 'gone' | 'replaced';

/**
 * Sets (string) or removes (null) pod annotations, but only on the pod with this UID: a pod
 * deleted and re-created under the same name (StatefulSets do this) must not inherit the old
 * pod's address. The patch carries `metadata.uid`; when it differs from the live pod's, the API
 * server refuses to change the immutable uid (measured on kube-apiserver 1.36: 422 Invalid with
 * a cause on field metadata.uid; 409 Conflict is also accepted as the precondition answer).
 */
export async function annotatePod(
  c: PatchClients,
  o: { namespace: string; name: string; uid: string; annotations: Record<string, string | null> },
): Promise<AnnotateResult> {
  if (!o.uid) throw new TypeError(`annotatePod ${o.namespace}/${o.name}: uid is empty; pass the pod's metadata.uid so a re-created pod is not patched`);
  try {
    await c.core.patchNamespacedPod(
      { namespace: o.namespace, name: o.name, body: { metadata: { uid: o.uid, annotations: o.annotations } } },
      MERGE(),
    );
    return 'patched';
  } catch (err) {
    if (isNotFound(err)) return 'gone';
    if (isConflict(err) || isUidMismatch(err)) return 'replaced';
    throw KubeApiError.from(err);
  }
}

export type SetOnceResult = 'patched' | 'gone' | 'refused';

/**
 * Sets one annotation on the pod with this UID only if the pod does not carry it yet, as one JSON
 * patch whose `test` operations are the precondition: the API server applies all of it or nothing.
 * A writer that lost a race (another replica, a deposed leader resumed after a pause) gets `refused`
 * instead of overwriting. `test` with value null passes only for an absent member (kube-apiserver
 * 1.36, checked in test/kube/api-writes.test.ts); a pod without any annotations needs the map added
 * whole, so `hasAnnotations` (from the cache) picks the form, and the other form is tried once when
 * the cache was out of date.
 */
export async function setPodAnnotationOnce(
  c: PatchClients,
  o: { namespace: string; name: string; uid: string; hasAnnotations: boolean; key: string; value: string },
): Promise<SetOnceResult> {
  if (!o.uid) throw new TypeError(`setPodAnnotationOnce ${o.namespace}/${o.name}: uid is empty; pass the pod's metadata.uid so a re-created pod is not patched`);
  const member = `/metadata/annotations/${o.key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
  const forms = [
    [
      { op: 'test', path: '/metadata/uid', value: o.uid },
      { op: 'test', path: member, value: null },
      { op: 'add', path: member, value: o.value },
    ],
    [
      { op: 'test', path: '/metadata/uid', value: o.uid },
      { op: 'test', path: '/metadata/annotations', value: null },
      { op: 'add', path: '/metadata/annotations', value: { [o.key]: o.value } },
    ],
  ];
  if (!o.hasAnnotations) forms.reverse();
  for (const body of forms) {
    try {
      await c.core.patchNamespacedPod({ namespace: o.namespace, name: o.name, body }, discardResponse(setHeaderOptions('Content-Type', PatchStrategy.JsonPatch)));
      return 'patched';
    } catch (err) {
      if (isNotFound(err)) return 'gone';
      const k = KubeApiError.from(err);
      // 422 Invalid: a test failed (another UID, the annotation already there, or the map's presence not
      // as the cache said); 409: the object changed under the write. Either way nothing was written.
      if (!(k instanceof KubeApiError && (k.status === 422 || k.status === 409))) throw k;
    }
  }
  return 'refused';
}

function isUidMismatch(err: unknown): boolean {
  const k = KubeApiError.from(err);
  return k instanceof KubeApiError && k.reason === 'Invalid' && k.causes.some((c) => c.field === 'metadata.uid');
}

/**
 * Advertises (or with null withdraws) an extended resource on the node's status subresource.
 * A merge patch of the `status.capacity` map touches only this key; the kubelet copies new
 * extended resources from capacity to allocatable on its next status update.
 */
export async function patchNodeCapacity(c: PatchClients, node: string, resource: string, value: number | null): Promise<void> {
  if (value !== null && (!Number.isInteger(value) || value < 0)) {
    throw new RangeError(`patchNodeCapacity ${node}: capacity for ${resource} must be a whole number >= 0, got ${value}`);
  }
  try {
    await c.core.patchNodeStatus({ name: node, body: { status: { capacity: { [resource]: value === null ? null : String(value) } } } }, MERGE());
  } catch (err) {
    throw KubeApiError.from(err);
  }
}

/** Sets (string) or removes (null) node annotations with a merge patch. */
export async function patchNodeAnnotations(c: PatchClients, node: string, annotations: Record<string, string | null>): Promise<void> {
  try {
    await c.core.patchNode({ name: node, body: { metadata: { annotations } } }, MERGE());
  } catch (err) {
    throw KubeApiError.from(err);
  }
}
