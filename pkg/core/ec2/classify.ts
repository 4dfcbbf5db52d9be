/**
 * @module
 * Turns whatever the SDK throws into an {@link Ec2Error}, deciding by the error's code or name only, never by
 * its message text (upstream matched "InsufficientCidrBlocks" as a message prefix, which SDK errors never carry).
 */
import { Ec2Error, type Ec2ErrorKind } from './errors.ts';

const THROTTLING_CODES = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'EC2ThrottledException',
  'SlowDown',
  'PriorRequestNotComplete',
  'BandwidthLimitExceeded',
]);

const UNAUTHORIZED_CODES = new Set([
  'UnauthorizedOperation',
  'AuthFailure',
  'Blocked',
  'OptInRequired',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'RequestExpired',
  'AccessDenied',
  'AccessDeniedException',
  'UnrecognizedClientException',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  // Thrown by the SDK's credential chain when no provider yields credentials.
  'CredentialsProviderError',
]);

const ADDRESS_LIMIT_CODES = new Set(['PrivateIpAddressLimitExceeded', 'InsufficientFreeAddressesInSubnet']);

/** Node socket and DNS errors, and the SDK's own timeout and abort errors. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ECONNABORTED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'AbortError',
]);

const NOT_FOUND_CODES = new Set(['InvalidInstanceType']);

/** The EC2 error code of an SDK error, or the Node error code of a network failure. */
export function errorCodeOf(err: unknown): string {
  if (typeof err !== 'object' || err === null) return 'Unknown';
  const e = err as { Code?: unknown; code?: unknown; name?: unknown; cause?: unknown; errors?: unknown };
  // EC2 service errors: the SDK sets name (and Code) to the EC2 error code.
  if (typeof e.Code === 'string' && e.Code) return e.Code;
  // Node system errors carry `code`; AggregateError (happy eyeballs) nests them.
  if (typeof e.code === 'string' && e.code) return e.code;
  if (Array.isArray(e.errors) && e.errors.length > 0) return errorCodeOf(e.errors[0]);
  if (typeof e.name === 'string' && e.name && e.name !== 'Error') return e.name;
  if (e.cause !== undefined) return errorCodeOf(e.cause);
  return 'Unknown';
}

export function kindOfCode(code: string): Ec2ErrorKind {
  if (code === 'InsufficientCidrBlocks') return 'insufficient-cidr-blocks';
  if (ADDRESS_LIMIT_CODES.has(code)) return 'address-limit-exceeded';
  if (THROTTLING_CODES.has(code)) return 'throttled';
  // A malformed id names nothing that can exist, so callers treat it like a missing one (with EC2's message).
  if (code.endsWith('.NotFound') || code.endsWith('.Malformed') || NOT_FOUND_CODES.has(code)) return 'not-found';
  if (UNAUTHORIZED_CODES.has(code)) return 'unauthorized';
  if (UNREACHABLE_CODES.has(code)) return 'unreachable';
  return 'other';
}

const ADVICE: Record<Ec2ErrorKind, (action: string) => string> = {
  'insufficient-cidr-blocks': () =>
    'the subnet has no free aligned /28 block; free addresses in the subnet, add a subnet CIDR reservation of type prefix, or use secondary-IP mode',
  'address-limit-exceeded': () => 'the network interface has no free slot, or the subnet no free address; release addresses or use a larger instance type',
  throttled: () => 'EC2 is throttling this account; lower the client rate limit or wait',
  'not-found': () => 'check the id and the region',
  unauthorized: (action) => `grant ec2:${action} to the credentials in use, or check that credentials are configured`,
  unreachable: () => 'check the EC2 endpoint (AWS_ENDPOINT_URL_EC2, --ec2-endpoint), the network and the request timeout',
  other: () => 'see the EC2 error code',
};

/** Classifies an SDK failure of `action` (e.g. "AssignPrivateIpAddresses") into an Ec2Error. */
export function classifyEc2Error(err: unknown, action: string): Ec2Error {
  if (err instanceof Ec2Error) return err;
  const code = errorCodeOf(err);
  const kind = kindOfCode(code);
  const detail = err instanceof Error ? err.message : String(err);
  return new Ec2Error(kind, code, action, `EC2 ${action} failed with ${code}: ${detail} (${ADVICE[kind](action)})`, { cause: err });
}
