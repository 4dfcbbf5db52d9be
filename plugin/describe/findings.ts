/**
 * @module
 * One constructor per finding kind: the wording of what each disagreement means and what to
 * do about it lives here, once. Pure.
 */
import { OS_LABEL, POD_IP_ANNOTATION, RESOURCE_NAME, WINDOWS } from '../../pkg/core/contract.ts';
import type { Finding } from './report.ts';

const podName = (p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`;

export function podAddressNotOnEni(pod: { namespace: string; name: string }, ip: string, annotation: string, instanceId: string, hostEni: string | undefined): Finding {
  const where = hostEni ? `which is the primary address of ${hostEni} (the host's own address)` : `which no ENI of ${instanceId} holds`;
  return {
    kind: 'pod-address-not-on-eni',
    subject: `pod ${podName(pod)}`,
    message: `pod ${podName(pod)} has address ${ip} (annotation "${annotation}"), ${where}`,
    meaning: 'The pod has an address the VPC does not route to it: EC2 removed it (or never assigned it) while the pod kept running, and EC2 may give it to another instance.',
    action: `Delete the pod so it is recreated with a valid address; if several pods show this, look in CloudTrail for UnassignPrivateIpAddresses calls on ${instanceId}'s ENI.`,
  };
}

export function unreadablePodAddress(pod: { namespace: string; name: string }, annotation: string): Finding {
  return {
    kind: 'unreadable-pod-address',
    subject: `pod ${podName(pod)}`,
    message: `pod ${podName(pod)} has annotation ${POD_IP_ANNOTATION}="${annotation}", which is not an IPv4 address`,
    meaning: 'The Windows CNI cannot configure the pod network from this value.',
    action: 'Delete the pod; only the IPAM controller may write this annotation (check that its annotation guard is installed: a validating admission policy or webhook).',
  };
}

export function duplicatePodAddress(ip: string, pods: ReadonlyArray<{ namespace: string; name: string }>): Finding {
  return {
    kind: 'duplicate-pod-address',
    subject: `address ${ip}`,
    message: `pods ${pods.map(podName).join(', ')} all carry address ${ip}`,
    meaning: 'Traffic for one of these pods reaches another. Two IPAM controllers managing one node, or a copied annotation, cause this.',
    action: 'Delete all but the oldest of these pods so they get fresh addresses, and make sure only one IPAM controller manages this node.',
  };
}

export function podWithoutAddress(pod: { namespace: string; name: string }, age: string, why: string | null): Finding {
  return {
    kind: 'pod-without-address',
    subject: `pod ${podName(pod)}`,
    message: `pod ${podName(pod)} requests ${RESOURCE_NAME} but has no address after ${age}${why ? `: ${why}` : '; no IPAM event says why'}`,
    meaning: 'The Windows CNI cannot create the pod sandbox until the IPAM controller writes the address annotation, so the pod stays in ContainerCreating.',
    action: `Check that an IPAM controller manages this node (enable-windows-ipam in the ConfigMap, or the winprefix controller running), then read kubectl describe pod -n ${pod.namespace} ${pod.name}.`,
  };
}

/**
 * The first stage of "pod does not have label vpc.amazonaws.com/PrivateIPv4Address": the pod never
 * asked for an address, so no controller will give it one, however full the pool is.
 */
export function podWithoutResourceRequest(pod: { namespace: string; name: string }, age: string, selectsWindows: boolean, sandboxError: string | null): Finding {
  const why = selectsWindows
    ? 'it selects Windows nodes, so the IPAM pod mutation did not run when it was created (no mutating admission policy or webhook installed, the webhook unreachable: its failurePolicy is Ignore, or Windows IPAM was off then)'
    : `it does not select Windows nodes (nodeSelector ${OS_LABEL}: ${WINDOWS}), and the IPAM pod mutation adds the request only to pods that do`;
  return {
    kind: 'pod-without-resource-request',
    subject: `pod ${podName(pod)}`,
    message: `pod ${podName(pod)} is pending for ${age} with no ${RESOURCE_NAME} request and no address: ${why}${sandboxError ? `; kubelet: ${sandboxError}` : ''}`,
    meaning: 'No IPAM controller assigns an address to a pod that does not request one, and the Windows CNI cannot create its sandbox without it: the pod stays in ContainerCreating.',
    action: selectsWindows
      ? `Check the pod mutation (kubectl get mutatingadmissionpolicies on Kubernetes >= 1.36, else kubectl get mutatingwebhookconfigurations and that the webhook's service has ready endpoints), then delete the pod so it is created again through it: kubectl delete pod -n ${pod.namespace} ${pod.name}`
      : `Add nodeSelector ${OS_LABEL}: ${WINDOWS} to the pod's template (its Deployment, Job, ...), which also keeps it off Linux nodes, and let it be recreated.`,
  };
}

export function sandboxFailing(pod: { namespace: string; name: string }, ip: string, sandboxError: string, ago: string): Finding {
  return {
    kind: 'pod-sandbox-failing',
    subject: `pod ${podName(pod)}`,
    message: `pod ${podName(pod)} has address ${ip}, but kubelet failed to create its sandbox ${ago} ago: ${sandboxError}`,
    meaning: 'IPAM did its part: the address is assigned and on the ENI. The failure is on the node, in the Windows CNI or the Host Networking Service (HNS), which a burst of pods on a fresh node can trip.',
    action: `kubelet retries on its own; if it keeps failing, read kubectl describe pod -n ${pod.namespace} ${pod.name} and the node's CNI and HNS logs, and delete the pod to start over.`,
  };
}

export function overAdvertised(advertised: number, deliverable: number, detail: string): Finding {
  return {
    kind: 'over-advertised-capacity',
    subject: 'node capacity',
    message: `the node advertises ${advertised} ${RESOURCE_NAME} but its ENI can deliver ${deliverable} (${detail})`,
    meaning: 'The scheduler can place pods here that will never get an address; they stay in ContainerCreating.',
    action: 'Let the previous mode drain (its pods finish), or cordon the node and recycle those pods; the winprefix controller advertises only what the ENI can deliver.',
  };
}

export function mixedModeEni(interfaceId: string, secondaryIps: number, prefixes: number, drainingMode: string | null): Finding {
  return {
    kind: 'mixed-mode-eni',
    subject: interfaceId,
    message: `${interfaceId} holds ${secondaryIps} secondary IP(s) and ${prefixes} /28 prefix(es) at once`,
    meaning: 'A mode change (prefix delegation switched on or off) is in progress: slots held by the old mode are lost to the new one until their pods finish, and the AWS controller does not count them when it advertises capacity.',
    action: drainingMode
      ? `Nothing if it drains on its own; to finish now, recycle the pods whose source is ${drainingMode === 'prefix' ? 'a /28 prefix' : 'a secondary IP'} (see Pods).`
      : 'Nothing if it drains on its own; to finish now, recycle the pods that use the old mode (see Pods).',
  };
}

export function unexplainedPrefix(cidr: string, interfaceId: string, why: string): Finding {
  return {
    kind: 'unexplained-eni-address',
    subject: `prefix ${cidr}`,
    message: `prefix ${cidr} on ${interfaceId} has no pod and no warm target asks for it (${why})`,
    meaning: 'A leak: one ENI slot and 16 subnet addresses are held for nothing, which can leave other nodes without free /28 blocks (InsufficientCidrBlocks).',
    action: `If it persists after the controller's next sync, release it: aws ec2 unassign-private-ip-addresses --network-interface-id ${interfaceId} --ipv4-prefixes ${cidr}`,
  };
}

export function unexplainedSecondaryIps(ips: readonly string[], interfaceId: string, why: string): Finding {
  return {
    kind: 'unexplained-eni-address',
    subject: `secondary IPs on ${interfaceId}`,
    message: `${ips.length} secondary IP(s) on ${interfaceId} (${ips.join(', ')}) have no pod and no warm target asks for them (${why})`,
    meaning: 'A leak: ENI slots and subnet addresses are held for nothing, and in prefix mode each of those slots could hold 16 addresses.',
    action: `If they persist after the controller's next sync, release them: aws ec2 unassign-private-ip-addresses --network-interface-id ${interfaceId} --private-ip-addresses ${ips.join(' ')}`,
  };
}
