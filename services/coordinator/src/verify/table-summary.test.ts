import { describe, expect, it } from 'vitest';
import type { TableCheck } from './table-check.js';
import type { TablePlan } from './table-plan.js';
import { summarizeTable } from './table-summary.js';

const int8 = { type: 'bigint', typeCategory: 'N', baseTypeOid: 20 };

function plan(keyNames: string[]): TablePlan {
  const side = { schema: 'public', table: 'items', columns: [{ name: 'id', type: int8 }], key: keyNames.map((name) => ({ name, type: int8 })) };
  return { table: 'public.items', destinationTable: 'app.goods', source: side, destination: side, columnNames: ['id', 'note'], keyNames, problem: null };
}

function check(overrides: Partial<TableCheck>): TableCheck {
  return {
    plan: plan(['id']),
    sourceRows: 100,
    destinationRows: 100,
    problem: null,
    differences: [],
    overflow: 0,
    columns: new Map(),
    wholeTableDiffers: false,
    settled: 0,
    recheckNote: null,
    ...overrides,
  };
}

describe('summarizeTable', () => {
  it('names keys in source names, the differing columns of different rows, and counts beyond the named ones', () => {
    const summary = summarizeTable(
      check({
        differences: [
          { key: ['7'], kind: 'different' },
          { key: ['8'], kind: 'missing' },
          { key: ['9'], kind: 'extra' },
        ],
        overflow: 4,
        columns: new Map([['["7"]', ['note']]]),
      }),
      2,
    );
    expect(summary).toEqual({
      table: 'public.items',
      destinationTable: 'app.goods',
      ok: false,
      sourceRows: 100,
      destinationRows: 100,
      problem: null,
      differences: [
        { key: { id: '7' }, kind: 'different', columns: ['note'] },
        { key: { id: '8' }, kind: 'missing', columns: [] },
      ],
      differenceCount: 7,
      method: 'ranges',
      note: 'more than 3 differing rows: only those were re-checked and can be named',
    });
  });

  it('is ok with a note when differences settled on a re-check', () => {
    const summary = summarizeTable(check({ settled: 3, recheckNote: 'ignored when ok' }), 20);
    expect(summary.ok).toBe(true);
    expect(summary.note).toBe('3 row(s) differed while in flight and matched on a re-check');
  });

  it('explains a table without a key and its whole-table difference', () => {
    const summary = summarizeTable(check({ plan: plan([]), wholeTableDiffers: true, destinationRows: 99 }), 20);
    expect(summary.ok).toBe(false);
    expect(summary.method).toBe('whole-table');
    expect(summary.problem).toBe('row counts differ: 100 on the source, 99 on the destination');
    expect(summary.note).toBe('no primary or unique key: compared as a whole (count and checksum), differing rows cannot be named');
    expect(summarizeTable(check({ plan: plan([]), wholeTableDiffers: true }), 20).problem).toBe('same row count, different contents');
  });

  it('keeps a problem such as a missing destination table', () => {
    const summary = summarizeTable(check({ problem: 'table app.goods does not exist on the destination', destinationRows: null }), 20);
    expect(summary.ok).toBe(false);
    expect(summary.problem).toBe('table app.goods does not exist on the destination');
  });
});
