/**
 * @module
 * Wire documents described once, as data: each schema written with these builders is at the same time
 * the TypeScript type ({@link Infer}), the validator ({@link validate}) and the field list the docs show
 * ({@link describeShape}). The node status annotation, the NodeReport and the simulate output are each
 * written this way, so none of them is spelt out twice.
 *
 * Small on purpose: objects (with optional fields), arrays, strings (optionally with a format),
 * integers, booleans, enums, nullable values and unions tagged on one field are all those documents use.
 * Objects accept fields they do not list: readers of a versioned document must take what a newer
 * writer added within the same version. Pure: no I/O, nothing but this module and pkg/net.
 */
import { parseCidr, parseIPv4 } from '../net/ipv4.ts';

/** String formats checked beyond "is a string"; each says how the docs name it. */
export const STRING_FORMATS = {
  ipv4: { doc: 'IPv4 address', check: (s: string) => canParse(() => parseIPv4(s)) },
  cidr: { doc: 'IPv4 CIDR', check: (s: string) => canParse(() => parseCidr(s)) },
  'date-time': { doc: 'RFC 3339 time', check: (s: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(s) && !Number.isNaN(Date.parse(s)) },
} as const;
export type StringFormat = keyof typeof STRING_FORMATS;

function canParse(parse: () => unknown): boolean {
  try {
    parse();
    return true;
  } catch {
    return false;
  }
}

export type Shape =
  | { readonly t: 'string'; readonly format?: StringFormat; readonly pattern?: { readonly re: RegExp; readonly doc: string } }
  | { readonly t: 'integer'; readonly min?: number }
  | { readonly t: 'boolean' }
  /** Exactly this value: a version number, a kind. */
  | { readonly t: 'exactly'; readonly value: string | number | boolean }
  | { readonly t: 'enum'; readonly values: readonly string[] }
  | { readonly t: 'nullable'; readonly of: Shape }
  | { readonly t: 'optional'; readonly of: Shape }
  | { readonly t: 'array'; readonly of: Shape; readonly length?: number }
  | { readonly t: 'object'; readonly fields: Readonly<Record<string, Shape>> }
  /** Tagged union on `tag`: each tag value names its own extra fields. */
  | { readonly t: 'union'; readonly tag: string; readonly variants: Readonly<Record<string, Readonly<Record<string, Shape>>>> };

type Simplify<T> = { [K in keyof T]: T[K] } & {};

type Fields = Readonly<Record<string, Shape>>;
type RequiredKeys<F extends Fields> = { [K in keyof F]: F[K] extends { t: 'optional' } ? never : K }[keyof F];
type OptionalKeys<F extends Fields> = { [K in keyof F]: F[K] extends { t: 'optional' } ? K : never }[keyof F];
type InferFields<F extends Fields> = Simplify<
  { -readonly [K in RequiredKeys<F>]: Infer<F[K]> } & { -readonly [K in OptionalKeys<F>]?: F[K] extends { t: 'optional'; of: infer O extends Shape } ? Infer<O> : never }
>;

/** The TypeScript type of the documents a shape accepts. */
export type Infer<S extends Shape> = S extends { t: 'string' }
  ? string
  : S extends { t: 'integer' }
    ? number
    : S extends { t: 'boolean' }
      ? boolean
      : S extends { t: 'exactly'; value: infer V }
        ? V
      : S extends { t: 'enum'; values: readonly (infer V)[] }
        ? V
        : S extends { t: 'nullable'; of: infer O extends Shape }
          ? Infer<O> | null
          : S extends { t: 'optional'; of: infer O extends Shape }
            ? Infer<O>
            : S extends { t: 'array'; of: infer O extends Shape }
              ? Array<Infer<O>>
              : S extends { t: 'object'; fields: infer F extends Fields }
                ? InferFields<F>
                : S extends { t: 'union'; tag: infer T extends string; variants: infer V extends Readonly<Record<string, Fields>> }
                  ? { [K in keyof V & string]: Simplify<{ -readonly [P in T]: K } & InferFields<V[K]>> }[keyof V & string]
                  : never;

export const str = { t: 'string' } as const;
export const int = { t: 'integer' } as const;
/** An integer >= 0: counts. */
export const count = { t: 'integer', min: 0 } as const;
export const bool = { t: 'boolean' } as const;
export const ipv4 = { t: 'string', format: 'ipv4' } as const;
export const cidr = { t: 'string', format: 'cidr' } as const;
export const dateTime = { t: 'string', format: 'date-time' } as const;

export function exactly<const V extends string | number | boolean>(value: V): { readonly t: 'exactly'; readonly value: V } {
  return { t: 'exactly', value };
}
export function matching(re: RegExp, doc: string): { readonly t: 'string'; readonly pattern: { readonly re: RegExp; readonly doc: string } } {
  return { t: 'string', pattern: { re, doc } };
}
export function oneOf<const V extends readonly string[]>(...values: V): { readonly t: 'enum'; readonly values: V } {
  return { t: 'enum', values };
}
export function orNull<const S extends Shape>(of: S): { readonly t: 'nullable'; readonly of: S } {
  return { t: 'nullable', of };
}
/** Only inside an object's fields: the key may be absent. */
export function optional<const S extends Shape>(of: S): { readonly t: 'optional'; readonly of: S } {
  return { t: 'optional', of };
}
export function arr<const S extends Shape>(of: S, length?: number): { readonly t: 'array'; readonly of: S; readonly length?: number } {
  return length === undefined ? { t: 'array', of } : { t: 'array', of, length };
}
export function obj<const F extends Fields>(fields: F): { readonly t: 'object'; readonly fields: F } {
  return { t: 'object', fields };
}
export function union<const T extends string, const V extends Readonly<Record<string, Fields>>>(tag: T, variants: V): { readonly t: 'union'; readonly tag: T; readonly variants: V } {
  return { t: 'union', tag, variants };
}

/** Every way `value` departs from `shape`, as "path: problem" lines; empty when it conforms. */
export function validate(shape: Shape, value: unknown, path = '$'): string[] {
  switch (shape.t) {
    case 'string': {
      if (typeof value !== 'string') return [`${path}: expected a string, got ${kindOf(value)}`];
      if (shape.format && !STRING_FORMATS[shape.format].check(value)) return [`${path}: expected an ${STRING_FORMATS[shape.format].doc}, got ${JSON.stringify(value)}`];
      if (shape.pattern && !shape.pattern.re.test(value)) return [`${path}: expected ${shape.pattern.doc}, got ${JSON.stringify(value)}`];
      return [];
    }
    case 'integer':
      if (!Number.isInteger(value)) return [`${path}: expected an integer, got ${kindOf(value)}`];
      return shape.min !== undefined && (value as number) < shape.min ? [`${path}: expected an integer >= ${shape.min}, got ${String(value)}`] : [];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${path}: expected a boolean, got ${kindOf(value)}`];
    case 'exactly':
      return value === shape.value ? [] : [`${path}: expected ${JSON.stringify(shape.value)}, got ${JSON.stringify(value) ?? kindOf(value)}`];
    case 'enum':
      return typeof value === 'string' && shape.values.includes(value)
        ? []
        : [`${path}: expected one of ${shape.values.join(', ')}, got ${JSON.stringify(value)}`];
    case 'nullable':
      return value === null ? [] : validate(shape.of, value, path);
    case 'optional':
      return value === undefined ? [] : validate(shape.of, value, path);
    case 'array': {
      if (!Array.isArray(value)) return [`${path}: expected an array, got ${kindOf(value)}`];
      const errors = value.flatMap((item, i) => validate(shape.of, item, `${path}[${i}]`));
      if (shape.length !== undefined && value.length !== shape.length) errors.push(`${path}: expected ${shape.length} items, got ${value.length}`);
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

function validateFields(fields: Fields, value: unknown, path: string): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${path}: expected an object, got ${kindOf(value)}`];
  const record = value as Record<string, unknown>;
  const errors: string[] = [];
  for (const [key, shape] of Object.entries(fields)) {
    if (!Object.hasOwn(record, key)) {
      if (shape.t !== 'optional') errors.push(`${path}.${key}: missing`);
    } else {
      errors.push(...validate(shape, record[key], `${path}.${key}`));
    }
  }
  return errors;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

/** A type guard from a schema: the value conforms, so it may be used as the inferred type. */
export function conforms<S extends Shape>(shape: S, value: unknown): value is Infer<S> {
  return validate(shape, value).length === 0;
}

/** The shape as indented "field: type" lines (optional fields end in "?"), the form the docs show. */
export function describeShape(shape: Shape, indent = ''): string[] {
  const fields = shape.t === 'object' ? shape.fields : undefined;
  if (!fields) return [];
  return Object.entries(fields).flatMap(([key, field]) => {
    const inner = field.t === 'optional' ? field.of : field;
    const line = `${indent}${key}${field.t === 'optional' ? '?' : ''}: ${typeName(inner)}`;
    const nested = innerObject(inner);
    return nested ? [line, ...describeShape(nested, `${indent}  `)] : [line];
  });
}

function innerObject(shape: Shape): Shape | undefined {
  if (shape.t === 'object') return shape;
  if (shape.t === 'nullable' || shape.t === 'array' || shape.t === 'optional') return innerObject(shape.of);
  return undefined;
}

function typeName(shape: Shape): string {
  switch (shape.t) {
    case 'string':
      if (shape.format) return `string (${STRING_FORMATS[shape.format].doc})`;
      if (shape.pattern) return `string (${shape.pattern.doc})`;
      return 'string';
    case 'integer':
      return shape.min === 0 ? 'integer >= 0' : 'integer';
    case 'exactly':
      return JSON.stringify(shape.value);
    case 'enum':
      return shape.values.map((v) => JSON.stringify(v)).join(' | ');
    case 'nullable':
      return `${typeName(shape.of)} | null`;
    case 'optional':
      return typeName(shape.of);
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
