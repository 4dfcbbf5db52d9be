/**
 * The serving-certificate watcher against real files: a rotation that lands while the first
 * pair is being read must still be picked up by the next poll.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs, { mkdtempSync, rmSync, copyFileSync, readFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueLoopbackServing } from '../harness/certs.ts';
import { waitFor } from '../harness/wait.ts';
import { silentLogger } from '../../pkg/support/log.ts';
import { watchKeyPair, CERT_FILE, KEY_FILE } from '../../pkg/adapters/http/admission.ts';

test('files rotated while the first pair is read are reloaded on the next poll', async (t) => {
  const live = mkdtempSync(join(tmpdir(), 'winprefix-certs-'));
  const next = mkdtempSync(join(tmpdir(), 'winprefix-certs-next-'));
  t.after(() => {
    rmSync(live, { recursive: true, force: true });
    rmSync(next, { recursive: true, force: true });
  });
  await issueLoopbackServing({ dir: live, caName: 'old-ca', certFileName: CERT_FILE, keyFileName: KEY_FILE });
  await issueLoopbackServing({ dir: next, caName: 'new-ca', certFileName: CERT_FILE, keyFileName: KEY_FILE });

  // cert-manager swaps both files just after the watcher has read the key.
  const realRead = fs.readFileSync;
  let rotated = false;
  fs.readFileSync = ((path: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
    const data = (realRead as (...a: unknown[]) => unknown)(path, ...rest);
    if (!rotated && path === join(live, KEY_FILE)) {
      rotated = true;
      copyFileSync(join(next, CERT_FILE), join(live, CERT_FILE));
      copyFileSync(join(next, KEY_FILE), join(live, KEY_FILE));
    }
    return data;
  }) as typeof fs.readFileSync;
  syncBuiltinESMExports();
  let w: ReturnType<typeof watchKeyPair>;
  try {
    w = watchKeyPair({ certDir: live, intervalMs: 10, log: silentLogger, onChange: () => {} });
  } finally {
    fs.readFileSync = realRead;
    syncBuiltinESMExports();
  }
  t.after(() => w.stop());
  assert.ok(rotated);
  const newCert = readFileSync(join(next, CERT_FILE));
  await waitFor('the rotated certificate to be served', async () => (w.current().cert.equals(newCert) ? true : undefined), { timeoutMs: 2_000, intervalMs: 10 });
});
