import { describe, expect, it } from 'vitest';
import { DataError, TableId } from '@ferry/core';
import { quoteIdent, quoteIdentList, quoteLiteral, quoteQualified } from './quote.js';

describe('quoteIdent', () => {
  it('always double-quotes, keeping case, dots, spaces and keywords', () => {
    expect(quoteIdent('orders')).toBe('"orders"');
    expect(quoteIdent('Order Items')).toBe('"Order Items"');
    expect(quoteIdent('my.table')).toBe('"my.table"');
    expect(quoteIdent('select')).toBe('"select"');
    expect(quoteIdent('größe')).toBe('"größe"');
  });

  it('doubles embedded double quotes', () => {
    expect(quoteIdent('a"b')).toBe('"a""b"');
    expect(quoteIdent('"')).toBe('""""');
  });

  it('rejects NUL and empty names', () => {
    expect(() => quoteIdent('a\0b')).toThrow(DataError);
    expect(() => quoteIdent('')).toThrow(/empty/);
  });
});

describe('quoteQualified', () => {
  it('quotes schema and table from names or a TableId', () => {
    expect(quoteQualified('public', 'Orders')).toBe('"public"."Orders"');
    expect(quoteQualified(new TableId('my.schema', 'a"b'))).toBe('"my.schema"."a""b"');
  });

  it('quotes a column list', () => {
    expect(quoteIdentList(['id', 'Name'])).toBe('"id", "Name"');
  });
});

describe('quoteLiteral', () => {
  it('uses the plain form without backslashes, doubling single quotes', () => {
    expect(quoteLiteral('abc')).toBe("'abc'");
    expect(quoteLiteral("it's")).toBe("'it''s'");
    expect(quoteLiteral('')).toBe("''");
    expect(quoteLiteral('日本')).toBe("'日本'");
  });

  it('uses the E form when a backslash is present, doubling backslashes', () => {
    expect(quoteLiteral('a\\b')).toBe("E'a\\\\b'");
    expect(quoteLiteral("\\'; DROP TABLE x; --")).toBe("E'\\\\''; DROP TABLE x; --'");
  });

  it('rejects NUL', () => {
    expect(() => quoteLiteral('a\0')).toThrow(/NUL/);
  });
});
