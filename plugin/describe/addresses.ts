/**
 * @module
 * The addresses an instance's ENIs hold, indexed so a pod address can be traced to its source
 * (which /28 prefix, or which secondary IP, on which ENI). Pure.
 */
import type { NetworkInterface } from '../../pkg/core/ec2/port.ts';
import { ADDRESSES_PER_PREFIX } from '../../pkg/core/contract.ts';
import { formatIPv4, parseCidr, parseIPv4, type Cidr } from '../../pkg/core/net/ipv4.ts';
import type { PodSource } from './report.ts';

export interface HeldPrefix {
  cidr: string;
  block: Cidr;
  interfaceId: string;
}

export interface AddressBook {
  /** The ENI Windows uses: device index 0, else the first one listed. */
  primary: NetworkInterface | undefined;
  prefixes: HeldPrefix[];
  /** Secondary IP -> ENI ID. */
  secondaryIps: Map<string, string>;
  /** ENI primary addresses: they belong to the host, never to a pod. */
  primaryIps: Map<string, string>;
}

export function buildAddressBook(interfaces: readonly NetworkInterface[]): AddressBook {
  const ordered = [...interfaces].sort((a, b) => (a.deviceIndex ?? 99) - (b.deviceIndex ?? 99));
  const book: AddressBook = { primary: ordered[0], prefixes: [], secondaryIps: new Map(), primaryIps: new Map() };
  for (const eni of ordered) {
    book.primaryIps.set(eni.primaryPrivateIp, eni.networkInterfaceId);
    for (const ip of eni.secondaryIps) book.secondaryIps.set(ip, eni.networkInterfaceId);
    for (const cidr of eni.prefixes) {
      book.prefixes.push({ cidr, block: parseCidr(cidr), interfaceId: eni.networkInterfaceId });
    }
  }
  return book;
}

/** Where `ip` comes from on this instance. */
export function locate(book: AddressBook, ip: string): PodSource {
  const secondaryOn = book.secondaryIps.get(ip);
  if (secondaryOn !== undefined) return { kind: 'secondary-ip', interfaceId: secondaryOn };
  const value = parseIPv4(ip);
  const prefix = book.prefixes.find((p) => value - p.block.base >= 0 && value - p.block.base < ADDRESSES_PER_PREFIX);
  if (prefix) return { kind: 'prefix', prefix: prefix.cidr, interfaceId: prefix.interfaceId };
  return { kind: 'not-on-eni' };
}

/** The 16 addresses of a /28, in order. */
export function prefixAddresses(block: Cidr): string[] {
  return Array.from({ length: ADDRESSES_PER_PREFIX }, (_, i) => formatIPv4(block.base + i));
}
