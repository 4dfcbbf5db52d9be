import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { decodeBase64Utf8, encodeBase64Utf8 } from './base64.ts';

test('base64 of UTF-8 matches Node Buffer for ASCII, multi-byte and astral text of every length mod 3', () => {
  const samples = ['', 'a', 'ab', 'abc', 'abcd', '[{"op":"add","path":"/x~1y"}]', 'é', 'ü€', '日本語', '😀 x', 'a'.repeat(1000) + 'ß'];
  for (const s of samples) {
    const expected = Buffer.from(s, 'utf8').toString('base64');
    assert.equal(encodeBase64Utf8(s), expected, JSON.stringify(s));
    assert.equal(decodeBase64Utf8(expected), s, JSON.stringify(s));
  }
});

test('a lone surrogate encodes as U+FFFD, as Buffer does', () => {
  assert.equal(encodeBase64Utf8('\ud800'), Buffer.from('\ud800', 'utf8').toString('base64'));
});
