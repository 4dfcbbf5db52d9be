import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AddressError,
  cidrContains,
  formatCidr,
  formatIPv4,
  maskOf,
  parseCidr,
  parseIPv4,
  sizeOf,
  splitMaskedAddress,
} from './ipv4.ts';

const rejects = (fn: () => unknown, bad: string) =>
  assert.throws(fn, (err: unknown) => err instanceof AddressError && err.code === 'WINPREFIX_BAD_ADDRESS' && err.message.includes(bad));

describe('parseIPv4 / formatIPv4', () => {
  test('round-trips the edges of the address space', () => {
    for (const text of ['0.0.0.0', '10.0.1.17', '192.168.25.15', '255.255.255.255']) {
      assert.equal(formatIPv4(parseIPv4(text)), text);
    }
    assert.equal(parseIPv4('255.255.255.255'), 0xffffffff);
    assert.equal(parseIPv4('10.0.0.1'), 0x0a000001);
  });

  test('rejects malformed input, naming it', () => {
    for (const bad of ['', '10.0.0', '10.0.0.0.1', '10.0.0.256', '10.0.0.-1', 'a.b.c.d', '10.0.0.01', ' 10.0.0.1', '10.0.0.1/32', '1e1.0.0.1']) {
      rejects(() => parseIPv4(bad), `"${bad}"`);
    }
  });
});

describe('CIDR', () => {
  test('parses and formats, masking host bits unless strict', () => {
    assert.deepEqual(parseCidr('10.0.1.16/28'), { base: parseIPv4('10.0.1.16'), prefixLength: 28 });
    assert.equal(formatCidr(parseCidr('10.0.1.17/28')), '10.0.1.16/28');
    assert.equal(formatCidr(parseCidr('0.0.0.0/0')), '0.0.0.0/0');
    assert.equal(formatCidr(parseCidr('10.0.0.5/32')), '10.0.0.5/32');
  });

  test('strict parsing rejects unaligned blocks and says where the network starts', () => {
    rejects(() => parseCidr('10.0.1.17/28', { strict: true }), '10.0.1.16/28');
  });

  test('rejects bad lengths and missing slashes', () => {
    for (const bad of ['10.0.0.0', '10.0.0.0/33', '10.0.0.0/', '10.0.0.0/x', '10.0.0.0/-1', '10.0.0.0/123']) {
      rejects(() => parseCidr(bad), `"${bad}"`);
    }
  });

  test('sizes, masks and containment of a /28 (16 addresses)', () => {
    const block = parseCidr('10.0.1.16/28');
    assert.equal(sizeOf(block), 16);
    assert.equal(maskOf(28), 0xfffffff0);
    assert.equal(maskOf(0), 0);
    assert.equal(maskOf(32), 0xffffffff);
    assert.ok(cidrContains(block, parseIPv4('10.0.1.16')));
    assert.ok(cidrContains(block, parseIPv4('10.0.1.31')));
    assert.ok(!cidrContains(block, parseIPv4('10.0.1.32')));
    assert.ok(!cidrContains(block, parseIPv4('10.0.1.15')));
    assert.ok(cidrContains(parseCidr('0.0.0.0/0'), parseIPv4('203.0.113.9')));
  });
});

describe('splitMaskedAddress (pod annotations)', () => {
  test('reads ip/32, ip/<subnet mask> and a bare ip', () => {
    assert.deepEqual(splitMaskedAddress('10.0.0.5/32'), { ip: '10.0.0.5', prefixLength: 32 });
    assert.deepEqual(splitMaskedAddress('192.168.25.15/19'), { ip: '192.168.25.15', prefixLength: 19 });
    assert.deepEqual(splitMaskedAddress('10.0.0.5'), { ip: '10.0.0.5', prefixLength: undefined });
  });

  test('rejects bad masks and bad addresses', () => {
    rejects(() => splitMaskedAddress('10.0.0.5/40'), '"10.0.0.5/40"');
    rejects(() => splitMaskedAddress('10.0.0.5/'), '"10.0.0.5/"');
    rejects(() => splitMaskedAddress('10.0.0/32'), '"10.0.0"');
  });
});
