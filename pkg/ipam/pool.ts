/**
 * @module
 * The per-node address pool, both modes and the mixed state between them. Pure and
 * deterministic: every call takes `now`, nothing here does I/O or starts a timer.
 *
 * Caller loop: assign/release -> plan(now) -> perform each request against EC2 ->
 * complete(id, outcome, now) -> plan again; call plan at nextWakeAt(now) too.
 *
 * Rules (see docs/simulate.md for the user-facing version):
 * - A pod gets the lowest free address of the prefix with the fewest free addresses (ties: lowest
 *   CIDR), so partly used prefixes fill up and others can empty; secondary mode takes the lowest
 *   free IP. Only the active mode hands out addresses; the other mode's addresses drain.
 * - A freed address cools for `coolDownMs` before reuse. A pod that finds only cooling addresses
 *   is remembered as waiting (for WAITING_TTL_MS after its last try) and the pool grows for it
 *   while a slot is free, so it never waits for a cooling address (upstream bug 16).
 * - A prefix (or secondary IP) is released only when fully free and surplus for `releaseHoldDownMs`,
 *   so pools do not flap at 16-address boundaries. Draining addresses go as soon as they are free.
 * - No deletes while creates are in flight; nothing new while a re-sync is needed.
 * - EC2 InsufficientCidrBlocks backs off prefix creation for 2 minutes without a re-sync; any other
 *   failure triggers a re-sync of the ledger from the ENI.
 */
import { ADDRESSES_PER_PREFIX, COOL_DOWN_MS } from '../contract.ts';
import { AddressError, parseCidr, parseIPv4, splitMaskedAddress } from '../net/ipv4.ts';
import { formatAnnotation } from './annotation.ts';
import { EniLedger, type PrefixEntry, type SecondaryEntry } from './ledger.ts';
import { buildSnapshot } from './snapshot.ts';
import { deliverableCapacity, sourceOf, type Holding, type PoolState } from './state.ts';
import { applyEniState, attachRunningPods, parseEni, reclaimVanished } from './sync.ts';
import { prefixDeviation, secondaryDeviation } from './targets.ts';
import type { Ec2ErrorKind } from '../ec2/errors.ts';
import type {
  AddressSource,
  AssignFailureReason,
  AssignResult,
  Ec2Outcome,
  Ec2Request,
  EniAddresses,
  NodeIpamConfig,
  PodAddress,
  PoolSettings,
  PoolSnapshot,
  ReleaseResult,
  RestoreReport,
  ResyncReport,
} from './types.ts';

/** Upstream requeues pods for 2 minutes after InsufficientCidrBlocks; we pause prefix creation as long. */
export const INSUFFICIENT_CIDR_BACKOFF_MS = 120_000;
/** After PrivateIpAddressLimitExceeded the ledger was wrong: re-sync, and do not retry at once. */
export const ADDRESS_LIMIT_BACKOFF_MS = 30_000;
/** Longer than the cool-down, so an address freed at a boundary cools before its prefix could go. */
export const DEFAULT_RELEASE_HOLD_DOWN_MS = 60_000;
/** A failed re-sync is retried no sooner than this. */
export const RESYNC_RETRY_MS = 1_000;
/** How soon a pod should retry while addresses are being created. */
export const WARM_POOL_RETRY_MS = 1_000;
/** A pod that got no address counts as demand this long after its last try (it retries sooner). */
export const WAITING_TTL_MS = 60_000;

export class PoolSettingsError extends Error {
  readonly code = 'WINPREFIX_BAD_POOL_SETTINGS';
  constructor(message: string) {
    super(message);
    this.name = 'PoolSettingsError';
  }
}

export function defaultPoolSettings(slots: number, subnetPrefixLength: number): PoolSettings {
  return { slots, subnetPrefixLength, coolDownMs: COOL_DOWN_MS, releaseHoldDownMs: DEFAULT_RELEASE_HOLD_DOWN_MS };
}

function validateSettings(settings: PoolSettings): void {
  const check = (name: string, value: number, ok: boolean, hint: string) => {
    if (!ok) throw new PoolSettingsError(`pool setting ${name}=${value} is invalid: ${hint}`);
  };
  check('slots', settings.slots, Number.isInteger(settings.slots) && settings.slots >= 0, 'use ipv4PerInterface - 1 of the instance type');
  check('subnetPrefixLength', settings.subnetPrefixLength, Number.isInteger(settings.subnetPrefixLength) && settings.subnetPrefixLength >= 0 && settings.subnetPrefixLength <= 32, 'use the mask length of the node subnet (0-32)');
  check('coolDownMs', settings.coolDownMs, Number.isFinite(settings.coolDownMs) && settings.coolDownMs >= 0, 'use a non-negative number of milliseconds');
  check('releaseHoldDownMs', settings.releaseHoldDownMs, Number.isFinite(settings.releaseHoldDownMs) && settings.releaseHoldDownMs >= 0, 'use a non-negative number of milliseconds');
}

type Backoff = { until: number; reason: 'insufficient-cidr-blocks' | 'address-limit-exceeded' };
type Surplus = PrefixEntry | SecondaryEntry;

const addressOfSurplus = (e: Surplus): number => ('base' in e ? e.base : e.ip);

export class NodePool {
  readonly #settings: PoolSettings;
  #config: NodeIpamConfig;
  readonly #state: PoolState;
  readonly #pending = new Map<number, Ec2Request>();
  #nextRequestId = 1;
  #resyncRequired = false;
  #resyncNotBefore = 0;
  #backoff: Backoff | undefined;
  #lastError: PoolSnapshot['lastError'];
  /** Pods that asked and got no address: pod UID -> time of the last try. */
  readonly #waiting = new Map<string, number>();

  private constructor(settings: PoolSettings, config: NodeIpamConfig) {
    validateSettings(settings);
    this.#settings = { ...settings };
    this.#config = config;
    this.#state = {
      ledger: new EniLedger({ totalSlots: settings.slots, coolDownMs: settings.coolDownMs }),
      pods: new Map(),
      vanished: new Map(),
    };
  }

  /** A pool for an ENI that holds no secondary IP and no prefix yet. */
  static create(settings: PoolSettings, config: NodeIpamConfig, _now: number): NodePool {
    return new NodePool(settings, config);
  }

  /**
   * Rebuilds a pool from what the ENI holds and the node's running pods (after a controller
   * restart). Free addresses start cooling at `now`: a pod deleted just before may still use one.
   */
  static restore(
    settings: PoolSettings,
    config: NodeIpamConfig,
    eni: EniAddresses,
    runningPods: PodAddress[],
    now: number,
  ): { pool: NodePool; report: RestoreReport } {
    const pool = new NodePool(settings, config);
    const parsed = parseEni(eni);
    applyEniState(pool.#state, parsed, now);
    if (parsed.unreadable.length > 0) pool.#recordUnreadable(parsed.unreadable, now);
    const report = attachRunningPods(pool.#state, runningPods);
    return { pool, report };
  }

  get advertisedCapacity(): number {
    return deliverableCapacity(this.#state, this.#config.mode);
  }

  addressOf(podUid: string): { ip: string; source: AddressSource } | undefined {
    const holding = this.#state.pods.get(podUid) ?? this.#state.vanished.get(podUid);
    return holding ? { ip: holding.ipText, source: sourceOf(holding) } : undefined;
  }

  setConfig(config: NodeIpamConfig, _now: number): void {
    this.#config = config;
  }

  requestResync(): void {
    this.#resyncRequired = true;
  }

  assign(podUid: string, now: number): AssignResult {
    const held = this.#state.pods.get(podUid) ?? this.#state.vanished.get(podUid);
    if (held) return this.#success(held, false);
    const { ledger } = this.#state;
    let holding: Holding | undefined;
    if (this.#config.mode === 'prefix') {
      const prefix = this.#fullestPrefixWithFreeAddress(now);
      if (prefix) {
        const index = ledger.firstFreeCell(prefix, now);
        const cell = prefix.cells[index]!;
        cell.owner = podUid;
        cell.freedAt = undefined;
        cell.restored = false;
        prefix.surplusSince = undefined;
        const ip = prefix.base + index;
        holding = { ip, ipText: ledger.cellText(prefix, index), prefix: prefix.cidr };
      }
    } else {
      const secondary = ledger.secondaries().find((s) => !s.releasing && ledger.stateOf(s.cell, now) === 'free');
      if (secondary) {
        secondary.cell.owner = podUid;
        secondary.cell.freedAt = undefined;
        secondary.cell.restored = false;
        secondary.surplusSince = undefined;
        holding = { ip: secondary.ip, ipText: secondary.text, prefix: undefined };
      }
    }
    if (!holding) {
      this.#waiting.set(podUid, now);
      return this.#failure(now);
    }
    this.#waiting.delete(podUid);
    this.#state.pods.set(podUid, holding);
    return this.#success(holding, true);
  }

  release(podUid: string, now: number): ReleaseResult | undefined {
    this.#waiting.delete(podUid);
    const vanished = this.#state.vanished.get(podUid);
    if (vanished) {
      this.#state.vanished.delete(podUid);
      return { ip: vanished.ipText, source: sourceOf(vanished) };
    }
    const holding = this.#state.pods.get(podUid);
    if (!holding) return undefined;
    this.#state.pods.delete(podUid);
    const found = this.#state.ledger.cellOf(holding.ip);
    if (found && found.cell.owner === podUid) {
      found.cell.owner = undefined;
      found.cell.freedAt = now;
      found.cell.restored = false;
    }
    return { ip: holding.ipText, source: sourceOf(holding) };
  }

  plan(now: number): Ec2Request[] {
    const out: Ec2Request[] = [];
    if (this.#resyncRequired) {
      const resyncInFlight = [...this.#pending.values()].some((r) => r.kind === 'resync');
      if (this.#pending.size === 0 && !resyncInFlight && now >= this.#resyncNotBefore) out.push(this.#issue({ kind: 'resync' }));
      return out;
    }
    const { ledger } = this.#state;
    const creating = [...this.#pending.values()].some((r) => r.kind === 'assign-prefixes' || r.kind === 'assign-secondary-ips');
    const backedOff = this.#backoff !== undefined && now < this.#backoff.until;
    for (const [podUid, at] of this.#waiting) if (now >= at + WAITING_TTL_MS) this.#waiting.delete(podUid);
    const waiting = this.#waiting.size;
    const releasePrefixes: PrefixEntry[] = [];
    const releaseIps: SecondaryEntry[] = [];

    if (this.#config.mode === 'prefix') {
      // The other mode drains: a free secondary IP goes once cooled, no hold-down.
      for (const s of ledger.secondaries()) if (!s.releasing && ledger.stateOf(s.cell, now) === 'free') releaseIps.push(s);
      const active = ledger.prefixes().filter((p) => !p.releasing);
      const counts = { used: 0, free: 0, cooling: 0, freePrefixes: 0, prefixes: active.length, pendingPrefixes: this.#pendingCount('assign-prefixes'), waiting };
      const fullyFree: PrefixEntry[] = [];
      for (const p of active) {
        const c = ledger.countCells(p, now);
        counts.used += c.used;
        counts.free += c.free;
        counts.cooling += c.cooling;
        if (c.free === ADDRESSES_PER_PREFIX) fullyFree.push(p);
      }
      counts.freePrefixes = fullyFree.length;
      const deviation = prefixDeviation(counts, this.#config);
      if (deviation > 0) {
        this.#clearSurplus(fullyFree);
        const count = Math.min(deviation, ledger.freeSlots());
        if (!backedOff && count > 0) out.push(this.#issueAssign({ kind: 'assign-prefixes', count }));
      } else if (deviation < 0 && !creating) {
        releasePrefixes.push(...(this.#dueSurplus(fullyFree, -deviation, now) as PrefixEntry[]));
      } else if (deviation === 0) {
        this.#clearSurplus(fullyFree);
      }
    } else {
      for (const p of ledger.prefixes()) {
        if (!p.releasing && ledger.countCells(p, now).free === ADDRESSES_PER_PREFIX) releasePrefixes.push(p);
      }
      const active = ledger.secondaries().filter((s) => !s.releasing);
      const counts = { used: 0, free: 0, cooling: 0, restored: 0, pending: this.#pendingCount('assign-secondary-ips'), waiting };
      const free: SecondaryEntry[] = [];
      for (const s of active) {
        const st = ledger.stateOf(s.cell, now);
        counts[st === 'cooling' && s.cell.restored ? 'restored' : st]++;
        if (st === 'free') free.push(s);
      }
      const deviation = secondaryDeviation(counts, this.#config);
      if (deviation > 0) {
        this.#clearSurplus(free);
        const count = Math.min(deviation, ledger.freeSlots());
        if (!backedOff && count > 0) out.push(this.#issueAssign({ kind: 'assign-secondary-ips', count }));
      } else if (deviation < 0 && !creating) {
        releaseIps.push(...(this.#dueSurplus(free, -deviation, now) as SecondaryEntry[]));
      } else if (deviation === 0) {
        this.#clearSurplus(free);
      }
    }
    if (releasePrefixes.length > 0) {
      for (const p of releasePrefixes) p.releasing = true;
      out.push(this.#issue({ kind: 'unassign-prefixes', prefixes: releasePrefixes.map((p) => p.cidr) }));
    }
    if (releaseIps.length > 0) {
      for (const s of releaseIps) s.releasing = true;
      out.push(this.#issue({ kind: 'unassign-secondary-ips', ips: releaseIps.map((s) => s.text) }));
    }
    return out;
  }

  complete(requestId: number, outcome: Ec2Outcome, now: number): ResyncReport | undefined {
    const request = this.#pending.get(requestId);
    if (!request) return undefined;
    this.#pending.delete(requestId);
    switch (request.kind) {
      case 'assign-prefixes':
      case 'assign-secondary-ips': {
        this.#state.ledger.pendingSlots -= request.count;
        const kind = request.kind === 'assign-prefixes' ? 'prefix' : 'secondary';
        if ('eni' in outcome) {
          this.#fail('other', `${request.kind} was answered with ENI state instead of addresses`, now);
          return undefined;
        }
        this.#adopt(kind, outcome.ok ? outcome.addresses : (outcome.partial ?? []), now);
        if (outcome.ok) {
          if (this.#backoff && kind === 'prefix') this.#backoff = undefined;
          return undefined;
        }
        if (outcome.error === 'insufficient-cidr-blocks') {
          this.#backoff = { until: now + INSUFFICIENT_CIDR_BACKOFF_MS, reason: 'insufficient-cidr-blocks' };
          this.#lastError = { kind: outcome.error, message: outcome.message, at: now };
          return undefined;
        }
        if (outcome.error === 'address-limit-exceeded') {
          this.#backoff = { until: now + ADDRESS_LIMIT_BACKOFF_MS, reason: 'address-limit-exceeded' };
        }
        this.#fail(outcome.error, outcome.message, now);
        return undefined;
      }
      case 'unassign-prefixes':
      case 'unassign-secondary-ips': {
        const requested = request.kind === 'unassign-prefixes' ? request.prefixes : request.ips;
        const removed = new Set('eni' in outcome ? [] : outcome.ok ? outcome.addresses : (outcome.partial ?? []));
        let kept = 0;
        for (const text of requested) {
          if (removed.has(text)) this.#removeAddress(request.kind, text);
          else kept += this.#keepAddress(request.kind, text);
        }
        if (!outcome.ok) this.#fail(outcome.error, outcome.message, now);
        else if (kept > 0 || 'eni' in outcome) this.#fail('other', `EC2 did not confirm the release of ${kept} of ${requested.length} addresses`, now);
        return undefined;
      }
      case 'resync': {
        if (!outcome.ok) {
          this.#lastError = { kind: outcome.error, message: outcome.message, at: now };
          this.#resyncNotBefore = now + RESYNC_RETRY_MS;
          return undefined;
        }
        if (!('eni' in outcome)) {
          this.#lastError = { kind: 'other', message: 'resync was answered with addresses instead of ENI state', at: now };
          return undefined;
        }
        const parsed = parseEni(outcome.eni);
        const report = applyEniState(this.#state, parsed, undefined);
        if (parsed.unreadable.length > 0) this.#recordUnreadable(parsed.unreadable, now);
        this.#resyncRequired = false;
        return report;
      }
    }
  }

  nextWakeAt(now: number): number | undefined {
    const { ledger } = this.#state;
    let next = Number.POSITIVE_INFINITY;
    const consider = (at: number | undefined) => {
      if (at !== undefined && at > now && at < next) next = at;
    };
    for (const p of ledger.prefixes()) {
      for (const c of p.cells) consider(ledger.coolsAt(c, now));
      if (p.surplusSince !== undefined) consider(p.surplusSince + this.#settings.releaseHoldDownMs);
    }
    for (const s of ledger.secondaries()) {
      consider(ledger.coolsAt(s.cell, now));
      if (s.surplusSince !== undefined) consider(s.surplusSince + this.#settings.releaseHoldDownMs);
    }
    consider(this.#backoff?.until);
    for (const at of this.#waiting.values()) consider(at + WAITING_TTL_MS);
    if (this.#resyncRequired) consider(this.#resyncNotBefore);
    return Number.isFinite(next) ? next : undefined;
  }

  snapshot(now: number): PoolSnapshot {
    return buildSnapshot({ state: this.#state, config: this.#config, pending: this.#pending.values(), lastError: this.#lastError, now });
  }

  // ---- internals ----

  #success(holding: Holding, fresh: boolean): AssignResult {
    const source = sourceOf(holding);
    return { ok: true, ip: holding.ipText, annotation: formatAnnotation(holding.ipText, source, this.#settings.subnetPrefixLength), source, fresh };
  }

  #fullestPrefixWithFreeAddress(now: number): PrefixEntry | undefined {
    let best: PrefixEntry | undefined;
    let bestFree = Number.POSITIVE_INFINITY;
    for (const p of this.#state.ledger.prefixes()) {
      if (p.releasing) continue;
      let free = 0;
      for (const c of p.cells) if (c.owner === undefined && (c.freedAt === undefined || now >= c.freedAt + this.#settings.coolDownMs)) free++;
      // Strictly fewer: on a tie the lower CIDR, met first, stays.
      if (free > 0 && free < bestFree) {
        best = p;
        bestFree = free;
      }
    }
    return best;
  }

  #failure(now: number): AssignResult {
    const fail = (reason: AssignFailureReason, message: string, retryAfterMs: number): AssignResult => ({
      ok: false,
      reason,
      message,
      retryAfterMs: Math.max(Math.ceil(retryAfterMs), 1),
    });
    const { ledger } = this.#state;
    const mode = this.#config.mode;
    const held = this.#state.pods.size + this.#state.vanished.size;
    const deliverable = this.advertisedCapacity;
    if (held >= deliverable) {
      return fail('at-capacity', `the node can hold ${deliverable} pods with an address and ${held} hold one; the pod gets an address when another pod on this node finishes`, this.#settings.coolDownMs);
    }
    if (this.#resyncRequired) {
      const why = this.#lastError ? ` after "${this.#lastError.message}"` : '';
      return fail('resyncing', `the pool is re-reading the node's ENI from EC2${why}; the pod gets an address once that is done`, RESYNC_RETRY_MS);
    }
    let firstCool = Number.POSITIVE_INFINITY;
    const activeCells = mode === 'prefix' ? ledger.prefixes().flatMap((p) => (p.releasing ? [] : p.cells)) : ledger.secondaries().map((s) => s.cell);
    for (const c of activeCells) firstCool = Math.min(firstCool, ledger.coolsAt(c, now) ?? Number.POSITIVE_INFINITY);
    const coolWait = firstCool - now;
    const backoff = this.#backoff && now < this.#backoff.until ? this.#backoff : undefined;
    if (backoff?.reason === 'insufficient-cidr-blocks') {
      const wait = Math.min(backoff.until - now, coolWait);
      return fail('insufficient-cidr-blocks', `the subnet has no free aligned /28 block for a new prefix (EC2 InsufficientCidrBlocks); free addresses in the subnet or reserve room for prefixes with a subnet CIDR reservation of type prefix (aws ec2 create-subnet-cidr-reservation --reservation-type prefix); retrying in ${Math.ceil(wait / 1000)} s`, wait);
    }
    if (backoff?.reason === 'address-limit-exceeded') {
      const wait = Math.min(backoff.until - now, coolWait);
      return fail('address-limit-exceeded', `EC2 says the primary ENI has no free slot (PrivateIpAddressLimitExceeded) although winprefix counted one; check that no other tool assigns addresses to this ENI; retrying in ${Math.ceil(wait / 1000)} s`, wait);
    }
    const creating = [...this.#pending.values()].some((r) => r.kind === 'assign-prefixes' || r.kind === 'assign-secondary-ips');
    if (!creating && ledger.freeSlots() === 0 && Number.isFinite(firstCool)) {
      return fail('cooling-down', `every free address on this node is cooling down after its pod finished and no slot is left for a new ${mode === 'prefix' ? 'prefix' : 'IP'}; retrying when the first one is ready in ${Math.ceil(coolWait / 1000)} s`, coolWait);
    }
    return fail('warm-pool-empty', `no free address yet: winprefix is asking EC2 for more ${mode === 'prefix' ? 'prefixes' : 'secondary IPs'}; retrying in ${WARM_POOL_RETRY_MS / 1000} s`, WARM_POOL_RETRY_MS);
  }

  #issue(request: DistributiveOmit<Ec2Request, 'id'>): Ec2Request {
    const full = { ...request, id: this.#nextRequestId++ } as Ec2Request;
    this.#pending.set(full.id, full);
    return full;
  }

  #issueAssign(request: { kind: 'assign-prefixes' | 'assign-secondary-ips'; count: number }): Ec2Request {
    this.#state.ledger.pendingSlots += request.count;
    return this.#issue(request);
  }

  #pendingCount(kind: 'assign-prefixes' | 'assign-secondary-ips'): number {
    let n = 0;
    for (const r of this.#pending.values()) if (r.kind === kind) n += r.count;
    return n;
  }

  /** Marks the `count` entries that go first as surplus; returns those surplus for the hold-down time. */
  #dueSurplus(candidates: Surplus[], count: number, now: number): Surplus[] {
    // Longest-surplus first, then the highest address, so the low end of the ENI stays stable.
    const ordered = [...candidates].sort((a, b) => {
      const sa = a.surplusSince ?? Number.POSITIVE_INFINITY;
      const sb = b.surplusSince ?? Number.POSITIVE_INFINITY;
      return sa !== sb ? sa - sb : addressOfSurplus(b) - addressOfSurplus(a);
    });
    const due: Surplus[] = [];
    ordered.forEach((entry, i) => {
      if (i >= count) {
        entry.surplusSince = undefined;
        return;
      }
      entry.surplusSince ??= now;
      if (now >= entry.surplusSince + this.#settings.releaseHoldDownMs) due.push(entry);
    });
    return due;
  }

  #clearSurplus(entries: Surplus[]): void {
    for (const e of entries) e.surplusSince = undefined;
  }

  #adopt(kind: 'prefix' | 'secondary', addresses: readonly string[], now: number): void {
    const bad: string[] = [];
    for (const text of addresses) {
      try {
        if (kind === 'prefix') {
          const cidr = parseCidr(text, { strict: true });
          if (cidr.prefixLength !== 28) throw new AddressError(`"${text}" is not a /28 prefix`);
          this.#state.ledger.addPrefix(cidr.base, undefined);
        } else {
          this.#state.ledger.addSecondary(parseIPv4(splitMaskedAddress(text).ip), undefined);
        }
      } catch (err) {
        if (!(err instanceof AddressError)) throw err;
        bad.push(text);
      }
    }
    if (bad.length > 0) this.#recordUnreadable(bad, now);
    // EC2 may hand back an address that vanished under a running pod: it is still that pod's.
    reclaimVanished(this.#state);
  }

  #removeAddress(kind: 'unassign-prefixes' | 'unassign-secondary-ips', text: string): void {
    const { ledger } = this.#state;
    if (kind === 'unassign-prefixes') ledger.removePrefix(parseCidr(text).base);
    else ledger.removeSecondary(parseIPv4(text));
  }

  /** A release EC2 did not confirm: the address stays, free again, mask and all (upstream bug 7). */
  #keepAddress(kind: 'unassign-prefixes' | 'unassign-secondary-ips', text: string): number {
    const { ledger } = this.#state;
    const entry = kind === 'unassign-prefixes'
      ? ledger.prefixes().find((p) => p.cidr === text)
      : ledger.secondaries().find((s) => s.text === text);
    if (!entry) return 0;
    entry.releasing = false;
    entry.surplusSince = undefined;
    return 1;
  }

  #fail(kind: Ec2ErrorKind, message: string, now: number): void {
    this.#lastError = { kind, message, at: now };
    this.#resyncRequired = true;
  }

  #recordUnreadable(entries: string[], now: number): void {
    this.#lastError = { kind: 'other', message: `EC2 reported entries that are not IPv4 addresses or /28 prefixes, ignored: ${entries.join(', ')}`, at: now };
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
