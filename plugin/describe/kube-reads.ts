/**
 * @module
 * The Kubernetes reads of `describe node`, all started at once as soon as the kubeconfig is read, before
 * the rest of the command's code has even loaded (run.ts loads it while the API server answers). Node and
 * pods are essential (their failures end the run); events and the ConfigMap are not (a failure becomes a
 * warning).
 */
import { KubeApiError } from '../../pkg/adapters/kube/errors.ts';
import { kubeFailure } from '../errors.ts';
import type { KubeConfigMap, KubeEvent, KubeList, KubeNode, KubePod } from '../kube/objects.ts';
import type { KubeReader } from '../kube/rest.ts';
import { POD_EVENT_REASONS } from './ipam-events.ts';

export interface ConfigMapRead {
  /** "namespace/name". */
  ref: string;
  /** Its data, or undefined when it does not exist or could not be read. */
  data: Record<string, string> | undefined;
  /** Why it could not be read (e.g. forbidden), or null. Absence is not an error. */
  error: string | null;
}

export interface KubeReads {
  node: Promise<KubeNode>;
  pods: Promise<KubePod[]>;
  events: Promise<{ events: KubeEvent[]; warning: string | undefined }>;
  configMap: Promise<{ value: ConfigMapRead; warning: string | undefined }>;
}

export function startKubeReads(kube: KubeReader, req: { nodeName: string; configMap: { namespace: string; name: string } }): KubeReads {
  const node = kube.get<KubeNode>(`/api/v1/nodes/${encodeURIComponent(req.nodeName)}`, { what: 'get nodes' }).catch((err: unknown) => {
    throw kubeFailure(err, 'get nodes', `node "${req.nodeName}" not found: list Windows nodes with kubectl get nodes -l kubernetes.io/os=windows`);
  });
  const pods = kube
    .get<KubeList<KubePod>>('/api/v1/pods', { query: { fieldSelector: `spec.nodeName=${req.nodeName}` }, what: 'list pods' })
    .then((list) => list.items ?? [])
    .catch((err: unknown) => {
      throw kubeFailure(err, 'list pods');
    });
  // Awaited later, after the node: an early failure here must not surface as an unhandled rejection.
  node.catch(() => {});
  pods.catch(() => {});
  return { node, pods, events: readEvents(kube, req.nodeName), configMap: readConfigMap(kube, req.configMap) };
}

/** The pod events worth reading, as field selectors: one list each, since a field selector cannot OR reasons. */
export const POD_EVENT_SELECTORS: readonly string[] = POD_EVENT_REASONS.map((reason) => `involvedObject.kind=Pod,reason=${reason}`);

async function readEvents(kube: KubeReader, nodeName: string): Promise<{ events: KubeEvent[]; warning: string | undefined }> {
  const selectors = [`involvedObject.kind=Node,involvedObject.name=${nodeName}`, ...POD_EVENT_SELECTORS];
  const lists = await Promise.allSettled(selectors.map((fieldSelector) => kube.get<KubeList<KubeEvent>>('/api/v1/events', { query: { fieldSelector }, what: 'list events' })));
  const failed = lists.find((l): l is PromiseRejectedResult => l.status === 'rejected');
  return {
    events: lists.flatMap((l) => (l.status === 'fulfilled' ? (l.value.items ?? []) : [])),
    warning: failed ? `events are incomplete: ${kubeFailure(failed.reason, 'list events').message}` : undefined,
  };
}

export async function readConfigMap(kube: KubeReader, ref: { namespace: string; name: string }): Promise<{ value: ConfigMapRead; warning: string | undefined }> {
  const refText = `${ref.namespace}/${ref.name}`;
  try {
    const cm = await kube.get<KubeConfigMap>(`/api/v1/namespaces/${encodeURIComponent(ref.namespace)}/configmaps/${encodeURIComponent(ref.name)}`, { what: 'get configmaps' });
    return { value: { ref: refText, data: cm.data ?? {}, error: null }, warning: undefined };
  } catch (err) {
    const k = KubeApiError.from(err);
    if (k instanceof KubeApiError && k.reason === 'NotFound') return { value: { ref: refText, data: undefined, error: null }, warning: undefined };
    const message = `ConfigMap ${refText} not read, defaults shown: ${kubeFailure(err, `get configmaps in namespace ${ref.namespace}`).message}`;
    return { value: { ref: refText, data: undefined, error: message }, warning: message };
  }
}
