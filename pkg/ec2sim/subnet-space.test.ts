import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { formatIPv4, parseCidr, parseIPv4 } from '../core/net/ipv4.ts';
import { createPrng } from './prng.ts';
import { SubnetSpace, blockOf, cidrsOverlap } from './subnet-space.ts';

function space(cidr: string): SubnetSpace {
  return new SubnetSpace({ id: 'subnet-00000001', vpcId: 'vpc-00000001', cidr: parseCidr(cidr), availabilityZone: 'us-west-2a', prng: createPrng(1) });
}

describe('SubnetSpace', () => {
  test('blockOf and cidrsOverlap', () => {
    assert.equal(formatIPv4(blockOf(parseIPv4('10.0.1.31'))), '10.0.1.16');
    assert.ok(cidrsOverlap(parseCidr('10.0.1.0/24'), parseCidr('10.0.1.16/28')));
    assert.ok(cidrsOverlap(parseCidr('10.0.1.20/30'), parseCidr('10.0.1.16/28')));
    assert.ok(!cidrsOverlap(parseCidr('10.0.1.32/28'), parseCidr('10.0.1.16/28')));
  });

  test('an explicit reservation smaller than a /28 still keeps prefixes out of its block', () => {
    const s = space('10.0.1.0/26');
    s.reservations.push({ id: 'scr-1', cidr: parseCidr('10.0.1.20/30'), type: 'explicit', description: '' });
    // Blocks: .0 (reserved addresses), .16 (touches the explicit /30), .32 free, .48 (holds the last address).
    assert.equal(formatIPv4(s.pickBlock(new Set())!), '10.0.1.32');
    s.takePrefix(parseIPv4('10.0.1.32'), 'eni-00000001');
    assert.equal(s.pickBlock(new Set()), undefined);
  });

  test('a prefix reservation smaller than a /28 yields no prefix, and keeps others out of its block', () => {
    const s = space('10.0.1.0/26');
    s.reservations.push({ id: 'scr-1', cidr: parseCidr('10.0.1.40/29'), type: 'prefix', description: '' });
    // Blocks: .0 (reserved addresses), .16 free, .32 (holds the /29), .48 (holds the last address).
    assert.equal(formatIPv4(s.pickBlock(new Set())!), '10.0.1.16');
    s.takePrefix(parseIPv4('10.0.1.16'), 'eni-00000001');
    assert.equal(s.pickBlock(new Set()), undefined);
  });

  test('taking and releasing addresses keeps the block counts and the free count right', () => {
    const s = space('10.0.1.0/28');
    assert.equal(s.availableIpAddressCount, 11);
    const a = parseIPv4('10.0.1.7');
    s.takeAddress(a, 'eni-00000001');
    assert.equal(s.addressFree(a), false);
    assert.equal(s.availableIpAddressCount, 10);
    s.releaseAddress(a);
    s.releaseAddress(a); // releasing twice must not corrupt the counts
    assert.equal(s.availableIpAddressCount, 11);
    assert.equal(s.addressFree(a), true);
  });

  test('pickAddress returns every usable address once before running out', () => {
    const s = space('10.0.1.0/28');
    const picked = new Set<number>();
    for (;;) {
      const ip = s.pickAddress(picked);
      if (ip === undefined) break;
      assert.ok(!picked.has(ip));
      picked.add(ip);
    }
    assert.deepEqual([...picked].sort((x, y) => x - y).map(formatIPv4), Array.from({ length: 11 }, (_, i) => `10.0.1.${4 + i}`));
  });
});
