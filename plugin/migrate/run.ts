/**
 * @module
 * Runs a {@link MigrateOp}: list the Windows nodes, read their pods, the ConfigMap and the
 * PodDisruptionBudgets from Kubernetes, their ENIs and subnets from EC2, plan, render. Reads only: the
 * Kubernetes reader has no verb but GET and the EC2 reader no action but Describe* and Get*. Returns 0 (safe
 * as planned) or 1 (findings); throws CliError when the tool failed, or after printing the plan when a node
 * could not be read (exit 2: the plan is incomplete).
 */
import { styleOf } from '../common-flags.ts';
import { readConfigMap } from '../describe/kube-reads.ts';
import { nodeRegion } from '../describe/node-facts.ts';
import { kubeFailure } from '../errors.ts';
import { listWindowsNodes, readPodsOf, readSubnets, readWindowsNodes, windowsSelector, type FleetNode } from '../fleet/read.ts';
import { CliError, ExitCode, type CliIO } from '../io.ts';
import type { KubePodDisruptionBudget } from '../kube/disruption-budgets.ts';
import { listAll } from '../kube/list.ts';
import { renderStructured } from '../render/structured.ts';
import { terminalWidth } from '../render/width.ts';
import { connectKube, createEc2Access, ec2EndpointOverride } from '../session.ts';
import { mark } from '../timing.ts';
import type { MigrateOp } from './command.ts';
import { planMigration } from './plan.ts';
import { renderPlan } from './render.ts';

export async function runMigrate(op: MigrateOp, io: CliIO): Promise<number> {
  const env = io.env;
  const warn = (line: string) => io.stderr(`warning: ${line}\n`);
  const { kube, progress } = await connectKube(op, io);
  const nodesRead = listWindowsNodes(kube, op.selector);
  nodesRead.catch(() => {});
  await kube.connected;
  const access = createEc2Access(op, io, progress);
  try {
    // The nodes' ENIs and limits, and their subnets: EC2 is not asked at all when no node matches.
    const readFromEc2 = async (nodes: FleetNode[]) => {
      const podsRead = readPodsOf(kube, nodes.map((n) => n.metadata?.name ?? ''));
      podsRead.catch(() => {});
      const { ec2: reader, where } = await access.ec2ForNodes(nodes);
      const elsewhere = [...new Set(nodes.map(nodeRegion).filter((r): r is string => r !== null && r !== where.region))];
      if (elsewhere.length > 0) warn(`some Windows nodes are in ${elsewhere.join(', ')}, not ${where.region}: EC2 is read in ${where.region} only; run again with --region for the others`);
      const windows = await readWindowsNodes({ nodes, pods: await podsRead, ec2: reader, where, warn });
      const subnets = await readSubnets(reader, where, [...new Set(windows.flatMap((n) => (n.eni ? [n.eni.subnetId] : [])))].sort());
      return { windows, subnets, ec2: { region: where.region, endpoint: ec2EndpointOverride(op.aws, env) ?? null, profile: where.profile ?? null } };
    };
    const configMapRead = readConfigMap(kube, op.configMap);
    const budgetsRead = listAll<KubePodDisruptionBudget>(kube, '/apis/policy/v1/poddisruptionbudgets', { what: 'list poddisruptionbudgets' }).then(
      (items) => ({ items, error: null as string | null }),
      (err: unknown) => ({ items: [] as KubePodDisruptionBudget[], error: kubeFailure(err, 'list poddisruptionbudgets.policy').message }),
    );
    const nodes = await nodesRead;
    mark(`migrate: ${nodes.length} Windows nodes listed`);
    if (nodes.length === 0) warn(`no node matches ${windowsSelector(op.selector)}: the plan is only the ConfigMap change`);
    const fromEc2 = nodes.length > 0 ? await readFromEc2(nodes) : { windows: [], subnets: [], ec2: { region: op.aws.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? '', endpoint: null, profile: null } };
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
