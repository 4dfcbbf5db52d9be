/**
 * @module
 * EC2 failures, classified by the error code EC2 returns, never by message text
 * (upstream's text match on "InsufficientCidrBlocks" never fires with SDK v3/v2 errors).
 */

export type Ec2ErrorKind =
  /** The subnet has no free aligned /28 (code InsufficientCidrBlocks). */
  | 'insufficient-cidr-blocks'
  /** The ENI has no free slot (PrivateIpAddressLimitExceeded) or the subnet no free address (InsufficientFreeAddressesInSubnet). */
  | 'address-limit-exceeded'
  /** RequestLimitExceeded, Throttling, ... after the SDK's own retries. */
  | 'throttled'
  /** Invalid*.NotFound codes. */
  | 'not-found'
  /** UnauthorizedOperation, AuthFailure, missing credentials. */
  | 'unauthorized'
  /** Could not reach the endpoint at all, or the request timed out. */
  | 'unreachable'
  | 'other';

const BRAND = Symbol.for('winprefix.Ec2Error');

export class Ec2Error extends Error {
  readonly kind: Ec2ErrorKind;
  /** The EC2 error code (e.g. "InsufficientCidrBlocks"), or a network error code. */
  readonly code: string;
  /** The EC2 action that failed, e.g. "AssignPrivateIpAddresses". */
  readonly action: string;
  /** The IAM permission this action needs, for "denied" messages. */
  get permission(): string {
    return `ec2:${this.action}`;
  }
  constructor(kind: Ec2ErrorKind, code: string, action: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'Ec2Error';
    this.kind = kind;
    this.code = code;
    this.action = action;
  }
  /** Works across duplicated module copies in one bundle (undici's brand pattern). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // Subclasses inherit this method: they must keep the ordinary prototype check, or every branded
    // error would count as an instance of every subclass.
    if (this !== Ec2Error) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
  get [BRAND](): boolean {
    return true;
  }
}

export function isEc2Error(value: unknown): value is Ec2Error {
  return value instanceof Ec2Error;
}

/**
 * An assign succeeded but not everything it returned became visible on the ENI within the bounded wait.
 * `visible` holds what DescribeNetworkInterfaces did show (safe to use); `missing` the rest (a later re-sync
 * picks them up). Kind 'other', code WinprefixAssignmentNotVisible.
 */
export class Ec2AssignmentNotVisibleError extends Ec2Error {
  readonly networkInterfaceId: string;
  readonly visible: string[];
  readonly missing: string[];
  constructor(
    action: string,
    networkInterfaceId: string,
    visible: string[],
    missing: string[],
    waitedMs: number,
    options?: { cause?: unknown },
  ) {
    super(
      'other',
      'WinprefixAssignmentNotVisible',
      action,
      `${missing.length} of ${visible.length + missing.length} addresses assigned to ${networkInterfaceId} were still not visible ` +
        `after ${Math.round(waitedMs)} ms (${missing.join(', ')}); the visible ones are usable, a re-sync will find the rest`,
      options,
    );
    this.name = 'Ec2AssignmentNotVisibleError';
    this.networkInterfaceId = networkInterfaceId;
    this.visible = visible;
    this.missing = missing;
  }
}

/** Throws, before anything is sent, for an assign of no or a fractional number of addresses. */
export function checkAssignCount(count: number): void {
  if (!Number.isInteger(count) || count < 1) {
    throw new Ec2Error('other', 'WinprefixBadArgument', 'AssignPrivateIpAddresses', `cannot assign ${count} addresses: the count must be a positive integer`);
  }
}

/** An instance without the ENI that carries its private IP: upstream's definition of the primary ENI needs one. */
export function noPrimaryInterface(instanceId: string | undefined, privateIp: string | undefined): Ec2Error {
  return new Ec2Error('not-found', 'WinprefixNoPrimaryInterface', 'DescribeInstances', `instance ${instanceId} has no network interface whose primary address is the instance's ${privateIp}`);
}
