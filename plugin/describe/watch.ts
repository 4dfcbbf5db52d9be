/**
 * @module
 * `describe node NAME --watch`: the node, its pods, their IPAM events and the ConfigMap kept current by
 * watches (the same reads as a single run, plugin/describe/kube-reads.ts, listed then watched), the report made
 * again by the same analysis when changes arrive (coalesced), and shown by plugin/render/live.ts: redrawn in
 * place on a terminal; in a pipe, printed again whenever it changed (a line `--- HH:MM:SS` before each), or
 * with -o json one report per line. EC2 has no watch: its ENIs are read again when Kubernetes changes arrive,
 * at most every 5 s, and every minute.
 */
import { surveyCluster } from '../cluster/survey.ts';
import { settleWatchedLists } from '../cluster/watch.ts';
import { configMapWatchRequest, nodeEventListRequest, podEventListRequests, podListRequest } from '../cluster/reads.ts';
import { kubeFailure } from '../errors.ts';
import { CliError, type CliIO } from '../io.ts';
import { watchList } from '../kube/lists.ts';
import type { KubeConfigMap, KubeEvent, KubeNode, KubePod } from '../kube/objects.ts';
import { clockTime, liveView } from '../render/live.ts';
import { renderStructured } from '../render/structured.ts';
import { connectKube, createEc2Access, WATCH_EC2_EVERY_MS as EC2_EVERY_MS, WATCH_EC2_MIN_INTERVAL_MS as EC2_MIN_INTERVAL_MS } from '../session.ts';
import type { DescribeNodeOp } from './command.ts';
import type { Ec2Outcome } from './gather.ts';
import { isWindowsNode, nodeOs } from './node-facts.ts';
import { renderReport } from './output.ts';
import type { NodeReport } from './report.ts';

/** A report as compared between refreshes: when it was made and the pods' ages are no change. */
const reportKey = (r: NodeReport) => JSON.stringify({ ...r, metadata: { ...r.metadata, generatedAt: '' }, pods: r.pods.map((p) => ({ ...p, ageSeconds: null })) });

export async function watchDescribeNode(op: DescribeNodeOp, io: CliIO): Promise<number> {
  const { kube, progress } = await connectKube(op, io);
  const name = op.nodeName;
  const structured = op.output === 'json' || op.output === 'yaml';
  const redraw = io.stdoutIsTTY && !structured;
  const access = createEc2Access(op, io, progress);
  let ec2Cache: Map<string, Ec2Outcome> | undefined;
  let ec2At = 0;
  let lastKey = '';

  const view = liveView({
    io,
    redraw,
    everyMs: EC2_EVERY_MS,
    async refresh({ now, columns, started }) {
      const node = nodes.items()[0];
      const stamp = `${redraw ? 'kubectl winprefix describe node -w' : '---'} ${name}   updated ${clockTime(now)}${redraw ? `, watching since ${clockTime(started)}   Ctrl-C to quit` : ''}`;
      if (!node) return redraw ? `${stamp}\n\nnode "${name}" is gone (deleted); still watching in case it comes back\n` : lastKey === 'gone' ? '' : ((lastKey = 'gone'), `${stamp}\nnode "${name}" is gone (deleted)\n`);
      const readEc2 = !ec2Cache?.has(name) || now.getTime() - ec2At >= EC2_MIN_INTERVAL_MS;
      const cm = configMaps.items()[0];
      const snapshot = {
        nodes: [node],
        pods: pods.items(),
        events: events.flatMap((l) => l.items()),
        configMap: { ref: `${op.configMap.namespace}/${op.configMap.name}`, data: cm ? (cm.data ?? {}) : undefined, error: configMapError },
      };
      const survey = await surveyCluster({ snapshot, access: readEc2 ? access : undefined, previousEc2: ec2Cache, now, warn: (line) => view.note(line), podNamespace: op.kube.namespace ?? null });
      if (readEc2) {
        ec2Cache = survey.ec2;
        ec2At = now.getTime();
      }
      const report = survey.analysis.reports[0]!;
      if (redraw) return `${stamp}\n\n${await renderReport(report, op, { ...io, stdoutColumns: columns, env: { ...io.env, COLUMNS: String(columns) } })}`;
      const key = reportKey(report);
      if (key === lastKey) return '';
      lastKey = key;
      if (op.output === 'json') return `${JSON.stringify(report)}\n`;
      if (op.output === 'yaml') return `---\n${await renderStructured(report, 'yaml')}`;
      return `${stamp}\n${await renderReport(report, op, io)}`;
    },
  });

  const watch = <T>(r: Parameters<typeof watchList>[1]) => watchList<T & { metadata?: KubeNode['metadata'] }>(kube, r, { onChange: () => view.changed(), onTrouble: (what, err) => view.note(`the watch behind "${what}" broke, watching again: ${kubeFailure(err, what).message}`) });
  const nodes = watch<KubeNode>({ path: '/api/v1/nodes', query: { fieldSelector: `metadata.name=${name}` }, what: 'get nodes' });
  const pods = watch<KubePod>(podListRequest(name));
  const events = [nodeEventListRequest(name), ...podEventListRequests()].map((r) => watch<KubeEvent>(r));
  const configMaps = watch<KubeConfigMap>(configMapWatchRequest(op.configMap));
  const all = [nodes, pods, ...events, configMaps];
  // A ConfigMap or events that cannot be read are said as in a single run, not shown as defaults in silence.
  let configMapError: string | null = null;
  const synced = (async () => {
    configMapError = await settleWatchedLists(kube, { nodes: [nodes], pods, events, configMaps, configMapRef: op.configMap }, (line) => view.note(line));
    const node = nodes.items()[0];
    if (!node) throw new CliError(`node "${name}" not found: list Windows nodes with kubectl get nodes -l kubernetes.io/os=windows`);
    if (!isWindowsNode(node)) {
      throw new CliError(`node "${name}" is not a Windows node (kubernetes.io/os=${nodeOs(node) ?? 'unset'}): describe node explains Windows IPAM only; pick a node from kubectl get nodes -l kubernetes.io/os=windows`);
    }
  })();
  return view.run(synced, () => {
    for (const l of all) l.close();
    access.close();
    kube.close();
  });
}
