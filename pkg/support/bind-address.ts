/**
 * @module
 * Listener addresses given as flags, as controller-runtime spells them: `HOST:PORT`, `:PORT` for
 * every interface, `[IPv6]:PORT`, or `0` for no listener at all. Whether an address is loopback
 * decides whether /metrics needs authentication by default.
 */

export interface BindAddress {
  /** undefined: every interface (IPv4 and IPv6). */
  host: string | undefined;
  port: number;
  /** Only this machine can connect. */
  loopback: boolean;
  /** As given, for logs and messages. */
  text: string;
}

/** Thrown for a malformed address; the message names the flag and what to write. */
export class BindAddressError extends Error {
  override name = 'BindAddressError';
}

/** Parses `text`; `undefined` means `0` (turned off). `flag` names the flag in errors. */
export function parseBindAddress(text: string, flag: string): BindAddress | undefined {
  const trimmed = text.trim();
  if (trimmed === '0') return undefined;
  const bad = (why: string) =>
    new BindAddressError(`${flag} ${JSON.stringify(text)}: ${why}; use HOST:PORT (127.0.0.1:8080), :PORT for every interface, [IPv6]:PORT, or 0 to turn it off`);
  const m = /^(?:\[([0-9a-fA-F:.%\w]+)\]|([^:[\]]*)):(\d+)$/.exec(trimmed);
  if (!m) throw bad('not an address with a port');
  const host = m[1] ?? m[2] ?? '';
  const port = Number(m[3]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad(`port ${m[3]} is not from 1 to 65535`);
  if (/\s/.test(host)) throw bad('the host contains a space');
  const everyInterface = host === '' || host === '0.0.0.0' || host === '::';
  return { host: host === '' ? undefined : host, port, loopback: !everyInterface && isLoopbackHost(host), text: trimmed };
}

/** 127.0.0.0/8, ::1 (also IPv4-mapped) and localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice('::ffff:'.length) : h;
  const octets = v4.split('.');
  return octets.length === 4 && octets[0] === '127' && octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255);
}
