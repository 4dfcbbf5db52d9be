/**
 * @module
 * `get nodes --watch`: the cluster-wide lists kept current by watches (plugin/cluster/watch.ts), the rows
 * computed again when changes arrive (coalesced), and shown (plugin/render/live.ts):
 * - on a terminal (-o table or wide): redrawn in place on the alternate screen, with when it was computed;
 *   Ctrl-C gives the terminal back and leaves the last frame in the scrollback;
 * - in a pipe: like `kubectl get -w`: the table once, then each row again when it changes (a node that goes
 *   away is printed once more with mode "deleted");
 * - -o json / yaml: one document per change, `{"type":"ADDED"|"MODIFIED"|"DELETED","object":ROW}`, a JSON line
 *   each (YAML: documents separated by `---`), as `kubectl get -w -o json --output-watch-events` prints them.
 * EC2 (--ec2) is read again when changes arrive, at most every 5 s, and every minute.
 */
import { surveyCluster } from '../cluster/survey.ts';
import { watchCluster } from '../cluster/watch.ts';
import { styleOf } from '../common-flags.ts';
import type { Ec2Outcome } from '../describe/gather.ts';
import type { CliIO } from '../io.ts';
import { clockTime, liveView } from '../render/live.ts';
import { renderStructured } from '../render/structured.ts';
import { connectKube, createEc2Access, WATCH_EC2_EVERY_MS as EC2_EVERY_MS, WATCH_EC2_MIN_INTERVAL_MS as EC2_MIN_INTERVAL_MS } from '../session.ts';
import type { GetNodesOp } from './command.ts';
import { renderNodes, renderTableText } from './render.ts';
import { nodeList, nodeRows, sortRows } from './rows.ts';
import type { NodeRow } from './schema.ts';


/** A row as compared between refreshes: its age fields tick every second and are no change. */
const rowKey = (r: NodeRow) => JSON.stringify({ ...r, status: { ...r.status, ageSeconds: null } });

export async function watchGetNodes(op: GetNodesOp, io: CliIO): Promise<number> {
  const { kube, progress } = await connectKube(op, io);
  const structured = op.output === 'json' || op.output === 'yaml';
  const style = styleOf(op.color, io);
  const access = op.ec2 ? createEc2Access(op, io, progress) : undefined;
  let ec2Cache: Map<string, Ec2Outcome> | undefined;
  let ec2At = 0;
  let shown = new Map<string, { row: NodeRow; key: string }>();
  let printedHeader = false;

  const view = liveView({
    io,
    redraw: io.stdoutIsTTY && !structured,
    ...(access ? { everyMs: EC2_EVERY_MS } : {}),
    async refresh({ now, columns, started }) {
      const snapshot = cluster.snapshot();
      const missing = snapshot.nodes.some((n) => !ec2Cache?.has(n.metadata?.name ?? ''));
      const readEc2 = access !== undefined && (missing || now.getTime() - ec2At >= EC2_MIN_INTERVAL_MS);
      const survey = await surveyCluster({ snapshot, access: readEc2 ? access : undefined, previousEc2: ec2Cache, now, warn: (line) => view.note(line) });
      if (readEc2) {
        ec2Cache = survey.ec2;
        ec2At = now.getTime();
      }
      const list = nodeList(sortRows(nodeRows(survey.analysis, snapshot.nodes, now), op.sortBy), { now, selector: op.selector, ec2: op.ec2 });
      const table = { wide: op.output === 'wide', style, width: columns, noHeaders: op.noHeaders, ec2: op.ec2 };
      if (io.stdoutIsTTY && !structured) {
        const head = `${style.bold('kubectl winprefix get nodes -w')}   updated ${clockTime(now)}, watching since ${clockTime(started)}   Ctrl-C to quit`;
        const body = list.items.length > 0 ? renderNodes(list.items, list.totals, table) : 'No Windows nodes found.\n';
        return `${head}\n\n${body}`;
      }
      // A pipe: what changed since the last print, each row once.
      const next = new Map(list.items.map((row) => [row.name, { row, key: rowKey(row) }] as const));
      const changed = list.items.filter((r) => shown.get(r.name)?.key !== next.get(r.name)!.key);
      const gone = [...shown.values()].filter((s) => !next.has(s.row.name)).map((s) => s.row);
      const before = shown;
      shown = next;
      if (structured) {
        const events = [...changed.map((row) => ({ type: before.has(row.name) ? 'MODIFIED' : 'ADDED', object: row })), ...gone.map((row) => ({ type: 'DELETED', object: row }))];
        let out = '';
        for (const e of events) out += op.output === 'json' ? `${JSON.stringify(e)}\n` : `---\n${await renderStructured(e, 'yaml')}`;
        return out;
      }
      // A deleted node is printed once more, its mode saying so (and no "inferred" mark on that word).
      const rows = [...changed, ...gone.map((r) => ({ ...r, mode: 'deleted' as NodeRow['mode'], modeSource: 'status-annotation' as const }))];
      if (rows.length === 0) return '';
      const text = renderTableText(rows, { ...table, noHeaders: printedHeader || op.noHeaders }).text;
      printedHeader = true;
      return text;
    },
  });
  const cluster = watchCluster(kube, { selector: op.selector, nodeNames: op.nodeNames, configMap: op.configMap }, { onChange: () => view.changed(), onTrouble: (line) => view.note(line) });
  return view.run(cluster.synced, () => {
    cluster.close();
    access?.close();
    kube.close();
  });
}
