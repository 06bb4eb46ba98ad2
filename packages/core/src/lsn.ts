/**
 * A PostgreSQL log sequence number. Kept as a bigint so comparisons are exact;
 * PostgreSQL prints it as two hex halves ("16/B374D848").
 */
export class Lsn {
  static readonly ZERO = new Lsn(0n);

  private constructor(readonly value: bigint) {}

  static fromBigInt(value: bigint): Lsn {
    if (value < 0n || value > 0xffff_ffff_ffff_ffffn) {
      throw new RangeError(`LSN out of range: ${value}`);
    }
    return new Lsn(value);
  }

  /** Parses PostgreSQL's text form, e.g. "0/16B3748". */
  static parse(text: string): Lsn {
    const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text.trim());
    if (!match) throw new SyntaxError(`not an LSN: "${text}" (expected e.g. "0/16B3748")`);
    return new Lsn((BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`));
  }

  compare(other: Lsn): number {
    return this.value < other.value ? -1 : this.value > other.value ? 1 : 0;
  }

  isAfter(other: Lsn): boolean {
    return this.value > other.value;
  }

  isBefore(other: Lsn): boolean {
    return this.value < other.value;
  }

  equals(other: Lsn): boolean {
    return this.value === other.value;
  }

  /** Bytes of WAL between `earlier` and this position (0 when earlier is ahead). */
  bytesSince(earlier: Lsn): bigint {
    return this.value > earlier.value ? this.value - earlier.value : 0n;
  }

  static max(a: Lsn, b: Lsn): Lsn {
    return a.value >= b.value ? a : b;
  }

  toString(): string {
    const high = (this.value >> 32n).toString(16).toUpperCase();
    const low = (this.value & 0xffff_ffffn).toString(16).toUpperCase();
    return `${high}/${low}`;
  }

  toJSON(): string {
    return this.toString();
  }
}
