import { describe, expect, it } from 'vitest';
import { boundariesSql, keyRowsSql, rangeRowsSql, rangeSumsSql, sortKey, valueSql, wholeTableSql, type SideColumn, type SideTable } from './table-sql.js';

const int8: SideColumn['type'] = { type: 'bigint', typeCategory: 'N', baseTypeOid: 20 };
const text: SideColumn['type'] = { type: 'text', typeCategory: 'S', baseTypeOid: 25 };
const float8: SideColumn['type'] = { type: 'double precision', typeCategory: 'N', baseTypeOid: 701 };

const orders: SideTable = {
  schema: 'sales',
  table: 'Order "Lines"',
  columns: [
    { name: 'id', type: int8 },
    { name: 'code', type: text },
    { name: 'weight', type: float8 },
  ],
  key: [{ name: 'id', type: int8 }],
  where: 'id > 0',
};

describe('verify SQL', () => {
  it('hashes floats by their binary form and everything else by its text', () => {
    expect(valueSql({ name: 'weight', type: float8 })).toBe('float8send("weight"::float8)::text');
    expect(valueSql({ name: 'w', type: { type: 'real', typeCategory: 'N', baseTypeOid: 700 } })).toBe('float4send("w"::float4)::text');
    expect(valueSql({ name: 'code', type: text })).toBe('"code"::text');
  });

  it('orders text and enum keys by their UTF-8 bytes, other keys by their own type', () => {
    expect(sortKey({ name: 'code', type: text })).toEqual({ sql: `convert_to("code"::text, 'UTF8')`, type: 'bytea' });
    expect(sortKey({ name: 'mood', type: { type: 'public.mood', typeCategory: 'E', baseTypeOid: 9 } }).type).toBe('bytea');
    expect(sortKey({ name: 'id', type: int8 })).toEqual({ sql: '"id"', type: 'bigint' });
  });

  it('finds range boundaries every chunkRows rows of the filtered source', () => {
    expect(boundariesSql(orders, 500)).toEqual({
      sql: 'SELECT s1::text FROM (SELECT "id" AS s1, row_number() OVER (ORDER BY "id") AS rn FROM ONLY "sales"."Order ""Lines""" WHERE (id > 0)) b WHERE rn % $1 = 0 ORDER BY rn',
      params: ['500'],
    });
  });

  it('sums per range with width_bucket over the boundaries, passed as parameters', () => {
    const { sql, params } = rangeSumsSql(orders, [['10'], ['20']]);
    expect(sql).toBe(
      `SELECT width_bucket("id", ARRAY(SELECT u.v1::bigint FROM unnest($1::text[]) WITH ORDINALITY AS u(v1, o) ORDER BY o)) AS bucket, count(*)::text, ` +
        `sum(('x' || substr(md5(ROW("id"::text, "code"::text, float8send("weight"::float8)::text)::text), 1, 15))::bit(60)::bigint)::text ` +
        `FROM ONLY "sales"."Order ""Lines""" WHERE (id > 0) GROUP BY 1`,
    );
    expect(params).toEqual([['10', '20']]);
  });

  it('reads back runs of ranges with the same bounds width_bucket uses (lower inclusive, upper exclusive)', () => {
    const table: SideTable = { ...orders, where: undefined, key: [{ name: 'id', type: int8 }, { name: 'code', type: text }] };
    const { sql, params } = rangeRowsSql(table, [['10', '\\x61'], ['20', '\\x62']], [[0, 0], [2, 2]]);
    expect(sql).toBe(
      `SELECT "id"::text, "code"::text, md5(ROW("id"::text, "code"::text, float8send("weight"::float8)::text)::text) FROM ONLY "sales"."Order ""Lines""" ` +
        `WHERE ((("id", convert_to("code"::text, 'UTF8')) < ($1::bigint, $2::bytea)) OR (("id", convert_to("code"::text, 'UTF8')) >= ($3::bigint, $4::bytea)))`,
    );
    expect(params).toEqual(['10', '\\x61', '20', '\\x62']);
  });

  it('reads rows by key, cast to the side’s own key types', () => {
    const { sql, params } = keyRowsSql(orders, [['1'], ['2']], true);
    expect(sql).toBe(
      `SELECT "id"::text, md5(ROW("id"::text, "code"::text, float8send("weight"::float8)::text)::text), "id"::text, "code"::text, float8send("weight"::float8)::text ` +
        `FROM ONLY "sales"."Order ""Lines""" WHERE "id" IN (SELECT u.v1::bigint FROM unnest($1::text[]) AS u(v1)) AND (id > 0)`,
    );
    expect(params).toEqual([['1', '2']]);
  });

  it('checksums a table without a key as a whole', () => {
    expect(wholeTableSql({ ...orders, key: [], where: undefined }).sql).toBe(
      `SELECT count(*)::text, coalesce(sum(('x' || substr(md5(ROW("id"::text, "code"::text, float8send("weight"::float8)::text)::text), 1, 15))::bit(60)::bigint), 0)::text FROM ONLY "sales"."Order ""Lines"""`,
    );
  });
});

describe('jsonb', () => {
  it('is compared by value (jsonb_hash_extended) when both servers have it, else by text', () => {
    const doc: SideColumn = { name: 'doc', type: { type: 'jsonb', typeCategory: 'U', baseTypeOid: 3802 } };
    expect(valueSql(doc, true)).toBe('jsonb_hash_extended("doc"::jsonb, 0)::text');
    expect(valueSql(doc)).toBe('"doc"::text');
  });
});

describe('transformed columns', () => {
  it('compare the expression, cast to the column type, on the source', () => {
    expect(valueSql({ name: 'email', type: text, expression: 'md5(email)' })).toBe('(md5(email))::text::text');
    expect(valueSql({ name: 'weight', type: float8, expression: 'round(weight)' })).toBe('float8send((round(weight))::double precision::float8)::text');
  });
});
