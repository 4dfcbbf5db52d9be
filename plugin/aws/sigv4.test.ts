/**
 * The plugin's SigV4 signs exactly as the AWS SDK's own signer (@smithy/signature-v4, the oracle): same
 * signed headers, same signature, for the requests the EC2 reader sends.
 */
import assert from 'node:assert/strict';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { SignatureV4 } from '@smithy/signature-v4';
import { signQueryPost } from './sigv4.ts';

/** The hash interface the SDK signer takes, on node:crypto (what @smithy/hash-node provides). */
class Sha256 {
  readonly #hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', typeof secret === 'string' ? secret : Buffer.from(secret as Uint8Array));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.#hash.update(typeof data === 'string' ? data : Buffer.from(data as Uint8Array));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
  reset(): void {}
}

const cases = [
  { endpoint: 'https://ec2.us-west-2.amazonaws.com', region: 'us-west-2', creds: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' } },
  {
    endpoint: 'https://ec2.cn-north-1.amazonaws.com.cn',
    region: 'cn-north-1',
    creds: { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret/with+chars=', sessionToken: 'FwoGZXIvYXdzE//session+token==' },
  },
  { endpoint: 'http://127.0.0.1:4566', region: 'eu-central-1', creds: { accessKeyId: 'AKIDTEST', secretAccessKey: 'x' } },
];
const bodies = [
  'Action=DescribeNetworkInterfaces&Version=2016-11-15&Filter.1.Name=attachment.instance-id&Filter.1.Value.1=i-0abc&MaxResults=1000',
  new URLSearchParams({ Action: 'DescribeInstances', Version: '2016-11-15', 'InstanceId.1': 'i-0123456789abcdef0', NextToken: 'a b+c/d=é' }).toString(),
];

describe('SigV4 for EC2 Query requests', () => {
  for (const c of cases) {
    for (const body of bodies) {
      it(`matches the SDK's signer: ${c.endpoint}, ${body.slice(0, 40)}`, async () => {
        const url = new URL(c.endpoint);
        const now = new Date('2026-11-22T03:04:05.678Z');
        const headers = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', 'user-agent': 'kubectl-winprefix' };
        const ours = signQueryPost({ url, headers, body, credentials: c.creds, region: c.region, service: 'ec2', now });
        const sdk = new SignatureV4({ credentials: c.creds, region: c.region, service: 'ec2', sha256: Sha256, uriEscapePath: true, applyChecksum: false });
        const theirs = await sdk.sign(
          { method: 'POST', protocol: url.protocol, hostname: url.hostname, ...(url.port ? { port: Number(url.port) } : {}), path: '/', query: {}, headers: { ...headers, host: url.host }, body },
          { signingDate: now },
        );
        const lower = Object.fromEntries(Object.entries(theirs.headers).map(([k, v]) => [k.toLowerCase(), v]));
        assert.equal(ours.authorization, lower.authorization);
        assert.equal(ours['x-amz-date'], lower['x-amz-date']);
        assert.equal(ours['x-amz-security-token'], lower['x-amz-security-token']);
      });
    }
  }
});
