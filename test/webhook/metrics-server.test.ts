/**
 * The metrics/probe server over HTTPS with real certificate files: it serves the pair from its folder,
 * picks up a rotated pair without a restart, and refuses to start on a folder without a usable pair,
 * naming the metrics flag.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { Agent, request } from 'undici';
import { issueLoopbackServing } from '../harness/certs.ts';
import { waitFor } from '../harness/wait.ts';
import { silentLogger } from '../../pkg/support/log.ts';
import { CERT_FILE, CertError, KEY_FILE } from '../../pkg/adapters/http/cert-reloader.ts';
import { startProbeServer } from '../../pkg/adapters/http/probes.ts';

const PURPOSE = { what: 'metrics', flag: '--metrics-cert-dir' };

/** The certificate the server presents, as PEM-free DER, for comparison with the files. */
function presentedCert(port: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const raw = socket.getPeerCertificate().raw;
      socket.end();
      resolve(raw);
    });
    socket.on('error', reject);
  });
}

function derOf(pemFile: string): Buffer {
  const pem = readFileSync(pemFile, 'utf8');
  const body = pem.split('-----BEGIN CERTIFICATE-----')[1]!.split('-----END CERTIFICATE-----')[0]!;
  return Buffer.from(body.replace(/\s+/g, ''), 'base64');
}

test('serves HTTPS from the folder, verifiable with its CA, and reloads a rotated pair', async (t) => {
  const live = mkdtempSync(join(tmpdir(), 'winprefix-metrics-tls-'));
  const next = mkdtempSync(join(tmpdir(), 'winprefix-metrics-tls-next-'));
  t.after(() => {
    rmSync(live, { recursive: true, force: true });
    rmSync(next, { recursive: true, force: true });
  });
  const { ca } = await issueLoopbackServing({ dir: live, caName: 'metrics-ca', certFileName: CERT_FILE, keyFileName: KEY_FILE });
  await issueLoopbackServing({ dir: next, caName: 'metrics-ca-2', certFileName: CERT_FILE, keyFileName: KEY_FILE });
  const s = await startProbeServer({
    host: '127.0.0.1',
    port: 0,
    routes: { '/metrics': () => ({ status: 200, body: 'x 1\n' }) },
    tls: { certDir: live, log: silentLogger, purpose: PURPOSE, pollMs: 20 },
  });
  t.after(() => s.close());
  const agent = new Agent({ connect: { ca: ca.certPem } });
  t.after(() => agent.close());
  const r = await request(`https://127.0.0.1:${s.port}/metrics`, { dispatcher: agent });
  assert.equal(r.statusCode, 200);
  assert.equal(await r.body.text(), 'x 1\n');
  await assert.rejects(request(`http://127.0.0.1:${s.port}/metrics`, { headersTimeout: 2_000 }).then((res) => res.body.text()), 'plain HTTP is not served on the HTTPS port');

  copyFileSync(join(next, CERT_FILE), join(live, CERT_FILE));
  copyFileSync(join(next, KEY_FILE), join(live, KEY_FILE));
  const rotated = derOf(join(next, CERT_FILE));
  await waitFor('the rotated certificate to be presented', async () => ((await presentedCert(s.port)).equals(rotated) ? true : undefined), { timeoutMs: 5_000, intervalMs: 20 });
});

test('a folder without a usable pair stops the start with a message naming the metrics flag', async (t) => {
  const empty = mkdtempSync(join(tmpdir(), 'winprefix-metrics-empty-'));
  t.after(() => rmSync(empty, { recursive: true, force: true }));
  await assert.rejects(
    startProbeServer({ host: '127.0.0.1', port: 0, routes: {}, tls: { certDir: empty, log: silentLogger, purpose: PURPOSE } }),
    (err: unknown) => err instanceof CertError && /cannot read the metrics serving certificate/.test(err.message) && /--metrics-cert-dir/.test(err.message),
  );
});
