import type { IndexDefinition, TableDefinition } from '@ferry/avro';
import { describe, expect, it } from 'vitest';
import { columnRenames, descriptionFromDefinition } from './table-definition.js';

const index = (name: string, keyColumns: string[] | null, extra: Partial<IndexDefinition> = {}): IndexDefinition => ({
  name,
  definition: `CREATE UNIQUE INDEX ${name} ON public.t USING btree (...)`,
  primary: false,
  unique: true,
  replicaIdentity: false,
  constraint: false,
  keyColumns,
  keyNotNull: true,
  ...extra,
});

const table = (indexes: IndexDefinition[], replicaIdentity = 'd'): TableDefinition => ({
  oid: 42,
  schema: 'public',
  name: 't',
  kind: 'r',
  replicaIdentity,
  columns: [
    { attnum: 1, name: 'id', type: 'integer', typeOid: 23, baseTypeOid: 23, notNull: true, default: null, generated: false, identity: '' },
    { attnum: 2, name: 'code', type: 'public.code', typeOid: 90001, baseTypeOid: 25, notNull: true, default: null, generated: false, identity: '' },
    { attnum: 4, name: 'total', type: 'integer', typeOid: 23, baseTypeOid: 23, notNull: false, default: null, generated: true, identity: '' },
  ],
  constraints: [],
  indexes,
});

describe('descriptionFromDefinition', () => {
  it('takes the columns the stream carries (no generated ones), domains with their base type', () => {
    const description = descriptionFromDefinition(table([]), null);
    expect(description.columns).toEqual([
      { name: 'id', typeName: 'integer', typeOid: 23 },
      { name: 'code', typeName: 'public.code', typeOid: 90001, baseTypeOid: 25 },
    ]);
    expect(description).toMatchObject({ schema: 'public', name: 't', oid: 42, keyColumns: [], replicaIdentity: 'default', info: null });
  });

  it('chooses the key like the catalog reader: replica identity index, primary key, then the smallest unique NOT NULL index', () => {
    const primary = index('t_pkey', ['id'], { primary: true, constraint: true });
    const unique = index('t_code', ['code']);
    const wide = index('t_both', ['id', 'code']);
    expect(descriptionFromDefinition(table([wide, unique, primary]), null).keyColumns).toEqual(['id']);
    expect(descriptionFromDefinition(table([wide, unique]), null).keyColumns).toEqual(['code']);
    expect(descriptionFromDefinition(table([index('t_nullable', ['code'], { keyNotNull: false })]), null).keyColumns).toEqual([]);
    expect(descriptionFromDefinition(table([primary, index('t_ri', ['code'], { replicaIdentity: true })], 'i'), null).keyColumns).toEqual(['code']);
  });
});

describe('columnRenames', () => {
  const definition = (names: [number, string][]): TableDefinition => ({
    oid: 1,
    schema: 'public',
    name: 't',
    kind: 'r',
    replicaIdentity: 'd',
    columns: names.map(([attnum, name]) => ({ attnum, name, type: 'text', typeOid: 25, baseTypeOid: 25, notNull: false, default: null, generated: false, identity: '' })),
    constraints: [],
    indexes: [],
  });

  it('finds a column that kept its attnum under a new name', () => {
    expect(columnRenames({ '1': 'id', '2': 'status', '4': 'note' }, definition([[1, 'id'], [2, 'state'], [4, 'note'], [5, 'added']]))).toEqual([{ from: 'status', to: 'state' }]);
  });

  it('sees no rename in a drop followed by an add (a new attnum), nor without the names from before', () => {
    expect(columnRenames({ '1': 'id', '2': 'status' }, definition([[1, 'id'], [3, 'state']]))).toEqual([]);
    expect(columnRenames(null, definition([[1, 'id'], [2, 'state']]))).toEqual([]);
  });
});
