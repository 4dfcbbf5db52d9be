/**
 * @module
 * Why Windows pods get no address, as a stable cause, and what to do about each cause. Shared by every
 * command that explains a stuck pod (`describe node` today, `why pod` and `check` later), so the advice for
 * "the subnet has no free /28" is written once and is the same everywhere.
 *
 * The evidence is what IPAM controllers leave behind: event reasons (`InsufficientCidrBlocks`,
 * `Unsupported`, `InstanceUnreadable`), EC2 error codes quoted in event messages, and the winprefix
 * controller's last error kind. Codes are matched as whole tokens and classified by pkg/ec2/classify.ts,
 * the one table of EC2 codes; free text is never interpreted beyond that.
 */
import { EventReasons } from '../pkg/core/contract.ts';
import { kindOfCode } from '../pkg/core/ec2/classify.ts';
import type { Ec2ErrorKind } from '../pkg/core/ec2/errors.ts';

export const IPAM_CAUSES = [
  'insufficient-cidr-blocks',
  'address-limit-exceeded',
  'throttled',
  'unauthorized',
  'instance-unreadable',
  'ec2-unreachable',
  'unsupported-instance-type',
  'at-capacity',
  'no-ipam-controller',
  'unknown',
] as const;
export type IpamCause = (typeof IPAM_CAUSES)[number];

const FROM_EC2_KIND: Record<Ec2ErrorKind, IpamCause> = {
  'insufficient-cidr-blocks': 'insufficient-cidr-blocks',
  'address-limit-exceeded': 'address-limit-exceeded',
  throttled: 'throttled',
  unauthorized: 'unauthorized',
  'not-found': 'instance-unreadable',
  unreachable: 'ec2-unreachable',
  other: 'unknown',
};

/** Tokens shaped like EC2 error codes: `InsufficientCidrBlocks`, `InvalidInstanceID.NotFound`. */
const CODE_TOKEN = /\b[A-Z][a-z]+(?:[A-Z][A-Za-z]*)+(?:\.[A-Z][A-Za-z]+)?\b/g;

/** The cause an event (its reason and message) or a controller error gives. */
export function causeOf(evidence: { reason?: string | undefined; message?: string | undefined }): IpamCause {
  const reason = evidence.reason ?? '';
  if (reason === EventReasons.insufficientCidrBlocks) return 'insufficient-cidr-blocks';
  if (reason === EventReasons.unsupported) return 'unsupported-instance-type';
  if (reason === EventReasons.instanceUnreadable) return 'instance-unreadable';
  // The winprefix controller's lastError.reason is an Ec2ErrorKind.
  if (Object.hasOwn(FROM_EC2_KIND, reason)) return FROM_EC2_KIND[reason as Ec2ErrorKind];
  if (reason === 'at-capacity') return 'at-capacity';
  for (const token of (evidence.message ?? '').match(CODE_TOKEN) ?? []) {
    const cause = FROM_EC2_KIND[kindOfCode(token)];
    if (cause !== 'unknown') return cause;
  }
  if (/\bcan hold \d+ pods with an address and \d+ hold one\b/.test(evidence.message ?? '')) return 'at-capacity';
  return 'unknown';
}

export interface AdviceContext {
  nodeName: string;
  /** Where EC2 was read; null when it was not. */
  region: string | null;
  /** The node's primary ENI subnet, when EC2 was read. */
  subnetId: string | null;
  /** A block of that subnet to reserve for prefixes, when one could be worked out (subnet-room.ts). */
  reservation: { cidr: string; inUse: number; holders: string[] } | null;
  /** Free aligned /28 blocks EC2 shows in that subnet now, when it was read. */
  subnetFreeBlocks: number | null;
  controller: 'winprefix' | 'aws-vpc-resource-controller' | 'unknown';
  configMap: string;
}

export interface Advice {
  meaning: string;
  action: string;
  commands: string[];
}

const listed = (items: readonly string[]) => (items.length <= 3 ? items.join(', ') : `${items.slice(0, 3).join(', ')} and ${items.length - 3} more`);
const region = (c: AdviceContext) => (c.region ? ` --region ${c.region}` : '');

/** What a cause means for pods waiting for an address and what to do, with exact commands where possible. */
export function adviceForMissingAddress(cause: IpamCause, c: AdviceContext): Advice {
  const stuck = 'The Windows CNI cannot create a pod sandbox until an IPAM controller writes the address annotation, so these pods stay in ContainerCreating';
  const controllerLogs =
    c.controller === 'winprefix'
      ? 'kubectl logs -n winprefix-system deploy/winprefix-controller'
      : 'the controller\'s events: kubectl get events -A --field-selector reason=ResourceAllocationFailed';
  switch (cause) {
    case 'insufficient-cidr-blocks': {
      const subnet = c.subnetId ?? 'SUBNET-ID';
      const cidr = c.reservation?.cidr ?? 'CIDR';
      const freeFirst = c.reservation && c.reservation.inUse > 0
        ? ` ${c.reservation.cidr} is the block of ${subnet} with the fewest addresses in use (${c.reservation.inUse}, held by ${listed(c.reservation.holders)}): free those first, since a reservation only keeps addresses that are free.`
        : c.reservation
          ? ` ${c.reservation.cidr} is free today.`
          : '';
      return {
        meaning: `${stuck}. The subnet${c.subnetId ? ` ${c.subnetId}` : ''} of the node's ENI has no free aligned /28 block: its free addresses are scattered (secondary IPs of other ENIs split the blocks), so EC2 refuses new prefixes (InsufficientCidrBlocks) even though the subnet may show free addresses.`,
        action: `${
          c.subnetFreeBlocks
            ? `EC2 shows ${c.subnetFreeBlocks} free /28 ${c.subnetFreeBlocks === 1 ? 'block' : 'blocks'} in ${subnet} now, so the shortage may have passed (the controller retries with backoff); if pods keep waiting: `
            : 'Now: '
        }free addresses in ${subnet} (delete unused ENIs, release leaked prefixes and IPs shown by describe node on the other nodes), or run Windows nodes in a subnet with room. To keep /28 blocks available from then on, reserve a range for prefixes, which secondary IPs cannot fragment.${freeFirst}`,
        commands: [`aws ec2 create-subnet-cidr-reservation${region(c)} --subnet-id ${subnet} --reservation-type prefix --cidr ${cidr} --description "Windows pod prefixes"`],
      };
    }
    case 'address-limit-exceeded':
      return {
        meaning: `${stuck}. EC2 refused another address: the node's primary ENI has no free slot (PrivateIpAddressLimitExceeded) or the subnet has no free address (InsufficientFreeAddressesInSubnet).`,
        action: `If another tool assigns addresses to this ENI, stop it; otherwise free addresses in the subnet${c.subnetId ? ` ${c.subnetId}` : ''} or move the pods to nodes with room (a larger instance type has more slots).`,
        commands: c.subnetId ? [`aws ec2 describe-subnets${region(c)} --subnet-ids ${c.subnetId} --query "Subnets[].AvailableIpAddressCount"`] : [],
      };
    case 'throttled':
      return {
        meaning: `${stuck}. EC2 throttles the account's API calls (RequestLimitExceeded), so the controller's requests for addresses fail and are retried with backoff.`,
        action: 'Find what else calls EC2 heavily in this account and region (CloudTrail, by event source ec2.amazonaws.com); the pods get addresses once the throttling stops. For winprefix, a lower --ec2-qps spreads its own calls.',
        commands: [],
      };
    case 'unauthorized':
      return {
        meaning: `${stuck}. AWS denies the IPAM controller's EC2 calls: its IAM role lacks a permission (UnauthorizedOperation / AccessDenied).`,
        action:
          c.controller === 'winprefix'
            ? "Grant the winprefix controller's IAM role the EC2 actions docs/controller.md lists (ec2:AssignPrivateIpAddresses, ec2:UnassignPrivateIpAddresses, ec2:DescribeNetworkInterfaces, ec2:DescribeInstances, ec2:DescribeInstanceTypes)."
            : "Check the cluster role's IAM policy for the VPC resource controller (AmazonEKSVPCResourceController) and any SCP or permission boundary that denies EC2 address calls.",
        commands: [],
      };
    case 'instance-unreadable':
      return {
        meaning: `${stuck}. The IPAM controller cannot read this node's instance from EC2, so it never manages the node's addresses.`,
        action: `Read the controller's InstanceUnreadable event on the node: a wrong --region, credentials of another account, or a terminated instance (then the node object is stale: kubectl delete node ${c.nodeName}).`,
        commands: [`kubectl get events --field-selector involvedObject.kind=Node,involvedObject.name=${c.nodeName},reason=InstanceUnreadable`],
      };
    case 'ec2-unreachable':
      return {
        meaning: `${stuck}. The IPAM controller cannot reach EC2 (network path, VPC endpoint, proxy).`,
        action: `Check the controller's network path to the EC2 endpoint of the region and its logs (${controllerLogs}).`,
        commands: [],
      };
    case 'unsupported-instance-type':
      return {
        meaning: `${stuck}. The IPAM controller does not know this instance type's ENI limits, so it manages no addresses on the node.`,
        action: 'Run Windows pods on an instance type the controller supports, or upgrade it (the winprefix controller looks unknown types up with DescribeInstanceTypes).',
        commands: [],
      };
    case 'at-capacity':
      return {
        meaning: `${stuck}. The node already holds as many pods with an address as its ENI can deliver.`,
        action: 'The pods get addresses as other pods on this node finish; to run more, scale out Windows nodes or use a larger instance type. The scheduler should not place more here than the node advertises: compare the advertised capacity above.',
        commands: [],
      };
    case 'no-ipam-controller':
      return {
        meaning: `${stuck}, and no IPAM controller manages this node: no status annotation, no controller events, no advertised capacity.`,
        action: `Turn Windows IPAM on (enable-windows-ipam: "true" in ${c.configMap}) for the AWS VPC Resource Controller, or run the winprefix controller.`,
        commands: [`kubectl get configmap -n ${c.configMap.split('/')[0]} ${c.configMap.split('/')[1]} -o yaml`],
      };
    case 'unknown':
      return {
        meaning: `${stuck}.`,
        action: `Read the pods' events (kubectl describe pod) and the IPAM controller's (${controllerLogs}); check that an IPAM controller manages this node.`,
        commands: [],
      };
  }
}
