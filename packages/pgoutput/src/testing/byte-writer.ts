import type { Lsn } from '@ferry/core';

/** Builds big-endian protocol bytes for tests (the mirror of ByteReader). */
export class ByteWriter {
  private readonly parts: Buffer[] = [];

  char(text: string): this {
    return this.push(Buffer.from(text, 'latin1'));
  }

  uint8(value: number): this {
    const b = Buffer.alloc(1);
    b.writeUInt8(value);
    return this.push(b);
  }

  uint16(value: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(value);
    return this.push(b);
  }

  uint32(value: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(value);
    return this.push(b);
  }

  int32(value: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(value);
    return this.push(b);
  }

  int64(value: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(value);
    return this.push(b);
  }

  lsn(value: Lsn): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(value.value);
    return this.push(b);
  }

  cstring(text: string): this {
    return this.push(Buffer.from(text, 'utf8')).uint8(0);
  }

  bytes(bytes: Uint8Array): this {
    return this.push(Buffer.from(bytes));
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.parts);
  }

  private push(part: Buffer): this {
    this.parts.push(part);
    return this;
  }
}
