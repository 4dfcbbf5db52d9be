/**
 * @module
 * Which IPAM mode a node is in and who manages it: from the winprefix controller's status
 * annotation when present, else inferred from the primary ENI, the ConfigMap and the advertised
 * capacity. Pure.
 */
import type { NodeIpamConfig } from '../../pkg/core/ipam/types.ts';
import { UPSTREAM_COMPONENT } from '../../pkg/core/contract.ts';
import type { NodeStatus } from '../../pkg/core/status/node-status.ts';
import type { KubeEvent } from '../kube/objects.ts';
import type { AddressBook } from './addresses.ts';
import { isUpstreamControllerEvent } from './ipam-events.ts';
import { plural } from '../render/text.ts';
import type { ManagedBy, ReportMode } from './report.ts';

export type ActiveMode = 'prefix' | 'secondary';

export interface ModeDecision {
  mode: ReportMode;
  activeMode: ActiveMode | null;
  reason: string;
  source: 'status-annotation' | 'inferred';
}

export function decideMode(o: {
  status: NodeStatus | undefined;
  decodeError: string | null;
  book: AddressBook | undefined;
  nodeConfig: NodeIpamConfig | undefined;
  /** False when the ConfigMap is missing or unreadable: its defaults then say little about this cluster. */
  configKnown: boolean;
  advertised: number | null;
  slotsTotal: number | null;
  ec2Available: boolean;
}): ModeDecision {
  const primary = o.book?.primary;
  const onEni: ActiveMode | 'mixed' | undefined = primary
    ? primary.prefixes.length > 0 && primary.secondaryIps.length > 0
      ? 'mixed'
      : primary.prefixes.length > 0
        ? 'prefix'
        : primary.secondaryIps.length > 0
          ? 'secondary'
          : undefined
    : undefined;
  // For a mixed ENI the mode new pods get: the config's, else what the node advertises.
  const fromAdvertised: ActiveMode | undefined =
    o.advertised !== null && o.slotsTotal !== null && o.slotsTotal > 0 ? (o.advertised > o.slotsTotal ? 'prefix' : 'secondary') : undefined;
  const fromConfig = o.nodeConfig?.mode;
  const intended: ActiveMode | null = (o.configKnown ? (fromConfig ?? fromAdvertised) : (fromAdvertised ?? fromConfig)) ?? null;

  // A node winprefix leaves to another controller: its status says only "not mine", so the mode is inferred.
  const claimed = o.status?.mode === 'unmanaged' && o.status.claimedBy ? o.status.claimedBy : undefined;
  if (o.status && !claimed) {
    const s = o.status.mode;
    const activeMode = s === 'prefix' || s === 'secondary' ? s : onEni === 'prefix' || onEni === 'secondary' ? onEni : intended;
    return { mode: s, activeMode, reason: o.status.reason, source: 'status-annotation' };
  }
  const unreadable = o.decodeError ? ` (status annotation ignored: ${o.decodeError})` : claimed ? ` (winprefix leaves this node to ${claimed})` : '';
  if (onEni === 'mixed') {
    return {
      mode: 'mixed',
      activeMode: intended,
      reason: `the primary ENI holds ${plural(primary!.prefixes.length, '/28 prefix', '/28 prefixes')} and ${plural(primary!.secondaryIps.length, 'secondary IP')}: a mode change is draining${intended ? `; new pods get ${intended === 'prefix' ? 'prefix' : 'secondary-IP'} addresses` : ''}${unreadable}`,
      source: 'inferred',
    };
  }
  if (onEni) {
    return {
      mode: onEni,
      activeMode: onEni,
      reason: `the primary ENI holds ${onEni === 'prefix' ? '/28 prefixes' : 'secondary IPs'} only${o.configKnown && o.nodeConfig && o.nodeConfig.mode !== onEni ? `, although the ConfigMap selects ${o.nodeConfig.mode} mode (${o.nodeConfig.modeReason})` : ''}${unreadable}`,
      source: 'inferred',
    };
  }
  if (intended) {
    const why = !o.ec2Available
      ? 'EC2 could not be read'
      : 'the primary ENI holds no prefixes or secondary IPs yet';
    const basis =
      intended === fromConfig && (o.configKnown || fromAdvertised === undefined)
        ? `the ConfigMap selects it (${o.nodeConfig!.modeReason})`
        : `the advertised capacity (${o.advertised} for ${o.slotsTotal} slots) suggests it`;
    return { mode: intended, activeMode: intended, reason: `${why}; ${basis}${unreadable}`, source: 'inferred' };
  }
  return { mode: 'unknown', activeMode: null, reason: `no addresses on the ENI, no known instance type and no advertised capacity to tell the mode from${unreadable}`, source: 'inferred' };
}

export function managedBy(status: NodeStatus | undefined, nodeEvents: readonly KubeEvent[]): ManagedBy {
  if (status && status.mode !== 'unmanaged') return 'winprefix';
  // The AWS controller's notice expires after an hour; winprefix's recorded refusal names it for good.
  if (nodeEvents.some(isUpstreamControllerEvent) || status?.claimedBy === UPSTREAM_COMPONENT) return 'aws-vpc-resource-controller';
  return 'unknown';
}

