import type { ColumnInfo, ConstraintInfo, SchemaModel, TableInfo } from '../schema-model.js';

/**
 * Small SchemaModel builders for unit tests: only what a test names differs
 * from a plain default. Ids are made up ("pg_class:<n>") but user-range.
 */
let nextOid = 20000;

export function oid(catalog: string): string {
  nextOid += 1;
  return `${catalog}:${nextOid}`;
}

export function emptyModel(overrides: Partial<SchemaModel> = {}): SchemaModel {
  return {
    serverVersion: 170000,
    schemas: [],
    extensions: [],
    types: [],
    sequences: [],
    tables: [],
    indexes: [],
    views: [],
    routines: [],
    aggregates: [],
    operators: [],
    triggers: [],
    rules: [],
    extensionObjects: [],
    dependencies: [],
    notes: [],
    ...overrides,
  };
}

export function column(name: string, type: string, extra: Partial<ColumnInfo> = {}): ColumnInfo {
  return { name, type, notNull: false, expressionColumns: [], isLocal: true, ...extra };
}

export function table(schema: string, name: string, columns: ColumnInfo[], extra: Partial<TableInfo> = {}): TableInfo {
  return { id: oid('pg_class'), schema, name, kind: 'table', unlogged: false, options: [], columns, constraints: [], ...extra };
}

export function primaryKey(name: string, columns: string[]): ConstraintInfo {
  return {
    id: oid('pg_constraint'),
    kind: 'primary-key',
    name,
    columns,
    include: [],
    nullsNotDistinct: false,
    indexOptions: [],
    deferrable: false,
    initiallyDeferred: false,
    validated: true,
    inherited: false,
    definition: `PRIMARY KEY (${columns.join(', ')})`,
  };
}

export function check(name: string, expression: string, columns: string[]): ConstraintInfo {
  return {
    id: oid('pg_constraint'),
    kind: 'check',
    name,
    columns,
    expression,
    noInherit: false,
    deferrable: false,
    initiallyDeferred: false,
    validated: true,
    inherited: false,
    definition: `CHECK (${expression})`,
  };
}

export function foreignKey(name: string, columns: string[], referenced: { schema: string; table: string }, referencedColumns: string[]): ConstraintInfo {
  return {
    id: oid('pg_constraint'),
    kind: 'foreign-key',
    name,
    columns,
    referencedTable: referenced,
    referencedColumns,
    onUpdate: 'no action',
    onDelete: 'no action',
    onDeleteColumns: [],
    match: 'simple',
    deferrable: false,
    initiallyDeferred: false,
    validated: true,
    inherited: false,
    definition: 'FOREIGN KEY',
  };
}

export function schemaInfo(name: string): SchemaModel['schemas'][number] {
  return { id: oid('pg_namespace'), name };
}
