import { describe, expect, it } from 'vitest';
import { compileAvroType } from './compile-avro-type.js';

describe('bigint long type', () => {
  const type = compileAvroType({ type: 'record', name: 'R', fields: [{ name: 'n', type: 'long' }] });

  it('keeps every 64-bit value exact', () => {
    for (const n of [0n, 1n, -1n, 2n ** 53n + 1n, -(2n ** 63n), 2n ** 63n - 1n, 1234567890123456789n]) {
      expect((type.fromBuffer(type.toBuffer({ n })) as { n: bigint }).n).toBe(n);
    }
  });

  it('writes the standard zigzag varint (readable by any Avro reader)', () => {
    expect([...type.toBuffer({ n: 1n })]).toEqual([2]);
    expect([...type.toBuffer({ n: -1n })]).toEqual([1]);
    expect([...type.toBuffer({ n: 64n })]).toEqual([0x80, 0x01]);
  });

  it('accepts safe-integer numbers on write and reads bigints', () => {
    expect((type.fromBuffer(type.toBuffer({ n: 1_700_000_000_000 })) as { n: bigint }).n).toBe(1_700_000_000_000n);
  });

  it('refuses values outside int64 and unsafe numbers', () => {
    expect(() => type.toBuffer({ n: 2n ** 63n })).toThrow();
    expect(() => type.toBuffer({ n: 2 ** 60 })).toThrow();
    expect(() => type.toBuffer({ n: 1.5 })).toThrow();
  });

  it('reads data written as int when the reader has long (schema evolution)', () => {
    const writer = compileAvroType({ type: 'record', name: 'R', fields: [{ name: 'n', type: 'int' }] });
    const resolver = type.createResolver(writer);
    expect((type.fromBuffer(writer.toBuffer({ n: -7 }), resolver) as { n: bigint }).n).toBe(-7n);
  });

  it('is used for "long" written as an object too', () => {
    const t = compileAvroType({ type: 'record', name: 'R', fields: [{ name: 'n', type: { type: 'long' } as never }] });
    expect((t.fromBuffer(t.toBuffer({ n: 2n ** 60n })) as { n: bigint }).n).toBe(2n ** 60n);
  });
});
