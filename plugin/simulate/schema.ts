/**
 * @module
 * The document `simulate -o json|yaml` prints, described once: its TypeScript type, its validation
 * (tests check real output against it) and the field list in docs/simulate.md (a test keeps them equal)
 * all come from {@link SIMULATION_SCHEMA}. Stable: fields are only ever added.
 */
import { arr, count, describeShape, obj, oneOf, optional, str, validate, type Infer } from '../../pkg/core/schema/shape.ts';

export const SIMULATION_SCHEMA = obj({
  instanceType: str,
  effectiveConfig: obj({
    mode: oneOf('prefix', 'secondary'),
    /** One sentence: why this mode. */
    modeReason: str,
    /** Prefix mode: which targets size the pool. */
    sizing: oneOf('ip-targets', 'prefix-target'),
    warmIPTarget: count,
    minimumIPTarget: count,
    warmPrefixTarget: count,
    /** Pods with an address: slots (secondary) or slots * 16 (prefix). */
    capacity: count,
    /** Primary-ENI slots: ipv4PerInterface - 1. */
    slots: count,
    /** Where each target that was set came from: a ConfigMap key or a flag. */
    sources: obj({ warmIPTarget: optional(str), minimumIPTarget: optional(str), warmPrefixTarget: optional(str) }),
  }),
  /** Every ConfigMap value that could not be used as written. */
  problems: arr(obj({ key: str, value: str, message: str })),
  /** One per pod count, in the order given. */
  results: arr(
    obj({
      pods: count,
      /** /28 prefixes on the ENI. */
      attachedPrefixes: count,
      /** Prefixes no pod uses. */
      unusedPrefixes: count,
      /** 16 per prefix plus secondary IPs. */
      totalIPs: count,
      /** totalIPs - pods. */
      unusedIPs: count,
      /** Secondary IPs on the ENI. */
      secondaryIPs: count,
      /** Pods on each attached prefix, largest first. */
      podsPerPrefix: arr(count),
    }),
  ),
});

export type SimulationDocument = Infer<typeof SIMULATION_SCHEMA>;
export type SimulationRow = SimulationDocument['results'][number];

export function validateSimulation(value: unknown): string[] {
  return validate(SIMULATION_SCHEMA, value);
}

/** The "field: type" lines docs/simulate.md shows. */
export function describeSimulationSchema(): string[] {
  return describeShape(SIMULATION_SCHEMA);
}
