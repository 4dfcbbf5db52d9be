/**
 * @module
 * The pod annotation value the Windows host CNI reads: "ip/32" for an address from a /28 prefix,
 * "ip/<subnet mask length>" for a secondary IP (exactly as upstream writes them). Reading accepts
 * both and a bare ip, which upstream's lost masks left on some pods (docs/upstream-differences.md #7).
 */
import { AddressError, parseIPv4, splitMaskedAddress } from '../net/ipv4.ts';
import type { AddressSource } from './types.ts';

export function formatAnnotation(ip: string, source: AddressSource, subnetPrefixLength: number): string {
  return source.kind === 'prefix' ? `${ip}/32` : `${ip}/${subnetPrefixLength}`;
}

export type ParsedAnnotation =
  | { ok: true; ip: number; ipText: string; prefixLength: number | undefined }
  | { ok: false; error: string };

/** Never throws: an unreadable annotation is a finding about the pod, not a crash. */
export function parseAnnotation(value: string): ParsedAnnotation {
  try {
    const { ip, prefixLength } = splitMaskedAddress(value.trim());
    return { ok: true, ip: parseIPv4(ip), ipText: ip, prefixLength };
  } catch (err) {
    if (err instanceof AddressError) return { ok: false, error: err.message };
    throw err;
  }
}
