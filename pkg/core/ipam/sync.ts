/**
 * @module
 * Bringing the pool in line with what EC2 says the ENI holds (re-sync), and rebuilding a pool
 * from the ENI and the node's running pods (restore). The ENI is the truth for which addresses
 * exist; the pods are the truth for which are in use. Unlike upstream
 * (docs/upstream-differences.md #8, #13), addresses that vanish under running pods are
 * reported and never handed out again, and after a restore
 * every free address starts cooling, because a pod deleted just before the restart may still be
 * using it.
 */
import { ADDRESSES_PER_PREFIX } from '../contract.ts';
import { AddressError, formatCidr, parseCidr, parseIPv4, splitMaskedAddress } from '../net/ipv4.ts';
import { parseAnnotation } from './annotation.ts';
import { occupy, type PrefixEntry, type SecondaryEntry } from './ledger.ts';
import { ipTextOf, type PoolState } from './state.ts';
import type { PodAddress, RestoreReport, ResyncReport } from './types.ts';

export interface ParsedEni {
  prefixes: Map<number, string>;
  secondaryIps: Map<number, string>;
  /** Entries EC2 reported that are not a /28 or an IPv4 address. */
  unreadable: string[];
}

function tryParse<T>(parse: () => T): T | undefined {
  try {
    return parse();
  } catch (err) {
    if (err instanceof AddressError) return undefined;
    throw err;
  }
}

/** Reads what EC2 reported (a whole ENI, or the addresses one assign call created). */
export function parseEni(eni: { readonly prefixes: readonly string[]; readonly secondaryIps: readonly string[] }): ParsedEni {
  const parsed: ParsedEni = { prefixes: new Map(), secondaryIps: new Map(), unreadable: [] };
  for (const text of eni.prefixes) {
    const cidr = tryParse(() => parseCidr(text, { strict: true }));
    if (cidr && cidr.prefixLength === 28) parsed.prefixes.set(cidr.base, formatCidr(cidr));
    else parsed.unreadable.push(text);
  }
  for (const text of eni.secondaryIps) {
    const ip = tryParse(() => splitMaskedAddress(text).ip);
    if (ip === undefined) parsed.unreadable.push(text);
    else parsed.secondaryIps.set(parseIPv4(ip), ip);
  }
  return parsed;
}

export interface ApplyOptions {
  /** Addresses new to the pool start cooling from this time (after a restart, or when found by hand). */
  newAddressesCoolFrom: number | undefined;
  /**
   * Addresses this pool released moments ago: a describe may still show them (EC2 reads lag behind
   * writes), so they are not taken back. A later read, after the lag, takes them if they are truly there.
   */
  recentlyReleased?: ReadonlySet<string>;
  /** The ledger's mutation epoch, recorded on entries added now. */
  epoch?: number;
}

/**
 * Makes the ledger hold exactly what the ENI holds. Addresses new to the pool are taken in as
 * free (cooling as `options` says). Must only run with no EC2 request in flight.
 */
export function applyEniState(state: PoolState, eni: ParsedEni, options: ApplyOptions): ResyncReport {
  const coolFrom = options.newAddressesCoolFrom;
  const skip = options.recentlyReleased ?? new Set<string>();
  const { ledger } = state;
  const report: ResyncReport = { added: [], removed: [], vanishedUnderPods: [] };
  const dropOwner = (owner: string | undefined) => {
    if (owner === undefined) return;
    const holding = state.pods.get(owner);
    if (!holding) return;
    state.pods.delete(owner);
    state.vanished.set(owner, holding);
    report.vanishedUnderPods.push({ podUid: owner, ip: ipTextOf(holding) });
    // A pod sharing the address lost it too.
    for (const [podUid, shared] of [...state.sharing]) {
      if (shared.ip !== holding.ip) continue;
      state.sharing.delete(podUid);
      state.vanished.set(podUid, shared);
      report.vanishedUnderPods.push({ podUid, ip: ipTextOf(shared) });
    }
  };
  for (const prefix of [...ledger.prefixes()]) {
    if (eni.prefixes.has(prefix.base)) continue;
    for (const cell of prefix.cells) dropOwner(cell.owner);
    ledger.removePrefix(prefix.base);
    report.removed.push(prefix.cidr);
  }
  for (const secondary of [...ledger.secondaries()]) {
    if (eni.secondaryIps.has(secondary.ip)) continue;
    dropOwner(secondary.cell.owner);
    ledger.removeSecondary(secondary.ip);
    report.removed.push(secondary.text);
  }
  // Nothing is in flight, so a release still marked is one whose outcome was unknown: the ENI
  // still holds it, so it is the pool's again.
  for (const entry of [...ledger.prefixes(), ...ledger.secondaries()]) {
    if (entry.releasing) keepEntry(entry);
    // Still on the ENI: whatever cast doubt on it is settled.
    entry.suspect = false;
  }
  for (const [base, cidr] of eni.prefixes) {
    if (ledger.hasPrefix(base) || skip.has(cidr)) continue;
    ledger.addPrefix(base, coolFrom, options.epoch);
    report.added.push(cidr);
  }
  for (const [ip, text] of eni.secondaryIps) {
    if (ledger.hasSecondary(ip) || skip.has(text)) continue;
    ledger.addSecondary(ip, coolFrom, options.epoch);
    report.added.push(text);
  }
  reclaimVanished(state);
  return report;
}

/** An entry whose release did not happen: assignable again, and its surplus time starts over. */
export function keepEntry(entry: PrefixEntry | SecondaryEntry): void {
  entry.releasing = false;
  entry.suspect = false;
  entry.surplusSince = undefined;
}

/** A vanished address that is back on the ENI (EC2 handed it to us again) belongs to its pod again. */
export function reclaimVanished(state: PoolState): void {
  for (const [podUid, holding] of [...state.vanished]) {
    const found = state.ledger.cellOf(holding.ip);
    if (!found || found.cell.owner !== undefined) continue;
    occupy(found.cell, podUid);
    state.vanished.delete(podUid);
    state.pods.set(podUid, { ip: holding.ip, prefix: found.prefix?.cidr });
  }
}

/** Gives each running pod the address its annotation names, as the ENI holds it. */
export function attachRunningPods(state: PoolState, runningPods: readonly PodAddress[]): RestoreReport {
  const report: RestoreReport = { podsWithoutEniAddress: [], duplicateAddresses: [] };
  for (const pod of runningPods) {
    if (state.pods.has(pod.podUid) || state.vanished.has(pod.podUid) || state.sharing.has(pod.podUid)) continue;
    const parsed = parseAnnotation(pod.annotation);
    if (!parsed.ok) {
      report.podsWithoutEniAddress.push(pod);
      continue;
    }
    const found = state.ledger.cellOf(parsed.ip);
    if (!found) {
      report.podsWithoutEniAddress.push(pod);
      // A /32 annotation comes from prefix mode; remember the /28 it named for the report.
      const prefix =
        parsed.prefixLength === 32
          ? formatCidr({ base: (parsed.ip - (parsed.ip % ADDRESSES_PER_PREFIX)) >>> 0, prefixLength: 28 })
          : undefined;
      state.vanished.set(pod.podUid, { ip: parsed.ip, prefix });
      continue;
    }
    if (found.cell.owner !== undefined) {
      report.duplicateAddresses.push(pod);
      state.sharing.set(pod.podUid, { ip: parsed.ip, prefix: found.prefix?.cidr });
      continue;
    }
    occupy(found.cell, pod.podUid);
    state.pods.set(pod.podUid, { ip: parsed.ip, prefix: found.prefix?.cidr });
  }
  return report;
}
