/**
 * @module
 * The EC2 stand-in for the what-if simulation: one ENI in a roomy subnet that carries out every
 * request at once and never fails. Addresses are handed out in order, so runs are repeatable.
 */
import { ADDRESSES_PER_PREFIX } from '../../pkg/core/contract.ts';
import { formatCidr, formatIPv4, parseIPv4 } from '../../pkg/core/net/ipv4.ts';
import type { Ec2Request, Ec2Result } from '../../pkg/core/ipam/types.ts';

/** Prefixes come from 10.0.64.0 upward, secondary IPs from 10.0.0.10 upward: they never meet. */
const PREFIX_START = parseIPv4('10.0.64.0');
const SECONDARY_START = parseIPv4('10.0.0.10');

export class OfflineEni {
  readonly prefixes = new Set<string>();
  readonly secondaryIps = new Set<string>();
  #nextPrefix = PREFIX_START;
  #nextSecondary = SECONDARY_START;

  perform(request: Ec2Request): Ec2Result {
    switch (request.kind) {
      case 'assign-prefixes': {
        const created: string[] = [];
        for (let i = 0; i < request.count; i++) {
          const cidr = formatCidr({ base: this.#nextPrefix, prefixLength: 28 });
          this.#nextPrefix += ADDRESSES_PER_PREFIX;
          this.prefixes.add(cidr);
          created.push(cidr);
        }
        return { request, outcome: { ok: true, added: created } };
      }
      case 'assign-secondary-ips': {
        const created: string[] = [];
        for (let i = 0; i < request.count; i++) {
          const ip = formatIPv4(this.#nextSecondary++);
          this.secondaryIps.add(ip);
          created.push(ip);
        }
        return { request, outcome: { ok: true, added: created } };
      }
      case 'unassign-prefixes':
        for (const p of request.prefixes) this.prefixes.delete(p);
        return { request, outcome: { ok: true, removed: request.prefixes } };
      case 'unassign-secondary-ips':
        for (const ip of request.ips) this.secondaryIps.delete(ip);
        return { request, outcome: { ok: true, removed: request.ips } };
      case 'resync':
        return { request, outcome: { ok: true, eni: { prefixes: [...this.prefixes], secondaryIps: [...this.secondaryIps] } } };
    }
  }
}
