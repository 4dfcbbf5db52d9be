/**
 * @module
 * Serving certificate from files, reloaded when they change (controller-runtime certwatcher).
 * cert-manager and kubelet secret volumes replace the files through a symlink swap, which
 * fs.watch reports unreliably (or not at all, on some filesystems), so the files' mtime and
 * size are polled: cheap, and correct on every runtime.
 */
import { readFileSync, statSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { join } from 'node:path';
import type { Logger } from '../../support/log.ts';
import { systemClock, type Clock, type TimerHandle } from '../../support/clock.ts';

export const CERT_FILE = 'tls.crt';
export const KEY_FILE = 'tls.key';

/** The PEM bytes a TLS server is given: a serving certificate and its private key, read from files. */
export interface ServingKeyPair {
  cert: Buffer;
  key: Buffer;
}

export interface CertWatcher {
  current(): ServingKeyPair;
  stop(): void;
}

const BRAND = Symbol.for('winprefix.CertError');

export class CertError extends Error {
  readonly code = 'WEBHOOK_CERT_INVALID';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CertError';
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
  get [BRAND](): boolean {
    return true;
  }
}

/** Which server the pair is for, and the flag that names its folder: messages say both. */
export interface CertPurpose {
  what: string;
  flag: string;
}

const WEBHOOK: CertPurpose = { what: 'webhook', flag: '--cert-dir' };

/** Reads and checks a key pair; throws CertError naming the file and the fix. */
export function readKeyPair(certDir: string, purpose: CertPurpose = WEBHOOK): ServingKeyPair {
  const certPath = join(certDir, CERT_FILE);
  const keyPath = join(certDir, KEY_FILE);
  let cert: Buffer;
  let key: Buffer;
  try {
    cert = readFileSync(certPath);
    key = readFileSync(keyPath);
  } catch (err) {
    throw new CertError(`cannot read the ${purpose.what} serving certificate (${certPath}, ${keyPath}): ${(err as Error).message}; mount the cert-manager Secret there or pass ${purpose.flag}`, { cause: err });
  }
  try {
    // Fails on a key that does not match the certificate, or on garbage.
    createSecureContext({ cert, key });
  } catch (err) {
    throw new CertError(`${certPath} and ${keyPath} are not a valid certificate and matching private key: ${(err as Error).message}`, { cause: err });
  }
  return { cert, key };
}

export function watchKeyPair(o: { certDir: string; intervalMs?: number; log: Logger; onChange: (pair: ServingKeyPair) => void; purpose?: CertPurpose; clock?: Pick<Clock, 'after'> }): CertWatcher {
  const purpose = o.purpose ?? WEBHOOK;
  // Stamp before reading, as the poll does: files swapped in between are then seen as a change
  // on the next poll, instead of the new stamp hiding them behind the old pair until the next rotation.
  let stamp = fingerprint(o.certDir);
  let pair = readKeyPair(o.certDir, purpose);
  let reportedBad = '';
  const clock = o.clock ?? systemClock;
  const intervalMs = o.intervalMs ?? 1000;
  const poll = () => {
    const now = fingerprint(o.certDir);
    if (now === stamp || now === reportedBad) return;
    try {
      const next = readKeyPair(o.certDir, purpose);
      stamp = now;
      pair = next;
      o.log.info(`${purpose.what} serving certificate reloaded`, { certDir: o.certDir });
      o.onChange(next);
    } catch (err) {
      // Mid-rotation the cert may be new and the key still old: keep serving the old pair and
      // look again when the files change next (reported once per state of the files).
      reportedBad = now;
      o.log.warn(`new ${purpose.what} certificate not usable yet; still serving the previous one`, { err });
    }
  };
  let stopped = false;
  let timer: TimerHandle;
  const schedule = () => {
    timer = clock.after(intervalMs, () => {
      if (stopped) return;
      poll();
      schedule();
    });
  };
  schedule();
  return {
    current: () => pair,
    stop: () => {
      stopped = true;
      timer.cancel();
    },
  };
}

function fingerprint(certDir: string): string {
  const parts: string[] = [];
  for (const f of [CERT_FILE, KEY_FILE]) {
    try {
      const s = statSync(join(certDir, f));
      parts.push(`${s.mtimeMs}:${s.size}:${s.ino}`);
    } catch {
      parts.push('missing');
    }
  }
  return parts.join('|');
}
