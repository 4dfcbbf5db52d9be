/**
 * @module
 * Simulator worlds for `migrate`'s tests: a cluster in secondary-IP mode about to switch to prefix
 * delegation (the prefix-delegation guide's example node among them: 14 slots, 10 pods), with a node the
 * winprefix controller manages, a non-Nitro node, a mixed node, a node with only unused secondary IPs and an
 * empty one; and a tight subnet whose blocks only the switching nodes' own secondary IPs fragment.
 * Built and frozen as plugin/subnets/testing/worlds.ts builds its worlds.
 */
import { World } from '../../../pkg/ec2sim/world.ts';
import type { KubePodDisruptionBudget } from '../../kube/disruption-budgets.ts';
import { addNode, addTenant, base, eniOf, freeze, instanceId, probeOf, type PlanningWorld } from '../../subnets/testing/worlds.ts';

export function switchingWorld(): PlanningWorld {
  const spec = base('10.40.16.0/22', 'subnet-0a0b0010');
  const nodes = [
    addNode(spec, { name: 'win-guide', type: 't3.xlarge', podsOnPrefixes: 0, podsOnSecondaryIps: 10, waitingPods: 0, advertised: 14 }, 41, '10.40.16.10'),
    addNode(spec, { name: 'win-warm', type: 'm5.large', podsOnPrefixes: 0, podsOnSecondaryIps: 0, waitingPods: 0, advertised: 9 }, 42, '10.40.16.11'),
    addNode(spec, { name: 'win-pd', type: 'm5.large', podsOnPrefixes: 5, podsOnSecondaryIps: 0, waitingPods: 0, advertised: 144 }, 43, '10.40.16.12'),
    addNode(spec, { name: 'win-ours', type: 'm5.large', podsOnPrefixes: 0, podsOnSecondaryIps: 3, waitingPods: 0, advertised: 9, managedByWinprefix: true }, 44, '10.40.16.13'),
    addNode(spec, { name: 'win-xen', type: 'm4.large', podsOnPrefixes: 0, podsOnSecondaryIps: 2, waitingPods: 0, advertised: 9 }, 45, '10.40.16.14'),
    addNode(spec, { name: 'win-mixed', type: 'm5.large', podsOnPrefixes: 2, podsOnSecondaryIps: 1, waitingPods: 0, advertised: 144 }, 46, '10.40.16.15'),
    addNode(spec, { name: 'win-empty', type: 'c5.large', podsOnPrefixes: 0, podsOnSecondaryIps: 0, waitingPods: 0, advertised: 9 }, 47, '10.40.16.16'),
  ];
  addTenant(spec, 'eni-0e0b0041', '10.40.17.5');
  addTenant(spec, probeOf(spec), '10.40.16.7');
  const world = new World(spec);
  world.assign(eniOf(instanceId(41)), { secondaryCount: 13 });
  world.assign(eniOf(instanceId(42)), { secondaryCount: 3 });
  world.assign(eniOf(instanceId(43)), { prefixCount: 1 });
  world.assign(eniOf(instanceId(44)), { secondaryCount: 4 });
  world.assign(eniOf(instanceId(45)), { secondaryCount: 3 });
  world.assign(eniOf(instanceId(46)), { secondaryCount: 2 });
  world.assign(eniOf(instanceId(46)), { prefixCount: 1 });
  world.assign('eni-0e0b0041', { secondaryCount: 40 });
  return { name: 'switching', subnetId: 'subnet-0a0b0010', spec: freeze(world, spec), nodes };
}

/** Budgets over the switching world's pods: win-guide's allow no disruption, win-mixed's one. */
export function switchingBudgets(): KubePodDisruptionBudget[] {
  return [
    { metadata: { name: 'guide', namespace: 'apps' }, spec: { selector: { matchLabels: { app: 'win-guide' } }, minAvailable: 10 }, status: { disruptionsAllowed: 0 } },
    { metadata: { name: 'mixed', namespace: 'apps' }, spec: { selector: { matchLabels: { app: 'win-mixed' } }, maxUnavailable: 1 }, status: { disruptionsAllowed: 1 } },
    { metadata: { name: 'elsewhere', namespace: 'other' }, spec: { selector: {} }, status: { disruptionsAllowed: 0 } },
  ];
}

/**
 * A /25 in secondary-IP mode with no free /28: only the two nodes' own secondary IPs and one tenant's
 * fragment it. win-tight-b is not Nitro, so its secondary IPs stay after the switch and the blocks stay
 * fragmented (`nitro: true` makes it an m5.large, which frees them).
 */
export function tightWorld(o: { nitro?: boolean } = {}): PlanningWorld {
  const spec = base('10.40.20.0/25', 'subnet-0a0b0011');
  const nodes = [
    addNode(spec, { name: 'win-tight-a', type: 'm5.large', podsOnPrefixes: 0, podsOnSecondaryIps: 6, waitingPods: 0, advertised: 9 }, 51, '10.40.20.10'),
    addNode(spec, { name: 'win-tight-b', type: o.nitro ? 'm5.large' : 'm4.large', podsOnPrefixes: 0, podsOnSecondaryIps: 7, waitingPods: 0, advertised: 9 }, 52, '10.40.20.11'),
  ];
  addTenant(spec, 'eni-0e0b0051', '10.40.20.6');
  addTenant(spec, probeOf(spec), '10.40.20.7');
  const world = new World(spec);
  // The nodes' secondary IPs spread one per block over .16 .. .79; the tenant takes one address in .80 .. .111.
  world.assign(eniOf(instanceId(51)), { secondaryIps: ['10.40.20.20', '10.40.20.37', '10.40.20.53', '10.40.20.70', '10.40.20.24', '10.40.20.40', '10.40.20.57', '10.40.20.75'] });
  world.assign(eniOf(instanceId(52)), { secondaryIps: ['10.40.20.18', '10.40.20.35', '10.40.20.50', '10.40.20.66', '10.40.20.29', '10.40.20.44', '10.40.20.60', '10.40.20.77'] });
  world.assign('eni-0e0b0051', { secondaryIps: ['10.40.20.85', '10.40.20.100'] });
  return { name: 'tight', subnetId: 'subnet-0a0b0011', spec: freeze(world, spec), nodes };
}
