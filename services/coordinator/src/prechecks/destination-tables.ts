import type pg from 'pg';
import { selectedTables, type SourceTable } from './source-inventory.js';
import type { PrecheckContext } from './types.js';

export interface TableName {
  schema: string;
  table: string;
}

/** A selected source table and the name it gets in the destination (renames and name case applied). */
export interface MappedTable {
  source: SourceTable;
  destination: TableName;
}

export async function mappedTables(ctx: PrecheckContext): Promise<MappedTable[]> {
  const tables = await selectedTables(ctx);
  return tables.map((source) => ({ source, destination: ctx.selection.destinationTable(source.schema, source.table) }));
}

/** A relation that already exists in a destination under one of the wanted names. */
export interface ExistingRelation extends TableName {
  /** pg_class.relkind: r table, p partitioned, v view, m materialized view, f foreign, S sequence, i index... */
  kind: string;
  canInsert: boolean;
  canUpdate: boolean;
  canDelete: boolean;
  canTruncate: boolean;
}

const KIND_NAMES: Record<string, string> = {
  r: 'table',
  p: 'partitioned table',
  v: 'view',
  m: 'materialized view',
  f: 'foreign table',
  S: 'sequence',
  i: 'index',
  I: 'partitioned index',
  c: 'composite type',
  t: 'TOAST table',
};

export function kindName(kind: string): string {
  return KIND_NAMES[kind] ?? `relation (relkind ${kind})`;
}

/** Which of `names` exist in the destination, as any kind of relation (they share one namespace). */
export async function existingRelations(client: pg.Client, names: readonly TableName[]): Promise<ExistingRelation[]> {
  if (names.length === 0) return [];
  // Each privilege separately: has_table_privilege('INSERT, UPDATE') is true when ANY of them is held.
  const { rows } = await client.query<{
    schema: string;
    table: string;
    kind: string;
    can_insert: boolean;
    can_update: boolean;
    can_delete: boolean;
    can_truncate: boolean;
  }>(
    `SELECT n.nspname AS schema, c.relname AS table, c.relkind AS kind,
            has_table_privilege(c.oid, 'INSERT') AS can_insert, has_table_privilege(c.oid, 'UPDATE') AS can_update,
            has_table_privilege(c.oid, 'DELETE') AS can_delete, has_table_privilege(c.oid, 'TRUNCATE') AS can_truncate
       FROM unnest($1::text[], $2::text[]) AS wanted(schema, name)
       JOIN pg_namespace n ON n.nspname = wanted.schema
       JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = wanted.name
      ORDER BY 1, 2`,
    [names.map((n) => n.schema), names.map((n) => n.table)],
  );
  return rows.map((r) => ({
    schema: r.schema,
    table: r.table,
    kind: r.kind,
    canInsert: r.can_insert,
    canUpdate: r.can_update,
    canDelete: r.can_delete,
    canTruncate: r.can_truncate,
  }));
}

/** Relations of each destination, looked up once per run. */
export function destinationRelations(
  ctx: PrecheckContext,
  destination: PrecheckContext['task']['destinations'][number],
): Promise<{ mapped: MappedTable[]; existing: ExistingRelation[] }> {
  return ctx.memo(`destination-relations:${destination.name}`, async () => {
    const mapped = await mappedTables(ctx);
    const client = await ctx.destination(destination);
    return { mapped, existing: await existingRelations(client, mapped.map((m) => m.destination)) };
  });
}
