/**
 * Golden output of `describe node` at 80, 100 and 160 columns (and -o wide), for an incident (95 pods
 * waiting in a subnet without a free /28, a pod whose address is gone, a leaked prefix), a node the
 * winprefix controller manages in the middle of a mode change, and a node whose instance EC2 does not
 * know. Every line must fit the width. After an intended change: UPDATE_GOLDEN=1 node --test this file,
 * then read the diff.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodeStatus } from '../../pkg/core/status/node-status.ts';
import { PLAIN, RICH, stripStyle } from '../render/style.ts';
import { checkGolden } from '../render/testing/golden.ts';
import { displayWidth } from '../render/text.ts';
import { analyzeNode } from './analyze.ts';
import { renderHuman } from './render.ts';
import type { NodeReport } from './report.ts';
import { eni, event, inputs, NOW, PD_ON, pod, windowsNode } from './testing/fixtures.ts';

const GOLDEN_DIR = new URL('./testing/golden/', import.meta.url);
const NODE = 'ip-10-0-1-10.us-west-2.compute.internal';

function incident(): NodeReport {
  const waiting = Array.from({ length: 95 }, (_, i) => pod({ name: `win-${i + 1}`, namespace: 'sandbox', uid: `uid-w${i}`, phase: 'Pending', ageSeconds: 240 + i }));
  const running = Array.from({ length: 16 }, (_, i) => pod({ name: `web-${i}`, namespace: 'sandbox', uid: `uid-r${i}`, annotation: `10.0.1.${16 + i}/32`, ageSeconds: 3600 + i * 60 }));
  return analyzeNode(
    inputs({
      node: windowsNode({ name: NODE, advertised: 144 }),
      pods: [...waiting, ...running, pod({ name: 'ghost', namespace: 'payments', uid: 'uid-ghost', annotation: '10.0.9.9/32', ageSeconds: 86_400 })],
      interfaces: [eni({ prefixes: ['10.0.1.16/28', '10.0.1.48/28'] })],
      events: [
        event({ reason: 'ControllerVersionNotice', kind: 'Node', name: NODE, message: 'The node is managed by VPC resource controller version v1.7.0', agoSeconds: 7200 }),
        event({ reason: 'InsufficientCidrBlocks', kind: 'Node', name: NODE, type: 'Warning', message: 'Failed to allocate IPv4 prefix: InsufficientCidrBlocks: There are not enough free cidr blocks in the specified subnet to satisfy the request.', agoSeconds: 20 }),
        ...waiting.slice(0, 39).map((p, i) =>
          event({ reason: 'ResourceAllocationFailed', kind: 'Pod', name: p.metadata!.name!, namespace: 'sandbox', uid: `uid-w${i}`, type: 'Warning', message: 'failed to allocate a private IP address: InsufficientCidrBlocks', agoSeconds: 30 + i }),
        ),
      ],
      subnet: { subnetId: 'subnet-0a000001', cidr: '10.0.0.0/23', freeBlocks: 0, reservation: { cidr: '10.0.1.128/25', inUse: 5, holders: ['eni-0b00000000000001', 'eni-0b00000000000002'] } },
    }),
  );
}

function managedMixed(): NodeReport {
  const status: NodeStatus = {
    v: 1,
    at: new Date(NOW.getTime() - 8_000).toISOString(),
    mode: 'mixed',
    reason: 'prefix delegation is enabled and m5.large is Nitro; addresses of the previous mode drain as their pods finish',
    config: { sizing: 'ip-targets', warmIPTarget: 3, minimumIPTarget: 16, warmPrefixTarget: 0, problems: [{ key: 'warm-prefix-target', value: '2', message: 'ignored: the warm and minimum IP targets (3, 16) size the pool' }] },
    capacity: { nominal: 144, deliverable: 113, advertised: 113 },
    slots: { total: 9, prefixes: 2, secondaryIps: 2, free: 5 },
    prefixes: [
      { cidr: '10.0.1.16/28', used: 3, free: 11, cooling: 2, map: 'uuucc...........' },
      { cidr: '10.0.1.32/28', used: 0, free: 16, cooling: 0, map: '................' },
    ],
    secondaryIps: { used: ['10.0.0.21'], free: ['10.0.0.22'], cooling: [], releasing: [] },
    pending: { assignPrefixes: 0, assignSecondaryIps: 0, unassignPrefixes: 0, unassignSecondaryIps: 1, resync: false },
    lastError: { reason: 'throttled', message: 'EC2 UnassignPrivateIpAddresses failed with RequestLimitExceeded: Request limit exceeded.', at: new Date(NOW.getTime() - 95_000).toISOString() },
  };
  return analyzeNode(
    inputs({
      node: windowsNode({ name: NODE, advertised: 113, status }),
      configMap: { ...PD_ON, 'warm-ip-target': '3', 'minimum-ip-target': '16', 'warm-prefix-target': '2' },
      pods: [
        pod({ name: 'legacy-iis-0', namespace: 'web', annotation: '10.0.0.21/19', ageSeconds: 9 * 86_400 }),
        ...[0, 1, 2].map((i) => pod({ name: `api-7d9f8-${['x2k4q', 'p9w2n', 'zz81m'][i]}`, namespace: 'payments', annotation: `10.0.1.${16 + i}/32`, ageSeconds: 600 + i })),
      ],
      interfaces: [eni({ secondaryIps: ['10.0.0.21', '10.0.0.22'], prefixes: ['10.0.1.16/28', '10.0.1.32/28'] })],
      events: [event({ reason: 'IPAMModeChanged', kind: 'Node', name: NODE, component: 'winprefix-controller', message: 'secondary -> prefix: new pods get /28 prefix addresses; 2 secondary IPs drain as their pods finish', agoSeconds: 700 })],
    }),
  );
}

function unknownInstance(): NodeReport {
  return analyzeNode(
    inputs({
      node: windowsNode({ name: NODE, advertised: 144 }),
      pods: [pod({ name: 'web-0', namespace: 'sandbox', annotation: '10.0.1.17/32' })],
      interfaces: {
        error:
          'EC2 in eu-west-1 (region from --region, endpoint https://ec2.eu-west-1.amazonaws.com) has no instance i-0abc for the credentials of AWS profile "staging" (--profile): the instance is in another region (the node\'s zone says us-west-2, check --region) or another account (check --profile / AWS_PROFILE: use the cluster\'s account), or it was terminated and this node object is stale',
        code: 'InvalidInstanceID.NotFound',
      },
    }),
  );
}

const SCENARIOS: Record<string, () => NodeReport> = { incident, 'managed-mixed': managedMixed, 'unknown-instance': unknownInstance };

const check = (name: string, text: string, width: number) => checkGolden(GOLDEN_DIR, name, text, width);

describe('describe node: golden output that fits the terminal', () => {
  for (const [scenario, make] of Object.entries(SCENARIOS)) {
    const report = make();
    for (const width of [80, 100, 160]) {
      it(`${scenario} at ${width} columns`, () => check(`${scenario}-${width}`, renderHuman(report, { wide: false, style: PLAIN, now: NOW, width }), width));
    }
    for (const width of [80, 160]) {
      it(`${scenario} -o wide at ${width} columns`, () => check(`${scenario}-${width}-wide`, renderHuman(report, { wide: true, style: PLAIN, now: NOW, width }), width));
    }
  }

  it('colour and Unicode bars do not count towards the width', () => {
    const text = renderHuman(managedMixed(), { wide: false, style: RICH, now: NOW, width: 80 });
    assert.match(text, /\u001b\[/);
    assert.equal(stripStyle(text), stripStyle(text).replace(/\u001b/g, ''));
    for (const line of text.split('\n')) assert.ok(displayWidth(stripStyle(line)) <= 80, line);
  });
});
