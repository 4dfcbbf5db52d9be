/**
 * @module
 * The pool's inner state shared by its parts (pool, ENI sync, snapshot): the ENI ledger and who
 * holds which address. Also the capacity rule, because it reads nothing else.
 */
import { ADDRESSES_PER_PREFIX } from '../contract.ts';
import { formatIPv4 } from '../net/ipv4.ts';
import type { EniLedger } from './ledger.ts';
import type { AddressSource, Mode } from './types.ts';

/**
 * One pod's address. `prefix` is the /28 it came from, undefined for a secondary IP. The address is kept as a
 * number only: one is held per pod, and its text is needed only when reported (`ipTextOf`).
 */
export interface Holding {
  ip: number;
  prefix: string | undefined;
}

export function ipTextOf(holding: Holding): string {
  return formatIPv4(holding.ip);
}

export interface PoolState {
  ledger: EniLedger;
  /** Pods whose address the ENI holds. */
  pods: Map<string, Holding>;
  /** Running pods whose address is not on the ENI (vanished under them): reported, never reused. */
  vanished: Map<string, Holding>;
  /**
   * Running pods found at restore carrying an address another pod holds: reported. The address
   * passes to them when its holder goes, so it is not handed to a third pod while they still run.
   */
  sharing: Map<string, Holding>;
}

export function sourceOf(holding: Holding): AddressSource {
  return holding.prefix === undefined ? { kind: 'secondary' } : { kind: 'prefix', prefix: holding.prefix };
}

/** Nominal capacity in addresses: slots (secondary) or slots * 16 (prefix). */
export function nominalCapacity(mode: Mode, slots: number): number {
  return mode === 'prefix' ? slots * ADDRESSES_PER_PREFIX : slots;
}

/**
 * What the node can truly hold, counted the way kubelet counts the extended resource: the pods
 * that already hold an address of the other mode (or a vanished or shared one), plus every address the
 * active mode could have on the slots the other mode does not occupy or has asked EC2 for
 * (`otherModePendingSlots`: an assign issued before a mode change still lands on the ENI). Never
 * above nominal, so a node in the middle of a mode change never advertises more than its ENI can
 * deliver.
 */
export function deliverableCapacity(state: PoolState, mode: Mode, otherModePendingSlots: number): number {
  const { ledger } = state;
  const otherModeSlots = (mode === 'prefix' ? ledger.secondaries().length : ledger.prefixes().length) + otherModePendingSlots;
  const perSlot = mode === 'prefix' ? ADDRESSES_PER_PREFIX : 1;
  let podsOutsideActiveMode = state.vanished.size + state.sharing.size;
  for (const holding of state.pods.values()) {
    if ((holding.prefix === undefined) === (mode === 'prefix')) podsOutsideActiveMode++;
  }
  const nominal = nominalCapacity(mode, ledger.totalSlots);
  const reachable = Math.max(ledger.totalSlots - otherModeSlots, 0) * perSlot + podsOutsideActiveMode;
  return Math.min(nominal, reachable);
}
