/**
 * @module
 * What no single node's report can see: an address carried by pods on two nodes, and a /28 prefix (or an
 * address inside one) that two nodes hold at once, by EC2's ENIs or by what a winprefix controller's status
 * still lists. Each node then shows only its half (one of them "pod address not on the ENI", the other
 * nothing); these findings put the halves together and say which side is right, from EC2. One finding per set
 * of nodes involved, naming every address and pod. Pure.
 */
import { NODE_STATUS_ANNOTATION } from '../../pkg/core/contract.ts';
import { formatCidr, maskOf, parseCidr, parseIPv4 } from '../../pkg/core/net/ipv4.ts';
import { decodeNodeStatus } from '../../pkg/core/status/node-status.ts';
import type { NodeReport } from '../describe/report.ts';
import { groupLargestFirst, podName, podSummary, sortedPods, type Finding, type PodRef } from '../findings.ts';
import type { KubeNode } from '../kube/objects.ts';
import { plural } from '../render/text.ts';

export const CROSS_NODE_FINDING_KINDS = [
  /** Running pods on two or more nodes carry one address. */
  'duplicate-pod-address-across-nodes',
  /** A /28 prefix, or an address inside it, is held by two nodes' ENIs (per EC2, or per a node's winprefix status). */
  'prefix-on-two-enis',
] as const;
export type CrossNodeKind = (typeof CROSS_NODE_FINDING_KINDS)[number];

export interface CrossNodeFinding extends Finding<CrossNodeKind> {
  /** Every node the finding is about, sorted. */
  nodes: string[];
}

/** Pods a delete command names at most (as describe node's findings). */
const DELETE_COMMAND_PODS = 10;

const blockOf = (ip: number) => (ip & maskOf(28)) >>> 0;
const blockText = (base: number) => formatCidr({ base, prefixLength: 28 });

interface Holding {
  node: string;
  interfaceId: string | null;
  /** What says so: EC2's ENI, or the winprefix status annotation on the node. */
  source: 'ec2' | 'status';
  /** The /28 prefix, or the one secondary IP. */
  what: { kind: 'prefix'; cidr: string } | { kind: 'ip'; ip: string };
}

/** Who holds which address according to EC2 (the reports' ENIs) and to each node's winprefix status. */
function holdings(reports: readonly NodeReport[], nodes: readonly KubeNode[]): Holding[] {
  const out: Holding[] = [];
  for (const r of reports) {
    for (const p of r.prefixes) out.push({ node: r.node.name, interfaceId: p.interfaceId, source: 'ec2', what: { kind: 'prefix', cidr: p.cidr } });
    for (const s of r.secondaryIps) out.push({ node: r.node.name, interfaceId: s.interfaceId, source: 'ec2', what: { kind: 'ip', ip: s.ip } });
  }
  for (const node of nodes) {
    const name = node.metadata?.name ?? '';
    const decoded = decodeNodeStatus(node.metadata?.annotations?.[NODE_STATUS_ANNOTATION]);
    if (!decoded?.ok) continue;
    const s = decoded.status;
    for (const p of s.prefixes ?? []) out.push({ node: name, interfaceId: null, source: 'status', what: { kind: 'prefix', cidr: p.cidr } });
    const ips = s.secondaryIps;
    if (ips) for (const ip of [...ips.used, ...ips.free, ...ips.cooling]) out.push({ node: name, interfaceId: null, source: 'status', what: { kind: 'ip', ip } });
  }
  return out;
}

/** Where EC2 says an address is: the node whose ENI holds it as a secondary IP or inside a prefix. */
function ec2HolderIndex(reports: readonly NodeReport[]): (ip: string) => string | undefined {
  const byIp = new Map<string, string>();
  const byBlock = new Map<number, string>();
  for (const r of reports) {
    for (const s of r.secondaryIps) byIp.set(s.ip, r.node.name);
    for (const p of r.prefixes) byBlock.set(parseCidr(p.cidr).base, r.node.name);
  }
  return (ip) => byIp.get(ip) ?? byBlock.get(blockOf(parseIPv4(ip)));
}

export function crossNodeFindings(reports: readonly NodeReport[], nodes: readonly KubeNode[], region: string | null): CrossNodeFinding[] {
  return [...duplicateAddresses(reports), ...prefixesOnTwoEnis(reports, nodes, region)];
}

function duplicateAddresses(reports: readonly NodeReport[]): CrossNodeFinding[] {
  const carriers = new Map<string, Array<PodRef & { node: string }>>();
  for (const r of reports) {
    for (const p of r.pods) {
      if (p.address === null) continue;
      const list = carriers.get(p.address) ?? [];
      list.push({ namespace: p.namespace, name: p.name, node: r.node.name });
      carriers.set(p.address, list);
    }
  }
  const holderOf = ec2HolderIndex(reports);
  const anyEc2 = reports.some((r) => r.ec2.available);
  const shared = [...carriers]
    .filter(([, pods]) => new Set(pods.map((p) => p.node)).size > 1)
    .map(([ip, pods]) => ({ ip, pods, nodes: [...new Set(pods.map((p) => p.node))].sort(), holder: holderOf(ip) }));
  return groupLargestFirst(shared, (d) => d.nodes.join(' ')).map((g) => {
    const nodes = g.items[0]!.nodes;
    const pods = sortedPods(g.items.flatMap((d) => d.pods));
    // The pods whose node's ENI does not hold their address are the ones with a broken network.
    const wrong = sortedPods(g.items.flatMap((d) => d.pods.filter((p) => d.holder !== undefined && p.node !== d.holder)));
    const detail = g.items
      .slice(0, 3)
      .map((d) => `${d.ip} (${d.pods.map((p) => `${podName(p)} on ${p.node}`).join(', ')}; ${d.holder ? `EC2: ${d.holder}'s ENI holds it` : anyEc2 ? 'no ENI holds it' : 'EC2 not read'})`)
      .join('; ');
    const more = g.items.length > 3 ? `; and ${g.items.length - 3} more` : '';
    const count = g.items.length;
    return {
      kind: 'duplicate-pod-address-across-nodes',
      cause: null,
      subject: count === 1 ? `address ${g.items[0]!.ip}` : plural(count, 'address', 'addresses'),
      nodes,
      message: `${count === 1 ? `address ${g.items[0]!.ip} is` : `${count} addresses are each`} carried by pods on ${nodes.join(' and ')}: ${detail}${more}`,
      meaning:
        'The VPC delivers an address only to the ENI that holds it, so the pods on the other node have no working network, and each node report shows only its half (there, a pod address not on the ENI). An out-of-band change to the ENIs (a prefix moved by hand), two IPAM controllers, or a copied annotation cause this.',
      action:
        wrong.length > 0
          ? `Delete the ${wrong.length === 1 ? 'pod' : 'pods'} on the node whose ENI does not hold the address (${podSummary(wrong)}), so ${wrong.length === 1 ? 'it is' : 'they are'} recreated with valid addresses; then find what moved the addresses (CloudTrail: AssignPrivateIpAddresses, UnassignPrivateIpAddresses).`
          : 'Delete all but one pod of each address so they are recreated with fresh addresses, and make sure only one IPAM controller manages these nodes.',
      commands: wrong.length > 0 && wrong.length <= DELETE_COMMAND_PODS ? deleteCommands(wrong) : [],
      pods,
    };
  });
}

function deleteCommands(pods: readonly PodRef[]): string[] {
  const byNamespace = new Map<string, string[]>();
  for (const p of pods) byNamespace.set(p.namespace, [...(byNamespace.get(p.namespace) ?? []), p.name]);
  return [...byNamespace].map(([ns, names]) => `kubectl delete pod -n ${ns} ${names.join(' ')}`);
}

function prefixesOnTwoEnis(reports: readonly NodeReport[], nodes: readonly KubeNode[], region: string | null): CrossNodeFinding[] {
  const byBlock = new Map<number, Holding[]>();
  for (const h of holdings(reports, nodes)) {
    const base = h.what.kind === 'prefix' ? parseCidr(h.what.cidr).base : blockOf(parseIPv4(h.what.ip));
    const list = byBlock.get(base) ?? [];
    list.push(h);
    byBlock.set(base, list);
  }
  const conflicts: Array<{ block: number; holders: Holding[]; nodes: string[] }> = [];
  for (const [block, holders] of byBlock) {
    const prefixHolders = new Set(holders.filter((h) => h.what.kind === 'prefix').map((h) => h.node));
    const ec2Enis = new Set(holders.filter((h) => h.source === 'ec2' && h.what.kind === 'prefix').map((h) => h.interfaceId));
    const involved = new Set(holders.map((h) => h.node));
    // Secondary IPs of different nodes may share an aligned /28 range; a prefix may not share it with anyone.
    const ipOf = (h: Holding) => (h.what.kind === 'ip' ? h.what.ip : undefined);
    const ipClash = holders.some((a) => ipOf(a) !== undefined && holders.some((b) => b.node !== a.node && ipOf(b) === ipOf(a)));
    if ((prefixHolders.size > 0 && involved.size > 1) || ec2Enis.size > 1 || ipClash) conflicts.push({ block, holders, nodes: [...involved].sort() });
  }
  const podsIn = (block: number, node: string): PodRef[] =>
    reports.find((r) => r.node.name === node)?.pods.filter((p) => p.address !== null && blockOf(parseIPv4(p.address)) === block).map((p) => ({ namespace: p.namespace, name: p.name })) ?? [];
  return groupLargestFirst(conflicts, (c) => c.nodes.join(' ')).map((g) => {
    const nodesInvolved = g.items[0]!.nodes;
    const describeHolder = (h: Holding) =>
      h.source === 'ec2'
        ? `EC2 shows ${h.what.kind === 'prefix' ? 'it' : h.what.ip} on ${h.interfaceId} (${h.node})`
        : `the winprefix status of ${h.node} lists ${h.what.kind === 'prefix' ? 'it' : h.what.ip}`;
    const detail = g.items
      .slice(0, 3)
      .map((c) => `${blockText(c.block)}: ${dedupe(c.holders.map(describeHolder)).join('; ')}`)
      .join(' | ');
    const more = g.items.length > 3 ? ` | and ${g.items.length - 3} more` : '';
    // The side EC2 does not back is stale: its pods are the ones to recreate.
    const stale = g.items.flatMap((c) => {
      const ec2Nodes = new Set(c.holders.filter((h) => h.source === 'ec2').map((h) => h.node));
      return ec2Nodes.size === 1 ? c.nodes.filter((n) => !ec2Nodes.has(n)).flatMap((n) => podsIn(c.block, n)) : [];
    });
    const allPods = sortedPods(g.items.flatMap((c) => c.nodes.flatMap((n) => podsIn(c.block, n))));
    const onlyStatus = g.items.every((c) => new Set(c.holders.filter((h) => h.source === 'ec2').map((h) => h.node)).size <= 1);
    const count = g.items.length;
    return {
      kind: 'prefix-on-two-enis',
      cause: onlyStatus ? 'stale-status' : 'ec2-disagrees',
      subject: count === 1 ? `prefix ${blockText(g.items[0]!.block)}` : plural(count, 'prefix', 'prefixes'),
      nodes: nodesInvolved,
      message: `${count === 1 ? `prefix ${blockText(g.items[0]!.block)} is` : `${count} prefixes are`} held for ${nodesInvolved.join(' and ')} at once: ${detail}${more}`,
      meaning: onlyStatus
        ? `EC2 gives a /28 to one ENI only: the node whose controller status still lists it has not noticed that it moved (it re-reads its ENI on a period and after each EC2 call), and its pods with addresses there have no working network.`
        : 'EC2 answered with one /28 on two ENIs, which its reads can show for a moment while a prefix moves; if it persists, two controllers are assigning addresses in this subnet.',
      action: stale.length > 0
        ? `Recreate the pods that still use the block on the node that lost it (${podSummary(sortedPods(stale))}); the winprefix controller drops the block from its status at its next re-read of the ENI. Find what moved it: CloudTrail, UnassignPrivateIpAddresses and AssignPrivateIpAddresses.`
        : 'Run check again in a minute; if it persists, find which controller or tool assigns addresses on these ENIs (CloudTrail: AssignPrivateIpAddresses) and keep only one.',
      commands: [
        ...primaryEnis(reports, nodesInvolved).map((eni) => `aws ec2 describe-network-interfaces${region ? ` --region ${region}` : ''} --network-interface-ids ${eni} --query "NetworkInterfaces[].Ipv4Prefixes"`),
        ...(stale.length > 0 && stale.length <= DELETE_COMMAND_PODS ? deleteCommands(sortedPods(stale)) : []),
      ],
      pods: allPods,
    };
  });
}

function dedupe(items: readonly string[]): string[] {
  return [...new Set(items)];
}

/** The primary ENI of each node EC2 was read for: what to look at to see who holds a block now. */
function primaryEnis(reports: readonly NodeReport[], nodes: readonly string[]): string[] {
  return nodes.flatMap((n) => {
    const r = reports.find((x) => x.node.name === n);
    const eni = r?.interfaces.find((i) => i.deviceIndex === 0) ?? r?.interfaces[0];
    return eni ? [eni.id] : [];
  });
}
