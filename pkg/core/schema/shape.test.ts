import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { arr, bool, cidr, conforms, count, describeShape, exactly, int, obj, oneOf, optional, orNull, str, union, validate, type Infer } from './shape.ts';

const sample = obj({
  v: exactly(1),
  n: int,
  c: count,
  e: oneOf('a', 'b'),
  maybe: orNull(str),
  later: optional(obj({ flag: bool })),
  pair: arr(bool, 2),
  block: cidr,
  u: union('kind', { x: { id: str }, y: {} }),
});
type Sample = Infer<typeof sample>;

// Compile-time: the inferred type is the document's type (tsc checks these lines).
const typed: Sample = { v: 1, n: -1, c: 0, e: 'a', maybe: null, pair: [true, false], block: '10.0.0.0/28', u: { kind: 'x', id: 'i' } };
// @ts-expect-error an enum value outside the list is a type error
const wrongEnum: Sample = { ...typed, e: 'c' };
// @ts-expect-error a variant without its fields is a type error
const wrongVariant: Sample = { ...typed, u: { kind: 'x' } };
void wrongEnum;
void wrongVariant;

describe('schema shapes', () => {
  it('accept a conforming document, optional fields absent or present, and fields they do not list', () => {
    assert.deepEqual(validate(sample, typed), []);
    assert.deepEqual(validate(sample, { ...typed, later: { flag: true }, extra: 'kept for newer writers' }), []);
    assert.ok(conforms(sample, typed));
  });

  it('name every departure by path: types, formats, minimums, enums, nullables, lengths, tagged unions', () => {
    assert.deepEqual(validate(sample, { v: 2, n: 1.5, c: -1, e: 'c', maybe: 3, later: { flag: 'yes' }, pair: [1], block: '10.0.0.0', u: { kind: 'x' } }), [
      '$.v: expected 1, got 2',
      '$.n: expected an integer, got number',
      '$.c: expected an integer >= 0, got -1',
      '$.e: expected one of a, b, got "c"',
      '$.maybe: expected a string, got number',
      '$.later.flag: expected a boolean, got string',
      '$.pair[0]: expected a boolean, got number',
      '$.pair: expected 2 items, got 1',
      '$.block: expected an IPv4 CIDR, got "10.0.0.0"',
      '$.u.id: missing',
    ]);
    assert.deepEqual(validate(sample, []), ['$: expected an object, got an array']);
    assert.deepEqual(validate(sample, { ...typed, u: { kind: 'z' } }), ['$.u.kind: expected one of x, y, got "z"']);
  });

  it('print as the "field: type" lines the docs show', () => {
    assert.deepEqual(describeShape(obj({ a: count, b: optional(obj({ c: orNull(oneOf('p', 'q')) })), d: arr(str) })), [
      'a: integer >= 0',
      'b?: object',
      '  c: "p" | "q" | null',
      'd: array of string',
    ]);
  });
});
