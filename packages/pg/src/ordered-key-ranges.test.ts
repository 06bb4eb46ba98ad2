import { describe, expect, it } from 'vitest';
import { TableId } from '@ferry/core';
import {
  chooseOrderedKey,
  keyBoundaryStepSql,
  keyRangeWhere,
  keyRangesFromBoundaries,
  pageRangeWhere,
  pageRanges,
  type KeyColumn,
} from './ordered-key-ranges.js';
import type { ColumnInfo } from './catalog.js';

const table = new TableId('sales', 'Order Lines');
const intKey: KeyColumn[] = [{ name: 'id', type: 'integer' }];
const compositeKey: KeyColumn[] = [
  { name: 'region', type: 'character varying(20)' },
  { name: 'Line "No"', type: 'bigint' },
];

describe('keyRangeWhere', () => {
  it('builds a single-column range with casts', () => {
    expect(keyRangeWhere(intKey, { lower: ['10'], upper: ['20'] })).toEqual({
      sql: '"id" > $1::integer AND "id" <= $2::integer',
      params: ['10', '20'],
    });
  });

  it('builds a row comparison for a composite key', () => {
    expect(keyRangeWhere(compositeKey, { lower: ['eu', '5'], upper: ['us', '1'] })).toEqual({
      sql:
        '("region", "Line ""No""") > ($1::character varying(20), $2::bigint) AND ' +
        '("region", "Line ""No""") <= ($3::character varying(20), $4::bigint)',
      params: ['eu', '5', 'us', '1'],
    });
  });

  it('leaves the first chunk open at the bottom and the last open at the top', () => {
    expect(keyRangeWhere(intKey, { lower: null, upper: ['20'] })).toEqual({ sql: '"id" <= $1::integer', params: ['20'] });
    expect(keyRangeWhere(intKey, { lower: ['20'], upper: null })).toEqual({ sql: '"id" > $1::integer', params: ['20'] });
    expect(keyRangeWhere(intKey, { lower: null, upper: null })).toEqual({ sql: 'TRUE', params: [] });
  });

  it('numbers parameters from firstParam', () => {
    expect(keyRangeWhere(intKey, { lower: ['1'], upper: ['2'] }, 3)).toEqual({
      sql: '"id" > $3::integer AND "id" <= $4::integer',
      params: ['1', '2'],
    });
  });

  it('rejects a bound with the wrong number of values', () => {
    expect(() => keyRangeWhere(compositeKey, { lower: ['eu'], upper: null })).toThrow(/1 value\(s\) for 2 key column/);
  });
});

describe('keyBoundaryStepSql', () => {
  it('starts from the beginning of the table', () => {
    expect(keyBoundaryStepSql(table, intKey, null, 1000)).toEqual({
      sql: 'SELECT "id" FROM "sales"."Order Lines" ORDER BY "id" OFFSET $1::bigint LIMIT 1',
      params: ['999'],
    });
  });

  it('continues after the previous boundary', () => {
    expect(keyBoundaryStepSql(table, compositeKey, ['eu', '7'], 100)).toEqual({
      sql:
        'SELECT "region", "Line ""No""" FROM "sales"."Order Lines" ' +
        'WHERE ("region", "Line ""No""") > ($1::character varying(20), $2::bigint) ' +
        'ORDER BY "region", "Line ""No""" OFFSET $3::bigint LIMIT 1',
      params: ['eu', '7', '99'],
    });
  });
});

describe('keyRangesFromBoundaries', () => {
  it('turns n boundaries into n+1 ranges covering everything', () => {
    expect(keyRangesFromBoundaries([['10'], ['20']])).toEqual([
      { lower: null, upper: ['10'] },
      { lower: ['10'], upper: ['20'] },
      { lower: ['20'], upper: null },
    ]);
    expect(keyRangesFromBoundaries([])).toEqual([{ lower: null, upper: null }]);
  });
});

describe('pageRanges and pageRangeWhere', () => {
  it('splits pages with open ends', () => {
    expect(pageRanges(5, 2)).toEqual([
      { startPage: null, endPage: 2 },
      { startPage: 2, endPage: 4 },
      { startPage: 4, endPage: null },
    ]);
    expect(pageRanges(0, 10)).toEqual([{ startPage: null, endPage: null }]);
    expect(pageRanges(10, 10)).toEqual([{ startPage: null, endPage: null }]);
    expect(() => pageRanges(10, 0)).toThrow(/positive integer/);
  });

  it('builds ctid conditions with tid parameters', () => {
    expect(pageRangeWhere({ startPage: 2, endPage: 4 })).toEqual({
      sql: 'ctid >= $1::tid AND ctid < $2::tid',
      params: ['(2,0)', '(4,0)'],
    });
    expect(pageRangeWhere({ startPage: null, endPage: 2 }, 5)).toEqual({ sql: 'ctid < $5::tid', params: ['(2,0)'] });
    expect(pageRangeWhere({ startPage: 4, endPage: null })).toEqual({ sql: 'ctid >= $1::tid', params: ['(4,0)'] });
    expect(pageRangeWhere({ startPage: null, endPage: null })).toEqual({ sql: 'TRUE', params: [] });
    expect(() => pageRangeWhere({ startPage: -1, endPage: null })).toThrow(/page number/);
  });
});

describe('chooseOrderedKey', () => {
  const column = (name: string, type: string): ColumnInfo =>
    ({ name, type }) as ColumnInfo;
  const columns = [column('id', 'bigint'), column('code', 'text')];

  it('prefers the primary key, then the unique key, else null', () => {
    expect(chooseOrderedKey({ columns, primaryKey: ['id'], uniqueKey: null })).toEqual([{ name: 'id', type: 'bigint' }]);
    expect(chooseOrderedKey({ columns, primaryKey: [], uniqueKey: { indexName: 'u', columns: ['code', 'id'] } })).toEqual([
      { name: 'code', type: 'text' },
      { name: 'id', type: 'bigint' },
    ]);
    expect(chooseOrderedKey({ columns, primaryKey: [], uniqueKey: null })).toBeNull();
  });
});
