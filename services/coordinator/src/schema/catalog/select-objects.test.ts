import { describe, expect, it } from 'vitest';
import { selectEverything, type TableSelection } from '../table-selection.js';
import type { RelationEntry } from './list-relations.js';
import type { CatalogDependency } from './read-dependencies.js';
import { selectObjects } from './select-objects.js';

const relations: RelationEntry[] = [
  { id: 'pg_class:1', oid: 1, schema: 'sales', name: 'orders', kind: 'table' },
  { id: 'pg_class:2', oid: 2, schema: 'sales', name: 'orders_id_seq', kind: 'sequence' },
  { id: 'pg_class:3', oid: 3, schema: 'sales', name: 'events', kind: 'partitioned' },
  { id: 'pg_class:4', oid: 4, schema: 'archive', name: 'events_2020', kind: 'table', parentId: 'pg_class:3' },
  { id: 'pg_class:5', oid: 5, schema: 'sales', name: 'audit', kind: 'table' },
  { id: 'pg_class:6', oid: 6, schema: 'other', name: 'lonely_seq', kind: 'sequence' },
  { id: 'pg_class:7', oid: 7, schema: 'sales', name: 'report', kind: 'view' },
];

const dependencies: CatalogDependency[] = [
  { from: 'pg_class:1', fromColumn: 'id', to: 'pg_class:2', toDescription: 'sequence', toSchema: 'sales', fromRelation: 'pg_class:1' },
  { from: 'pg_class:1', fromColumn: 'kind', to: 'pg_type:10', toDescription: 'type util.kind', toSchema: 'util', fromRelation: 'pg_class:1' },
  { from: 'pg_type:10', to: 'pg_proc:11', toDescription: 'function helpers.f', toSchema: 'helpers', fromRelation: null },
  { from: 'pg_class:7', to: 'pg_class:5', toDescription: 'table sales.audit', toSchema: 'sales', fromRelation: 'pg_class:7' },
  { from: 'pg_trigger:12', to: 'pg_proc:13', toDescription: 'function audit.log()', toSchema: 'audit', fromRelation: 'pg_class:1' },
];

const only = (...names: string[]): TableSelection => ({ ...selectEverything(), includesTable: (schema, table) => names.includes(`${schema}.${table}`) });

describe('selectObjects', () => {
  it('takes selected tables, their partitions, and what they need', () => {
    const chosen = selectObjects(relations, dependencies, only('sales.orders', 'sales.events'), ['public']);
    expect(chosen.relations.map((r) => r.name)).toEqual(['orders', 'orders_id_seq', 'events', 'events_2020']);
    expect([...chosen.schemas].sort()).toEqual(['archive', 'audit', 'helpers', 'public', 'sales', 'util']);
  });

  it('does not pull tables in through a view that reads them', () => {
    const chosen = selectObjects(relations, dependencies, only('sales.report'), []);
    expect(chosen.relations.map((r) => r.name)).toEqual(['report']);
  });

  it('takes a sequence the selection names', () => {
    expect(selectObjects(relations, [], only('other.lonely_seq'), []).relations.map((r) => r.name)).toEqual(['lonely_seq']);
  });
});
