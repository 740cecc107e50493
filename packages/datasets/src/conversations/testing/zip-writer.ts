import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { crc32, deflateRawSync } from 'node:zlib';

interface CentralEntry {
  name: Buffer;
  method: number;
  crc: number;
  compressedSize: number;
  declaredSize: number;
  offset: number;
}

/**
 * Writes a zip file entry by entry, streaming: a test can build an export of gigabytes without
 * holding it. Stored entries (method 0) take their bytes as chunks; deflated ones may declare
 * a size that lies, as a zip bomb does. No ZIP64: under 4 GiB only.
 */
export class ZipFileWriter {
  private readonly out: WriteStream;
  private readonly entries: CentralEntry[] = [];
  private offset = 0;

  constructor(path: string) {
    this.out = createWriteStream(path);
  }

  /** A stored entry of `size` bytes, written `chunk` at a time (the same chunk repeated). */
  async addStored(name: string, size: number, chunk: Buffer): Promise<void> {
    let crc = 0;
    for (let left = size; left > 0; left -= chunk.length) crc = crc32(left >= chunk.length ? chunk : chunk.subarray(0, left), crc);
    await this.writeHeader({ name: Buffer.from(name), method: 0, crc, compressedSize: size, declaredSize: size, offset: this.offset });
    for (let left = size; left > 0; left -= chunk.length) await this.write(left >= chunk.length ? chunk : chunk.subarray(0, left));
  }

  /** A deflated entry; `declaredSize` defaults to the true size. */
  async addDeflated(name: string, bytes: Uint8Array, declaredSize = bytes.length): Promise<void> {
    const compressed = deflateRawSync(bytes);
    await this.writeHeader({ name: Buffer.from(name), method: 8, crc: crc32(bytes), compressedSize: compressed.length, declaredSize, offset: this.offset });
    await this.write(compressed);
  }

  /** An entry of raw (possibly invalid) data under any method, e.g. garbage that no inflater accepts. */
  async addRaw(name: string, method: number, data: Buffer, declaredSize: number): Promise<void> {
    await this.writeHeader({ name: Buffer.from(name), method, crc: 0, compressedSize: data.length, declaredSize, offset: this.offset });
    await this.write(data);
  }

  /** Writes the central directory and closes the file; returns its size. */
  async finish(): Promise<number> {
    const start = this.offset;
    for (const entry of this.entries) {
      const header = Buffer.alloc(46);
      header.writeUInt32LE(0x02014b50, 0);
      header.writeUInt16LE(20, 4);
      header.writeUInt16LE(20, 6);
      header.writeUInt16LE(0x0800, 8); // UTF-8 names
      header.writeUInt16LE(entry.method, 10);
      header.writeUInt32LE(entry.crc, 16);
      header.writeUInt32LE(entry.compressedSize, 20);
      header.writeUInt32LE(entry.declaredSize, 24);
      header.writeUInt16LE(entry.name.length, 28);
      header.writeUInt32LE(entry.offset, 42);
      await this.write(header);
      await this.write(entry.name);
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(this.entries.length, 8);
    end.writeUInt16LE(this.entries.length, 10);
    end.writeUInt32LE(this.offset - start, 12);
    end.writeUInt32LE(start, 16);
    await this.write(end);
    this.out.end();
    await once(this.out, 'finish');
    return this.offset;
  }

  private async writeHeader(entry: CentralEntry): Promise<void> {
    this.entries.push(entry);
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(0x0800, 6);
    header.writeUInt16LE(entry.method, 8);
    header.writeUInt32LE(entry.crc, 14);
    header.writeUInt32LE(entry.compressedSize, 18);
    header.writeUInt32LE(entry.declaredSize, 22);
    header.writeUInt16LE(entry.name.length, 26);
    await this.write(header);
    await this.write(entry.name);
  }

  private async write(bytes: Buffer): Promise<void> {
    this.offset += bytes.length;
    if (!this.out.write(bytes)) await once(this.out, 'drain');
  }
}
