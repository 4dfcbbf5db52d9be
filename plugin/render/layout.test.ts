import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { labelled, shellLines } from './blocks.ts';
import { fitTable } from './table.ts';
import { displayWidth, naturalCompare, plural, truncate, withArticle, wrapText } from './text.ts';
import { terminalWidth } from './width.ts';

const widest = (text: string) => Math.max(...text.split('\n').map(displayWidth));

describe('text', () => {
  it('wraps at word boundaries, cuts long words where they break naturally, loses nothing', () => {
    assert.deepEqual(wrapText('the quick brown fox jumps', 10), ['the quick', 'brown fox', 'jumps']);
    const cut = wrapText('see arn:aws:eks:us-west-2:123456789012:cluster/production-east', 20);
    assert.ok(cut.every((l) => displayWidth(l) <= 20), cut.join('|'));
    assert.equal(cut.join('').replace(/ /g, ''), 'seearn:aws:eks:us-west-2:123456789012:cluster/production-east');
  });

  it('orders naturally, counts nouns, picks articles by sound', () => {
    assert.deepEqual(['p-10', 'p-2', 'p-1', 'a'].sort(naturalCompare), ['a', 'p-1', 'p-2', 'p-10']);
    assert.deepEqual(['10.0.0.10', '10.0.0.9'].sort(naturalCompare), ['10.0.0.9', '10.0.0.10']);
    assert.equal(plural(1, 'prefix', 'prefixes'), '1 prefix');
    assert.equal(plural(2, 'prefix', 'prefixes'), '2 prefixes');
    assert.equal(plural(0, 'pod'), '0 pods');
    assert.deepEqual(['m4.large', 'c5.large', 'r5.xlarge', 'i3.large', 't3.medium'].map(withArticle), ['an m4.large', 'a c5.large', 'an r5.xlarge', 'an i3.large', 'a t3.medium']);
    assert.equal(truncate('node/ip-10-0-1-10.us-west-2.compute.internal', 20, '...'), 'node/ip-10-0-1-10...');
  });

  it('the width is COLUMNS, else the terminal, else 100', () => {
    assert.equal(terminalWidth({ env: { COLUMNS: '80' }, stdoutIsTTY: true, stdoutColumns: 200 }), 80);
    assert.equal(terminalWidth({ env: {}, stdoutIsTTY: true, stdoutColumns: 132 }), 132);
    assert.equal(terminalWidth({ env: {}, stdoutIsTTY: false, stdoutColumns: 132 }), 100);
    assert.equal(terminalWidth({ env: { COLUMNS: 'wide' }, stdoutIsTTY: false }), 100);
  });
});

describe('tables that fit', () => {
  const rows = [
    ['30s', 'Warning', 'ResourceAllocationFailed', 'pod/sandbox/win-1', 'failed to assign an IP address: InsufficientCidrBlocks: the subnet has no free aligned /28 block'],
    ['2m', 'Normal', 'ResourceAllocated', 'pod/sandbox/web-12', 'Allocated 10.0.1.17/32'],
  ];
  const columns = [
    { heading: 'last seen' },
    { heading: 'type', drop: 1 },
    { heading: 'reason', fit: 'truncate' as const, minWidth: 14 },
    { heading: 'object', fit: 'truncate' as const, minWidth: 12 },
    { heading: 'message', fit: 'below' as const, minWidth: 30 },
  ];

  it('keep every column when they fit', () => {
    const t = fitTable(columns, rows, { width: 200, indent: '  ' });
    assert.deepEqual(t.dropped, []);
    assert.match(t.text, /^ {2}LAST SEEN {3}TYPE {6}REASON {21}OBJECT {15}MESSAGE$/m);
  });

  it('drop, then move free text below its row, then shorten; never past the width', () => {
    for (const width of [60, 80, 100]) {
      const t = fitTable(columns, rows, { width, indent: '  ', ellipsis: '...' });
      assert.ok(widest(t.text) <= width, `${width}: ${t.text}`);
      assert.deepEqual(t.dropped, ['type']);
      assert.match(t.text, /^ {6}failed to assign an IP address/m, 'the message under its row');
    }
  });

  it('-o wide keeps every column; rows become records when even that cannot fit', () => {
    const t = fitTable(columns.map((c) => ({ ...c, fit: c.fit === 'truncate' ? undefined : c.fit, key: c.heading === 'object' })), rows, { width: 50, indent: '  ', mayDrop: false });
    assert.deepEqual(t.dropped, []);
    assert.ok(widest(t.text) <= 50, t.text);
    assert.match(t.text, /^ {2}pod\/sandbox\/win-1$/m);
    assert.match(t.text, /TYPE Warning/);
  });

  it('label: value lines fold under the value, or under the label when narrow', () => {
    const text = labelled('Capacity', 'advertised 144, deliverable 144, kubelet max-pods 110; 6 pods request vpc.amazonaws.com/PrivateIPv4Address', { width: 60 });
    assert.ok(widest(text) <= 60);
    assert.match(text, /^Capacity: {6}advertised/);
    assert.match(text, /\n {15}\S/);
    assert.match(labelled('Capacity', 'a b c', { width: 40 }), /^Capacity:\n {2}a b c\n$/);
  });

  it('commands fold with a backslash, flags with their values', () => {
    const lines = shellLines('aws ec2 create-subnet-cidr-reservation --region us-west-2 --subnet-id subnet-0a000001 --reservation-type prefix --cidr 10.0.1.128/25 --description "Windows pod prefixes"', 60);
    assert.ok(lines.every((l) => displayWidth(l) <= 60), lines.join('\n'));
    assert.ok(lines.slice(0, -1).every((l) => l.endsWith(' \\')));
    assert.ok(lines.some((l) => l.includes('--cidr 10.0.1.128/25')));
    assert.ok(lines.some((l) => l.includes('--description "Windows pod prefixes"')));
  });
});
