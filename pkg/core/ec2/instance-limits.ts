/**
 * @module
 * ENI limits per instance type, from the table upstream generates (pkg/aws/vpc/limits.go).
 * Types missing here are looked up at runtime by the EC2 adapter (DescribeInstanceTypes).
 */
import table from './instance-limits.json' with { type: 'json' };

export interface InstanceLimits {
  instanceType: string;
  /** IPv4 addresses per ENI, including the ENI's primary address. */
  ipv4PerInterface: number;
  interfaces: number;
  hypervisor: 'nitro' | 'xen' | '';
  isBareMetal: boolean;
}

interface Row {
  ipv4PerInterface: number;
  interfaces: number;
  hypervisor: string;
  isBareMetal: boolean;
}

/**
 * The columns this module reads. The JSON keeps upstream's table whole (trunking columns too); the bundles keep
 * only these (scripts/build.ts).
 */
export const READ_COLUMNS = ['ipv4PerInterface', 'interfaces', 'hypervisor', 'isBareMetal'] as const satisfies readonly (keyof Row)[];

const rows = table as Record<string, Row>;

export function bundledInstanceLimits(instanceType: string): InstanceLimits | undefined {
  const row = Object.hasOwn(rows, instanceType) ? rows[instanceType] : undefined;
  if (!row) return undefined;
  return {
    instanceType,
    ipv4PerInterface: row.ipv4PerInterface,
    interfaces: row.interfaces,
    hypervisor: row.hypervisor === 'nitro' || row.hypervisor === 'xen' ? row.hypervisor : '',
    isBareMetal: row.isBareMetal,
  };
}

export function bundledInstanceTypes(): string[] {
  return Object.keys(rows);
}

/** Prefix delegation needs Nitro; bare-metal types report no hypervisor but support it (upstream IsNitroInstance). */
export function supportsPrefixDelegation(limits: InstanceLimits): boolean {
  return limits.isBareMetal || limits.hypervisor === 'nitro';
}

/** Slots on the primary ENI that can hold a secondary IP or a /28 prefix: the primary address takes one. */
export function primaryEniSlots(limits: InstanceLimits): number {
  return Math.max(limits.ipv4PerInterface - 1, 0);
}
