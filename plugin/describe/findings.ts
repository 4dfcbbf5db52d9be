/**
 * @module
 * One constructor per finding kind of `describe node`: the wording of what each disagreement means and
 * what to do about it lives here, once. Findings about pods take every pod of one cause at once (the
 * shared model in plugin/findings.ts), so 39 pods stuck for one reason are one finding. Pure.
 */
import { OS_LABEL, POD_IP_ANNOTATION, RESOURCE_NAME, WINDOWS } from '../../pkg/core/contract.ts';
import { groupBy, podName, podSummary, sortedPods, type PodRef } from '../findings.ts';
import { adviceForMissingAddress, type AdviceContext, type IpamCause } from '../ipam-causes.ts';
import { plural } from '../render/text.ts';
import type { Finding } from './report.ts';

/** Pods a delete command names at most; beyond that the action says how to select them. */
const DELETE_COMMAND_PODS = 10;

function subjectOf(pods: readonly PodRef[]): string {
  return pods.length === 1 ? `pod ${podName(pods[0]!)}` : plural(pods.length, 'pod');
}

/** `kubectl delete pod` per namespace, when the list is short enough to paste. */
function deleteCommands(pods: readonly PodRef[]): string[] {
  if (pods.length > DELETE_COMMAND_PODS) return [];
  return groupBy(pods, (p) => p.namespace).map((g) => `kubectl delete pod -n ${g.key} ${g.items.map((p) => p.name).join(' ')}`);
}

export function podAddressNotOnEni(o: {
  pods: ReadonlyArray<PodRef & { ip: string; annotation: string }>;
  instanceId: string;
  /** When the address is an ENI's own primary address. */
  hostEni: string | undefined;
  /** The /28 the addresses fall in, when several pods share one. */
  block: string | undefined;
  /** True when the controller's status (not EC2) says the addresses vanished. */
  fromController: boolean;
}): Finding {
  const pods = sortedPods(o.pods);
  const first = o.pods[0]!;
  const where = o.hostEni
    ? `which is the primary address of ${o.hostEni} (the host's own address)`
    : o.fromController
      ? `which the winprefix controller found gone from the ENI of ${o.instanceId} at its last re-sync`
      : `which no ENI of ${o.instanceId} holds`;
  const message =
    o.pods.length === 1
      ? `pod ${podName(first)} has address ${first.ip} (annotation "${first.annotation}"), ${where}`
      : `${plural(o.pods.length, 'pod')} (${podSummary(pods)}) have addresses in ${o.block ?? 'one block'}, ${where}${o.block && !o.hostEni ? ': the /28 prefix was removed from the ENI (or never assigned) while the pods kept running' : ''}`;
  return {
    kind: 'pod-address-not-on-eni',
    cause: o.hostEni ? 'host-address' : 'address-not-assigned',
    subject: subjectOf(pods),
    message,
    meaning:
      pods.length === 1
        ? 'The pod has an address the VPC does not route to it: EC2 removed it (or never assigned it) while the pod kept running, and EC2 may give it to another instance.'
        : 'These pods have addresses the VPC does not route to them: EC2 removed them (or never assigned them) while the pods kept running, and EC2 may give them to another instance.',
    action: `Delete the ${pods.length === 1 ? 'pod so it is recreated with a valid address' : 'pods so they are recreated with valid addresses'}${pods.length > DELETE_COMMAND_PODS ? ' (-o json lists every one under this finding)' : ''}; if addresses keep vanishing, look in CloudTrail for UnassignPrivateIpAddresses calls on ${o.instanceId}'s ENI.`,
    commands: deleteCommands(pods),
    pods,
  };
}

export function unreadablePodAddresses(pods: ReadonlyArray<PodRef & { annotation: string }>): Finding {
  const sorted = sortedPods(pods);
  const shown = pods.slice(0, 3).map((p) => `${podName(p)} ("${p.annotation}")`).join(', ');
  return {
    kind: 'unreadable-pod-address',
    cause: null,
    subject: subjectOf(sorted),
    message: `${pods.length === 1 ? 'pod' : plural(pods.length, 'pod')} ${shown}${pods.length > 3 ? ` and ${pods.length - 3} more` : ''} ${pods.length === 1 ? 'has an annotation' : 'have annotations'} ${POD_IP_ANNOTATION} that ${pods.length === 1 ? 'is' : 'are'} not an IPv4 address`,
    meaning: 'The Windows CNI cannot configure the pod network from this value.',
    action: 'Delete the pods; only the IPAM controller may write this annotation (check that its validating webhook is installed).',
    commands: deleteCommands(sorted),
    pods: sorted,
  };
}

export function duplicatePodAddress(ip: string, holders: readonly PodRef[]): Finding {
  const pods = sortedPods(holders);
  return {
    kind: 'duplicate-pod-address',
    cause: null,
    subject: `address ${ip}`,
    message: `${plural(pods.length, 'pod')} (${podSummary(pods, 5)}) all carry address ${ip}`,
    meaning: 'Traffic for one of these pods reaches another. Two IPAM controllers managing one node, or a copied annotation, cause this.',
    action: 'Delete all but the oldest of these pods so they get fresh addresses, and make sure only one IPAM controller manages this node.',
    commands: [],
    pods,
  };
}

/** Pods of one cause that request an address and have none. */
export function podsWithoutAddress(o: {
  pods: readonly PodRef[];
  cause: IpamCause;
  /** The evidence quoted: "event ResourceAllocationFailed on default/p: ..." */
  evidence: string | null;
  /** The longest any of them has waited. */
  longest: string;
  advice: AdviceContext;
}): Finding {
  const pods = sortedPods(o.pods);
  const advice = adviceForMissingAddress(o.cause, o.advice);
  const who = pods.length === 1 ? `pod ${podName(pods[0]!)} requests` : `${plural(pods.length, 'pod')} (${podSummary(pods)}) request`;
  return {
    kind: 'pod-without-address',
    cause: o.cause,
    subject: subjectOf(pods),
    message: `${who} ${RESOURCE_NAME} but ${pods.length === 1 ? 'has' : 'have'} no address (waiting up to ${o.longest})${o.evidence ? `: ${o.evidence}` : '; no IPAM event says why'}`,
    meaning: advice.meaning,
    action: advice.action,
    commands: advice.commands,
    pods,
  };
}

/**
 * The first stage of "pod does not have label vpc.amazonaws.com/PrivateIPv4Address": the pods never
 * asked for an address, so no controller will give them one, however full the pool is.
 */
export function podsWithoutResourceRequest(o: { pods: readonly PodRef[]; selectsWindows: boolean; longest: string; sandboxError: string | null }): Finding {
  const pods = sortedPods(o.pods);
  const one = pods.length === 1;
  const why = o.selectsWindows
    ? `${one ? 'it selects' : 'they select'} Windows nodes, so the IPAM pod mutation did not run when ${one ? 'it was' : 'they were'} created (the MutatingAdmissionPolicy or the mutating webhook not installed, the webhook unreachable: its failurePolicy is Ignore, or Windows IPAM was off then)`
    : `${one ? 'it does' : 'they do'} not select Windows nodes (nodeSelector ${OS_LABEL}: ${WINDOWS}), and the IPAM pod mutation adds the request only to pods that do`;
  const who = one ? `pod ${podName(pods[0]!)} is` : `${plural(pods.length, 'pod')} (${podSummary(pods)}) are`;
  return {
    kind: 'pod-without-resource-request',
    cause: o.selectsWindows ? 'webhook-not-run' : 'no-windows-selector',
    subject: subjectOf(pods),
    message: `${who} pending (up to ${o.longest}) with no ${RESOURCE_NAME} request and no address: ${why}${o.sandboxError ? `; kubelet: ${o.sandboxError}` : ''}`,
    meaning: 'No IPAM controller assigns an address to a pod that does not request one, and the Windows CNI cannot create its sandbox without it: the pods stay in ContainerCreating.',
    action: o.selectsWindows
      ? 'Check the pod mutation (the policy where the API server runs it, else the webhook and that its service has ready endpoints), then delete the pods so they are created again through it.'
      : `Add nodeSelector ${OS_LABEL}: ${WINDOWS} to the pods' template (their Deployment, Job, ...), which also keeps them off Linux nodes, and let them be recreated.`,
    commands: o.selectsWindows ? ['kubectl get mutatingadmissionpolicies', 'kubectl get mutatingwebhookconfigurations', ...deleteCommands(pods)] : [],
    pods,
  };
}

export function sandboxesFailing(o: { pods: ReadonlyArray<PodRef & { ip: string }>; newestError: string; ago: string }): Finding {
  const pods = sortedPods(o.pods);
  const first = o.pods[0]!;
  const who = o.pods.length === 1 ? `pod ${podName(first)} has address ${first.ip}` : `${plural(o.pods.length, 'pod')} (${podSummary(pods)}) have their addresses`;
  return {
    kind: 'pod-sandbox-failing',
    cause: 'host-cni',
    subject: subjectOf(pods),
    message: `${who}, but kubelet failed to create ${o.pods.length === 1 ? 'its sandbox' : 'their sandboxes'} (newest ${o.ago} ago): ${o.newestError}`,
    meaning: 'IPAM did its part: the addresses are assigned and on the ENI. The failure is on the node, in the Windows CNI or the Host Networking Service (HNS), which a burst of pods on a fresh node can trip.',
    action: "kubelet retries on its own; if it keeps failing, read the node's CNI and HNS logs and kubectl describe pod for one of them, and delete the pods to start over.",
    commands: pods.length > 0 ? [`kubectl describe pod -n ${pods[0]!.namespace} ${pods[0]!.name}`, ...deleteCommands(pods)] : [],
    pods,
  };
}

export function overAdvertised(advertised: number, deliverable: number, detail: string): Finding {
  return {
    kind: 'over-advertised-capacity',
    cause: null,
    subject: 'node capacity',
    message: `the node advertises ${advertised} ${RESOURCE_NAME} but its ENI can deliver ${deliverable} (${detail})`,
    meaning: 'The scheduler can place pods here that will never get an address; they stay in ContainerCreating.',
    action: 'Let the previous mode drain (its pods finish), or cordon the node and recycle those pods; the winprefix controller advertises only what the ENI can deliver.',
    commands: [],
    pods: [],
  };
}

export function mixedModeEni(interfaceId: string, secondaryIps: number, prefixes: number, drainingMode: string | null): Finding {
  return {
    kind: 'mixed-mode-eni',
    cause: null,
    subject: interfaceId,
    message: `${interfaceId} holds ${plural(secondaryIps, 'secondary IP')} and ${plural(prefixes, '/28 prefix', '/28 prefixes')} at once`,
    meaning: 'A mode change (prefix delegation switched on or off) is in progress: slots held by the old mode are lost to the new one until their pods finish, and the AWS controller does not count them when it advertises capacity.',
    action: drainingMode
      ? `Nothing if it drains on its own; to finish now, recycle the pods whose source is ${drainingMode === 'prefix' ? 'a /28 prefix' : 'a secondary IP'} (see Pods).`
      : 'Nothing if it drains on its own; to finish now, recycle the pods that use the old mode (see Pods).',
    commands: [],
    pods: [],
  };
}

export function unexplainedPrefixes(cidrs: readonly string[], interfaceId: string, why: string, region: string | null): Finding {
  const one = cidrs.length === 1;
  return {
    kind: 'unexplained-eni-address',
    cause: 'leak',
    subject: one ? `prefix ${cidrs[0]}` : `${plural(cidrs.length, 'prefix', 'prefixes')} on ${interfaceId}`,
    message: `${one ? `prefix ${cidrs[0]}` : `${plural(cidrs.length, 'prefix', 'prefixes')} (${cidrs.join(', ')})`} on ${interfaceId} ${one ? 'has' : 'have'} no pod and no warm target asks for ${one ? 'it' : 'them'} (${why})`,
    meaning: `A leak: ${plural(cidrs.length, 'ENI slot')} and ${cidrs.length * 16} subnet addresses are held for nothing, which can leave other nodes without free /28 blocks (InsufficientCidrBlocks).`,
    action: `If ${one ? 'it persists' : 'they persist'} after the controller's next sync, release ${one ? 'it' : 'them'}.`,
    commands: [`aws ec2 unassign-private-ip-addresses${region ? ` --region ${region}` : ''} --network-interface-id ${interfaceId} --ipv4-prefixes ${cidrs.join(' ')}`],
    pods: [],
  };
}

export function unexplainedSecondaryIps(ips: readonly string[], interfaceId: string, why: string, region: string | null): Finding {
  return {
    kind: 'unexplained-eni-address',
    cause: 'leak',
    subject: `secondary IPs on ${interfaceId}`,
    message: `${plural(ips.length, 'secondary IP')} on ${interfaceId} (${ips.join(', ')}) ${ips.length === 1 ? 'has' : 'have'} no pod and no warm target asks for ${ips.length === 1 ? 'it' : 'them'} (${why})`,
    meaning: 'A leak: ENI slots and subnet addresses are held for nothing, and in prefix mode each of those slots could hold 16 addresses.',
    action: `If ${ips.length === 1 ? 'it persists' : 'they persist'} after the controller's next sync, release ${ips.length === 1 ? 'it' : 'them'}.`,
    commands: [`aws ec2 unassign-private-ip-addresses${region ? ` --region ${region}` : ''} --network-interface-id ${interfaceId} --private-ip-addresses ${ips.join(' ')}`],
    pods: [],
  };
}

export function invalidStatusAnnotation(nodeName: string, error: string): Finding {
  return {
    kind: 'invalid-status-annotation',
    cause: null,
    subject: `node ${nodeName}`,
    message: error,
    meaning: "This report ignores the annotation and infers the mode from EC2 and the ConfigMap, so cooling addresses, the controller's effective config and its pending work are not shown. The winprefix controller rewrites the annotation at its next status update; a hand edit or a newer controller causes this.",
    action: 'Leave it to the controller; if it stays, compare the controller version with the plugin version, or remove the annotation so the controller writes it afresh.',
    commands: [`kubectl annotate node ${nodeName} winprefix.io/ipam-status-`],
    pods: [],
  };
}

export function configMapNotFound(ref: string, managedBy: string, settingsFromController: boolean): Finding {
  const name = ref.split('/')[1];
  const shown = settingsFromController
    ? 'the warm-pool targets shown are the ones the controller published, but its switches (enable-windows-ipam, enable-windows-prefix-delegation) cannot be checked'
    : 'the warm-pool settings shown are the defaults, not the ones in force';
  return {
    kind: 'configmap-not-found',
    cause: null,
    subject: `configmap ${ref}`,
    message: `ConfigMap ${ref} does not exist, yet ${managedBy} manages this node's IPAM: ${shown}`,
    meaning: 'Either the controller reads another ConfigMap (the winprefix controller takes one with --configmap), or Windows IPAM was configured elsewhere and the capacity this node advertises may be stale.',
    action: `Pass the ConfigMap the controller reads with --configmap NAMESPACE/NAME; list candidates with the command below.`,
    commands: [`kubectl get configmaps -A --field-selector metadata.name=${name ?? 'amazon-vpc-cni'}`],
    pods: [],
  };
}
