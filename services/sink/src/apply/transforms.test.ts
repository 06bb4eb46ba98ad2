import { ObjectSelection, parseTask } from '@ferry/config';
import { describe, expect, it } from 'vitest';
import type { TargetTable } from './statement-builder.js';
import { RowTransforms, sourceColumnsOf, transformStatement } from './transforms.js';

const target: TargetTable = {
  schema: 'app',
  table: 'users',
  types: new Map([
    ['id', 'integer'],
    ['mail', 'text'],
    ['deleted', 'boolean'],
  ]),
  keyColumns: ['id'],
  generated: new Set(),
  hasIdentityAlways: false,
};

function selectionWith(objects: Record<string, unknown>): ObjectSelection {
  const task = parseTask(JSON.stringify({
    name: 't',
    source: { url: 'postgres://s/db' },
    destination: { url: 'postgres://d/db' },
    kafka: { brokers: ['k:9092'] },
    schemaRegistry: { url: 'http://r' },
    objects,
  }));
  return new ObjectSelection(task.objects);
}

describe('transformStatement', () => {
  it('evaluates expressions over the source names, cast to the destination types, in input order', () => {
    const selection = selectionWith({ rename: { schemas: { public: 'app' }, columns: { 'public.users': { email: 'mail' } } } });
    const statement = transformStatement(
      target,
      { schema: 'public', table: 'users' },
      selection,
      { columns: { email: 'md5(email)' }, dropWhere: 'deleted' },
      ['id', 'email', 'deleted', 'not_in_destination'],
    );
    expect(statement.inputs).toEqual(['id', 'mail', 'deleted']);
    expect(statement.outputs).toEqual(['mail']);
    expect(statement.text).toBe(
      'SELECT ((md5(email))::text)::text AS v0, CASE WHEN (deleted) THEN \'true\' END AS drop ' +
        'FROM (SELECT u.c1::integer AS "id", u.c2::text AS "email", u.c3::boolean AS "deleted", u.n AS " ferry input order " ' +
        'FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS u(c1, c2, c3, n)) AS "users" ORDER BY " ferry input order "',
    );
  });

  it('without a drop condition keeps every row', () => {
    const statement = transformStatement(target, { schema: 'app', table: 'users' }, selectionWith({}), { columns: { mail: "'***'" } }, ['id', 'mail']);
    expect(statement.text).toContain("((\'***\')::text)::text AS v0, NULL::text AS drop");
  });
});

describe('RowTransforms.ofChanges', () => {
  it('adds the row filter to the drop condition: a row is kept only where the filter is true', () => {
    const transforms = new RowTransforms(selectionWith({ where: { 'public.users': "mail LIKE '%@x'" }, transform: { 'public.users': { columns: { mail: 'md5(mail)' }, dropWhere: 'deleted' } } }));
    expect(transforms.ofChanges('public', 'users')).toEqual({
      columns: { mail: 'md5(mail)' },
      dropWhere: "(deleted) OR NOT COALESCE((mail LIKE '%@x'), false)",
      filterOnly: false,
    });
    // The snapshot is filtered on the source already: its rows only take the transform.
    expect(transforms.of('public', 'users')).toEqual({ columns: { mail: 'md5(mail)' }, dropWhere: 'deleted' });
  });

  it('makes a filter alone a drop condition, and leaves other tables untouched', () => {
    const transforms = new RowTransforms(selectionWith({ where: { 'public.users': 'id > 10' } }));
    expect(transforms.ofChanges('public', 'users')).toEqual({ columns: {}, dropWhere: 'NOT COALESCE((id > 10), false)', filterOnly: true });
    expect(transforms.of('public', 'users')).toBeUndefined();
    expect(transforms.ofChanges('public', 'other')).toBeUndefined();
  });
});

describe('sourceColumnsOf', () => {
  it('takes the names from the first event that carries a row', () => {
    expect(sourceColumnsOf([{ change: { before: null, after: null } }, { change: { before: { id: '1', b: null }, after: null } }])).toEqual(['id', 'b']);
    expect(sourceColumnsOf([])).toEqual([]);
  });
});
