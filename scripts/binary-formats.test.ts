import assert from 'node:assert/strict';
import { test } from 'node:test';
import { executableFormat, findSeaBlob, inspectExecutable, machOSegments, peChecksum, removeMachOSignature, removePeSignature } from './binary-formats.ts';

/** A Mach-O with __LINKEDIT at 4096 (100 bytes of link data, then a 48-byte code signature) and LC_MAIN after the signature command. */
function signedMachO(): Buffer {
  const buf = Buffer.alloc(4096 + 148);
  buf.writeUInt32LE(0xfeedfacf, 0);
  buf.writeUInt32LE(0x01000007, 4);
  buf.writeUInt32LE(3, 16); // ncmds
  buf.writeUInt32LE(72 + 16 + 24, 20); // sizeofcmds
  let at = 32;
  buf.writeUInt32LE(0x19, at);
  buf.writeUInt32LE(72, at + 4);
  buf.write('__LINKEDIT', at + 8, 'latin1');
  buf.writeBigUInt64LE(0x8000n, at + 32); // vmsize
  buf.writeBigUInt64LE(4096n, at + 40); // fileoff
  buf.writeBigUInt64LE(148n, at + 48); // filesize
  at += 72;
  buf.writeUInt32LE(0x1d, at);
  buf.writeUInt32LE(16, at + 4);
  buf.writeUInt32LE(4196, at + 8);
  buf.writeUInt32LE(48, at + 12);
  at += 16;
  buf.writeUInt32LE(0x80000028, at); // LC_MAIN
  buf.writeUInt32LE(24, at + 4);
  buf.fill(0xab, 4196);
  return buf;
}

test('a Mach-O signature is removed as codesign --remove-signature does', () => {
  const signed = signedMachO();
  assert.deepEqual(inspectExecutable(signed), { format: 'macho', arch: 'x64', signed: true });
  const bare = removeMachOSignature(signed);
  assert.deepEqual(inspectExecutable(bare), { format: 'macho', arch: 'x64', signed: false });
  assert.equal(bare.length, 4196, 'the signature is cut off the end');
  assert.equal(bare.readUInt32LE(16), 2, 'one load command fewer');
  assert.equal(bare.readUInt32LE(20), 72 + 24);
  assert.equal(bare.readUInt32LE(32 + 72), 0x80000028, 'the commands after it move up');
  assert.ok(bare.subarray(32 + 72 + 24, 32 + 72 + 24 + 16).every((b) => b === 0), 'the freed command bytes are zero');
  assert.deepEqual(machOSegments(bare), [{ name: '__LINKEDIT', fileoff: 4096, filesize: 100 }]);
  assert.equal(bare.readBigUInt64LE(32 + 32), 16384n, '__LINKEDIT vmsize follows its file size in 16 KiB pages');
  assert.ok(removeMachOSignature(bare).equals(bare), 'an unsigned file is left as it is');
  assert.equal(signed.readUInt32LE(16), 3, 'the input is not modified');
});

test('a Mach-O whose signature is not at the end is refused rather than damaged', () => {
  const odd = Buffer.concat([signedMachO(), Buffer.alloc(16)]);
  assert.throws(() => removeMachOSignature(odd), /code signature is not at the end/);
});

/** A PE32+ with one section and a 16-byte certificate table at the end. */
function signedPe(): Buffer {
  const buf = Buffer.alloc(0x400 + 16);
  buf.write('MZ', 0, 'latin1');
  buf.writeUInt32LE(0x80, 0x3c);
  buf.write('PE\0\0', 0x80, 'latin1');
  buf.writeUInt16LE(0x8664, 0x84);
  buf.writeUInt16LE(240, 0x84 + 16); // size of optional header
  const opt = 0x98;
  buf.writeUInt16LE(0x20b, opt);
  buf.writeUInt32LE(16, opt + 108);
  buf.writeUInt32LE(0x400, opt + 112 + 4 * 8);
  buf.writeUInt32LE(16, opt + 112 + 4 * 8 + 4);
  buf.fill(0x5a, 0x200, 0x400);
  buf.fill(0xcc, 0x400);
  return buf;
}

test('an Authenticode signature is removed and the checksum rewritten', () => {
  const signed = signedPe();
  assert.equal(executableFormat(signed), 'pe');
  assert.deepEqual(inspectExecutable(signed), { format: 'pe', arch: 'x64', signed: true });
  const bare = removePeSignature(signed);
  assert.equal(bare.length, 0x400);
  assert.deepEqual(inspectExecutable(bare), { format: 'pe', arch: 'x64', signed: false });
  assert.equal(bare.readUInt32LE(0x98 + 64), peChecksum(bare));
  assert.notEqual(peChecksum(bare), 0);
});

test('the PE checksum skips its own field and adds the length, as CheckSumMappedFile does', () => {
  const pe = removePeSignature(signedPe());
  const before = peChecksum(pe);
  pe.writeUInt32LE(0xdeadbeef, 0x98 + 64);
  assert.equal(peChecksum(pe), before, 'the stored value does not count');
  pe.writeUInt16LE(pe.readUInt16LE(0x300) + 1, 0x300);
  assert.equal(peChecksum(pe), before + 1);
});

test('an ELF without the SEA note has no blob; an unknown file is refused', () => {
  const elf = Buffer.alloc(64);
  elf.write('\x7fELF', 0, 'latin1');
  elf[4] = 2;
  elf[5] = 1;
  elf.writeUInt16LE(183, 18);
  assert.deepEqual(inspectExecutable(elf), { format: 'elf', arch: 'arm64', signed: false });
  assert.equal(findSeaBlob(elf), undefined);
  assert.throws(() => inspectExecutable(Buffer.from('#!/bin/sh\n')), /neither ELF, PE nor Mach-O/);
});
