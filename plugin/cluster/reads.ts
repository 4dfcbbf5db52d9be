/**
 * @module
 * The Kubernetes reads of the cluster-wide commands (`get nodes`, `check`): every Windows node (or the ones
 * named), the pods on them, the IPAM events and the ConfigMap, in a few paged list calls whatever the number of
 * nodes. The same requests, as data, feed the watches of `get nodes --watch`.
 *
 * Cost, for N Windows nodes (P pods on them, E events), pages of 500:
 * - named nodes, or N <= {@link PER_NODE_LISTS_UP_TO}: one get per node, one pod list and one node-event list
 *   per node (field-selected, as `describe node` reads one node), 3 pod-event lists, the ConfigMap;
 * - otherwise: 2 node lists (by the OS label, and by the beta label alone), ceil(pods / 500) pod lists (every
 *   scheduled pod that has not finished: a field selector cannot name many nodes), the node-event list, 3
 *   pod-event lists (paged), the ConfigMap.
 */
import { OS_LABEL, OS_LABEL_BETA, WINDOWS } from '../../pkg/core/contract.ts';
import { kubeFailure } from '../errors.ts';
import { CliError } from '../io.ts';
import { listAll, type ListRequest } from '../kube/lists.ts';
import type { KubeEvent, KubeNode, KubePod } from '../kube/objects.ts';
import type { KubeReader } from '../kube/rest.ts';
import { POD_EVENT_SELECTORS, readConfigMap, type ConfigMapRead } from '../describe/kube-reads.ts';
import { isWindowsNode, nodeOs } from '../describe/node-facts.ts';
import { naturalCompare } from '../render/text.ts';

/** Up to this many nodes, pods and node events are listed per node (small answers) rather than cluster-wide. */
export const PER_NODE_LISTS_UP_TO = 10;

export interface ClusterReadRequest {
  /** -l: a label selector the nodes must match too. */
  selector: string | null;
  /** Nodes named on the command line; empty for every Windows node. */
  nodeNames: readonly string[];
  configMap: { namespace: string; name: string };
}

/** What the cluster-wide commands read from Kubernetes. */
export interface ClusterSnapshot {
  /** The Windows nodes, in natural name order. */
  nodes: KubeNode[];
  /** Pods on those nodes (finished pods left out: they hold no address). */
  pods: KubePod[];
  /** Events of those nodes, and pod IPAM events (ResourceAllocated, ResourceAllocationFailed, FailedCreatePodSandBox). */
  events: KubeEvent[];
  configMap: ConfigMapRead;
  warnings: string[];
  /** API requests made, pages counted. */
  requests: number;
}

/** Windows nodes by their OS label, and the rare node that has only the beta one. */
export function nodeListRequests(selector: string | null): ListRequest[] {
  const extra = selector ? `,${selector}` : '';
  return [
    { path: '/api/v1/nodes', query: { labelSelector: `${OS_LABEL}=${WINDOWS}${extra}` }, what: 'list nodes' },
    { path: '/api/v1/nodes', query: { labelSelector: `${OS_LABEL_BETA}=${WINDOWS},!${OS_LABEL}${extra}` }, what: 'list nodes' },
  ];
}

/** Scheduled pods that have not finished: the only ones that can hold an address. */
const LIVE_PODS = 'status.phase!=Succeeded,status.phase!=Failed';

export function podListRequest(nodeName?: string): ListRequest {
  return { path: '/api/v1/pods', query: { fieldSelector: nodeName ? `spec.nodeName=${nodeName},${LIVE_PODS}` : `spec.nodeName!=,${LIVE_PODS}` }, what: 'list pods' };
}

/** Events about one node, or about every node. */
export function nodeEventListRequest(nodeName?: string): ListRequest {
  return { path: '/api/v1/events', query: { fieldSelector: nodeName ? `involvedObject.kind=Node,involvedObject.name=${nodeName}` : 'involvedObject.kind=Node' }, what: 'list events' };
}

export function podEventListRequests(): ListRequest[] {
  return POD_EVENT_SELECTORS.map((fieldSelector) => ({ path: '/api/v1/events', query: { fieldSelector }, what: 'list events' }));
}

export function configMapWatchRequest(ref: { namespace: string; name: string }): ListRequest {
  return { path: `/api/v1/namespaces/${encodeURIComponent(ref.namespace)}/configmaps`, query: { fieldSelector: `metadata.name=${ref.name}` }, what: `list configmaps in namespace ${ref.namespace}` };
}

/** Windows nodes in natural name order, each once; the ones given by name must exist and run Windows. */
function windowsOnly(nodes: KubeNode[]): KubeNode[] {
  const seen = new Map<string, KubeNode>();
  for (const n of nodes) if (isWindowsNode(n)) seen.set(n.metadata?.name ?? '', n);
  return [...seen.values()].sort((a, b) => naturalCompare(a.metadata?.name ?? '', b.metadata?.name ?? ''));
}

export async function readCluster(kube: KubeReader, req: ClusterReadRequest): Promise<ClusterSnapshot> {
  let requests = 0;
  const warnings: string[] = [];
  const list = async <T>(r: ListRequest): Promise<T[]> => {
    const listed = await listAll<T>(kube, r);
    requests += listed.requests;
    return listed.items;
  };
  const configMap = readConfigMap(kube, req.configMap).then((r) => {
    requests++;
    return r;
  });
  configMap.catch(() => {});
  const podEvents = Promise.allSettled(podEventListRequests().map((r) => list<KubeEvent>(r)));

  let nodes: KubeNode[];
  if (req.nodeNames.length > 0) {
    nodes = await Promise.all(
      req.nodeNames.map(async (name) => {
        requests++;
        const node = await kube.get<KubeNode>(`/api/v1/nodes/${encodeURIComponent(name)}`, { what: 'get nodes' }).catch((err: unknown) => {
          throw kubeFailure(err, 'get nodes', `node "${name}" not found: list Windows nodes with kubectl get nodes -l kubernetes.io/os=windows`);
        });
        if (!isWindowsNode(node)) {
          throw new CliError(`node "${name}" is not a Windows node (kubernetes.io/os=${nodeOs(node) ?? 'unset'}): winprefix explains Windows IPAM only; list Windows nodes with kubectl get nodes -l kubernetes.io/os=windows`);
        }
        return node;
      }),
    );
    nodes = windowsOnly(nodes);
  } else {
    const lists = await Promise.all(nodeListRequests(req.selector).map((r) => list<KubeNode>(r))).catch((err: unknown) => {
      throw kubeFailure(err, 'list nodes');
    });
    nodes = windowsOnly(lists.flat());
  }

  const names = new Set(nodes.map((n) => n.metadata?.name ?? ''));
  const perNode = req.nodeNames.length > 0 || nodes.length <= PER_NODE_LISTS_UP_TO;
  const podLists = perNode ? [...names].map((name) => podListRequest(name)) : [podListRequest()];
  const nodeEventLists = perNode ? [...names].map((name) => nodeEventListRequest(name)) : [nodeEventListRequest()];
  const [pods, nodeEvents] = await Promise.all([
    Promise.all(podLists.map((r) => list<KubePod>(r)))
      .then((ls) => ls.flat())
      .catch((err: unknown) => {
        throw kubeFailure(err, 'list pods');
      }),
    Promise.allSettled(nodeEventLists.map((r) => list<KubeEvent>(r))),
  ]);
  const eventResults = [...nodeEvents, ...(await podEvents)];
  const failed = eventResults.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) warnings.push(`events are incomplete: ${kubeFailure(failed.reason, 'list events').message}`);
  const events = eventResults.flatMap((r) => (r.status === 'fulfilled' ? r.value : [])).filter((e) => e.involvedObject?.kind !== 'Node' || names.has(e.involvedObject.name ?? ''));
  const cm = await configMap;
  if (cm.warning) warnings.push(cm.warning);
  return {
    nodes,
    pods: pods.filter((p) => names.has(p.spec?.nodeName ?? '')),
    events,
    configMap: cm.value,
    warnings,
    requests,
  };
}
