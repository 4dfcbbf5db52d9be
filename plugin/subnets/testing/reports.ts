/**
 * @module
 * SubnetReports of the test worlds, built as `subnets` builds them from what it reads.
 */
import { World } from '../../../pkg/ec2sim/world.ts';
import type { SubnetRead } from '../../cluster/planning-reads.ts';
import { analyzeSubnets, type SubnetsInputs } from '../analyze.ts';
import type { SubnetReport } from '../report.ts';
import { windowsNodes, type PlanningWorld } from './worlds.ts';

export const NOW = new Date('2026-11-22T12:00:00Z');

export function subnetRead(w: PlanningWorld, world = new World(w.spec)): SubnetRead {
  return {
    subnet: world.subnet(w.subnetId),
    interfaces: world.networkInterfaces().filter((e) => e.subnetId === w.subnetId),
    reservations: world.reservations(w.subnetId),
  };
}

export function inputsOf(w: PlanningWorld): SubnetsInputs {
  return {
    now: NOW,
    selector: null,
    subnetIds: [],
    headroomWanted: null,
    withMap: false,
    ec2: { region: 'us-west-2', endpoint: null, profile: null },
    nodes: windowsNodes(w),
    subnets: [subnetRead(w)],
  };
}

export function reportFor(w: PlanningWorld, o: { headroom?: number; map?: boolean } = {}): SubnetReport {
  return analyzeSubnets({
    now: NOW,
    selector: null,
    subnetIds: [],
    headroomWanted: o.headroom ?? null,
    withMap: o.map ?? false,
    ec2: { region: 'us-west-2', endpoint: null, profile: null },
    nodes: windowsNodes(w),
    subnets: [subnetRead(w)],
  });
}

