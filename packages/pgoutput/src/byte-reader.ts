import { DataError, Lsn } from '@ferry/core';

// fatal: invalid UTF-8 is an error, not a silent U+FFFD. ignoreBOM: a value that starts
// with U+FEFF keeps it (the default would strip it).
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Reads big-endian protocol fields from one message with bounds checks. Every failure is a
 * DataError that names the message (e.g. "pgoutput Insert message ('I')") and the offset.
 */
export class ByteReader {
  private position = 0;

  constructor(
    private readonly bytes: Buffer,
    /** What is being read, for error messages. */
    private readonly what: string,
    /** The message's tag byte as a character, for error context. */
    private readonly tag: string,
  ) {}

  get offset(): number {
    return this.position;
  }

  get remaining(): number {
    return this.bytes.length - this.position;
  }

  uint8(): number {
    this.need(1);
    return this.bytes.readUInt8(this.position++);
  }

  char(): string {
    return String.fromCharCode(this.uint8());
  }

  uint16(): number {
    this.need(2);
    const value = this.bytes.readUInt16BE(this.position);
    this.position += 2;
    return value;
  }

  /** Oids, xids and lengths are unsigned 32-bit. */
  uint32(): number {
    this.need(4);
    const value = this.bytes.readUInt32BE(this.position);
    this.position += 4;
    return value;
  }

  int32(): number {
    this.need(4);
    const value = this.bytes.readInt32BE(this.position);
    this.position += 4;
    return value;
  }

  /** Timestamps: signed microseconds since 2000-01-01. */
  int64(): bigint {
    this.need(8);
    const value = this.bytes.readBigInt64BE(this.position);
    this.position += 8;
    return value;
  }

  lsn(): Lsn {
    this.need(8);
    const value = this.bytes.readBigUInt64BE(this.position);
    this.position += 8;
    return Lsn.fromBigInt(value);
  }

  /** A null-terminated string. */
  cstring(): string {
    const end = this.bytes.indexOf(0, this.position);
    if (end === -1) {
      throw this.error(`a string at offset ${this.position} has no terminating zero byte`);
    }
    const text = this.utf8(this.position, end);
    this.position = end + 1;
    return text;
  }

  /** `length` bytes as UTF-8 text. */
  text(length: number): string {
    this.need(length);
    const text = this.utf8(this.position, this.position + length);
    this.position += length;
    return text;
  }

  /** A copy of the next `length` bytes (a copy, so it does not pin the socket buffer). */
  bytesCopy(length: number): Uint8Array {
    this.need(length);
    const copy = Buffer.from(this.bytes.subarray(this.position, this.position + length));
    this.position += length;
    return copy;
  }

  /** The rest of the message, without copying. */
  rest(): Buffer {
    const rest = this.bytes.subarray(this.position);
    this.position = this.bytes.length;
    return rest;
  }

  /** Strict: leftover bytes mean we misread the message (wrong protocol version or state). */
  expectEnd(): void {
    if (this.remaining !== 0) {
      throw this.error(`${this.remaining} unexpected bytes at offset ${this.position} after the last field`);
    }
  }

  error(problem: string): DataError {
    return new DataError(`malformed ${this.what}: ${problem}`, {
      context: { messageTag: this.tag, byteOffset: this.position },
      fix:
        'the server sent bytes this decoder does not expect; check that proto_version and the ' +
        'streaming option match the server, and report the message with its LSN',
    });
  }

  private need(length: number): void {
    if (this.remaining < length) {
      throw this.error(
        `truncated: needed ${length} bytes at offset ${this.position}, only ${this.remaining} left`,
      );
    }
  }

  private utf8(start: number, end: number): string {
    try {
      return utf8.decode(this.bytes.subarray(start, end));
    } catch {
      throw this.error(`invalid UTF-8 in the text at offset ${start}`);
    }
  }
}
