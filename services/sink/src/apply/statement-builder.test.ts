import { describe, expect, it } from 'vitest';
import { deleteByKeys, deleteWholeRow, updateByKeys, upsertRows, type TargetTable } from './statement-builder.js';

const target: TargetTable = {
  schema: 'sales',
  table: 'Order "Lines"',
  types: new Map([
    ['id', 'integer'],
    ['name', 'text'],
    ['total', 'numeric(12,2)'],
    ['gen', 'integer'],
  ]),
  keyColumns: ['id'],
  generated: new Set(['gen']),
  hasIdentityAlways: false,
};

describe('statement builder', () => {
  it('upserts many rows in one statement, values only as parameters', () => {
    const stmt = upsertRows(target, [
      { id: '1', name: "O'Brien", total: 'NaN', gen: '9' },
      { id: '2', name: null, total: '1.50', gen: '9' },
    ])!;
    expect(stmt.text).toBe(
      'INSERT INTO "sales"."Order ""Lines""" ("id", "name", "total") SELECT u.c1::integer, u.c2::text, u.c3::numeric(12,2) FROM unnest($1::text[], $2::text[], $3::text[]) AS u(c1, c2, c3) ON CONFLICT ("id") DO UPDATE SET "name" = EXCLUDED."name", "total" = EXCLUDED."total"',
    );
    expect(stmt.values).toEqual([['1', '2'], ["O'Brien", null], ['NaN', '1.50']]);
  });

  it('deletes and partially updates by key', () => {
    expect(deleteByKeys(target, [{ id: '7' }])).toEqual({
      text: 'DELETE FROM "sales"."Order ""Lines""" AS t USING unnest($1::text[]) AS u(c1) WHERE t."id" = u.c1::integer',
      values: [['7']],
    });
    expect(updateByKeys(target, [{ key: { id: '7' }, set: { total: '2' } }])).toEqual({
      text: 'UPDATE "sales"."Order ""Lines""" AS t SET "total" = u.c2::numeric(12,2) FROM unnest($1::text[], $2::text[]) AS u(c1, c2) WHERE t."id" = u.c1::integer',
      values: [['7'], ['2']],
    });
  });

  it('finds a keyless row by the text of every column', () => {
    const stmt = deleteWholeRow({ ...target, keyColumns: [] }, { id: '1', name: null });
    expect(stmt.text).toBe(
      'DELETE FROM "sales"."Order ""Lines""" WHERE ctid = (SELECT ctid FROM "sales"."Order ""Lines""" WHERE "id"::text IS NOT DISTINCT FROM $1 AND "name"::text IS NOT DISTINCT FROM $2 LIMIT 1)',
    );
    expect(stmt.values).toEqual(['1', null]);
  });
});
