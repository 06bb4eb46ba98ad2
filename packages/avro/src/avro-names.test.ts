import { describe, expect, it } from 'vitest';
import { avroFieldNames, avroNamespace, isValidAvroName, sanitizeAvroName } from './avro-names.js';

const AVRO_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

describe('sanitizeAvroName', () => {
  it('keeps names that are already legal', () => {
    for (const name of ['id', 'Order_Total', '_x', 'a1', 'proto', 'clone', 'toBuffer']) {
      expect(sanitizeAvroName(name)).toBe(name);
    }
  });

  it('makes any PostgreSQL name legal, deterministically, with a hash of the original', () => {
    const cases = ['a b', 'a"b', '1st', 'naïve', 'ключ', '日本語', '', ' ', 'a.b', 'a-b', '__proto__', '💥'];
    for (const name of cases) {
      const sanitized = sanitizeAvroName(name);
      expect(sanitized).toMatch(AVRO_NAME);
      expect(sanitizeAvroName(name)).toBe(sanitized);
      expect(sanitized).not.toBe(name);
    }
    expect(sanitizeAvroName('a b')).toMatch(/^a_b_[0-9a-f]{8}$/);
    expect(sanitizeAvroName('1st')).toMatch(/^_1st_[0-9a-f]{8}$/);
  });

  it('gives different names to originals that clean up the same way', () => {
    expect(sanitizeAvroName('a b')).not.toBe(sanitizeAvroName('a-b'));
    expect(sanitizeAvroName('a b')).not.toBe('a_b');
  });

  it('treats Object.prototype names as unusable (__proto__ would set the prototype; others are inherited)', () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty']) {
      expect(isValidAvroName(name)).toBe(false);
      expect(sanitizeAvroName(name)).toMatch(new RegExp(`^${name}_[0-9a-f]{8}$`));
    }
    expect(isValidAvroName('proto')).toBe(true);
  });
});

describe('avroFieldNames', () => {
  it('keeps the order and makes every name legal and unique', () => {
    const columns = ['id', 'a b', 'a_b', 'A B', 'select', '1', 'x y z'];
    const names = avroFieldNames(columns);
    expect(names).toHaveLength(columns.length);
    expect(new Set(names).size).toBe(columns.length);
    for (const n of names) expect(n).toMatch(AVRO_NAME);
    expect(names[0]).toBe('id');
    expect(names[2]).toBe('a_b');
  });

  it('gives a column the same name whatever other columns exist (stable across schema versions)', () => {
    const before = avroFieldNames(['id', 'a b']);
    const after = avroFieldNames(['a_b', 'id', 'a b', 'new col']);
    expect(after[2]).toBe(before[1]);
    expect(after[1]).toBe(before[0]);
  });

  it('resolves an exact clash with a counter', () => {
    const clash = sanitizeAvroName('a b');
    expect(avroFieldNames([clash, 'a b'])).toEqual([clash, `${clash}_2`]);
  });
});

describe('avroNamespace', () => {
  it('turns a topic into dotted legal names', () => {
    expect(avroNamespace('ferry.public.orders')).toBe('ferry.public.orders');
    expect(avroNamespace('ferry-prod.public.Order Items')).toBe('ferry_prod.public.Order_Items');
    expect(avroNamespace('p.1schema.t')).toBe('p._1schema.t');
    expect(avroNamespace('a..b.')).toBe('a.b');
  });
});
