/**
 * @module
 * The Kubernetes reads of the commands about many nodes: every Windows node (or the ones named), the pods on
 * them, and for `get nodes` and `check` the IPAM events and the ConfigMap too, in a few paged list calls
 * whatever the number of nodes. The same requests, as data, feed the watches of `get nodes --watch`.
 * `subnets` and `migrate` read the nodes and their pods alone ({@link readWindowsNodes}).
 *
 * Cost, for N Windows nodes (P pods on them, E events), pages of 500:
 * - the nodes: one get per node named, else 2 node lists (by the OS label, and by the beta label alone);
 * - named nodes, or N <= {@link PER_NODE_LISTS_UP_TO}: one pod list and one node-event list per node
 *   (field-selected, as `describe node` reads one node);
 * - otherwise: ceil(P / 500) pod lists (every scheduled pod that has not finished: a field selector cannot
 *   name many nodes) and the node-event list;
 * - `get nodes` and `check` besides: 3 pod-event lists (paged) and the ConfigMap; `subnets` and `migrate`
 *   read no events (and `migrate` its ConfigMap itself).
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

/** Which Windows nodes a command looks at. */
export interface NodeSelection {
  /** -l: a label selector the nodes must match too. */
  selector: string | null;
  /** Nodes named on the command line; empty for every Windows node. */
  nodeNames: readonly string[];
}

export interface ClusterReadRequest extends NodeSelection {
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

/** The label selector of the Windows nodes a command looks at: the OS label, and -l. */
export function windowsSelector(selector: string | null): string {
  return `${OS_LABEL}=${WINDOWS}${selector ? `,${selector}` : ''}`;
}

/** Windows nodes by their OS label, and the rare node that has only the beta one. */
export function nodeListRequests(selector: string | null): ListRequest[] {
  return [
    { path: '/api/v1/nodes', query: { labelSelector: windowsSelector(selector) }, what: 'list nodes' },
    { path: '/api/v1/nodes', query: { labelSelector: `${OS_LABEL_BETA}=${WINDOWS},!${OS_LABEL}${selector ? `,${selector}` : ''}` }, what: 'list nodes' },
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

/** The Windows nodes among `nodes`, each once, in natural name order. */
export function windowsOnly(nodes: Iterable<KubeNode>): KubeNode[] {
  const seen = new Map<string, KubeNode>();
  for (const n of nodes) if (isWindowsNode(n)) seen.set(n.metadata?.name ?? '', n);
  return [...seen.values()].sort((a, b) => naturalCompare(a.metadata?.name ?? '', b.metadata?.name ?? ''));
}

/** Lists (every page), gets and the ConfigMap read, counting the requests they make. */
interface CountedReads {
  list<T>(r: ListRequest): Promise<T[]>;
  get<T>(path: string, what: string): Promise<T>;
  configMap(ref: { namespace: string; name: string }): ReturnType<typeof readConfigMap>;
  readonly requests: number;
}

function countedReads(kube: KubeReader): CountedReads {
  let requests = 0;
  return {
    async list<T>(r: ListRequest) {
      const listed = await listAll<T>(kube, r);
      requests += listed.requests;
      return listed.items;
    },
    get<T>(path: string, what: string) {
      requests++;
      return kube.get<T>(path, { what });
    },
    configMap(ref) {
      requests++;
      return readConfigMap(kube, ref);
    },
    get requests() {
      return requests;
    },
  };
}

/** The Windows nodes selected; the ones given by name must exist and run Windows. */
async function selectedNodes(reads: CountedReads, sel: NodeSelection): Promise<KubeNode[]> {
  if (sel.nodeNames.length > 0) {
    const nodes = await Promise.all(
      sel.nodeNames.map(async (name) => {
        const node = await reads.get<KubeNode>(`/api/v1/nodes/${encodeURIComponent(name)}`, 'get nodes').catch((err: unknown) => {
          throw kubeFailure(err, 'get nodes', `node "${name}" not found: list Windows nodes with kubectl get nodes -l kubernetes.io/os=windows`);
        });
        if (!isWindowsNode(node)) {
          throw new CliError(`node "${name}" is not a Windows node (kubernetes.io/os=${nodeOs(node) ?? 'unset'}): winprefix explains Windows IPAM only; list Windows nodes with kubectl get nodes -l kubernetes.io/os=windows`);
        }
        return node;
      }),
    );
    return windowsOnly(nodes);
  }
  const lists = await Promise.all(nodeListRequests(sel.selector).map((r) => reads.list<KubeNode>(r))).catch((err: unknown) => {
    throw kubeFailure(err, 'list nodes');
  });
  return windowsOnly(lists.flat());
}

/** Named nodes, or few: lists per node (small answers); else cluster-wide (a field selector cannot name many nodes). */
function listsPerNode(sel: NodeSelection, nodes: readonly KubeNode[]): boolean {
  return sel.nodeNames.length > 0 || nodes.length <= PER_NODE_LISTS_UP_TO;
}

async function podsOn(reads: CountedReads, names: ReadonlySet<string>, perNode: boolean): Promise<KubePod[]> {
  const lists = perNode ? [...names].map((name) => podListRequest(name)) : [podListRequest()];
  const pods = await Promise.all(lists.map((r) => reads.list<KubePod>(r))).catch((err: unknown) => {
    throw kubeFailure(err, 'list pods');
  });
  return pods.flat().filter((p) => names.has(p.spec?.nodeName ?? ''));
}

const namesOf = (nodes: readonly KubeNode[]) => new Set(nodes.map((n) => n.metadata?.name ?? ''));

export async function readCluster(kube: KubeReader, req: ClusterReadRequest): Promise<ClusterSnapshot> {
  const reads = countedReads(kube);
  const configMap = reads.configMap(req.configMap);
  configMap.catch(() => {});
  const podEvents = Promise.allSettled(podEventListRequests().map((r) => reads.list<KubeEvent>(r)));

  const nodes = await selectedNodes(reads, req);
  const names = namesOf(nodes);
  const perNode = listsPerNode(req, nodes);
  const nodeEventLists = perNode ? [...names].map((name) => nodeEventListRequest(name)) : [nodeEventListRequest()];
  const [pods, nodeEvents] = await Promise.all([podsOn(reads, names, perNode), Promise.allSettled(nodeEventLists.map((r) => reads.list<KubeEvent>(r)))]);
  const warnings: string[] = [];
  const eventResults = [...nodeEvents, ...(await podEvents)];
  const failed = eventResults.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) warnings.push(`events are incomplete: ${kubeFailure(failed.reason, 'list events').message}`);
  const events = eventResults.flatMap((r) => (r.status === 'fulfilled' ? r.value : [])).filter((e) => e.involvedObject?.kind !== 'Node' || names.has(e.involvedObject.name ?? ''));
  const cm = await configMap;
  if (cm.warning) warnings.push(cm.warning);
  return { nodes, pods, events, configMap: cm.value, warnings, requests: reads.requests };
}

/** The Windows nodes selected, and the pods on them: what `subnets` and `migrate` read from Kubernetes. */
export interface WindowsNodesRead {
  /** In natural name order. */
  nodes: KubeNode[];
  /** Pods on those nodes (finished pods left out), read while the caller goes on with the nodes. */
  pods: Promise<KubePod[]>;
}

export async function readWindowsNodes(kube: KubeReader, sel: NodeSelection): Promise<WindowsNodesRead> {
  const reads = countedReads(kube);
  const nodes = await selectedNodes(reads, sel);
  const pods = podsOn(reads, namesOf(nodes), listsPerNode(sel, nodes));
  pods.catch(() => {});
  return { nodes, pods };
}
