/**
 * `migrate`'s plan over simulator worlds: what each node advertises and can deliver after the switch,
 * checked against the simulator (release the old mode's unused addresses, then fill the ENI with the new
 * mode's until EC2 answers PrivateIpAddressLimitExceeded), the prefix-delegation guide's example node, the
 * order of drains with PodDisruptionBudgets, the ConfigMap change, and the subnet's room.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { World } from '../../pkg/ec2sim/world.ts';
import type { Mode } from '../../pkg/core/ipam/types.ts';
import type { KubePodDisruptionBudget } from '../kube/disruption-budgets.ts';
import { subnetRead } from '../subnets/testing/reports.ts';
import { eniOf, healthyWorld, probeOf, windowsNodes, type PlanningWorld } from '../subnets/testing/worlds.ts';
import { configChange, planMigration } from './plan.ts';
import { validateMigrationPlan, type MigrationPlan, type PlannedNode } from './report.ts';
import { switchingBudgets, switchingWorld, tightWorld } from './testing/worlds.ts';

const NOW = new Date('2026-11-22T12:00:00Z');
const CM = 'kube-system/amazon-vpc-cni';

function plan(w: PlanningWorld, to: Mode, o: { data?: Record<string, string> | undefined; budgets?: KubePodDisruptionBudget[] } = {}): MigrationPlan {
  const world = new World(w.spec);
  const result = planMigration({
    now: NOW,
    to,
    selector: null,
    ec2: { region: 'us-west-2', endpoint: null, profile: null },
    configMap: { ref: CM, data: 'data' in o ? o.data : { 'enable-windows-ipam': 'true' }, error: null },
    budgets: { items: o.budgets ?? [], error: null },
    nodes: windowsNodes(w, world),
    subnets: [subnetRead(w, world)],
  });
  assert.deepEqual(validateMigrationPlan(result), []);
  return result;
}

const node = (p: MigrationPlan, name: string): PlannedNode => p.nodes.find((n) => n.name === name) ?? assert.fail(`no node ${name}`);

/**
 * What the ENI can deliver, by asking the simulator: release the old mode's addresses no pod holds, fill
 * every free slot with the new mode's, count the addresses pods can use (never above nominal, as kubelet
 * counts the resource).
 */
function deliverableBySimulator(w: PlanningWorld, name: string, to: Mode): number {
  const world = new World(w.spec);
  const plan = w.nodes.find((n) => n.name === name)!;
  const eni = eniOf(plan.instanceId);
  const view = world.networkInterface(eni);
  const prefixAddresses = view.prefixes.flatMap((p) => [...Array(16).keys()].map((i) => `${p}#${i}`));
  const usedPrefixes = new Set(prefixAddresses.slice(0, plan.podsOnPrefixes).map((a) => a.split('#')[0]!));
  const usedSecondaries = new Set(view.secondaryIps.slice(0, plan.podsOnSecondaryIps));
  if (to === 'prefix') {
    const unused = view.secondaryIps.filter((ip) => !usedSecondaries.has(ip));
    if (unused.length > 0) world.unassign(eni, { secondaryIps: unused });
    for (;;) {
      try {
        world.assign(eni, { prefixCount: 1 });
      } catch {
        break;
      }
    }
    const after = world.networkInterface(eni);
    return Math.min(16 * (world.instanceLimits(plan.type)!.ipv4PerInterface - 1), 16 * after.prefixes.length + plan.podsOnSecondaryIps);
  }
  const unused = view.prefixes.filter((p) => !usedPrefixes.has(p));
  if (unused.length > 0) world.unassign(eni, { prefixes: unused });
  for (;;) {
    try {
      world.assign(eni, { secondaryCount: 1 });
    } catch {
      break;
    }
  }
  return Math.min(world.instanceLimits(plan.type)!.ipv4PerInterface - 1, world.networkInterface(eni).secondaryIps.length + plan.podsOnPrefixes);
}

describe('migrate --to prefix: each node', () => {
  const w = switchingWorld();
  const p = plan(w, 'prefix', { budgets: switchingBudgets() });

  it("the guide's example: 14 slots, 10 pods in secondary mode: advertises 224 after the switch, can deliver 74 (64 more pods)", () => {
    const n = node(p, 'win-guide');
    assert.equal(n.now.mode, 'secondary');
    assert.equal(n.now.slots, 14);
    assert.deepEqual([n.after.mode, n.after.nominal, n.after.advertised, n.after.deliverable, n.after.overAdvertisedBy], ['prefix', 224, 224, 74, 150]);
    assert.deepEqual([n.oldMode.mode, n.oldMode.slots, n.oldMode.slotsHeldByPods, n.oldMode.pods.length], ['secondary', 13, 10, 10]);
    assert.equal(n.action, 'drain');
    assert.match(n.why, /10 pods keep their secondary IPs until they go, so 10 of 14 slots stay out of prefix mode: after the switch it would advertise 224 and can deliver 74/);
    assert.deepEqual(n.budgets.map((b) => [b.name, b.blocks]), [['guide', true]]);
  });

  it('every node: deliverable as the simulator counts it', () => {
    for (const n of p.nodes.filter((x) => x.after.mode === 'prefix')) {
      assert.equal(n.after.deliverable, deliverableBySimulator(w, n.name, 'prefix'), n.name);
    }
  });

  it('winprefix advertises only what it can deliver; the AWS controller the nominal capacity', () => {
    const ours = node(p, 'win-ours');
    assert.equal(ours.managedBy, 'winprefix');
    assert.equal(ours.after.advertised, ours.after.deliverable);
    assert.equal(ours.after.overAdvertisedBy, 0);
    assert.equal(ours.action, 'drain', 'its pods still hold secondary IPs');
    const mixed = node(p, 'win-mixed');
    assert.equal(mixed.managedBy, 'aws-vpc-resource-controller');
    // One of its two secondary IPs holds a pod; the other is released: 8 slots for prefixes, plus that pod.
    assert.deepEqual([mixed.now.mode, mixed.after.advertised, mixed.after.deliverable], ['mixed', 144, 8 * 16 + 1]);
  });

  it('nothing to drain: unused secondary IPs only, already in prefix mode, an empty ENI; a non-Nitro node is replaced', () => {
    assert.deepEqual([node(p, 'win-warm').action, node(p, 'win-warm').after.deliverable], ['release', 144]);
    assert.match(node(p, 'win-warm').why, /^3 unused secondary IPs are released by the controller/);
    assert.deepEqual([node(p, 'win-pd').action, node(p, 'win-pd').oldMode.slots], ['none', 0]);
    assert.match(node(p, 'win-pd').why, /^already in prefix mode/);
    assert.equal(node(p, 'win-empty').action, 'none');
    const xen = node(p, 'win-xen');
    assert.deepEqual([xen.action, xen.after.mode, xen.after.nominal, xen.after.overAdvertisedBy], ['replace', 'secondary', 9, 0]);
    assert.match(xen.why, /an m4\.large is not a Nitro type, so it cannot hold \/28 prefixes and stays in secondary-IP mode/);
  });

  it('order: drains no budget blocks first, fewest pods first; blocked ones last; replacements after', () => {
    const ordered = p.nodes.filter((n) => n.order !== null).sort((a, b) => a.order! - b.order!);
    assert.deepEqual(ordered.map((n) => [n.name, n.action]), [
      ['win-mixed', 'drain'],
      ['win-ours', 'drain'],
      ['win-guide', 'drain'],
      ['win-xen', 'replace'],
    ]);
    assert.ok(p.nodes.filter((n) => n.order === null).every((n) => n.action === 'none' || n.action === 'release'));
  });

  it('one finding for the nodes that would over-advertise, with the cordon command; steps in order', () => {
    assert.deepEqual(p.findings.map((f) => [f.kind, f.nodes]), [['over-advertised-after-switch', ['win-guide', 'win-mixed']]]);
    assert.deepEqual(p.findings[0]!.commands, ['kubectl cordon win-guide win-mixed']);
    assert.equal(p.findings[0]!.pods.length, 11);
    assert.deepEqual(
      p.steps.map((s) => [s.step, s.nodes, s.commands[0]]),
      [
        [1, ['win-guide', 'win-mixed'], 'kubectl cordon win-guide win-mixed'],
        [2, [], `kubectl patch configmap amazon-vpc-cni -n kube-system --type merge -p '{"data":{"enable-windows-prefix-delegation":"true"}}'`],
        [3, ['win-mixed'], 'kubectl drain win-mixed --ignore-daemonsets --delete-emptydir-data'],
        [4, ['win-ours'], 'kubectl drain win-ours --ignore-daemonsets --delete-emptydir-data'],
        [5, ['win-guide'], 'kubectl drain win-guide --ignore-daemonsets --delete-emptydir-data'],
        [6, ['win-xen'], 'kubectl drain win-xen --ignore-daemonsets --delete-emptydir-data'],
      ],
    );
    assert.match(p.steps[4]!.what, /waits on PodDisruptionBudget apps\/guide \(0 disruptions allowed\)/);
  });

  it('the subnet has room: needed prefixes against free blocks now and once the secondary IPs are released', () => {
    assert.equal(p.subnets.length, 1);
    const s = p.subnets[0]!;
    assert.equal(s.unit, 'prefixes');
    // win-guide 10 pods: 1 prefix; win-warm 0: 1 (minimum target 3); win-ours 3: 1; win-mixed 3: holds 1 already; win-empty: 1.
    assert.equal(s.needed, 4);
    assert.equal(s.shortBy, 0);
    assert.ok(s.freeAfterRelease >= s.freeNow);
  });
});

describe('migrate: the subnet for the new mode', () => {
  it('too few blocks even once the switching node lets go of its secondary IPs: a finding, and the simulator agrees', () => {
    const w = tightWorld();
    const p = plan(w, 'prefix');
    assert.deepEqual(p.subnets.map((s) => [s.nodes, s.needed, s.freeNow, s.freeAfterRelease, s.shortBy]), [[['win-tight-a'], 1, 0, 0, 1]]);
    assert.deepEqual(p.findings.map((f) => [f.kind, f.subnetId, f.cause]), [
      ['over-advertised-after-switch', null, null],
      ['subnet-short-after-switch', w.subnetId, 'insufficient-cidr-blocks'],
    ]);
    assert.deepEqual(p.findings[1]!.commands, [`kubectl winprefix subnets --subnet-id ${w.subnetId} --headroom 16`]);
    // The simulator: with win-tight-a's secondary IPs gone, still no prefix.
    const world = new World(w.spec);
    const a = eniOf(w.nodes[0]!.instanceId);
    world.unassign(a, { secondaryIps: world.networkInterface(a).secondaryIps });
    assert.throws(() => world.assign(probeOf(w), { prefixCount: 1 }), /not enough free cidr blocks/);
  });

  it('when both nodes switch, their released secondary IPs free four blocks: no shortage (the simulator agrees)', () => {
    const w = tightWorld({ nitro: true });
    const p = plan(w, 'prefix');
    assert.deepEqual(p.subnets.map((s) => [s.needed, s.freeNow, s.freeAfterRelease, s.shortBy]), [[2, 0, 4, 0]]);
    assert.deepEqual(p.findings.map((f) => f.kind), ['over-advertised-after-switch']);
    const world = new World(w.spec);
    for (const n of w.nodes) world.unassign(eniOf(n.instanceId), { secondaryIps: world.networkInterface(eniOf(n.instanceId)).secondaryIps });
    assert.equal(world.assign(probeOf(w), { prefixCount: 4 }).prefixes.length, 4);
  });
});

describe('migrate --to secondary', () => {
  const w = healthyWorld();
  const p = plan(w, 'secondary', { data: { 'enable-windows-ipam': 'true', 'enable-windows-prefix-delegation': 'true' } });

  it('deliverable as the simulator counts it; capacity drops below the pods', () => {
    for (const n of p.nodes.filter((x) => x.after.mode === 'secondary')) assert.equal(n.after.deliverable, deliverableBySimulator(w, n.name, 'secondary'), n.name);
    const a = node(p, 'win-a');
    assert.deepEqual([a.after.nominal, a.after.advertised, a.after.deliverable, a.after.podsBeyondCapacity, a.action], [9, 9, 9, 11, 'drain']);
    assert.match(a.why, /20 pods want an address, so no new Windows pod lands there until 11 go/);
    assert.equal(node(p, 'win-c').action, 'none', 'win-c is in secondary mode already');
  });

  it('the ConfigMap change turns prefix delegation off; the subnet is counted in addresses', () => {
    assert.deepEqual(p.configMap.set, [{ key: 'enable-windows-prefix-delegation', from: 'true', to: 'false' }]);
    assert.equal(p.subnets[0]!.unit, 'addresses');
    assert.ok(p.subnets[0]!.freeAfterRelease > p.subnets[0]!.freeNow);
  });
});

describe('migrate: the ConfigMap change', () => {
  const read = (data: Record<string, string> | undefined, error: string | null = null) => ({ ref: CM, data, error });
  it('patch only what differs; nothing when it already selects the mode', () => {
    const on = configChange(read({ 'enable-windows-ipam': 'true', 'enable-windows-prefix-delegation': 'True' }), 'prefix');
    assert.deepEqual([on.set, on.command, on.yaml], [[], null, null]);
    const off = configChange(read({ 'enable-windows-ipam': '1' }), 'secondary');
    assert.deepEqual(off.set, [], 'an absent flag is off');
    const both = configChange(read({ 'enable-windows-ipam': 'false', 'enable-windows-prefix-delegation': 'false' }), 'prefix');
    assert.deepEqual(both.set, [
      { key: 'enable-windows-ipam', from: 'false', to: 'true' },
      { key: 'enable-windows-prefix-delegation', from: 'false', to: 'true' },
    ]);
    assert.equal(both.command, `kubectl patch configmap amazon-vpc-cni -n kube-system --type merge -p '{"data":{"enable-windows-ipam":"true","enable-windows-prefix-delegation":"true"}}'`);
    assert.equal(both.yaml, 'data:\n  enable-windows-ipam: "true"\n  enable-windows-prefix-delegation: "true"\n', 'a merge patch, never a partial manifest to apply');
  });

  it('a ConfigMap that does not exist is created; one that cannot be read is patched with both keys', () => {
    const created = configChange(read(undefined), 'prefix');
    assert.equal(created.command, 'kubectl create configmap amazon-vpc-cni -n kube-system --from-literal=enable-windows-ipam=true --from-literal=enable-windows-prefix-delegation=true');
    assert.equal(created.yaml, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: amazon-vpc-cni\n  namespace: kube-system\ndata:\n  enable-windows-ipam: "true"\n  enable-windows-prefix-delegation: "true"\n');
    const unreadable = configChange(read(undefined, 'forbidden'), 'secondary');
    assert.deepEqual(unreadable.set.map((s) => [s.key, s.to]), [
      ['enable-windows-ipam', 'true'],
      ['enable-windows-prefix-delegation', 'false'],
    ]);
    assert.match(unreadable.command!, /^kubectl patch configmap amazon-vpc-cni -n kube-system --type merge/);
  });
});
