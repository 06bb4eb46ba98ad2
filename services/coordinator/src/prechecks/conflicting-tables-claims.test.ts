import { describe, expect, it } from 'vitest';
import { claimResults } from './conflicting-tables.js';
import type { MappedTable } from './destination-tables.js';
import { sourceTable } from './testing-fixtures.js';

const source = sourceTable('public', 'items');
const mapped: MappedTable[] = [{ source, destination: { schema: 'north', table: 'items' } }];
const claims = [{ schema: 'north', table: 'items', task: 'north-sync', destination: 'main', sourceTable: 'public.items' }];

describe('claimResults', () => {
  it('passes silently when no other task writes the tables', () => {
    expect(claimResults(mapped, [], { where: 'destination "main"', mode: 'error' })).toEqual([]);
  });

  it('is an error naming the other task, or a warning under conflictingTables: ignore', () => {
    const [error] = claimResults(mapped, claims, { where: 'destination "main"', mode: 'error' });
    expect(error!.status).toBe('error');
    expect(error!.message).toBe(
      '1 table of destination "main" is written by another task too: north.items (from public.items here, and from public.items by task "north-sync"); both would overwrite each other\'s rows',
    );
    expect(error!.objects).toEqual(['north.items']);
    const [warning] = claimResults(mapped, claims, { where: 'destination "main"', mode: 'ignore' });
    expect(warning!.status).toBe('warning');
  });
});
