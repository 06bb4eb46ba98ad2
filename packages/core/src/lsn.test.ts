import { describe, expect, it } from 'vitest';
import { Lsn } from './lsn.js';

describe('Lsn', () => {
  it('parses and prints PostgreSQL text form', () => {
    const lsn = Lsn.parse('16/B374D848');
    expect(lsn.value).toBe((0x16n << 32n) | 0xb374d848n);
    expect(lsn.toString()).toBe('16/B374D848');
    expect(Lsn.parse('0/0').equals(Lsn.ZERO)).toBe(true);
  });

  it('orders positions across the 32-bit boundary', () => {
    const a = Lsn.parse('0/FFFFFFFF');
    const b = Lsn.parse('1/0');
    expect(a.isBefore(b)).toBe(true);
    expect(b.compare(a)).toBe(1);
    expect(b.bytesSince(a)).toBe(1n);
    expect(a.bytesSince(b)).toBe(0n);
    expect(Lsn.max(a, b)).toBe(b);
  });

  it('rejects malformed text with the expected form', () => {
    expect(() => Lsn.parse('16B374D848')).toThrow(/expected e.g. "0\/16B3748"/);
    expect(() => Lsn.parse('G/1')).toThrow(SyntaxError);
    expect(() => Lsn.fromBigInt(-1n)).toThrow(RangeError);
  });
});
