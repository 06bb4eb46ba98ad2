import { describe, expect, it } from 'vitest';
import { ObjectSelection } from './object-selection.js';
import { taskSchema } from './task-schema.js';

function selection(objects: unknown): ObjectSelection {
  const task = taskSchema.parse({
    name: 't',
    source: { url: 'postgres://h/d' },
    destination: { url: 'postgres://h/e' },
    kafka: { brokers: ['h:1'] },
    schemaRegistry: { url: 'http://r' },
    objects,
  });
  return new ObjectSelection(task.objects);
}

describe('ObjectSelection', () => {
  it('includes by pattern and lets exclude win', () => {
    const s = selection({ include: ['public.*', 'sales.orders'], exclude: ['public.audit_log'] });
    expect(s.includesTable('public', 'users')).toBe(true);
    expect(s.includesTable('public', 'audit_log')).toBe(false);
    expect(s.includesTable('sales', 'orders')).toBe(true);
    expect(s.includesTable('sales', 'refunds')).toBe(false);
    expect(s.includesTable('publicx', 'users')).toBe(false);
  });

  it('selects columns in source order and reports unknown ones', () => {
    const s = selection({ columns: { 'public.users': ['email', 'id', 'nope'] } });
    expect(s.selectColumns('public', 'users', ['id', 'name', 'email'])).toEqual(['id', 'email']);
    expect(s.unknownColumns('public', 'users', ['id', 'name', 'email'])).toEqual(['nope']);
    expect(s.selectColumns('public', 'other', ['a', 'b'])).toEqual(['a', 'b']);
  });

  it('renames schemas, tables and columns, then applies the name case', () => {
    const s = selection({
      rename: { schemas: { public: 'app' }, tables: { 'sales.orders': 'sales.order_v2', 'public.Users': 'Members' }, columns: { 'public.Users': { Email: 'MailAddress' } } },
      nameCase: 'lower',
    });
    expect(s.destinationTable('sales', 'orders')).toEqual({ schema: 'sales', table: 'order_v2' });
    expect(s.destinationTable('public', 'Users')).toEqual({ schema: 'app', table: 'members' });
    expect(s.destinationColumn('public', 'Users', 'Email')).toBe('mailaddress');
    expect(s.destinationColumn('public', 'Users', 'Id')).toBe('id');
  });

  it('filters operations per table', () => {
    const s = selection({ operations: { 'public.audit': ['insert'] } });
    expect([...s.operations('public', 'audit')]).toEqual(['insert']);
    expect(s.operations('public', 'other').has('delete')).toBe(true);
  });
});
