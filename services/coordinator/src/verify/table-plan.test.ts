import { ObjectSelection, taskSchema } from '@ferry/config';
import type { ColumnInfo, TableInfo } from '@ferry/pg';
import { TableId } from '@ferry/core';
import { describe, expect, it } from 'vitest';
import { planTable, sourceFilter } from './table-plan.js';

function column(name: string, overrides: Partial<ColumnInfo> = {}): ColumnInfo {
  return {
    name,
    attnum: 1,
    type: 'integer',
    typeOid: 23,
    typeSchema: 'pg_catalog',
    typeName: 'int4',
    typeKind: 'base',
    typeCategory: 'N',
    baseTypeOid: 23,
    baseTypeKind: 'base',
    elementTypeOid: null,
    elementTypeKind: null,
    notNull: true,
    default: null,
    generated: null,
    generationExpression: null,
    identity: null,
    ...overrides,
  };
}

function table(schema: string, name: string, columns: ColumnInfo[], primaryKey: string[]): TableInfo {
  return {
    oid: 1,
    id: new TableId(schema, name),
    schema,
    name,
    kind: 'table',
    partitionOf: null,
    extension: null,
    columns,
    primaryKey,
    replicaIdentity: { mode: 'default', indexName: null, columns: primaryKey },
    uniqueKey: null,
    estimatedRows: null,
    pages: 0,
    totalBytes: 0,
  };
}

function selection(objects: unknown): ObjectSelection {
  return new ObjectSelection(
    taskSchema.parse({ name: 'x', source: { url: 'postgres://h/s' }, destination: { url: 'postgres://h/d' }, kafka: { brokers: ['h:1'] }, schemaRegistry: { url: 'http://r' }, objects }).objects,
  );
}

const people = table('public', 'people', [column('id'), column('name', { type: 'text', typeCategory: 'S', baseTypeOid: 25 }), column('secret'), column('total', { generated: 'stored' })], ['id']);

describe('planTable', () => {
  it('applies renames, the column selection and the row filter, and leaves generated columns out', () => {
    const objects = {
      columns: { 'public.people': ['id', 'name', 'total'] },
      rename: { tables: { 'public.people': 'app.persons' }, columns: { 'public.people': { name: 'full_name' } } },
      where: { 'public.people': 'id > 10' },
    };
    const persons = table('app', 'persons', [column('id'), column('full_name', { type: 'text', typeCategory: 'S', baseTypeOid: 25 })], ['id']);
    const plan = planTable(selection(objects), people, [persons], { jsonbByHash: true });
    expect(plan.problem).toBeNull();
    expect(plan.destinationTable).toBe('app.persons');
    expect(plan.columnNames).toEqual(['id', 'name']);
    expect(plan.keyNames).toEqual(['id']);
    expect(plan.source.where).toBe('id > 10');
    expect(plan.destination!.where).toBeUndefined();
    expect(plan.destination!.columns.map((c) => c.name)).toEqual(['id', 'full_name']);
    expect(plan.destination!.key.map((c) => c.name)).toEqual(['id']);
  });

  it('says when the destination table or a column is missing', () => {
    expect(planTable(selection({}), people, []).problem).toBe('table public.people does not exist on the destination');
    const partial = table('public', 'people', [column('id'), column('name')], ['id']);
    expect(planTable(selection({}), people, [partial]).problem).toBe('column(s) "secret" missing from public.people on the destination');
  });

  it('compares a table whole when it has no key, or its key is not among the selected columns', () => {
    const keyless = table('public', 'log', [column('a')], []);
    expect(planTable(selection({}), keyless, [keyless]).keyNames).toEqual([]);
    const plan = planTable(selection({ columns: { 'public.people': ['name'] } }), people, [people]);
    expect(plan.keyNames).toEqual([]);
  });
});

describe('transforms', () => {
  it('compares a transformed column by its expression on the source and leaves dropped rows out', () => {
    const objects = { where: { 'public.people': 'id > 10' }, transform: { 'public.people': { columns: { secret: "md5(secret)" }, dropWhere: 'name IS NULL' } } };
    const plan = planTable(selection(objects), people, [people]);
    expect(plan.source.columns.map((c) => c.expression)).toEqual([undefined, undefined, 'md5(secret)']);
    expect(plan.destination!.columns.every((c) => c.expression === undefined)).toBe(true);
    expect(plan.source.where).toBe('(id > 10) AND NOT coalesce((name IS NULL), false)');
    expect(sourceFilter(undefined, undefined)).toBeUndefined();
  });
});
