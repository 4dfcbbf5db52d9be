/**
 * @module
 * Runs `why pod`: the pod and its events, then, when it is on a Windows node, that node's report exactly as
 * `describe node` makes it (the same reads, the same analysis), and the story from both. Calls: get the pod, list
 * its events; on a node, describe node's reads (get node, list its pods, 4 event lists, get the ConfigMap) and
 * one DescribeNetworkInterfaces.
 */
import { makeNodeReport } from '../describe/make-report.ts';
import { startKubeReads } from '../describe/kube-reads.ts';
import { isWindowsNode, nodeOs } from '../describe/node-facts.ts';
import type { NodeReport } from '../describe/report.ts';
import { styleOf } from '../common-flags.ts';
import { kubeFailure } from '../errors.ts';
import { CliError, ExitCode, type CliIO } from '../io.ts';
import { listAll } from '../kube/lists.ts';
import type { KubeEvent, KubePod } from '../kube/objects.ts';
import { renderStructured } from '../render/structured.ts';
import { terminalWidth } from '../render/width.ts';
import { connectKube, createEc2Access } from '../session.ts';
import type { WhyPodOp } from './command.ts';
import { renderStory } from './render.ts';
import { podStory } from './stages.ts';

export async function runWhyPod(op: WhyPodOp, io: CliIO): Promise<number> {
  const { kube, target, progress } = await connectKube(op, io);
  const namespace = op.namespace ?? target.namespace;
  const ref = `${namespace}/${op.podName}`;
  const podP = kube.get<KubePod>(`/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(op.podName)}`, { what: 'get pods' }).catch((err: unknown) => {
    throw kubeFailure(err, `get pods in namespace ${namespace}`, `pod "${op.podName}" not found in namespace ${namespace}${op.namespace ? '' : ' (the context namespace; use -n or NAMESPACE/NAME)'}`);
  });
  podP.catch(() => {});
  await kube.connected;
  const access = createEc2Access(op, io, progress);
  try {
    const pod = await podP;
    const eventsP = listAll<KubeEvent>(kube, { path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`, query: { fieldSelector: `involvedObject.uid=${pod.metadata?.uid ?? ''}` }, what: `list events in namespace ${namespace}` })
      .then((l) => l.items)
      .catch((err: unknown) => {
        io.stderr(`warning: the pod's events could not be read, so the story has less evidence: ${kubeFailure(err, 'list events').message}\n`);
        return [] as KubeEvent[];
      });
    let report: NodeReport | undefined;
    const nodeName = pod.spec?.nodeName;
    if (nodeName) {
      const reads = startKubeReads(kube, { nodeName, configMap: op.configMap });
      const node = await reads.node;
      if (!isWindowsNode(node)) {
        throw new CliError(`pod ${ref} runs on node ${nodeName}, which is not a Windows node (kubernetes.io/os=${nodeOs(node) ?? 'unset'}): why pod explains the addresses of Windows pods only`);
      }
      ({ report } = await makeNodeReport(
        { ec2For: (region) => access.ec2For(region), warn: (line) => io.stderr(`warning: ${line}\n`) },
        { nodeName, podNamespace: null, now: io.now() },
        reads,
      ));
    }
    const story = podStory({ pod, podEvents: await eventsP, report, now: io.now() });
    io.stdout(op.output === 'json' || op.output === 'yaml' ? await renderStructured(story, op.output) : renderStory(story, { style: styleOf(op.color, io), width: terminalWidth(io), now: io.now() }));
    if (story.verdict === 'working') return ExitCode.ok;
    if (story.verdict === 'unknown') {
      const stage = story.stages.find((s) => s.state === 'unknown');
      throw new CliError(`could not verify ${ref}: ${stage?.summary ?? 'a stage could not be checked'}`);
    }
    return ExitCode.findings;
  } finally {
    kube.close();
    access.close();
  }
}
