import { describe, expect, it } from 'vitest';
import { TableId, splitQualifiedName } from './table-id.js';

describe('TableId', () => {
  it('defaults to the public schema', () => {
    expect(TableId.parse('orders').key).toBe('public.orders');
  });

  it('keeps dots, case and quotes inside quoted parts', () => {
    const id = TableId.parse('"my.schema"."Order ""X"""');
    expect(id.schema).toBe('my.schema');
    expect(id.table).toBe('Order "X"');
    expect(splitQualifiedName('a."b.c"')).toEqual(['a', 'b.c']);
  });

  it('rejects names with too many parts or empty parts', () => {
    expect(() => TableId.parse('a.b.c')).toThrow(/expected schema.table/);
    expect(() => TableId.parse('a.')).toThrow(/empty part/);
    expect(() => TableId.parse('"a')).toThrow(/unterminated/);
  });
});
