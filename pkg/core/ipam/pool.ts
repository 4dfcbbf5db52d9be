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
 *   while a slot is free, so it never waits for a cooling address (docs/upstream-differences.md #16).
 * - A prefix (or secondary IP) is released only when fully free and surplus for `releaseHoldDownMs`,
 *   so pools do not flap at 16-address boundaries. Draining addresses go as soon as they are free.
 * - No deletes while creates are in flight; nothing new while a re-sync is needed.
 * - EC2 InsufficientCidrBlocks backs off prefix creation for 2 minutes without a re-sync, and the
 *   node advertises what its attached prefixes can hold until a prefix is created again; any other
 *   failure triggers a re-sync of the ledger from the ENI.
 * - EC2 owns which addresses the ENI holds (docs/design.md): a read that disagrees with the ledger
 *   (`observe`), or EC2 handing one of its addresses to another node (`suspect`), takes the address
 *   out of use at once and re-reads the ENI; what the re-read confirms missing under a running pod is
 *   quarantined with that pod, never handed out again.
 * - An address a pod on another node still carries (`setHeldElsewhere`) is never handed out here.
 */
import { ADDRESSES_PER_PREFIX, COOL_DOWN_MS } from '../contract.ts';
import { formatIPv4, parseCidr, parseIPv4 } from '../net/ipv4.ts';
import { formatAnnotation } from './annotation.ts';
import { explainNoAddress, type CreateBackoff } from './assign-failure.ts';
import { EniLedger, occupy, vacate, type Cell, type PrefixEntry, type SecondaryEntry } from './ledger.ts';
import { buildGauges, buildSnapshot } from './snapshot.ts';
import { deliverableCapacity, ipTextOf, sourceOf, type Holding, type PoolState } from './state.ts';
import { applyEniState, attachRunningPods, keepEntry, parseEni, reclaimVanished, type ParsedEni } from './sync.ts';
import { clearSurplus, dueSurplus, type SurplusCandidate } from './surplus.ts';
import { prefixDeviation, secondaryDeviation } from './targets.ts';
import type { Ec2ErrorKind } from '../ec2/errors.ts';
import type {
  AddressSource,
  AssignResult,
  Ec2Request,
  Ec2Result,
  EniAddresses,
  EniObservation,
  NodeIpamConfig,
  ObservationReport,
  PodAddress,
  PoolGauges,
  PoolSettings,
  PoolSnapshot,
  ReleaseResult,
  RestoreReport,
  ResyncReport,
  ResyncTrigger,
} from './types.ts';

/** Upstream requeues pods for 2 minutes after InsufficientCidrBlocks; we pause prefix creation as long. */
export const INSUFFICIENT_CIDR_BACKOFF_MS = 120_000;
/** After PrivateIpAddressLimitExceeded (the ledger was wrong) or a full subnet: re-sync, and do not retry at once. */
export const ADDRESS_LIMIT_BACKOFF_MS = 30_000;
/** Longer than the cool-down, so an address freed at a boundary cools before its prefix could go. */
export const DEFAULT_RELEASE_HOLD_DOWN_MS = 60_000;
/** A failed re-sync is retried no sooner than this. */
export const RESYNC_RETRY_MS = 1_000;
/** How soon a pod should retry while addresses are being created. */
export const WARM_POOL_RETRY_MS = 1_000;
/** A pod that got no address counts as demand this long after its last try (it retries sooner). */
export const WAITING_TTL_MS = 60_000;
/**
 * EC2's reads lag behind its writes: for this long after a release, a describe that still shows the
 * address does not put it back into the pool.
 */
export const RELEASE_SETTLE_MS = 60_000;
/**
 * The controller's demand horizon: pods arriving at the rate of the last DEMAND_WINDOW_MS are expected to
 * keep arriving for this long, so a burst asks EC2 once for what it will need rather than once per 16
 * pods. PoolSettings.demandHorizonMs; 0 (defaultPoolSettings) sizes for the pods seen only, as upstream.
 */
export const DEMAND_HORIZON_MS = 3_000;
/** The window over which new pods' arrival rate is measured: short, so a burst is recognised within its first pods. */
export const DEMAND_WINDOW_MS = 1_000;
/** Arrivals closer together than this are measured as this far apart (pods created in one instant are a burst, not an infinite rate). */
const MIN_ARRIVAL_SPAN_MS = 100;
/** Fewer new pods than this within DEMAND_WINDOW_MS are no trend. */
const MIN_BURST_ARRIVALS = 4;
/**
 * A burst is expected to bring at most this many times the pods it has brought so far: it is taken to go
 * on for twice as long as it has lasted. With the pods seen, a node grows to three times its burst so far,
 * so a burst of N pods costs about log3(N/16) AssignPrivateIpAddresses; 50 pods, one. (At 1, a node only
 * doubled: 50 pods took two, the second for the last two pods and a surplus of two prefixes.)
 */
const BURST_LOOK_AHEAD = 2;

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
  if (settings.demandHorizonMs !== undefined) check('demandHorizonMs', settings.demandHorizonMs, Number.isFinite(settings.demandHorizonMs) && settings.demandHorizonMs >= 0, 'use a non-negative number of milliseconds (0 sizes for the pods seen only)');
}


/** Prefixes (CIDR) and secondary IPs (with or without /32) as the pool reads them, for {@link NodePool.heldOf}. */
export function parseAddresses(addresses: readonly string[]): ParsedEni {
  return parseEni({ prefixes: addresses.filter((a) => a.includes('/') && !a.endsWith('/32')), secondaryIps: addresses.filter((a) => !a.includes('/') || a.endsWith('/32')) });
}

export class NodePool {
  readonly #settings: PoolSettings;
  #config: NodeIpamConfig;
  readonly #state: PoolState;
  readonly #pending = new Map<number, Ec2Request>();
  #nextRequestId = 1;
  #resyncRequired = false;
  #resyncNotBefore = 0;
  #backoff: CreateBackoff | undefined;
  #lastError: PoolSnapshot['lastError'];
  /** Pods that asked and got no address: pod UID -> time of the last try. */
  readonly #waiting = new Map<string, number>();
  /** Counts assigns and unassigns issued and completed: a read of the ENI is exact only if none happened meanwhile. */
  #mutationEpoch = 0;
  #resyncTrigger: ResyncTrigger = 'ec2-error';
  /** Addresses released to EC2, by text, and when (see RELEASE_SETTLE_MS). */
  readonly #recentlyReleased = new Map<string, number>();
  /**
   * Set by InsufficientCidrBlocks, cleared by the next prefix EC2 gives: meanwhile the node advertises
   * what its attached prefixes can hold, not what its slots could, so pods are not scheduled onto
   * addresses it cannot get.
   */
  #prefixesExhausted = false;
  /** When pods new to the pool asked for an address, oldest first, within DEMAND_WINDOW_MS. */
  readonly #arrivals: number[] = [];
  /** New pods since the current burst began (arrivals never more than DEMAND_WINDOW_MS apart). */
  #burst = { count: 0, lastAt: Number.NEGATIVE_INFINITY };
  /**
   * Addresses put in doubt while a re-read was in flight. That re-read may have read the ENI before
   * the doubt arose, so its answer cannot settle them: they stay out of use and the ENI is read again.
   */
  readonly #doubtedDuringResync = new Set<string>();
  #resyncAgain = false;

  private constructor(settings: PoolSettings, config: NodeIpamConfig) {
    validateSettings(settings);
    this.#settings = { ...settings };
    this.#config = config;
    this.#state = {
      ledger: new EniLedger({ totalSlots: settings.slots, coolDownMs: settings.coolDownMs }),
      pods: new Map(),
      vanished: new Map(),
      sharing: new Map(),
    };
  }

  /** A pool for an ENI that holds no secondary IP and no prefix yet. */
  static create(settings: PoolSettings, config: NodeIpamConfig): NodePool {
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
    applyEniState(pool.#state, parsed, { newAddressesCoolFrom: now });
    if (parsed.unreadable.length > 0) pool.#recordUnreadable(parsed.unreadable, now);
    const report = attachRunningPods(pool.#state, runningPods);
    return { pool, report };
  }

  /**
   * Takes in running pods that carry an address this pool did not hand out: a deposed leader's last
   * annotation patches can land after the new leader built its pool. Exactly as at restore, a free
   * (or cooling) address becomes the pod's, so it is never handed to another pod; one held by another pod
   * or missing from the ENI is reported and kept out of use.
   */
  takeInAnnotatedPods(runningPods: readonly PodAddress[]): RestoreReport {
    for (const pod of runningPods) this.#waiting.delete(pod.podUid);
    return attachRunningPods(this.#state, runningPods);
  }

  get advertisedCapacity(): number {
    const mode = this.#config.mode;
    const otherMode = mode === 'prefix' ? 'assign-secondary-ips' : 'assign-prefixes';
    const deliverable = deliverableCapacity(this.#state, mode, this.#pendingCount(otherMode));
    if (mode !== 'prefix' || !this.#prefixesExhausted) return deliverable;
    return Math.min(deliverable, this.#withoutNewPrefixes());
  }

  /** Whether the subnet refused this node a prefix and none has come since (capacity is then what is attached). */
  get prefixesExhausted(): boolean {
    return this.#config.mode === 'prefix' && this.#prefixesExhausted;
  }

  /**
   * What the node holds if EC2 gives no new prefix: the attached ones and pods outside them. A prefix
   * asked for is not counted: after InsufficientCidrBlocks each retry is a probe, and counting it
   * would raise the capacity for every probe and lower it again when the probe is refused.
   */
  #withoutNewPrefixes(): number {
    let held = 0;
    for (const p of this.#state.ledger.prefixes()) if (!p.releasing) held++;
    let outside = this.#state.vanished.size + this.#state.sharing.size;
    for (const h of this.#state.pods.values()) if (h.prefix === undefined) outside++;
    return held * ADDRESSES_PER_PREFIX + outside;
  }

  /** Advances with every assign or unassign issued or completed; see {@link observe}. */
  get mutationEpoch(): number {
    return this.#mutationEpoch;
  }

  /** Whether the ENI holds `address` (an IP, or a /28 CIDR) as far as this pool knows. */
  holds(address: string): boolean {
    return this.heldOf(parseAddresses([address])).length > 0;
  }

  /**
   * Which of `addresses` (parsed once with {@link parseAddresses}) this pool holds. When EC2 grants a node
   * addresses, every other pool is asked: parsing once keeps that a map lookup per pool.
   */
  heldOf(addresses: ParsedEni): string[] {
    const held: string[] = [];
    for (const [base, text] of addresses.prefixes) if (this.#state.ledger.hasPrefix(base)) held.push(text);
    for (const [ip, text] of addresses.secondaryIps) if (this.#state.ledger.cellOf(ip)) held.push(text);
    return held;
  }

  /** Whether EC2 may no longer hold `ip` (a read did not show it, or EC2 gave its block elsewhere): the re-read settles it. */
  inDoubt(ip: string): boolean {
    const n = parseIPv4(ip);
    const found = this.#state.ledger.cellOf(n);
    if (!found) return false;
    if (found.prefix) return found.prefix.suspect;
    return this.#state.ledger.secondaries().some((s) => s.ip === n && s.suspect);
  }

  /**
   * EC2 gave `addresses` (CIDRs or IPs) to another node, or says the ENI lacks them: whatever of them
   * this pool holds goes out of use at once and the ENI is re-read. Returns those it held.
   */
  suspect(addresses: readonly string[]): string[] {
    const { ledger } = this.#state;
    const found: string[] = [];
    for (const text of addresses) {
      const isCidr = text.includes('/');
      for (const p of ledger.prefixes()) {
        if (isCidr ? p.cidr === text : ledger.cellOf(parseIPv4(text))?.prefix === p) {
          p.suspect = true;
          found.push(p.cidr);
        }
      }
      if (!isCidr) {
        for (const s of ledger.secondaries()) {
          if (s.text === text) {
            s.suspect = true;
            found.push(s.text);
          }
        }
      } else {
        const { base, prefixLength } = parseCidr(text);
        const size = 2 ** (32 - prefixLength);
        for (const s of ledger.secondaries()) {
          if (s.ip >= base && s.ip < base + size) {
            s.suspect = true;
            found.push(s.text);
          }
        }
      }
    }
    if (found.length > 0) {
      if (this.#resyncInFlight()) for (const a of found) this.#doubtedDuringResync.add(a);
      this.requestResync('contradiction');
    }
    return [...new Set(found)];
  }

  /**
   * A read of the ENI made outside the pool's own requests (the controller's periodic describe). Held
   * entries it does not show, and that joined the ledger before the read was sent, go out of use and
   * the ENI is re-read to confirm: one read is not proof, since EC2's reads can lag. Entries it shows
   * that the pool lacks ask for a re-read too, unless a write of ours overlapped the read.
   */
  observe(o: EniObservation, now: number): ObservationReport {
    const parsed = parseEni(o.eni);
    const { ledger } = this.#state;
    const missing: string[] = [];
    for (const p of ledger.prefixes()) {
      if (!p.releasing && !p.suspect && p.addedEpoch <= o.epoch && !parsed.prefixes.has(p.base)) missing.push(p.cidr);
    }
    for (const s of ledger.secondaries()) {
      if (!s.releasing && !s.suspect && s.addedEpoch <= o.epoch && !parsed.secondaryIps.has(s.ip)) missing.push(s.text);
    }
    const quiet = o.epoch === this.#mutationEpoch && !this.#mutating();
    const settling = this.#settlingReleases(now);
    const unexpected: string[] = [];
    if (quiet) {
      for (const [base, cidr] of parsed.prefixes) if (!ledger.hasPrefix(base) && !settling.has(cidr)) unexpected.push(cidr);
      for (const [ip, text] of parsed.secondaryIps) if (!ledger.hasSecondary(ip) && !settling.has(text)) unexpected.push(text);
    }
    if (missing.length > 0) this.suspect(missing);
    else if (unexpected.length > 0) this.requestResync('contradiction');
    return { missing, unexpected };
  }

  /** Pods this pool holds an address for: on the ENI, shared with another pod, or quarantined. */
  holders(): Set<string> {
    const { pods, vanished, sharing } = this.#state;
    return new Set([...pods.keys(), ...vanished.keys(), ...sharing.keys()]);
  }

  /** Running pods whose address left the ENI: reported, kept out of use while they run. */
  quarantined(): Array<{ podUid: string; ip: string }> {
    return [...this.#state.vanished].map(([podUid, h]) => ({ podUid, ip: ipTextOf(h) }));
  }

  addressOf(podUid: string): { ip: string; source: AddressSource } | undefined {
    const holding = this.#holdingOf(podUid);
    return holding ? { ip: ipTextOf(holding), source: sourceOf(holding) } : undefined;
  }

  #holdingOf(podUid: string): Holding | undefined {
    const { pods, vanished, sharing } = this.#state;
    return pods.get(podUid) ?? vanished.get(podUid) ?? sharing.get(podUid);
  }

  setConfig(config: NodeIpamConfig): void {
    this.#config = config;
  }

  requestResync(trigger: ResyncTrigger = 'contradiction'): void {
    // A re-read already on its way may have read the ENI before what prompted this one.
    if (this.#resyncInFlight()) this.#resyncAgain = true;
    if (!this.#resyncRequired) this.#resyncTrigger = trigger;
    this.#resyncRequired = true;
  }

  #resyncInFlight(): boolean {
    for (const r of this.#pending.values()) if (r.kind === 'resync') return true;
    return false;
  }

  /**
   * Marks the addresses that pods on other nodes still carry (`claims`: address -> who), and unmarks
   * those no longer carried: an unmarked address with no owner here cools from `now`. Returns the
   * addresses newly marked.
   */
  setHeldElsewhere(claims: (ip: number) => string | undefined, now: number): string[] {
    const marked: string[] = [];
    const update = (cell: Cell, ip: number) => {
      const by = claims(ip);
      if (by === cell.heldElsewhere) return;
      if (by !== undefined && cell.heldElsewhere === undefined) marked.push(formatIPv4(ip));
      cell.heldElsewhere = by;
      if (by === undefined && cell.owner === undefined) {
        cell.freedAt = now;
        cell.restored = false;
      }
    };
    const { ledger } = this.#state;
    for (const p of ledger.prefixes()) p.cells.forEach((cell, i) => update(cell, p.base + i));
    for (const s of ledger.secondaries()) update(s.cell, s.ip);
    return marked;
  }

  assign(podUid: string, now: number): AssignResult {
    const held = this.#holdingOf(podUid);
    if (held) return this.#success(held, false);
    if ((this.#settings.demandHorizonMs ?? 0) > 0 && !this.#waiting.has(podUid)) {
      this.#arrivals.push(now);
      this.#burst = { count: now - this.#burst.lastAt <= DEMAND_WINDOW_MS ? this.#burst.count + 1 : 1, lastAt: now };
    }
    const { ledger } = this.#state;
    let holding: Holding | undefined;
    if (this.#config.mode === 'prefix') {
      const found = this.#fullestPrefixWithFreeAddress(now);
      if (found) {
        const { prefix, index } = found;
        const cell = prefix.cells[index]!;
        occupy(cell, podUid);
        prefix.surplusSince = undefined;
        const ip = prefix.base + index;
        holding = { ip, prefix: prefix.cidr };
      }
    } else {
      const secondary = ledger.secondaries().find((s) => !s.releasing && !s.suspect && ledger.stateOf(s.cell, now) === 'free');
      if (secondary) {
        occupy(secondary.cell, podUid);
        secondary.surplusSince = undefined;
        holding = { ip: secondary.ip, prefix: undefined };
      }
    }
    if (!holding) {
      this.#waiting.set(podUid, now);
      return explainNoAddress({
        ledger,
        mode: this.#config.mode,
        held: this.#state.pods.size + this.#state.vanished.size + this.#state.sharing.size,
        deliverable: this.advertisedCapacity,
        prefixesExhausted: this.prefixesExhausted,
        resyncAfter: this.#resyncRequired ? { message: this.#lastError?.message } : undefined,
        backoff: this.#activeBackoff(now),
        creating: this.#creating(),
        coolDownMs: this.#settings.coolDownMs,
        resyncRetryMs: RESYNC_RETRY_MS,
        warmPoolRetryMs: WARM_POOL_RETRY_MS,
        now,
      });
    }
    this.#waiting.delete(podUid);
    this.#state.pods.set(podUid, holding);
    return this.#success(holding, true);
  }

  release(podUid: string, now: number): ReleaseResult | undefined {
    this.#waiting.delete(podUid);
    const { pods, vanished, sharing, ledger } = this.#state;
    const unaccounted = vanished.get(podUid) ?? sharing.get(podUid);
    if (unaccounted) {
      vanished.delete(podUid);
      sharing.delete(podUid);
      return { ip: ipTextOf(unaccounted), source: sourceOf(unaccounted) };
    }
    const holding = pods.get(podUid);
    if (!holding) return undefined;
    pods.delete(podUid);
    const found = ledger.cellOf(holding.ip);
    if (found && found.cell.owner === podUid) {
      // Another running pod on this address (found sharing it at restore, or left without it when
      // it vanished and came back) keeps it in use.
      const onSameIp = ([, h]: [string, Holding]) => h.ip === holding.ip;
      const heir = [...sharing].find(onSameIp) ?? [...vanished].find(onSameIp);
      if (heir) {
        const [heirUid, heirHolding] = heir;
        sharing.delete(heirUid);
        vanished.delete(heirUid);
        pods.set(heirUid, { ...heirHolding, prefix: found.prefix?.cidr });
        occupy(found.cell, heirUid);
      } else {
        vacate(found.cell, now);
      }
    }
    return { ip: ipTextOf(holding), source: sourceOf(holding) };
  }

  plan(now: number): Ec2Request[] {
    if (this.#resyncRequired) {
      // Nothing else until the ledger matches the ENI again; one re-sync, with nothing in flight.
      if (this.#pending.size > 0 || now < this.#resyncNotBefore) return [];
      return [this.#issue({ kind: 'resync', trigger: this.#resyncTrigger })];
    }
    for (const [podUid, at] of this.#waiting) if (now >= at + WAITING_TTL_MS) this.#waiting.delete(podUid);
    while (this.#arrivals.length > 0 && this.#arrivals[0]! <= now - DEMAND_WINDOW_MS) this.#arrivals.shift();
    const work = this.#config.mode === 'prefix' ? this.#planPrefixMode(now) : this.#planSecondaryMode(now);
    const out = work.create ? [work.create] : [];
    if (work.prefixes.length > 0) {
      for (const p of work.prefixes) p.releasing = true;
      out.push(this.#issue({ kind: 'unassign-prefixes', prefixes: work.prefixes.map((p) => p.cidr) }));
    }
    if (work.ips.length > 0) {
      for (const s of work.ips) s.releasing = true;
      out.push(this.#issue({ kind: 'unassign-secondary-ips', ips: work.ips.map((s) => s.text) }));
    }
    return out;
  }

  #planPrefixMode(now: number): PlannedWork {
    const { ledger } = this.#state;
    // The other mode drains: a free secondary IP goes once cooled, without hold-down.
    const ips = ledger.secondaries().filter((s) => !s.releasing && ledger.stateOf(s.cell, now) === 'free');
    const active = ledger.prefixes().filter((p) => !p.releasing);
    const counts = { used: 0, free: 0, cooling: 0, freePrefixes: 0, restoredPrefixes: 0, prefixes: active.length, pendingPrefixes: this.#pendingCount('assign-prefixes'), waiting: this.#waiting.size };
    const fullyFree: PrefixEntry[] = [];
    for (const p of active) {
      const c = ledger.countCells(p, now);
      counts.used += c.used;
      counts.free += c.free;
      counts.cooling += c.cooling;
      if (c.free === ADDRESSES_PER_PREFIX) fullyFree.push(p);
      else if (c.used === 0 && p.cells.every((cell) => cell.restored || ledger.stateOf(cell, now) === 'free')) counts.restoredPrefixes++;
    }
    counts.freePrefixes = fullyFree.length;
    const { create, release } = this.#follow(this.#sized(counts, prefixDeviation), fullyFree, 'assign-prefixes', now);
    return { create, prefixes: release, ips };
  }

  #planSecondaryMode(now: number): PlannedWork {
    const { ledger } = this.#state;
    // The other mode drains: a prefix goes once all 16 addresses are free and cooled.
    const prefixes = ledger.prefixes().filter((p) => !p.releasing && ledger.countCells(p, now).free === ADDRESSES_PER_PREFIX);
    const counts = { used: 0, free: 0, cooling: 0, restored: 0, pending: this.#pendingCount('assign-secondary-ips'), waiting: this.#waiting.size };
    const free: SecondaryEntry[] = [];
    for (const s of ledger.secondaries()) {
      if (s.releasing) continue;
      const state = ledger.stateOf(s.cell, now);
      counts[state === 'cooling' && s.cell.restored ? 'restored' : state]++;
      if (state === 'free') free.push(s);
    }
    const { create, release } = this.#follow(this.#sized(counts, secondaryDeviation), free, 'assign-secondary-ips', now);
    return { create, prefixes, ips: release };
  }

  /**
   * Acts on a deviation: grow by it, or release that many of the fully free `candidates` once
   * their hold-down has passed. No release while creates are in flight (docs/upstream-differences.md #17).
   */
  #follow<T extends SurplusCandidate>(
    deviation: number,
    candidates: readonly T[],
    kind: 'assign-prefixes' | 'assign-secondary-ips',
    now: number,
  ): { create: Ec2Request | undefined; release: T[] } {
    if (deviation >= 0) {
      clearSurplus(candidates);
      return { create: deviation > 0 ? this.#create(kind, deviation, now) : undefined, release: [] };
    }
    if (this.#creating()) return { create: undefined, release: [] };
    return { create: undefined, release: dueSurplus(candidates, -deviation, now, this.#settings.releaseHoldDownMs) };
  }

  /** An assign request for up to `wanted` slots, unless EC2 asked us to back off. */
  #create(kind: 'assign-prefixes' | 'assign-secondary-ips', wanted: number, now: number): Ec2Request | undefined {
    const backoff = this.#activeBackoff(now);
    // InsufficientCidrBlocks stops prefixes only; a full ENI stops both kinds.
    if (backoff && (backoff.reason === 'address-limit-exceeded' || kind === 'assign-prefixes')) return undefined;
    const pendingSlots = this.#pendingCount('assign-prefixes') + this.#pendingCount('assign-secondary-ips');
    const count = Math.min(wanted, this.#state.ledger.freeSlots(pendingSlots));
    return count > 0 ? this.#issue({ kind, count }) : undefined;
  }

  /**
   * The deviation for the pods seen; when they ask for growth during a burst, the request is sized for
   * the pods expected soon too, so one AssignPrivateIpAddresses covers the burst instead of one per 16
   * pods. Expected pods never start growth or hold a release back on their own.
   */
  #sized<C extends { expected?: number }>(counts: C, deviation: (c: C, cfg: NodeIpamConfig) => number): number {
    const seen = deviation(counts, this.#config);
    const expected = this.#expectedArrivals();
    return seen > 0 && expected > 0 ? deviation({ ...counts, expected }, this.#config) : seen;
  }

  /**
   * Pods expected within the demand horizon at the rate they arrived over the last DEMAND_WINDOW_MS, but
   * never more than BURST_LOOK_AHEAD times what the burst has brought so far: part of the demand the pool
   * sizes for, with the pods served and waiting. Sized on a burst's first pods, one AssignPrivateIpAddresses
   * covers what the rest will need. The cap keeps a short burst from taking the ENI: 20 pods in half a
   * second expect at most 32 more when they fill the first prefix, not the 120 their rate says (a tight
   * subnet's /28s are worth more than one call). A few pods are no trend (MIN_BURST_ARRIVALS); when
   * arrivals stop, the expectation fades with the window and a surplus goes back to EC2 after the
   * hold-down, as any surplus does.
   */
  #expectedArrivals(): number {
    const n = this.#arrivals.length;
    const horizon = this.#settings.demandHorizonMs ?? 0;
    if (n < MIN_BURST_ARRIVALS || horizon <= 0) return 0;
    const span = Math.max(this.#arrivals[n - 1]! - this.#arrivals[0]!, MIN_ARRIVAL_SPAN_MS);
    return Math.min(Math.ceil(((n - 1) * horizon) / span), BURST_LOOK_AHEAD * this.#burst.count);
  }

  #activeBackoff(now: number): CreateBackoff | undefined {
    return this.#backoff && now < this.#backoff.until ? this.#backoff : undefined;
  }

  #creating(): boolean {
    for (const r of this.#pending.values()) if (r.kind === 'assign-prefixes' || r.kind === 'assign-secondary-ips') return true;
    return false;
  }

  complete(result: Ec2Result, now: number): ResyncReport | undefined {
    const { request } = result;
    if (this.#pending.get(request.id) !== request) return undefined;
    this.#pending.delete(request.id);
    switch (result.request.kind) {
      case 'assign-prefixes':
      case 'assign-secondary-ips': {
        const { outcome } = result as Extract<Ec2Result, { request: { kind: 'assign-prefixes' | 'assign-secondary-ips' } }>;
        this.#mutationEpoch++;
        const kind = result.request.kind === 'assign-prefixes' ? 'prefix' : 'secondary';
        this.#addAssigned(kind, outcome.added, now);
        if (outcome.ok) {
          if (kind === 'prefix') {
            this.#prefixesExhausted = false;
            if (this.#backoff?.reason === 'insufficient-cidr-blocks') this.#backoff = undefined;
          }
          return undefined;
        }
        if (outcome.error === 'insufficient-cidr-blocks') {
          this.#backoff = { until: now + INSUFFICIENT_CIDR_BACKOFF_MS, reason: 'insufficient-cidr-blocks' };
          this.#lastError = { kind: outcome.error, message: outcome.message, at: now };
          if (kind === 'prefix') this.#prefixesExhausted = true;
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
        const { request: unassign, outcome } = result as Extract<Ec2Result, { request: { kind: 'unassign-prefixes' | 'unassign-secondary-ips' } }>;
        this.#mutationEpoch++;
        const requested = unassign.kind === 'unassign-prefixes' ? unassign.prefixes : unassign.ips;
        const removed = new Set(outcome.removed);
        // A timeout or a server error may come after EC2 did release: such addresses stay out of
        // use until the re-sync this failure triggers says whether the ENI still holds them.
        const maybeReleased = !outcome.ok && (outcome.error === 'unreachable' || outcome.error === 'other');
        let kept = 0;
        for (const text of requested) {
          if (removed.has(text)) {
            this.#removeAddress(unassign.kind, text);
            this.#recentlyReleased.set(text, now);
          } else if (maybeReleased) {
            this.#recentlyReleased.set(text, now);
            kept++;
          } else kept += this.#keepAddress(unassign.kind, text);
        }
        if (!outcome.ok) this.#fail(outcome.error, outcome.message, now);
        else if (kept > 0) this.#fail('other', `EC2 did not confirm the release of ${kept} of ${requested.length} addresses`, now);
        return undefined;
      }
      case 'resync': {
        const { outcome } = result as Extract<Ec2Result, { request: { kind: 'resync' } }>;
        if (!outcome.ok) {
          this.#lastError = { kind: outcome.error, message: outcome.message, at: now };
          this.#resyncNotBefore = now + RESYNC_RETRY_MS;
          // Nothing was settled: the doubts stand, and the retry is sent after them.
          this.#doubtedDuringResync.clear();
          this.#resyncAgain = false;
          return undefined;
        }
        const parsed = parseEni(outcome.eni);
        const report = applyEniState(this.#state, parsed, {
          newAddressesCoolFrom: undefined,
          recentlyReleased: this.#settlingReleases(now),
          epoch: this.#mutationEpoch,
        });
        if (parsed.unreadable.length > 0) this.#recordUnreadable(parsed.unreadable, now);
        this.#resyncRequired = false;
        if (this.#resyncAgain) {
          const doubted = [...this.#doubtedDuringResync];
          this.#doubtedDuringResync.clear();
          this.#resyncAgain = false;
          this.requestResync('contradiction');
          this.suspect(doubted);
        }
        return report;
      }
    }
  }

  /** Releases still inside RELEASE_SETTLE_MS; older ones are forgotten. */
  #settlingReleases(now: number): Set<string> {
    const settling = new Set<string>();
    for (const [text, at] of this.#recentlyReleased) {
      if (now - at < RELEASE_SETTLE_MS) settling.add(text);
      else this.#recentlyReleased.delete(text);
    }
    return settling;
  }

  #mutating(): boolean {
    for (const r of this.#pending.values()) if (r.kind !== 'resync') return true;
    return false;
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
    // When the burst's expectation fades, a surplus may start its hold-down.
    if (this.#arrivals.length >= MIN_BURST_ARRIVALS) consider(this.#arrivals[0]! + DEMAND_WINDOW_MS);
    if (this.#resyncRequired) consider(this.#resyncNotBefore);
    return Number.isFinite(next) ? next : undefined;
  }

  snapshot(now: number): PoolSnapshot {
    return buildSnapshot({
      state: this.#state,
      config: this.#config,
      pending: this.#pending.values(),
      lastError: this.#lastError,
      resyncRequired: this.#resyncRequired,
      now,
      advertised: this.advertisedCapacity,
      limitedBy: this.prefixesExhausted ? 'insufficient-cidr-blocks' : undefined,
    });
  }

  /** The counts of {@link snapshot} alone, for the metrics. */
  gauges(now: number): PoolGauges {
    return buildGauges({ state: this.#state, mode: this.#config.mode, pending: this.#pending.values(), resyncRequired: this.#resyncRequired, now, advertised: this.advertisedCapacity });
  }

  // ---- internals ----

  #success(holding: Holding, fresh: boolean): AssignResult {
    const source = sourceOf(holding);
    const ip = ipTextOf(holding);
    return { ok: true, ip, annotation: formatAnnotation(ip, source, this.#settings.subnetPrefixLength), source, fresh };
  }

  /** The prefix with the fewest free addresses (ties: lowest CIDR) and its lowest free address. */
  #fullestPrefixWithFreeAddress(now: number): { prefix: PrefixEntry; index: number } | undefined {
    const { ledger } = this.#state;
    let best: PrefixEntry | undefined;
    let bestFree = Number.POSITIVE_INFINITY;
    for (const prefix of ledger.prefixes()) {
      if (prefix.releasing || prefix.suspect) continue;
      const { free } = ledger.countCells(prefix, now);
      // Strictly fewer: on a tie the lower CIDR, met first, stays.
      if (free > 0 && free < bestFree) {
        best = prefix;
        bestFree = free;
      }
    }
    if (!best) return undefined;
    return { prefix: best, index: best.cells.findIndex((c) => ledger.stateOf(c, now) === 'free') };
  }

  #issue(request: DistributiveOmit<Ec2Request, 'id'>): Ec2Request {
    const full = { ...request, id: this.#nextRequestId++ } as Ec2Request;
    if (full.kind !== 'resync') this.#mutationEpoch++;
    this.#pending.set(full.id, full);
    return full;
  }

  #pendingCount(kind: 'assign-prefixes' | 'assign-secondary-ips'): number {
    let n = 0;
    for (const r of this.#pending.values()) if (r.kind === kind) n += r.count;
    return n;
  }

  /** Takes in the addresses an assign created. */
  #addAssigned(kind: 'prefix' | 'secondary', addresses: readonly string[], now: number): void {
    const parsed = parseEni(kind === 'prefix' ? { prefixes: addresses, secondaryIps: [] } : { prefixes: [], secondaryIps: addresses });
    for (const base of parsed.prefixes.keys()) this.#state.ledger.addPrefix(base, undefined, this.#mutationEpoch);
    for (const ip of parsed.secondaryIps.keys()) this.#state.ledger.addSecondary(ip, undefined, this.#mutationEpoch);
    for (const text of [...parsed.prefixes.values(), ...parsed.secondaryIps.values()]) this.#recentlyReleased.delete(text);
    if (parsed.unreadable.length > 0) this.#recordUnreadable(parsed.unreadable, now);
    // EC2 may hand back an address that vanished under a running pod: it is still that pod's.
    reclaimVanished(this.#state);
  }

  #removeAddress(kind: 'unassign-prefixes' | 'unassign-secondary-ips', text: string): void {
    const { ledger } = this.#state;
    if (kind === 'unassign-prefixes') ledger.removePrefix(parseCidr(text).base);
    else ledger.removeSecondary(parseIPv4(text));
  }

  /** A release EC2 refused: the address stays, free again, mask and all (docs/upstream-differences.md #7). */
  #keepAddress(kind: 'unassign-prefixes' | 'unassign-secondary-ips', text: string): number {
    const { ledger } = this.#state;
    const entry = kind === 'unassign-prefixes'
      ? ledger.prefixes().find((p) => p.cidr === text)
      : ledger.secondaries().find((s) => s.text === text);
    if (!entry) return 0;
    keepEntry(entry);
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

/** What one plan() round wants: at most one create, and the entries to give back. */
interface PlannedWork {
  create: Ec2Request | undefined;
  prefixes: PrefixEntry[];
  ips: SecondaryEntry[];
}
