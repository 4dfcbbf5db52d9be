/**
 * @module
 * Which nodes another IPAM controller has claimed. The AWS VPC Resource Controller emits a node
 * event with reason ControllerVersionNotice on every node it manages; while such an event exists,
 * winprefix keeps its hands off that node, since two controllers on one ENI would hand out the
 * same address twice. Fed from a reflector on core events filtered by that reason.
 */
import { EventReasons, UPSTREAM_COMPONENT } from '../contract.ts';

export interface ClaimEvent {
  namespace: string;
  name: string;
  node: string | undefined;
  component: string;
}

/** The fields of a core/v1 Event this module reads (client-node's CoreV1Event fits). */
export interface EventObject {
  metadata?: { namespace?: string; name?: string };
  involvedObject?: { kind?: string; name?: string };
  reason?: string;
  source?: { component?: string };
  reportingComponent?: string;
}

export function toClaimEvent(e: EventObject): ClaimEvent {
  const isNode = e.involvedObject?.kind === 'Node';
  return {
    namespace: e.metadata?.namespace ?? '',
    name: e.metadata?.name ?? '',
    node: isNode && e.reason === EventReasons.controllerVersionNotice ? e.involvedObject?.name : undefined,
    component: e.source?.component || e.reportingComponent || '',
  };
}

/** Field selector for the reflector: only the notices, whatever the namespace. */
export const CLAIM_EVENT_FIELD_SELECTOR = `reason=${EventReasons.controllerVersionNotice}`;

export class ForeignClaims {
  /** event key -> claimed node and claimant */
  readonly #events = new Map<string, { node: string; component: string }>();

  /** Records an event; returns the node whose claim may have changed. */
  upsert(e: ClaimEvent): string | undefined {
    const key = `${e.namespace}/${e.name}`;
    const before = this.#events.get(key);
    if (e.node === undefined || e.component !== UPSTREAM_COMPONENT) {
      this.#events.delete(key);
      return before?.node;
    }
    this.#events.set(key, { node: e.node, component: e.component });
    return e.node;
  }

  remove(e: Pick<ClaimEvent, 'namespace' | 'name'>): string | undefined {
    const key = `${e.namespace}/${e.name}`;
    const before = this.#events.get(key);
    this.#events.delete(key);
    return before?.node;
  }

  claimant(node: string): string | undefined {
    for (const claim of this.#events.values()) if (claim.node === node) return claim.component;
    return undefined;
  }
}
