/**
 * @module
 * EC2 resource id shapes (a kind prefix and 8 or 17 hex digits). The world file rejects other ids, so the
 * simulator's `*.Malformed` errors mean the same as EC2's.
 */

export const ID_PATTERNS = {
  instance: /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/,
  networkInterface: /^eni-(?:[0-9a-f]{8}|[0-9a-f]{17})$/,
  subnet: /^subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})$/,
  vpc: /^vpc-(?:[0-9a-f]{8}|[0-9a-f]{17})$/,
} as const;
