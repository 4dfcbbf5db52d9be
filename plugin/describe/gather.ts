/**
 * @module
 * Reads what `describe node` needs. Every Kubernetes read starts at once; the one EC2 read
 * (DescribeNetworkInterfaces filtered by the instance) starts as soon as the node says which
 * instance it is. Node and pods are essential (failures end the run); events and the ConfigMap
 * are not (a failure becomes a warning); EC2 failures become the report's missing EC2 half.
 */
import type { CoreV1Api, CoreV1Event, V1Node } from '@kubernetes/client-node';
import { bundledInstanceLimits, type InstanceLimits } from '../../pkg/core/ec2/instance-limits.ts';
import { Ec2Error } from '../../pkg/core/ec2/errors.ts';
import type { Ec2Port } from '../../pkg/core/ec2/port.ts';
import { KubeApiError } from '../../pkg/adapters/kube/client.ts';
import { CliError } from '../io.ts';
import type { DescribeInputs, Ec2Read } from './inputs.ts';
import { POD_EVENT_REASONS } from './ipam-events.ts';
import { isWindowsNode, nodeInstanceType, nodeOs, nodeRegion, parseProviderId } from './node-facts.ts';

export type KubeReader = Pick<CoreV1Api, 'readNode' | 'listPodForAllNamespaces' | 'listEventForAllNamespaces' | 'readNamespacedConfigMap'>;

export interface GatherDeps {
  core: KubeReader;
  /** Builds the EC2 port for a region (undefined: the SDK's own chain decides). */
  ec2For(region: string | undefined): Ec2Port;
  warn(line: string): void;
}

export interface GatherRequest {
  nodeName: string;
  configMap: { namespace: string; name: string };
  /** --region; when absent the node's region is used. */
  region: string | undefined;
  /** Shown in "unreachable" messages. */
  ec2Endpoint: string | undefined;
  now: Date;
}

export async function gatherNodeInputs(deps: GatherDeps, req: GatherRequest): Promise<DescribeInputs> {
  const nodeP = deps.core.readNode({ name: req.nodeName }).catch((err: unknown) => {
    throw kubeFailure(err, `get nodes`, `node "${req.nodeName}" not found: list Windows nodes with kubectl get nodes -l kubernetes.io/os=windows`);
  });
  const podsP = deps.core
    .listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${req.nodeName}` })
    .then((list) => list.items)
    .catch((err: unknown) => {
      throw kubeFailure(err, 'list pods', undefined);
    });
  const eventsP = readEvents(deps, req.nodeName);
  const configMapP = readConfigMap(deps, req.configMap);
  // The node decides whether the other reads matter; await it first but let the rest run.
  podsP.catch(() => {});
  const node: V1Node = await nodeP;
  if (!isWindowsNode(node)) {
    const os = nodeOs(node);
    throw new CliError(`node "${req.nodeName}" is not a Windows node (kubernetes.io/os=${os ?? 'unset'}): describe node explains Windows IPAM only; pick a node from kubectl get nodes -l kubernetes.io/os=windows`);
  }
  const ec2P = readEc2(deps, node, req);
  const [pods, events, configMap, ec2] = await Promise.all([podsP, eventsP, configMapP, ec2P]);
  // Warned only now: when the node itself cannot be read, its error is the one line worth printing.
  for (const line of [events.warning, configMap.warning]) if (line) deps.warn(line);
  return { node, pods, events: events.events, configMap: configMap.value, ec2: ec2.read, limits: ec2.limits, now: req.now };
}

/** A one-line CliError from a Kubernetes failure; `notFound` replaces the message for a 404. */
function kubeFailure(err: unknown, call: string, notFound: string | undefined): CliError {
  const k = KubeApiError.from(err);
  if (k instanceof KubeApiError) {
    if (k.reason === 'NotFound' && notFound) return new CliError(notFound, undefined, { cause: err });
    if (k.reason === 'Forbidden' && !k.permission) {
      return new CliError(`Kubernetes denied "${call}": grant it in a ClusterRole bound to this identity (${k.serverMessage || 'forbidden'})`, undefined, { cause: err });
    }
    return new CliError(k.message, undefined, { cause: err });
  }
  return new CliError(`cannot reach the Kubernetes API server to ${call}: ${networkDetail(err)} (check --kubeconfig, --context, --request-timeout and the network)`, undefined, { cause: err });
}

/** undici says only "fetch failed"; the socket error code (ECONNREFUSED, ENOTFOUND, ...) is on its cause. */
function networkDetail(err: unknown): string {
  const e = err as { message?: string; name?: string; cause?: { code?: string; message?: string } } | undefined;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'the request timed out';
  const cause = e?.cause;
  if (cause?.code) return `${e?.message ?? 'request failed'} (${cause.code}${cause.message ? `: ${cause.message}` : ''})`;
  return e?.message ?? String(err);
}

async function readEvents(deps: GatherDeps, nodeName: string): Promise<{ events: CoreV1Event[]; warning: string | undefined }> {
  const selectors = [
    `involvedObject.kind=Node,involvedObject.name=${nodeName}`,
    ...POD_EVENT_REASONS.map((reason) => `involvedObject.kind=Pod,reason=${reason}`),
  ];
  const lists = await Promise.allSettled(selectors.map((fieldSelector) => deps.core.listEventForAllNamespaces({ fieldSelector })));
  const failed = lists.find((l): l is PromiseRejectedResult => l.status === 'rejected');
  return {
    events: lists.flatMap((l) => (l.status === 'fulfilled' ? l.value.items : [])),
    warning: failed ? `events are incomplete: ${kubeFailure(failed.reason, 'list events', undefined).message}` : undefined,
  };
}

async function readConfigMap(
  deps: GatherDeps,
  ref: { namespace: string; name: string },
): Promise<{ value: DescribeInputs['configMap']; warning: string | undefined }> {
  const refText = `${ref.namespace}/${ref.name}`;
  try {
    const cm = await deps.core.readNamespacedConfigMap(ref);
    return { value: { ref: refText, data: cm.data ?? {}, error: null }, warning: undefined };
  } catch (err) {
    const k = KubeApiError.from(err);
    if (k instanceof KubeApiError && k.reason === 'NotFound') return { value: { ref: refText, data: undefined, error: null }, warning: undefined };
    const message = `ConfigMap ${refText} not read, defaults shown: ${kubeFailure(err, `get configmaps in namespace ${ref.namespace}`, undefined).message}`;
    return { value: { ref: refText, data: undefined, error: message }, warning: message };
  }
}

async function readEc2(deps: GatherDeps, node: V1Node, req: GatherRequest): Promise<{ read: Ec2Read; limits: InstanceLimits | undefined }> {
  const instanceType = nodeInstanceType(node);
  const bundled = instanceType ? bundledInstanceLimits(instanceType) : undefined;
  const region = req.region ?? nodeRegion(node) ?? undefined;
  const { instanceId } = parseProviderId(node.spec?.providerID);
  if (!instanceId) {
    const providerID = node.spec?.providerID;
    return {
      read: {
        ok: false,
        region: region ?? null,
        error: `node "${req.nodeName}" has ${providerID ? `providerID "${providerID}", which names no EC2 instance` : 'no spec.providerID'}, so its ENIs cannot be read: run the AWS cloud controller manager, or set the providerID to aws:///ZONE/INSTANCE-ID`,
      },
      limits: bundled,
    };
  }
  let port: Ec2Port;
  try {
    port = deps.ec2For(region);
  } catch (err) {
    return { read: { ok: false, region: region ?? null, error: ec2Failure(err, req, 'DescribeNetworkInterfaces') }, limits: bundled };
  }
  const limitsP: Promise<InstanceLimits | undefined> =
    bundled || !instanceType
      ? Promise.resolve(bundled)
      : port.instanceLimits(instanceType).catch((err: unknown) => {
          deps.warn(`instance type ${instanceType} is not in the bundled table and DescribeInstanceTypes failed, so slots are unknown: ${ec2Failure(err, req, 'DescribeInstanceTypes')}`);
          return undefined;
        });
  const [interfaces, limits] = await Promise.all([
    port.describeInstanceInterfaces(instanceId).then(
      (list) => ({ ok: true as const, list }),
      (err: unknown) => ({ ok: false as const, error: ec2Failure(err, req, 'DescribeNetworkInterfaces') }),
    ),
    limitsP,
  ]);
  const read: Ec2Read = interfaces.ok
    ? { ok: true, region: region ?? '', interfaces: interfaces.list }
    : { ok: false, region: region ?? null, error: interfaces.error };
  return { read, limits };
}

/** One line that says what failed and what to do, by the error's class (never its text). */
export function ec2Failure(err: unknown, req: Pick<GatherRequest, 'ec2Endpoint'>, action: string): string {
  if (err instanceof Ec2Error) {
    switch (err.kind) {
      case 'unauthorized':
        return err.code === 'CredentialsProviderError'
          ? 'no AWS credentials found: set AWS_PROFILE or pass --profile, or configure credentials (aws configure, aws sso login)'
          : `AWS denied ${err.permission} (${err.code}): allow ${err.permission} for the IAM identity in use`;
      case 'unreachable':
        return `EC2 endpoint ${req.ec2Endpoint ?? 'for the region'} is unreachable (${err.code}): check --ec2-endpoint or AWS_ENDPOINT_URL_EC2, the network and --region`;
      default:
        return err.message;
    }
  }
  if (err instanceof CliError) return err.message;
  return `EC2 ${action} failed: ${(err as Error)?.message ?? String(err)}`;
}
