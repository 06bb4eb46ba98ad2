import { describe, expect, it } from 'vitest';
import { conflictResults } from './conflicting-tables.js';
import type { ExistingRelation, MappedTable } from './destination-tables.js';
import { sourceTable } from './testing-fixtures.js';

const mapped: MappedTable[] = [
  { source: sourceTable('public', 'orders'), destination: { schema: 'public', table: 'orders' } },
  { source: sourceTable('sales', 'Refunds'), destination: { schema: 'app', table: 'refunds' } },
];
const existing = (schema: string, table: string, kind = 'r'): ExistingRelation => ({
  schema,
  table,
  kind,
  canInsert: true,
  canUpdate: true,
  canDelete: true,
  canTruncate: true,
});

describe('conflictResults', () => {
  it('is an error naming the tables (with their source names) when conflictingTables is error', () => {
    const [result] = conflictResults(mapped, [existing('app', 'refunds'), existing('public', 'orders', 'v')], {
      where: 'destination "main"',
      createsSchema: true,
      mode: 'error',
    });
    expect(result).toEqual({
      id: 'conflicting-tables',
      status: 'error',
      message: '2 tables already exist in destination "main": public.orders [a view], app.refunds (from sales.Refunds)',
      fix:
        'drop them (DROP TABLE "public"."orders", "app"."refunds";), migrate them under other names (objects.rename), ' +
        'or set conflictingTables: ignore to write into them as they are',
      objects: ['public.orders', 'app.refunds'],
    });
  });

  it('is a warning when conflictingTables is ignore', () => {
    const [result] = conflictResults(mapped, [existing('public', 'orders')], { where: 'destination "main"', createsSchema: true, mode: 'ignore' });
    expect(result!.status).toBe('warning');
    expect(result!.objects).toEqual(['public.orders']);
  });

  it('passes when nothing exists yet', () => {
    expect(conflictResults(mapped, [], { where: 'destination "main"', createsSchema: true, mode: 'error' })[0]!.status).toBe('pass');
  });

  it('without the schema phase, requires the tables to exist instead', () => {
    const [result] = conflictResults(mapped, [existing('public', 'orders')], { where: 'destination "main"', createsSchema: false, mode: 'error' });
    expect(result!.status).toBe('error');
    expect(result!.message).toContain('app.refunds (from sales.Refunds)');
    expect(result!.objects).toEqual(['app.refunds']);
  });
});
