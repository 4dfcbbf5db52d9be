/**
 * @module
 * Output of `simulate`: the stable JSON/YAML document and the kubectl-like table.
 * The document's schema is plugin/simulate/schema.ts (listed in docs/simulate.md); change it only additively.
 */
import { dump } from 'js-yaml';
import { ConfigKeys } from '../../pkg/core/contract.ts';
import { renderTable as renderColumns } from '../render/table.ts';
import type { SimulationDocument } from './schema.ts';
import type { Simulation } from './simulate.ts';

/** Keys upstream deprecated in favour of the windows-* ones. */
const LEGACY_KEYS = new Set<string>([ConfigKeys.warmIPTarget, ConfigKeys.minimumIPTarget, ConfigKeys.warmPrefixTarget]);

export function toDocument(sim: Simulation): SimulationDocument {
  const c = sim.config;
  return {
    instanceType: sim.instanceType,
    effectiveConfig: {
      mode: c.mode,
      modeReason: c.modeReason,
      sizing: c.sizing,
      warmIPTarget: c.warmIPTarget,
      minimumIPTarget: c.minimumIPTarget,
      warmPrefixTarget: c.warmPrefixTarget,
      capacity: c.capacity,
      slots: sim.node.slots,
      sources: sim.sources,
    },
    problems: sim.problems.map((p) => ({ key: p.key, value: p.value, message: p.message })),
    results: sim.results,
  };
}

export function renderJson(sim: Simulation): string {
  return `${JSON.stringify(toDocument(sim), null, 2)}\n`;
}

export function renderYaml(sim: Simulation): string {
  return dump(toDocument(sim), { lineWidth: -1 });
}

export function renderTable(sim: Simulation): string {
  const c = sim.config;
  const lines: string[] = [];
  lines.push(`Instance type:  ${sim.instanceType} (${sim.node.slots} slots on the primary ENI)`);
  lines.push(`Mode:           ${c.mode} (${c.modeReason})`);
  const sizing =
    c.mode === 'secondary'
      ? `warm-ip-target=${c.warmIPTarget} minimum-ip-target=${c.minimumIPTarget}`
      : c.sizing === 'prefix-target'
        ? `warm-prefix-target=${c.warmPrefixTarget} (sized by the warm prefix target)`
        : `warm-ip-target=${c.warmIPTarget} minimum-ip-target=${c.minimumIPTarget} (sized by IP targets)`;
  lines.push(`Effective:      ${sizing}`);
  const read = Object.values(sim.sources).map((key) => (LEGACY_KEYS.has(key) ? `${key} (deprecated key)` : key));
  if (read.length > 0) lines.push(`Read from:      ${read.join(', ')}`);
  lines.push(`Capacity:       ${c.capacity} pods with an address`);
  if (sim.problems.length > 0) {
    lines.push('Problems:');
    for (const p of sim.problems) lines.push(`  ${p.key}=${JSON.stringify(p.value)}: ${p.message}`);
  }
  const rows = sim.results.map((r) =>
    (c.mode === 'prefix'
      ? [r.pods, r.attachedPrefixes, r.podsPerPrefix.join(',') || '-', r.unusedPrefixes, r.totalIPs, r.unusedIPs]
      : [r.pods, r.secondaryIPs, r.unusedIPs]
    ).map(String),
  );
  const headings =
    c.mode === 'prefix'
      ? ['PODS', 'PREFIXES', 'PODS PER PREFIX', 'UNUSED PREFIXES', 'TOTAL IPS', 'UNUSED IPS']
      : ['PODS', 'SECONDARY IPS', 'WARM IPS'];
  return `${lines.join('\n')}\n\n${renderColumns(headings, rows)}`;
}
