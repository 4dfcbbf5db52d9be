/**
 * @module
 * Just enough of ELF, PE and Mach-O to package Node single executables for other platforms from Linux,
 * and to check what came out: which format and CPU a file is, whether it carries a code signature,
 * and removing that signature before the SEA blob is injected.
 *
 * Why remove signatures: Node's macOS and Windows binaries are signed by the Node.js project, and
 * injecting the blob changes the bytes those signatures cover. macOS kills a binary whose signature no
 * longer matches (Node's is signed with the hardened runtime), while an unsigned x86_64 binary runs, so
 * the macOS signature must go; `codesign --remove-signature` does the same, but needs a Mac. A broken
 * Authenticode signature on Windows is worse than none (it reads as tampering), and postject rewrites
 * the resource section under a certificate table that would then point at the wrong bytes.
 * Only what these binaries use is handled: 64-bit little-endian files, one architecture per file.
 */

export type ExecutableFormat = 'elf' | 'pe' | 'macho';

export interface ExecutableInfo {
  format: ExecutableFormat;
  /** Node's names: x64, arm64. */
  arch: string;
  /** Mach-O: an LC_CODE_SIGNATURE load command; PE: a certificate table; ELF: never. */
  signed: boolean;
}

const MH_MAGIC_64 = 0xfeedfacf;
const LC_SEGMENT_64 = 0x19;
const LC_CODE_SIGNATURE = 0x1d;
const MACHO_CPU: Record<number, string> = { 0x01000007: 'x64', 0x0100000c: 'arm64' };
const ELF_MACHINE: Record<number, string> = { 62: 'x64', 183: 'arm64' };
const PE_MACHINE: Record<number, string> = { 0x8664: 'x64', 0xaa64: 'arm64' };
const PE_CERTIFICATE_TABLE = 4;

function fail(what: string): never {
  throw new Error(`not a file this packager understands: ${what}`);
}

export function executableFormat(buf: Buffer): ExecutableFormat | undefined {
  if (buf.length >= 4 && buf.readUInt32BE(0) === 0x7f454c46) return 'elf';
  if (buf.length >= 4 && buf.readUInt32LE(0) === MH_MAGIC_64) return 'macho';
  if (buf.length >= 0x40 && buf.toString('latin1', 0, 2) === 'MZ') {
    const pe = buf.readUInt32LE(0x3c);
    if (pe + 4 <= buf.length && buf.toString('latin1', pe, pe + 4) === 'PE\0\0') return 'pe';
  }
  return undefined;
}

interface PeLayout {
  /** File offset of the optional header. */
  optional: number;
  machine: number;
  /** File offset of the certificate table's data-directory entry, if the header has one. */
  certificateEntry: number | undefined;
  checksumField: number;
}

function peLayout(buf: Buffer): PeLayout {
  const pe = buf.readUInt32LE(0x3c);
  const coff = pe + 4;
  const machine = buf.readUInt16LE(coff);
  const optional = coff + 20;
  if (buf.readUInt16LE(optional) !== 0x20b) fail('a PE file that is not PE32+');
  const directories = buf.readUInt32LE(optional + 108);
  return {
    optional,
    machine,
    certificateEntry: directories > PE_CERTIFICATE_TABLE ? optional + 112 + PE_CERTIFICATE_TABLE * 8 : undefined,
    checksumField: optional + 64,
  };
}

interface MachOCommand {
  offset: number;
  cmd: number;
  size: number;
}

function machOCommands(buf: Buffer): MachOCommand[] {
  const ncmds = buf.readUInt32LE(16);
  const commands: MachOCommand[] = [];
  let at = 32;
  for (let i = 0; i < ncmds; i++) {
    const cmd = buf.readUInt32LE(at);
    const size = buf.readUInt32LE(at + 4);
    if (size < 8 || at + size > buf.length) fail('a Mach-O load command runs past the file');
    commands.push({ offset: at, cmd, size });
    at += size;
  }
  return commands;
}

export function inspectExecutable(buf: Buffer): ExecutableInfo {
  const format = executableFormat(buf);
  if (format === 'elf') {
    if (buf[4] !== 2 || buf[5] !== 1) fail('an ELF file that is not 64-bit little-endian');
    return { format, arch: ELF_MACHINE[buf.readUInt16LE(18)] ?? `elf-machine-${buf.readUInt16LE(18)}`, signed: false };
  }
  if (format === 'macho') {
    const cpu = buf.readUInt32LE(4);
    return { format, arch: MACHO_CPU[cpu] ?? `macho-cpu-${cpu.toString(16)}`, signed: machOCommands(buf).some((c) => c.cmd === LC_CODE_SIGNATURE) };
  }
  if (format === 'pe') {
    const layout = peLayout(buf);
    const signed = layout.certificateEntry !== undefined && buf.readUInt32LE(layout.certificateEntry + 4) > 0;
    return { format, arch: PE_MACHINE[layout.machine] ?? `pe-machine-${layout.machine.toString(16)}`, signed };
  }
  fail('neither ELF, PE nor Mach-O');
}

/** Names and file ranges of a Mach-O's segments (tests check the SEA blob's NODE_SEA segment). */
export function machOSegments(buf: Buffer): Array<{ name: string; fileoff: number; filesize: number }> {
  return machOCommands(buf)
    .filter((c) => c.cmd === LC_SEGMENT_64)
    .map((c) => ({
      name: buf.toString('latin1', c.offset + 8, c.offset + 24).replace(/\0+$/, ''),
      fileoff: Number(buf.readBigUInt64LE(c.offset + 40)),
      filesize: Number(buf.readBigUInt64LE(c.offset + 48)),
    }));
}

/**
 * What `codesign --remove-signature` does: drop LC_CODE_SIGNATURE, cut the signature off the end of
 * the file and shrink __LINKEDIT to match. Returns the file unchanged when it has no signature.
 */
export function removeMachOSignature(input: Buffer): Buffer {
  if (executableFormat(input) !== 'macho') fail('removeMachOSignature needs a 64-bit Mach-O');
  const buf = Buffer.from(input);
  const commands = machOCommands(buf);
  const index = commands.findIndex((c) => c.cmd === LC_CODE_SIGNATURE);
  if (index === -1) return buf;
  const signature = commands[index]!;
  const dataoff = buf.readUInt32LE(signature.offset + 8);
  const datasize = buf.readUInt32LE(signature.offset + 12);
  if (dataoff + datasize !== buf.length) fail('a Mach-O whose code signature is not at the end of the file');
  const linkedit = commands.find((c) => c.cmd === LC_SEGMENT_64 && buf.toString('latin1', c.offset + 8, c.offset + 24).replace(/\0+$/, '') === '__LINKEDIT');
  if (!linkedit) fail('a Mach-O without __LINKEDIT');
  const linkeditOff = Number(buf.readBigUInt64LE(linkedit.offset + 40));
  const linkeditSize = Number(buf.readBigUInt64LE(linkedit.offset + 48));
  if (linkeditOff + linkeditSize !== buf.length) fail('a Mach-O whose __LINKEDIT does not end the file');
  const filesize = dataoff - linkeditOff;
  buf.writeBigUInt64LE(BigInt(filesize), linkedit.offset + 48);
  // As codesign_allocate does: the segment's memory size follows its file size, in 16 KiB pages (arm64's; a multiple of x86_64's 4 KiB).
  buf.writeBigUInt64LE(BigInt(Math.ceil(filesize / 16384) * 16384), linkedit.offset + 32);
  // The load commands after it move up over it; the freed bytes at the end of the list become zeros.
  const end = commands.at(-1)!.offset + commands.at(-1)!.size;
  buf.copy(buf, signature.offset, signature.offset + signature.size, end);
  buf.fill(0, end - signature.size, end);
  buf.writeUInt32LE(buf.readUInt32LE(16) - 1, 16);
  buf.writeUInt32LE(buf.readUInt32LE(20) - signature.size, 20);
  return buf.subarray(0, dataoff);
}

/** Removes an Authenticode signature (the certificate table), as `signtool remove /s` does. */
export function removePeSignature(input: Buffer): Buffer {
  if (executableFormat(input) !== 'pe') fail('removePeSignature needs a PE file');
  const buf = Buffer.from(input);
  const layout = peLayout(buf);
  if (layout.certificateEntry === undefined) return buf;
  const offset = buf.readUInt32LE(layout.certificateEntry);
  const size = buf.readUInt32LE(layout.certificateEntry + 4);
  if (size === 0) return buf;
  // The table is not mapped into memory and sits at the end, padded to 8 bytes.
  if (offset + size > buf.length || buf.length - (offset + size) >= 8) fail('a PE file whose certificate table is not at its end');
  buf.writeUInt32LE(0, layout.certificateEntry);
  buf.writeUInt32LE(0, layout.certificateEntry + 4);
  const out = buf.subarray(0, offset);
  out.writeUInt32LE(peChecksum(out), layout.checksumField);
  return out;
}

/** The PE image checksum (IMAGEHLP's CheckSumMappedFile): 16-bit one's-complement sum plus the length. */
export function peChecksum(buf: Buffer): number {
  const field = peLayout(buf).checksumField;
  let sum = 0;
  for (let i = 0; i + 1 < buf.length; i += 2) {
    if (i === field || i === field + 2) continue;
    sum += buf.readUInt16LE(i);
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  if (buf.length % 2 === 1) {
    sum += buf[buf.length - 1]!;
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  return ((sum & 0xffff) + buf.length) >>> 0;
}

/** Rewrites the PE checksum after postject changed the file, so tools that verify it (and AV scanners) agree. */
export function fixPeChecksum(buf: Buffer): void {
  buf.writeUInt32LE(peChecksum(buf), peLayout(buf).checksumField);
}

/** The first bytes of a Node SEA blob (SeaResource's magic, little-endian). */
export const SEA_BLOB_MAGIC = 0x0143da20;

/**
 * The SEA blob where Node looks for it: the ELF note named NODE_SEA_BLOB, the Mach-O section
 * NODE_SEA,__NODE_SEA_BLOB, or the PE resource RCDATA/NODE_SEA_BLOB. Undefined when there is none.
 */
export function findSeaBlob(buf: Buffer): Buffer | undefined {
  const format = executableFormat(buf);
  if (format === 'elf') return elfNote(buf, 'NODE_SEA_BLOB');
  if (format === 'macho') return machOSection(buf, 'NODE_SEA', '__NODE_SEA_BLOB');
  if (format === 'pe') return peRcdata(buf, 'NODE_SEA_BLOB');
  return undefined;
}

function elfNote(buf: Buffer, wanted: string): Buffer | undefined {
  const phoff = Number(buf.readBigUInt64LE(0x20));
  const phentsize = buf.readUInt16LE(0x36);
  const phnum = buf.readUInt16LE(0x38);
  const align4 = (n: number) => (n + 3) & ~3;
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (buf.readUInt32LE(ph) !== 4) continue; // PT_NOTE
    const start = Number(buf.readBigUInt64LE(ph + 8));
    const end = start + Number(buf.readBigUInt64LE(ph + 32));
    for (let at = start; at + 12 <= end; ) {
      const namesz = buf.readUInt32LE(at);
      const descsz = buf.readUInt32LE(at + 4);
      const name = buf.toString('latin1', at + 12, at + 12 + namesz).replace(/\0+$/, '');
      const desc = at + 12 + align4(namesz);
      if (name === wanted) return buf.subarray(desc, desc + descsz);
      at = desc + align4(descsz);
    }
  }
  return undefined;
}

function machOSection(buf: Buffer, segment: string, section: string): Buffer | undefined {
  const cString = (at: number) => buf.toString('latin1', at, at + 16).replace(/\0+$/, '');
  for (const c of machOCommands(buf)) {
    if (c.cmd !== LC_SEGMENT_64 || cString(c.offset + 8) !== segment) continue;
    const nsects = buf.readUInt32LE(c.offset + 64);
    for (let i = 0; i < nsects; i++) {
      const s = c.offset + 72 + i * 80;
      if (cString(s) !== section) continue;
      const size = Number(buf.readBigUInt64LE(s + 40));
      const offset = buf.readUInt32LE(s + 48);
      return buf.subarray(offset, offset + size);
    }
  }
  return undefined;
}

function peRcdata(buf: Buffer, wanted: string): Buffer | undefined {
  const layout = peLayout(buf);
  const rsrcRva = buf.readUInt32LE(layout.optional + 112 + 2 * 8);
  if (rsrcRva === 0) return undefined;
  const coff = buf.readUInt32LE(0x3c) + 4;
  const sections = layout.optional + buf.readUInt16LE(coff + 16);
  const count = buf.readUInt16LE(coff + 2);
  const toOffset = (rva: number): number => {
    for (let i = 0; i < count; i++) {
      const s = sections + i * 40;
      const va = buf.readUInt32LE(s + 12);
      const rawSize = buf.readUInt32LE(s + 16);
      if (rva >= va && rva < va + Math.max(rawSize, buf.readUInt32LE(s + 8))) return rva - va + buf.readUInt32LE(s + 20);
    }
    throw new Error(`PE address 0x${rva.toString(16)} is in no section`);
  };
  const root = toOffset(rsrcRva);
  const entries = (dir: number) => {
    const n = buf.readUInt16LE(dir + 12) + buf.readUInt16LE(dir + 14);
    return Array.from({ length: n }, (_, i) => ({ name: buf.readUInt32LE(dir + 16 + i * 8), target: buf.readUInt32LE(dir + 20 + i * 8) }));
  };
  const nameOf = (field: number) => {
    if ((field & 0x80000000) === 0) return undefined;
    const at = root + (field & 0x7fffffff);
    return buf.toString('utf16le', at + 2, at + 2 + 2 * buf.readUInt16LE(at));
  };
  const RT_RCDATA = 10;
  const type = entries(root).find((e) => e.name === RT_RCDATA && e.target & 0x80000000);
  if (!type) return undefined;
  const named = entries(root + (type.target & 0x7fffffff)).find((e) => nameOf(e.name) === wanted && e.target & 0x80000000);
  if (!named) return undefined;
  const language = entries(root + (named.target & 0x7fffffff))[0];
  if (!language || language.target & 0x80000000) return undefined;
  const data = root + language.target;
  const offset = toOffset(buf.readUInt32LE(data));
  return buf.subarray(offset, offset + buf.readUInt32LE(data + 4));
}
