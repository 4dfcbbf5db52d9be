/**
 * @module
 * Runs `get nodes` once: the cluster-wide reads (plugin/cluster/reads.ts), EC2 with --ec2, every node analysed
 * as `describe node` analyses it, one row each. Exit 0 once printed; 2 when --ec2 could not read EC2 for some
 * node (printed anyway, without its EC2 side) or the tool failed.
 */
import { readCluster } from '../cluster/reads.ts';
import { surveyCluster } from '../cluster/survey.ts';
import { styleOf } from '../common-flags.ts';
import { CliError, ExitCode, type CliIO } from '../io.ts';
import { renderStructured } from '../render/structured.ts';
import { terminalWidth } from '../render/width.ts';
import { connectKube, createEc2Access } from '../session.ts';
import { mark } from '../timing.ts';
import type { GetNodesOp } from './command.ts';
import { renderNodes } from './render.ts';
import { nodeList, nodeRows, sortRows } from './rows.ts';
import type { NodeList } from './schema.ts';

export async function runGetNodes(op: GetNodesOp, io: CliIO): Promise<number> {
  const { kube, progress } = await connectKube(op, io);
  const snapshotP = readCluster(kube, { selector: op.selector, nodeNames: op.nodeNames, configMap: op.configMap });
  snapshotP.catch(() => {});
  await kube.connected;
  const access = op.ec2 ? createEc2Access(op, io, progress) : undefined;
  try {
    const snapshot = await snapshotP;
    mark(`get nodes: ${snapshot.nodes.length} nodes read in ${snapshot.requests} requests`);
    for (const line of snapshot.warnings) io.stderr(`warning: ${line}\n`);
    const now = io.now();
    const survey = await surveyCluster({ snapshot, access, now, warn: (line) => io.stderr(`warning: ${line}\n`) });
    const list = nodeList(sortRows(nodeRows(survey.analysis, snapshot.nodes, now), op.sortBy), { now, selector: op.selector, ec2: op.ec2 });
    io.stdout(await renderList(list, op, io));
    if (list.items.length === 0 && op.output !== 'json' && op.output !== 'yaml') {
      io.stderr(`No Windows nodes found${op.selector ? ` matching -l ${op.selector}` : ''} (nodes labelled kubernetes.io/os=windows).\n`);
    }
    const unread = list.items.filter((r) => op.ec2 && !r.ec2.read);
    if (unread.length > 0) {
      const first = unread[0]!;
      throw new CliError(`EC2 could not be read for ${unread.length} of ${list.items.length} nodes (their rows show the controller status or the pods only): ${first.name}: ${first.ec2.error ?? 'not read'}`);
    }
    return ExitCode.ok;
  } finally {
    kube.close();
    access?.close();
  }
}

export async function renderList(list: NodeList, op: Pick<GetNodesOp, 'output' | 'color' | 'noHeaders' | 'ec2'>, io: CliIO): Promise<string> {
  if (op.output === 'json' || op.output === 'yaml') return renderStructured(list, op.output);
  if (op.output === 'name') return list.items.map((r) => `node/${r.name}\n`).join('');
  return renderNodes(list.items, list.totals, { wide: op.output === 'wide', style: styleOf(op.color, io), width: terminalWidth(io), noHeaders: op.noHeaders, ec2: op.ec2 });
}
