/**
 * @module
 * What the node's ENI can deliver: every slot the other mode does not hold, at full yield for the
 * active mode, plus the other mode's addresses pods already use. Pure.
 */
import { ADDRESSES_PER_PREFIX } from '../../pkg/core/contract.ts';
import type { NodeStatus } from '../../pkg/core/status/node-status.ts';
import type { AddressBook } from './addresses.ts';
import type { ActiveMode } from './mode.ts';
import type { ReportPrefix, ReportSecondaryIp } from './report.ts';
import { plural } from '../render/text.ts';

export function capacityOf(o: {
  book: AddressBook | undefined;
  status: NodeStatus | undefined;
  activeMode: ActiveMode | null;
  slotsTotal: number | null;
  prefixes: readonly ReportPrefix[];
  secondaryIps: readonly ReportSecondaryIp[];
}): { deliverable: number | null; why: string } {
  const primary = o.book?.primary;
  if (primary && o.slotsTotal !== null && o.activeMode !== null) {
    // Slots the other mode holds yield nothing to the active mode, except the addresses pods already use there.
    const onPrimary = (id: string) => id === primary.networkInterfaceId;
    if (o.activeMode === 'prefix') {
      const held = primary.secondaryIps.length;
      const usedThere = o.secondaryIps.filter((s) => onPrimary(s.interfaceId) && s.state === 'used').length;
      return {
        deliverable: Math.max(0, o.slotsTotal - held) * ADDRESSES_PER_PREFIX + usedThere,
        why: `${held} of ${plural(o.slotsTotal, 'slot')} hold secondary IPs, ${usedThere} of them used by pods`,
      };
    }
    const held = primary.prefixes.length;
    const usedThere = o.prefixes.filter((p) => onPrimary(p.interfaceId)).reduce((n, p) => n + p.used, 0);
    return {
      deliverable: Math.max(0, o.slotsTotal - held) + usedThere,
      why: `${held} of ${plural(o.slotsTotal, 'slot')} hold /28 prefixes, with ${plural(usedThere, 'address', 'addresses')} used by pods`,
    };
  }
  if (o.status?.capacity) return { deliverable: o.status.capacity.deliverable, why: 'as the controller last computed it' };
  return { deliverable: null, why: '' };
}

