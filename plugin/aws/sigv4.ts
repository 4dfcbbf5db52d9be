/**
 * @module
 * AWS Signature Version 4 for the plugin's EC2 Query requests: POST of a form body to `/`, the only shape
 * plugin/aws/ec2-reader.ts sends. Why not the SDK's signer (@smithy/signature-v4): it loads with
 * @smithy/core, some 100 KB of code whose start-up cost is most of an EC2 call's; the algorithm for this
 * one shape is short. sigv4.test.ts checks it byte for byte against the SDK's signer.
 *
 * Reference: the AWS General Reference, "Signature Version 4 signing process": canonical request, string
 * to sign, derived signing key (date, region, service, "aws4_request"), Authorization header.
 */
import { crypto } from '../builtins.ts';
import type { AwsCredentials } from './config.ts';

export interface SignedHeaders {
  [name: string]: string;
}

const sha256Hex = (data: string) => crypto().createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: Buffer | string, data: string) => crypto().createHmac('sha256', key).update(data, 'utf8').digest();

/** "20261122T030000Z" and "20261122" for `now`. */
function stamps(now: Date): { amzDate: string; date: string } {
  const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  return { amzDate, date: amzDate.slice(0, 8) };
}

/**
 * The headers to send with a signed POST of `body` to `url` (path `/`, no query): the given headers plus
 * x-amz-date, x-amz-security-token when the credentials have a session token, and authorization.
 */
export function signQueryPost(o: {
  url: URL;
  headers: Readonly<Record<string, string>>;
  body: string;
  credentials: AwsCredentials;
  region: string;
  service: string;
  now: Date;
}): SignedHeaders {
  const { amzDate, date } = stamps(o.now);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.headers)) headers[k.toLowerCase()] = v;
  headers.host = o.url.host;
  headers['x-amz-date'] = amzDate;
  if (o.credentials.sessionToken) headers['x-amz-security-token'] = o.credentials.sessionToken;
  // user-agent is left unsigned, as the SDK leaves it: proxies may rewrite it.
  const signed = Object.keys(headers)
    .filter((h) => h !== 'user-agent')
    .sort();
  const canonicalHeaders = signed.map((h) => `${h}:${headers[h]!.trim().replace(/\s+/g, ' ')}\n`).join('');
  const signedHeaders = signed.join(';');
  const canonicalRequest = ['POST', o.url.pathname || '/', '', canonicalHeaders, signedHeaders, sha256Hex(o.body)].join('\n');
  const scope = `${date}/${o.region}/${o.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const kDate = hmac(`AWS4${o.credentials.secretAccessKey}`, date);
  const kRegion = hmac(kDate, o.region);
  const kService = hmac(kRegion, o.service);
  const kSigning = hmac(kService, 'aws4_request');
  const signature = crypto().createHmac('sha256', kSigning).update(stringToSign, 'utf8').digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${o.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}
