import { ObjectSelection } from '@ferry/config';
import { describe, expect, it } from 'vitest';
import { findTable, staticSelectionResults } from './selection.js';
import { sourceTable, testTask } from './testing-fixtures.js';
import type { TaskInput } from '@ferry/config';

const tables = [
  sourceTable('public', 'users', { columns: ['id', 'email', 'name'] }),
  sourceTable('public', 'orders'),
  sourceTable('sales', 'orders'),
  sourceTable('sales', 'Orders'),
];

function check(objects: TaskInput['objects']) {
  const task = testTask({ objects });
  return staticSelectionResults(task.objects, new ObjectSelection(task.objects), tables);
}

describe('findTable', () => {
  it('reads schema.table, or a bare name in public', () => {
    expect(findTable(tables, 'sales.orders')?.schema).toBe('sales');
    expect(findTable(tables, 'users')?.table).toBe('users');
    expect(findTable(tables, 'nope')).toBeUndefined();
  });
});

describe('staticSelectionResults', () => {
  it('finds nothing wrong in a plain selection', () => {
    expect(check({ include: ['public.*'] })).toEqual([]);
  });

  it('warns about include patterns that match no table', () => {
    expect(check({ include: ['public.*', 'archive.*'] })).toEqual([
      {
        id: 'selection',
        status: 'warning',
        message: 'objects.include pattern archive.* matches no table of the source database',
        fix: 'correct the pattern (schema.table, * matches any run of characters; a bare name means public) or remove it',
        objects: ['archive.*'],
      },
    ]);
  });

  it('is an error when nothing is selected', () => {
    expect(check({ include: ['archive.*'] }).map((r) => r.status)).toEqual(['error']);
  });

  it('rejects unknown columns and columns lists without the key', () => {
    const results = check({ include: ['public.*'], columns: { 'public.users': ['email', 'nickname'] } });
    expect(results.map((r) => r.message)).toEqual([
      'objects.columns for public.users names column it does not have: nickname',
      'objects.columns for public.users leaves out key column id: rows could not be matched for updates and deletes',
    ]);
    expect(results.every((r) => r.status === 'error')).toBe(true);
  });

  it('rejects per-table settings for tables that do not exist and warns for unselected ones', () => {
    const results = check({ include: ['public.*'], where: { 'public.nope': 'id > 1', 'sales.orders': 'id > 1' } });
    expect(results.map((r) => [r.status, r.message])).toEqual([
      ['error', 'objects.where names "public.nope", which is not a table of the source database'],
      ['warning', 'objects.where names sales.orders, which objects.include/exclude do not select, so it has no effect'],
    ]);
  });

  it('rejects renames and name case that make two tables collide', () => {
    const renamed = check({ include: ['*.*'], rename: { schemas: { sales: 'public' } } });
    expect(renamed.map((r) => r.message)).toEqual(['public.orders, sales.orders would all become public.orders in the destination']);
    const folded = check({ include: ['sales.*'], nameCase: 'lower' });
    expect(folded.map((r) => r.message)).toEqual(['sales.orders, sales.Orders would all become sales.orders in the destination']);
  });

  it('rejects column renames onto one name and names over 63 bytes', () => {
    const results = check({ include: ['public.users'], rename: { schemas: {}, tables: {}, columns: { 'public.users': { email: 'name', ghost: 'x' } } } });
    expect(results.map((r) => r.message)).toEqual([
      'objects.rename.columns for public.users renames column it does not have: ghost',
      'columns email, name of public.users would all be called "name" in the destination',
    ]);
    const long = check({ include: ['public.orders'], rename: { schemas: {}, tables: { 'public.orders': 'o'.repeat(64) }, columns: {} } });
    expect(long.map((r) => r.status)).toEqual(['error']);
  });
});
