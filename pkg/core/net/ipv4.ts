/**
 * @module
 * IPv4 and CIDR arithmetic on unsigned 32-bit integers. Pure: no I/O, no Node APIs.
 * Every parser rejects malformed input with an {@link AddressError} that names the bad value.
 */

export class AddressError extends Error {
  readonly code = 'WINPREFIX_BAD_ADDRESS';
  constructor(message: string) {
    super(message);
    this.name = 'AddressError';
  }
}

export interface Cidr {
  /** Network address as an unsigned 32-bit integer (host bits are zero). */
  readonly base: number;
  readonly prefixLength: number;
}

const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function parseIPv4(text: string): number {
  const m = DOTTED.exec(text);
  if (!m) throw new AddressError(`"${text}" is not an IPv4 address (expected four dotted decimals such as 10.0.1.17)`);
  let value = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i]!;
    // Leading zeros are rejected: some tools read them as octal, so they are ambiguous.
    if (part.length > 1 && part.startsWith('0')) {
      throw new AddressError(`"${text}" has a leading zero in "${part}" (write each octet without leading zeros, e.g. 10.0.1.7)`);
    }
    const n = Number(part);
    if (n > 255) throw new AddressError(`"${text}" has an octet out of range: ${part} (each octet is 0-255)`);
    value = value * 256 + n;
  }
  return value;
}

export function formatIPv4(value: number): string {
  return `${(value >>> 24) & 255}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

export function maskOf(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

export function sizeOf(cidr: Cidr): number {
  return 2 ** (32 - cidr.prefixLength);
}

/** Parses "a.b.c.d/n". With `strict`, host bits must be zero (EC2 prefixes and subnets). */
export function parseCidr(text: string, opts: { strict?: boolean } = {}): Cidr {
  const slash = text.indexOf('/');
  if (slash < 0) throw new AddressError(`"${text}" is not a CIDR block (expected address/length such as 10.0.0.0/24)`);
  const addr = parseIPv4(text.slice(0, slash));
  const prefixLength = lengthAfterSlash(text, slash);
  const base = (addr & maskOf(prefixLength)) >>> 0;
  if (opts.strict && base !== addr) {
    throw new AddressError(`"${text}" is not aligned: its network address is ${formatIPv4(base)}/${prefixLength}`);
  }
  return { base, prefixLength };
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIPv4(cidr.base)}/${cidr.prefixLength}`;
}

export function cidrContains(cidr: Cidr, ip: number): boolean {
  return ((ip & maskOf(cidr.prefixLength)) >>> 0) === cidr.base;
}

/** Splits "10.0.0.5/19" or "10.0.0.5" into the address and the optional length. */
export function splitMaskedAddress(text: string): { ip: string; prefixLength: number | undefined } {
  const slash = text.indexOf('/');
  if (slash < 0) {
    parseIPv4(text);
    return { ip: text, prefixLength: undefined };
  }
  const ip = text.slice(0, slash);
  parseIPv4(ip);
  return { ip, prefixLength: lengthAfterSlash(text, slash) };
}

/** The "n" of "a.b.c.d/n", for both CIDR blocks and masked addresses. */
function lengthAfterSlash(text: string, slash: number): number {
  const len = text.slice(slash + 1);
  if (!/^\d{1,2}$/.test(len) || Number(len) > 32) throw new AddressError(`"${text}" has an invalid prefix length "${len}" (expected 0-32)`);
  return Number(len);
}
