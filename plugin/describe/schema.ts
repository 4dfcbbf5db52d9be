/**
 * @module
 * The NodeReport schema as data, and a validator for it. This is the schema's single source:
 * docs/describe-node.md documents it, the tests validate real `-o json` output against it, and
 * `describeSchema()` prints it for the docs. Small on purpose: objects with required keys,
 * arrays, strings, integers, booleans, enums and nullable values are all the report uses.
 */
import { REPORT_API_VERSION, REPORT_KIND } from './report.ts';

export type Shape =
  | { t: 'string' }
  | { t: 'integer' }
  | { t: 'boolean' }
  | { t: 'enum'; values: readonly string[] }
  | { t: 'nullable'; of: Shape }
  | { t: 'array'; of: Shape; length?: number }
  | { t: 'object'; fields: Readonly<Record<string, Shape>> }
  /** Tagged union on `kind`: each tag names its own extra fields. */
  | { t: 'union'; tag: string; variants: Readonly<Record<string, Readonly<Record<string, Shape>>>> };

const str: Shape = { t: 'string' };
const int: Shape = { t: 'integer' };
const bool: Shape = { t: 'boolean' };
const oneOf = (...values: string[]): Shape => ({ t: 'enum', values });
const orNull = (of: Shape): Shape => ({ t: 'nullable', of });
const arr = (of: Shape, length?: number): Shape => (length === undefined ? { t: 'array', of } : { t: 'array', of, length });
const obj = (fields: Record<string, Shape>): Shape => ({ t: 'object', fields });

const cell = oneOf('used', 'free', 'cooling');
const podRef = obj({ namespace: str, name: str });

export const NODE_REPORT_SCHEMA: Shape = obj({
  apiVersion: oneOf(REPORT_API_VERSION),
  kind: oneOf(REPORT_KIND),
  metadata: obj({ name: str, generatedAt: str }),
  node: obj({
    name: str,
    providerID: orNull(str),
    instanceId: orNull(str),
    instanceType: orNull(str),
    zone: orNull(str),
    region: orNull(str),
    managedBy: oneOf('winprefix', 'aws-vpc-resource-controller', 'unknown'),
  }),
  mode: obj({
    mode: oneOf('prefix', 'secondary', 'mixed', 'unmanaged', 'unknown'),
    activeMode: orNull(oneOf('prefix', 'secondary')),
    reason: str,
    source: oneOf('status-annotation', 'inferred'),
  }),
  statusAnnotation: obj({ present: bool, at: orNull(str), error: orNull(str) }),
  controller: obj({
    pending: orNull(obj({ assignPrefixes: int, assignSecondaryIps: int, unassignPrefixes: int, unassignSecondaryIps: int, resync: bool })),
    lastError: orNull(obj({ reason: str, message: str, at: str })),
  }),
  ec2: obj({ available: bool, region: orNull(str), error: orNull(str) }),
  slots: obj({ total: orNull(int), prefixes: orNull(int), secondaryIps: orNull(int), free: orNull(int) }),
  interfaces: arr(obj({ id: str, deviceIndex: orNull(int), subnetId: str, primaryIp: str, prefixes: int, secondaryIps: int })),
  prefixes: arr(obj({ cidr: str, interfaceId: str, used: int, free: int, cooling: int, cells: arr(cell, 16) })),
  secondaryIps: arr(obj({ ip: str, interfaceId: str, state: cell, pod: orNull(podRef) })),
  pods: arr(
    obj({
      namespace: str,
      name: str,
      uid: str,
      phase: str,
      address: orNull(str),
      annotation: orNull(str),
      requestsAddress: bool,
      source: {
        t: 'union',
        tag: 'kind',
        variants: {
          prefix: { prefix: str, interfaceId: str },
          'secondary-ip': { interfaceId: str },
          'not-on-eni': {},
          none: {},
          unknown: {},
        },
      },
      createdAt: orNull(str),
      ageSeconds: orNull(int),
    }),
  ),
  warm: obj({ count: int, addresses: arr(str) }),
  cooling: obj({ count: int, addresses: arr(str) }),
  capacity: obj({ advertised: orNull(int), deliverable: orNull(int), nominal: orNull(int), maxPods: orNull(int), requested: int }),
  config: obj({
    configMap: str,
    found: bool,
    error: orNull(str),
    ipamEnabled: bool,
    prefixDelegationEnabled: bool,
    source: oneOf('status-annotation', 'configmap'),
    sizing: orNull(oneOf('ip-targets', 'prefix-target')),
    warmIPTarget: orNull(int),
    minimumIPTarget: orNull(int),
    warmPrefixTarget: orNull(int),
    problems: arr(obj({ key: str, value: str, message: str })),
  }),
  events: arr(
    obj({
      type: str,
      reason: str,
      object: obj({ kind: str, namespace: orNull(str), name: str }),
      message: str,
      count: int,
      lastSeen: orNull(str),
      source: orNull(str),
    }),
  ),
  findings: arr(
    obj({
      kind: oneOf(
        'pod-address-not-on-eni',
        'unreadable-pod-address',
        'duplicate-pod-address',
        'unexplained-eni-address',
        'over-advertised-capacity',
        'mixed-mode-eni',
        'pod-without-address',
        'pod-without-resource-request',
        'pod-sandbox-failing',
      ),
      subject: str,
      message: str,
      meaning: str,
      action: str,
    }),
  ),
});

/** Every way `value` departs from `shape`, as "path: problem" lines; empty when it conforms. */
export function validateAgainst(shape: Shape, value: unknown, path = '$'): string[] {
  switch (shape.t) {
    case 'string':
      return typeof value === 'string' ? [] : [`${path}: expected a string, got ${kindOf(value)}`];
    case 'integer':
      return Number.isInteger(value) ? [] : [`${path}: expected an integer, got ${kindOf(value)}`];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${path}: expected a boolean, got ${kindOf(value)}`];
    case 'enum':
      return typeof value === 'string' && shape.values.includes(value)
        ? []
        : [`${path}: expected one of ${shape.values.join(', ')}, got ${JSON.stringify(value)}`];
    case 'nullable':
      return value === null ? [] : validateAgainst(shape.of, value, path);
    case 'array': {
      if (!Array.isArray(value)) return [`${path}: expected an array, got ${kindOf(value)}`];
      const errors = value.flatMap((item, i) => validateAgainst(shape.of, item, `${path}[${i}]`));
      if (shape.length !== undefined && value.length !== shape.length) {
        errors.push(`${path}: expected ${shape.length} items, got ${value.length}`);
      }
      return errors;
    }
    case 'object':
      return validateFields(shape.fields, value, path);
    case 'union': {
      if (typeof value !== 'object' || value === null) return [`${path}: expected an object, got ${kindOf(value)}`];
      const tag = (value as Record<string, unknown>)[shape.tag];
      const fields = typeof tag === 'string' && Object.hasOwn(shape.variants, tag) ? shape.variants[tag] : undefined;
      if (!fields) return [`${path}.${shape.tag}: expected one of ${Object.keys(shape.variants).join(', ')}, got ${JSON.stringify(tag)}`];
      return validateFields({ [shape.tag]: str, ...fields }, value, path);
    }
  }
}

function validateFields(fields: Readonly<Record<string, Shape>>, value: unknown, path: string): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [`${path}: expected an object, got ${kindOf(value)}`];
  }
  const record = value as Record<string, unknown>;
  const errors: string[] = [];
  for (const [key, shape] of Object.entries(fields)) {
    if (!Object.hasOwn(record, key)) errors.push(`${path}.${key}: missing`);
    else errors.push(...validateAgainst(shape, record[key], `${path}.${key}`));
  }
  return errors;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

export function validateNodeReport(value: unknown): string[] {
  return validateAgainst(NODE_REPORT_SCHEMA, value);
}

/** The schema as indented "field: type" lines, the form docs/describe-node.md shows. */
export function describeSchema(shape: Shape = NODE_REPORT_SCHEMA, indent = ''): string[] {
  if (shape.t !== 'object') return [];
  return Object.entries(shape.fields).flatMap(([key, field]) => {
    const line = `${indent}${key}: ${typeName(field)}`;
    const inner = innerObject(field);
    return inner ? [line, ...describeSchema(inner, `${indent}  `)] : [line];
  });
}

function innerObject(shape: Shape): Shape | undefined {
  if (shape.t === 'object') return shape;
  if (shape.t === 'nullable' || shape.t === 'array') return innerObject(shape.of);
  return undefined;
}

function typeName(shape: Shape): string {
  switch (shape.t) {
    case 'enum':
      return shape.values.map((v) => JSON.stringify(v)).join(' | ');
    case 'nullable':
      return `${typeName(shape.of)} | null`;
    case 'array':
      return `array of ${typeName(shape.of)}${shape.length === undefined ? '' : ` (${shape.length} items)`}`;
    case 'object':
      return 'object';
    case 'union':
      return `object tagged by "${shape.tag}": ${Object.entries(shape.variants)
        .map(([tag, fields]) => `${tag}${Object.keys(fields).length ? ` {${Object.keys(fields).join(', ')}}` : ''}`)
        .join(' | ')}`;
    default:
      return shape.t;
  }
}
