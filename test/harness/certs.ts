/**
 * @module
 * Throwaway certificate authorities for the test control plane, made with the `openssl` command because
 * node:crypto can make keys but cannot sign X.509 certificates. ECDSA P-256, one week of validity, as
 * envtest's TinyCA. Each certificate is one openssl process (about 15 ms).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** A certificate the test CA issued: PEM files on disk plus their text, so callers can embed them (kubeconfigs) or point at them (flags). */
export interface IssuedCertificate {
  certPath: string;
  keyPath: string;
  certPem: string;
  keyPem: string;
}

export interface CertificateRequest {
  /** Written as `<dir>/<fileStem>.crt` and `<dir>/<fileStem>.key`, or the explicit names below. */
  dir: string;
  fileStem: string;
  certFileName?: string;
  keyFileName?: string;
  commonName: string;
  /** X.509 O= entries; Kubernetes reads them as the user's groups. */
  organizations?: string[];
  /** Signing CA; omit for a self-signed CA certificate. */
  issuer?: IssuedCertificate;
  /** `IP:127.0.0.1`, `DNS:localhost`: makes it a serving certificate. */
  subjectAltNames?: string[];
  usage?: 'ca' | 'server' | 'client';
}

export class OpensslError extends Error {
  override name = 'OpensslError';
}

const VALIDITY_DAYS = '7';

/** Escapes `/`, `+`, `=` and `\` in one RDN value of an openssl `-subj` string. */
function rdn(value: string): string {
  return value.replace(/[\\/+=]/g, (c) => `\\${c}`);
}

export async function issueCertificate(req: CertificateRequest): Promise<IssuedCertificate> {
  const certPath = join(req.dir, req.certFileName ?? `${req.fileStem}.crt`);
  const keyPath = join(req.dir, req.keyFileName ?? `${req.fileStem}.key`);
  const subject = [...(req.organizations ?? []).map((o) => `/O=${rdn(o)}`), `/CN=${rdn(req.commonName)}`].join('');
  const usage = req.usage ?? (req.issuer ? 'client' : 'ca');
  const extensions =
    usage === 'ca'
      ? ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature']
      : [
          'basicConstraints=critical,CA:FALSE',
          'keyUsage=critical,digitalSignature,keyEncipherment',
          `extendedKeyUsage=${usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
        ];
  if (req.subjectAltNames && req.subjectAltNames.length > 0) {
    extensions.push(`subjectAltName=${req.subjectAltNames.join(',')}`);
  }
  const args = [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyPath, '-out', certPath, '-subj', subject, '-days', VALIDITY_DAYS,
    ...(req.issuer ? ['-CA', req.issuer.certPath, '-CAkey', req.issuer.keyPath] : []),
    ...extensions.flatMap((e) => ['-addext', e]),
  ];
  try {
    await execFileAsync('openssl', args, { timeout: 30_000 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      throw new OpensslError(
        'the `openssl` command was not found on PATH; the test control plane needs it to make its throwaway ' +
          'certificates (install it, e.g. `apt-get install openssl`)',
      );
    }
    throw new OpensslError(`openssl could not issue a certificate for ${subject}: ${e.stderr?.trim() || e.message}`);
  }
  const [certPem, keyPem] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
  return { certPath, keyPath, certPem, keyPem };
}

/** A CA plus a serving certificate for the loopback address, as a local server needs it. */
export async function issueLoopbackServing(opts: {
  dir: string;
  caName: string;
  certFileName?: string;
  keyFileName?: string;
}): Promise<{ ca: IssuedCertificate; serving: IssuedCertificate }> {
  const ca = await issueCertificate({ dir: opts.dir, fileStem: 'ca', commonName: opts.caName, usage: 'ca' });
  const serving = await issueCertificate({
    dir: opts.dir,
    fileStem: 'serving',
    certFileName: opts.certFileName,
    keyFileName: opts.keyFileName,
    commonName: '127.0.0.1',
    issuer: ca,
    usage: 'server',
    subjectAltNames: ['IP:127.0.0.1', 'DNS:localhost'],
  });
  return { ca, serving };
}
