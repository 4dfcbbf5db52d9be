/**
 * @module
 * A small cluster in every state, as `describe node` inputs per node (built with describe's own fixtures), for
 * the unit and golden tests of get nodes, check and why pod: a healthy winprefix node whose status still lists
 * a /28 someone moved to the AWS node, the AWS node (one of its pods carries an address of the healthy node's),
 * a full secondary-mode node, a node in a mode change, an instance type nobody manages, and a node whose
 * subnet has no free /28.
 */
import type { NodeStatus } from '../../../pkg/core/status/node-status.ts';
import type { DescribeInputs } from '../../describe/inputs.ts';
import { eni, event, inputs, NOW, PD_ON, pod as anyPod, windowsNode } from '../../describe/testing/fixtures.ts';

export { NOW };

/** Pods as users write them: pinned to Windows, which is what makes the webhook add the request. */
const pod = (o: Parameters<typeof anyPod>[0]) => anyPod({ nodeSelector: { 'kubernetes.io/os': 'windows' }, ...o });

const at = (agoSeconds: number) => new Date(NOW.getTime() - agoSeconds * 1000).toISOString();
const ip = (base: string, i: number) => {
  const parts = base.split('.').map(Number);
  return `${parts[0]}.${parts[1]}.${parts[2]}.${parts[3]! + i}`;
};

function prefixStatus(o: { at: number; mode: NodeStatus['mode']; prefixes: Array<{ cidr: string; used: number }>; secondary?: { used: string[]; free: string[] }; advertised: number; deliverable: number; total: number }): NodeStatus {
  return {
    v: 1,
    at: at(o.at),
    mode: o.mode,
    reason: o.mode === 'secondary' ? 'm4.large is not Nitro: secondary IPs' : 'enable-windows-prefix-delegation is "true": one /28 prefix (16 addresses) per slot',
    config: { sizing: 'ip-targets', warmIPTarget: 1, minimumIPTarget: 3, warmPrefixTarget: 0, problems: [] },
    capacity: { nominal: o.mode === 'secondary' ? o.total : o.total * 16, deliverable: o.deliverable, advertised: o.advertised },
    slots: { total: o.total, prefixes: o.prefixes.length, secondaryIps: (o.secondary?.used.length ?? 0) + (o.secondary?.free.length ?? 0), free: o.total - o.prefixes.length - (o.secondary?.used.length ?? 0) - (o.secondary?.free.length ?? 0) },
    prefixes: o.prefixes.map((p) => ({ cidr: p.cidr, used: p.used, free: 16 - p.used, cooling: 0, map: `${'u'.repeat(p.used)}${'.'.repeat(16 - p.used)}` })),
    secondaryIps: { used: o.secondary?.used ?? [], free: o.secondary?.free ?? [], cooling: [], releasing: [] },
    pending: { assignPrefixes: 0, assignSecondaryIps: 0, unassignPrefixes: 0, unassignSecondaryIps: 0, resync: false },
  };
}

/** The cluster, one input per node, in name order; `ec2: false` as `get nodes` reads it without --ec2. */
export function clusterInputs(o: { ec2?: boolean } = {}): DescribeInputs[] {
  const withEc2 = o.ec2 ?? true;
  const notRead = { error: 'EC2 was not read (get nodes reads it with --ec2)' };
  const nodes: DescribeInputs[] = [];

  // The AWS controller's node: one /28 that is its own, and the /28 moved here from win-healthy.
  nodes.push(
    inputs({
      node: windowsNode({ name: 'win-aws', advertised: 144, instanceId: 'i-0aws' }),
      pods: [...[0, 1, 2].map((i) => pod({ name: `aws-${i}`, namespace: 'shop', annotation: `${ip('10.0.2.0', i)}/32`, ageSeconds: 7200 })), pod({ name: 'copycat', namespace: 'shop', annotation: '10.0.1.17/32', ageSeconds: 300 })],
      interfaces: withEc2 ? [eni({ id: 'eni-0aws', primaryIp: '10.0.0.13', prefixes: ['10.0.2.0/28', '10.0.1.48/28'] })] : notRead,
      events: [event({ reason: 'ControllerVersionNotice', kind: 'Node', name: 'win-aws', message: 'The node is managed by VPC resource controller version v1.7.0', agoSeconds: 1800 })],
    }),
  );

  // A subnet with free addresses but no free aligned /28: pods wait.
  nodes.push(
    inputs({
      node: windowsNode({ name: 'win-fragmented', advertised: 0, instanceId: 'i-0frag', status: prefixStatus({ at: 3, mode: 'prefix', prefixes: [], advertised: 0, deliverable: 144, total: 9 }) }),
      pods: [pod({ name: 'frag-0', uid: 'uid-frag-0', ageSeconds: 420 }), pod({ name: 'frag-1', uid: 'uid-frag-1', ageSeconds: 400 })],
      interfaces: withEc2 ? [eni({ id: 'eni-0frag', primaryIp: '10.0.8.10', subnetId: 'subnet-frag' })] : notRead,
      events: [
        event({ reason: 'InsufficientCidrBlocks', kind: 'Node', name: 'win-fragmented', type: 'Warning', component: 'winprefix-controller', message: 'EC2 has no free aligned /28 in subnet-frag (InsufficientCidrBlocks): pods wait', agoSeconds: 60 }),
        event({ reason: 'ResourceAllocationFailed', kind: 'Pod', name: 'frag-0', uid: 'uid-frag-0', type: 'Warning', component: 'winprefix-controller', message: 'no address yet: the subnet has no free /28 (InsufficientCidrBlocks)', agoSeconds: 55 }),
      ],
      subnet: withEc2 ? { subnetId: 'subnet-frag', cidr: '10.0.8.0/26', freeBlocks: 0, reservation: { cidr: '10.0.8.16/28', inUse: 1, holders: ['eni-0filler'] } } : undefined,
    }),
  );

  // Secondary mode on a Xen type: 9 slots, 9 pods, one more waits.
  const fullIps = Array.from({ length: 9 }, (_, i) => ip('10.0.0.40', i));
  nodes.push(
    inputs({
      node: windowsNode({ name: 'win-full', instanceType: 'm4.large', advertised: 9, instanceId: 'i-0full', status: prefixStatus({ at: 2, mode: 'secondary', prefixes: [], secondary: { used: fullIps, free: [] }, advertised: 9, deliverable: 9, total: 9 }) }),
      configMap: PD_ON,
      instanceType: 'm4.large',
      pods: [...fullIps.map((a, i) => pod({ name: `iis-${i}`, annotation: `${a}/22`, ageSeconds: 3600 })), pod({ name: 'iis-9', uid: 'uid-iis-9', ageSeconds: 90 })],
      interfaces: withEc2 ? [eni({ id: 'eni-0full', primaryIp: '10.0.0.11', secondaryIps: fullIps })] : notRead,
      events: [event({ reason: 'ResourceAllocationFailed', kind: 'Pod', name: 'iis-9', uid: 'uid-iis-9', type: 'Warning', component: 'winprefix-controller', message: 'win-full can hold 9 pods with an address and 9 hold one: waiting for one to finish', agoSeconds: 80 })],
    }),
  );

  // Healthy and managed, but its status still lists the /28 someone moved to win-aws.
  const webs = Array.from({ length: 20 }, (_, i) => pod({ name: `web-${i}`, uid: `uid-web-${i}`, annotation: `${ip(i < 16 ? '10.0.1.16' : '10.0.1.32', i % 16)}/32`, ageSeconds: 5400 }));
  nodes.push(
    inputs({
      node: windowsNode({
        name: 'win-healthy',
        advertised: 144,
        instanceId: 'i-0healthy',
        status: prefixStatus({ at: 4, mode: 'prefix', prefixes: [{ cidr: '10.0.1.16/28', used: 16 }, { cidr: '10.0.1.32/28', used: 4 }, { cidr: '10.0.1.48/28', used: 2 }], advertised: 144, deliverable: 144, total: 9 }),
      }),
      pods: [...webs, pod({ name: 'api-0', annotation: '10.0.1.49/32', ageSeconds: 600 }), pod({ name: 'api-1', annotation: '10.0.1.50/32', ageSeconds: 600 })],
      interfaces: withEc2 ? [eni({ id: 'eni-0healthy', primaryIp: '10.0.0.10', prefixes: ['10.0.1.16/28', '10.0.1.32/28'] })] : notRead,
      events: [event({ reason: 'ResourceAllocated', kind: 'Pod', name: 'web-1', uid: 'uid-web-1', component: 'winprefix-controller', message: 'Allocated Resource vpc.amazonaws.com/PrivateIPv4Address: 10.0.1.17/32 to the pod (from prefix 10.0.1.16/28 on eni-0healthy)', agoSeconds: 5398 })],
    }),
  );

  // A mode change draining: two secondary IPs with their pods, a prefix for new ones.
  nodes.push(
    inputs({
      node: windowsNode({
        name: 'win-mixed',
        advertised: 114,
        instanceId: 'i-0mixed',
        status: { ...prefixStatus({ at: 5, mode: 'mixed', prefixes: [{ cidr: '10.0.3.0/28', used: 2 }], secondary: { used: ['10.0.0.51', '10.0.0.52'], free: [] }, advertised: 114, deliverable: 114, total: 9 }), reason: 'enable-windows-prefix-delegation is "true"; addresses of the previous mode drain as their pods finish' },
      }),
      pods: [pod({ name: 'old-0', annotation: '10.0.0.51/22', ageSeconds: 86_400 }), pod({ name: 'old-1', annotation: '10.0.0.52/22', ageSeconds: 86_400 }), pod({ name: 'new-0', annotation: '10.0.3.0/32' }), pod({ name: 'new-1', annotation: '10.0.3.1/32' })],
      interfaces: withEc2 ? [eni({ id: 'eni-0mixed', primaryIp: '10.0.0.12', secondaryIps: ['10.0.0.51', '10.0.0.52'], prefixes: ['10.0.3.0/28'] })] : notRead,
    }),
  );

  // An instance type with no slot for pods: winprefix says it cannot manage it.
  nodes.push(
    inputs({
      node: windowsNode({
        name: 'win-unsupported',
        instanceType: 'x0.tiny',
        instanceId: 'i-0tiny',
        status: { v: 1, at: at(6), mode: 'unmanaged', reason: 'instance type x0.tiny is not supported: its ENI has no address slot besides its own' },
      }),
      instanceType: 'x0.tiny',
      pods: [pod({ name: 'tiny-0', uid: 'uid-tiny-0', ageSeconds: 200 })],
      interfaces: withEc2 ? [eni({ id: 'eni-0tiny', primaryIp: '10.0.0.14' })] : notRead,
      events: [event({ reason: 'Unsupported', kind: 'Node', name: 'win-unsupported', type: 'Warning', component: 'winprefix-controller', message: 'The instance type x0.tiny is not supported for Windows', agoSeconds: 150 })],
    }),
  );
  return nodes;
}
