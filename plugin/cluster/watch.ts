/**
 * @module
 * The cluster-wide reads of reads.ts kept current by watches, for `get nodes --watch`: the same requests, each
 * listed once and then watched (plugin/kube/lists.ts), so a change reaches the view as soon as the API server
 * sends it, with no polling. Named nodes are picked out of the Windows node list as it changes.
 */
import { readConfigMap, type ConfigMapRead } from '../describe/kube-reads.ts';
import { kubeFailure } from '../errors.ts';
import { watchList, type ListRequest, type WatchedList } from '../kube/lists.ts';
import type { KubeConfigMap, KubeEvent, KubeNode, KubePod } from '../kube/objects.ts';
import type { KubeReader } from '../kube/rest.ts';
import { configMapWatchRequest, nodeEventListRequest, nodeListRequests, podEventListRequests, podListRequest, windowsOnly, type ClusterReadRequest, type ClusterSnapshot } from './reads.ts';

export interface WatchedCluster {
  /** The objects as last seen, shaped as readCluster returns them. */
  snapshot(): Pick<ClusterSnapshot, 'nodes' | 'pods' | 'events' | 'configMap'>;
  /** Settles once every list is in; rejects (as a CliError) when one cannot be read. */
  readonly synced: Promise<void>;
  /** Requests so far: list pages and watch starts. */
  requests(): number;
  close(): void;
}

export function watchCluster(kube: KubeReader, req: ClusterReadRequest, o: { onChange(): void; onTrouble(line: string): void }): WatchedCluster {
  const trouble = (what: string, err: unknown) => o.onTrouble(`the watch behind "${what}" broke, watching again: ${kubeFailure(err, what).message}`);
  const watch = <T>(r: ListRequest) => watchList<T & { metadata?: KubeNode['metadata'] }>(kube, r, { onChange: o.onChange, onTrouble: trouble });
  const nodes = nodeListRequests(req.selector).map((r) => watch<KubeNode>(r));
  const pods = watch<KubePod>(podListRequest());
  const events = [nodeEventListRequest(), ...podEventListRequests()].map((r) => watch<KubeEvent>(r));
  const configMaps = watch<KubeConfigMap>(configMapWatchRequest(req.configMap));
  const all: Array<WatchedList<unknown>> = [...nodes, pods, ...events, configMaps];
  const ref = `${req.configMap.namespace}/${req.configMap.name}`;

  const named = new Set(req.nodeNames);
  let configMapError: string | null = null;
  const synced = settleWatchedLists(kube, { nodes, pods, events, configMaps, configMapRef: req.configMap }, o.onTrouble).then((error) => {
    configMapError = error;
  });
  synced.catch(() => {});

  return {
    snapshot() {
      const windowsNodes = windowsOnly(nodes.flatMap((list) => list.items()).filter((n) => named.size === 0 || named.has(n.metadata?.name ?? '')));
      const names = new Set(windowsNodes.map((n) => n.metadata?.name ?? ''));
      const cm = configMaps.items()[0];
      const configMap: ConfigMapRead = { ref, data: cm ? (cm.data ?? {}) : undefined, error: configMapError };
      return {
        nodes: windowsNodes,
        pods: pods.items().filter((p) => names.has(p.spec?.nodeName ?? '')),
        events: events.flatMap((l) => l.items()).filter((e) => e.involvedObject?.kind !== 'Node' || names.has(e.involvedObject.name ?? '')),
        configMap,
      };
    },
    synced,
    requests: () => all.reduce((n, l) => n + l.requests(), 0),
    close() {
      for (const l of all) l.close();
    },
  };
}

/**
 * Waits until every list is in, as a single run would treat a failed read: nodes or pods that cannot be
 * listed end the command (a CliError); events that cannot be listed are a note ("events are incomplete"); a
 * ConfigMap that cannot be read is read once more through describe's reader, so the denial is worded as in a
 * single run, and that wording is returned for the report (null when it was read).
 */
export async function settleWatchedLists(
  kube: KubeReader,
  l: { nodes: Array<WatchedList<unknown>>; pods: WatchedList<unknown>; events: Array<WatchedList<unknown>>; configMaps: WatchedList<unknown>; configMapRef: { namespace: string; name: string } },
  onTrouble: (line: string) => void,
): Promise<string | null> {
  const all = [...l.nodes, l.pods, ...l.events, l.configMaps];
  const results = await Promise.allSettled(all.map((x) => x.synced));
  const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ list: all[i]!, reason: r.reason as unknown }] : []));
  const required = failed.find((f) => f.list !== l.configMaps && !l.events.includes(f.list));
  if (required) throw kubeFailure(required.reason, required.list === l.pods ? 'list pods' : 'list nodes');
  const events = failed.find((f) => l.events.includes(f.list));
  if (events) onTrouble(`events are incomplete: ${kubeFailure(events.reason, 'list events').message}`);
  return failed.some((f) => f.list === l.configMaps) ? (await readConfigMap(kube, l.configMapRef)).value.error : null;
}
