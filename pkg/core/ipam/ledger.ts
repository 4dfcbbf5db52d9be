/**
 * @module
 * The slot ledger of one ENI: what the pool believes the primary ENI holds, address by address,
 * for both modes at once. A /28 prefix and a secondary IP each take one slot; the ENI has
 * `ipv4PerInterface - 1` of them. Keeping both kinds in one ledger is what makes mixed nodes
 * (during a mode change) account correctly: upstream keeps one counter per mode for the same ENI.
 *
 * An address is used (it has an owner, or a pod on another node still carries it), cooling (freed
 * less than `coolDownMs` ago) or free.
 * Cooling is derived from the freeing time and the `now` the caller passes, so no timer is needed.
 */
import { ADDRESSES_PER_PREFIX } from '../contract.ts';
import { formatCidr, formatIPv4 } from '../net/ipv4.ts';

export interface Cell {
  /** Pod UID holding the address. */
  owner: string | undefined;
  /** When the address was last freed (or taken in at restore); it cools until freedAt + coolDownMs. */
  freedAt: number | undefined;
  /**
   * Cooling only because the pool was rebuilt after a restart, not because a pod just left. Such an
   * address was warm before the restart, so sizing counts it as warm (no create-then-release churn
   * at every restart); it is still not handed out until it has cooled.
   */
  restored: boolean;
  /**
   * A running pod on another node carries this address (its reference, for reports): EC2 moved the
   * block here while that pod still uses it. Not handed out until that pod is gone; then it cools.
   */
  heldElsewhere: string | undefined;
}

/** Fields shared by the two kinds of slot. */
interface SlotEntry {
  /** Handed to an unassign request; no longer assignable. */
  releasing: boolean;
  /** When this entry was first found surplus (fully free and above target); cleared when no longer. */
  surplusSince: number | undefined;
  /**
   * EC2 may no longer hold it (a read that did not show it, or EC2 handed it to another node): not
   * handed out and not released until a re-read of the ENI settles it.
   */
  suspect: boolean;
  /** The pool's mutation epoch when the entry joined the ledger: a read sent before then cannot show it. */
  addedEpoch: number;
}

export interface PrefixEntry extends SlotEntry {
  readonly base: number;
  readonly cidr: string;
  readonly cells: Cell[];
}

export interface SecondaryEntry extends SlotEntry {
  readonly ip: number;
  readonly text: string;
  readonly cell: Cell;
}

export type CellState = 'used' | 'free' | 'cooling';

/** Gives the address to `owner`. A mark that a pod elsewhere holds it stays: the cell stays out of use after this owner leaves. */
export function occupy(cell: Cell, owner: string): void {
  cell.owner = owner;
  cell.freedAt = undefined;
  cell.restored = false;
}

/** Its pod let the address go at `now`: it cools from then. */
export function vacate(cell: Cell, now: number): void {
  cell.owner = undefined;
  cell.freedAt = now;
  cell.restored = false;
}

const PREFIX_HOST_MASK = ADDRESSES_PER_PREFIX - 1;

export class EniLedger {
  readonly totalSlots: number;
  readonly coolDownMs: number;
  readonly #prefixes = new Map<number, PrefixEntry>();
  readonly #secondaries = new Map<number, SecondaryEntry>();
  #sortedPrefixes: PrefixEntry[] | undefined;
  #sortedSecondaries: SecondaryEntry[] | undefined;

  constructor(options: { totalSlots: number; coolDownMs: number }) {
    this.totalSlots = options.totalSlots;
    this.coolDownMs = options.coolDownMs;
  }

  /** Attached prefixes, lowest CIDR first (the tie-break order everywhere). */
  prefixes(): readonly PrefixEntry[] {
    this.#sortedPrefixes ??= [...this.#prefixes.values()].sort((a, b) => a.base - b.base);
    return this.#sortedPrefixes;
  }

  secondaries(): readonly SecondaryEntry[] {
    this.#sortedSecondaries ??= [...this.#secondaries.values()].sort((a, b) => a.ip - b.ip);
    return this.#sortedSecondaries;
  }

  hasPrefix(base: number): boolean {
    return this.#prefixes.has(base);
  }

  hasSecondary(ip: number): boolean {
    return this.#secondaries.has(ip);
  }

  /** Adds a prefix whose 16 addresses are free, cooling from `freedAt` if given. */
  addPrefix(base: number, freedAt: number | undefined, epoch = 0): PrefixEntry {
    const existing = this.#prefixes.get(base);
    if (existing) return existing;
    const cells: Cell[] = [];
    for (let i = 0; i < ADDRESSES_PER_PREFIX; i++) cells.push({ owner: undefined, freedAt, restored: freedAt !== undefined, heldElsewhere: undefined });
    const entry: PrefixEntry = { base, cidr: formatCidr({ base, prefixLength: 28 }), cells, releasing: false, surplusSince: undefined, suspect: false, addedEpoch: epoch };
    this.#prefixes.set(base, entry);
    this.#sortedPrefixes = undefined;
    return entry;
  }

  addSecondary(ip: number, freedAt: number | undefined, epoch = 0): SecondaryEntry {
    const existing = this.#secondaries.get(ip);
    if (existing) return existing;
    const entry: SecondaryEntry = { ip, text: formatIPv4(ip), cell: { owner: undefined, freedAt, restored: freedAt !== undefined, heldElsewhere: undefined }, releasing: false, surplusSince: undefined, suspect: false, addedEpoch: epoch };
    this.#secondaries.set(ip, entry);
    this.#sortedSecondaries = undefined;
    return entry;
  }

  removePrefix(base: number): void {
    if (this.#prefixes.delete(base)) this.#sortedPrefixes = undefined;
  }

  removeSecondary(ip: number): void {
    if (this.#secondaries.delete(ip)) this.#sortedSecondaries = undefined;
  }

  /** The cell holding `ip`, whether it sits in a prefix or is a secondary IP. */
  cellOf(ip: number): { cell: Cell; prefix: PrefixEntry | undefined } | undefined {
    const prefix = this.#prefixes.get((ip - (ip & PREFIX_HOST_MASK)) >>> 0);
    if (prefix) return { cell: prefix.cells[ip & PREFIX_HOST_MASK]!, prefix };
    const secondary = this.#secondaries.get(ip);
    return secondary ? { cell: secondary.cell, prefix: undefined } : undefined;
  }

  heldSlots(): number {
    return this.#prefixes.size + this.#secondaries.size;
  }

  /** Slots neither held nor reserved by the `pendingSlots` that assign requests in flight will fill. */
  freeSlots(pendingSlots: number): number {
    return Math.max(this.totalSlots - this.heldSlots() - pendingSlots, 0);
  }

  stateOf(cell: Cell, now: number): CellState {
    if (cell.owner !== undefined || cell.heldElsewhere !== undefined) return 'used';
    if (cell.freedAt !== undefined && now < cell.freedAt + this.coolDownMs) return 'cooling';
    return 'free';
  }

  /** When `cell` stops cooling, if it is cooling at `now`. */
  coolsAt(cell: Cell, now: number): number | undefined {
    if (cell.owner !== undefined || cell.heldElsewhere !== undefined || cell.freedAt === undefined) return undefined;
    const at = cell.freedAt + this.coolDownMs;
    return at > now ? at : undefined;
  }

  /** Per-state counts of a prefix's 16 addresses; the pool's hot path, so a plain loop. */
  countCells(prefix: PrefixEntry, now: number): Record<CellState, number> {
    const cooledBy = now - this.coolDownMs;
    let used = 0;
    let cooling = 0;
    for (const c of prefix.cells) {
      if (c.owner !== undefined || c.heldElsewhere !== undefined) used++;
      else if (c.freedAt !== undefined && c.freedAt > cooledBy) cooling++;
    }
    return { used, free: prefix.cells.length - used - cooling, cooling };
  }
}
