import { describe, expect, it } from 'vitest';
import { formatKey, formatVerification, formatVerificationBrief } from './format-verification.js';
import type { VerificationSummary } from './verification-summary.js';

const summary: VerificationSummary = {
  at: '2025-01-01T00:00:00.000Z',
  trigger: 'manual',
  destination: 'main',
  ok: false,
  tables: [
    {
      table: 'public.items',
      destinationTable: 'public.items',
      ok: false,
      sourceRows: 100000,
      destinationRows: 100000,
      problem: null,
      differences: [
        { key: { id: '42' }, kind: 'different', columns: ['note', 'price'] },
        { key: { id: '7' }, kind: 'missing', columns: [] },
        { key: { id: '100001' }, kind: 'extra', columns: [] },
      ],
      differenceCount: 3,
      method: 'ranges',
      note: null,
    },
    {
      table: 'sales.log',
      destinationTable: 'archive.log',
      ok: true,
      sourceRows: 5,
      destinationRows: 5,
      problem: null,
      differences: [],
      differenceCount: 0,
      method: 'whole-table',
      note: 'no primary or unique key: compared as a whole (count and checksum), differing rows cannot be named',
    },
  ],
  schema: { ok: true, differences: [], differenceCount: 0 },
  sequences: {
    mode: 'info',
    ok: true,
    items: [
      { sequence: 'public.items_id_seq', destinationSequence: 'public.items_id_seq', sourceNext: '100001', destinationNext: '1', status: 'behind' },
      { sequence: 'public.other_seq', destinationSequence: 'public.other_seq', sourceNext: '5', destinationNext: '5', status: 'ok' },
    ],
  },
};

describe('formatVerification', () => {
  it('prints a table summary per table, the differing rows, schema, sequences and the verdict', () => {
    expect(formatVerification(summary)).toBe(
      [
        'destination main',
        'table          source rows     dest rows  result',
        'public.items        100000        100000  DIFF: 3 row(s) differ',
        '    id=42 different: note, price',
        '    id=7 missing on the destination',
        '    id=100001 extra on the destination (not on the source)',
        'sales.log                5             5  ok (whole table)',
        '    as archive.log on the destination',
        '    note: no primary or unique key: compared as a whole (count and checksum), differing rows cannot be named',
        'schema: equal',
        'sequences (information: synced at cutover): 1 of 2 level with the source',
        '    public.items_id_seq: behind, next 1 on the destination, 100001 on the source',
        '1 table(s) differ',
      ].join('\n'),
    );
  });

  it('says "all tables match" when they do', () => {
    const ok: VerificationSummary = { ...summary, ok: true, tables: [summary.tables[1]!], sequences: undefined, schema: undefined };
    expect(formatVerification(ok).split('\n').at(-1)).toBe('all tables match');
  });

  it('writes composite keys in parentheses and NULL for null', () => {
    expect(formatKey({ a: '1', b: null })).toBe('(a=1, b=NULL)');
  });
});

describe('formatVerificationBrief', () => {
  it('gives the trigger, age and first difference for ferry status', () => {
    expect(formatVerificationBrief(summary, Date.parse('2025-01-01T00:01:00.000Z'))).toBe(
      'verification (manual, destination main, 60 s ago): DIFFERENT: 1 of 2 table(s) differ\n  public.items: DIFF: 3 row(s) differ, e.g. id=42 different: note, price',
    );
    expect(formatVerificationBrief({ ...summary, ok: true, trigger: 'continuous' }, Date.parse('2025-01-01T00:00:05.000Z'))).toBe(
      'verification (continuous, destination main, 5 s ago): ok, 2 table(s) match',
    );
  });
});
