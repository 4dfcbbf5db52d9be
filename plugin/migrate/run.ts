/**
 * @module
 * Runs a {@link MigrateOp}: list the Windows nodes, read their pods, the ConfigMap and the
 * PodDisruptionBudgets from Kubernetes, their ENIs and subnets from EC2, plan, render. Reads only: the
 * Kubernetes reader has no verb but GET and the EC2 reader no action but Describe* and Get*. Returns 0 (safe
 * as planned) or 1 (findings); throws CliError when the tool failed, or after printing the plan when a node
 * could not be read (exit 2: the plan is incomplete).
 */
import { ec2Place, readPlanningNodes, readSubnets, subnetsOf } from '../cluster/planning-reads.ts';
import { readWindowsNodes, windowsSelector, type WindowsNodesRead } from '../cluster/reads.ts';
import { styleOf } from '../common-flags.ts';
import { readConfigMap } from '../describe/kube-reads.ts';
import { kubeFailure } from '../errors.ts';
import { CliError, ExitCode, type CliIO } from '../io.ts';
import type { KubePodDisruptionBudget } from '../kube/disruption-budgets.ts';
import { listAll } from '../kube/lists.ts';
import { renderStructured } from '../render/structured.ts';
import { terminalWidth } from '../render/width.ts';
import { connectKube, createEc2Access } from '../session.ts';
import { mark } from '../timing.ts';
import type { MigrateOp } from './command.ts';
import { planMigration } from './plan.ts';
import { renderPlan } from './render.ts';

export async function runMigrate(op: MigrateOp, io: CliIO): Promise<number> {
  const warn = (line: string) => io.stderr(`warning: ${line}\n`);
  const { kube, progress } = await connectKube(op, io);
  const kubeRead = readWindowsNodes(kube, { selector: op.selector, nodeNames: [] });
  kubeRead.catch(() => {});
  const configMapRead = readConfigMap(kube, op.configMap);
  const budgetsRead = listAll<KubePodDisruptionBudget>(kube, { path: '/apis/policy/v1/poddisruptionbudgets', what: 'list poddisruptionbudgets' }).then(
    (listed) => ({ items: listed.items, error: null as string | null }),
    (err: unknown) => ({ items: [] as KubePodDisruptionBudget[], error: kubeFailure(err, 'list poddisruptionbudgets.policy').message }),
  );
  await kube.connected;
  const access = createEc2Access(op, io, progress);
  try {
    // The nodes' ENIs and limits, and their subnets: EC2 is not asked at all when no node matches.
    const readFromEc2 = async ({ nodes, pods }: WindowsNodesRead) => {
      const { ec2, where } = await access.ec2ForNodes(nodes);
      const windows = await readPlanningNodes({ nodes, pods, ec2, where, warn });
      return { windows, subnets: await readSubnets(ec2, where, subnetsOf(windows)), ec2: ec2Place(op.aws, io.env, where) };
    };
    const read = await kubeRead;
    mark(`migrate: ${read.nodes.length} Windows nodes listed`);
    if (read.nodes.length === 0) warn(`no node matches ${windowsSelector(op.selector)}: the plan is only the ConfigMap change`);
    const fromEc2 = read.nodes.length > 0 ? await readFromEc2(read) : { windows: [], subnets: [], ec2: ec2Place(op.aws, io.env, undefined) };
    const [configMap, budgets] = await Promise.all([configMapRead, budgetsRead]);
    if (configMap.warning) warn(configMap.warning);
    if (budgets.error) warn(`PodDisruptionBudgets not read, so what blocks a drain is unknown: ${budgets.error}`);
    mark('migrate: everything read');

    const plan = planMigration({
      now: io.now(),
      to: op.to,
      selector: op.selector,
      ec2: fromEc2.ec2,
      configMap: configMap.value,
      budgets,
      nodes: fromEc2.windows,
      subnets: fromEc2.subnets,
    });
    mark('migrate: planned');
    if (op.output === 'json' || op.output === 'yaml') io.stdout(await renderStructured(plan, op.output));
    else {
      io.stdout(renderPlan(plan, { wide: op.output === 'wide', style: styleOf(op.color, io), width: terminalWidth(io) }));
    }
    const unknown = plan.nodes.filter((n) => n.action === 'unknown');
    if (unknown.length > 0) {
      throw new CliError(
        `${unknown.length === 1 ? `node ${unknown[0]!.name} could not be planned` : `${unknown.length} nodes (${unknown.slice(0, 3).map((n) => n.name).join(', ')}${unknown.length > 3 ? ', ...' : ''}) could not be planned`}, so the plan is incomplete: ${unknown[0]!.unread ?? unknown[0]!.why}`,
      );
    }
    return plan.findings.length > 0 ? ExitCode.findings : ExitCode.ok;
  } finally {
    kube.close();
    access.close();
  }
}
