import type pg from 'pg';
import { EXCLUDED_SCHEMAS, listTables, type TableInfo } from '@ferry/pg';
import type { PrecheckContext } from './types.js';

/** Ferry's own schema on the source (the heartbeat table): never part of a migration. */
export const FERRY_SCHEMA = 'ferry';

/**
 * One user table of the source database, as the checks need it: the catalog
 * facts capture itself reads (listTables from @ferry/pg, so both agree on which
 * tables exist and what their keys are) plus what the connected role may do.
 */
export interface SourceTable {
  schema: string;
  table: string;
  /** r = table, p = partitioned table, f = foreign table. */
  kind: 'r' | 'p' | 'f';
  /** The extension that owns the table, if any. */
  extension: string | null;
  unlogged: boolean;
  /** d = default (primary key), i = index, f = full, n = nothing. */
  replicaIdentity: 'd' | 'i' | 'f' | 'n';
  owner: string;
  /** The connected role is the owner or a member of the owning role (what CREATE PUBLICATION ... FOR TABLE asks). */
  ownedByUs: boolean;
  canSelect: boolean;
  /** SELECT granted column by column, when not on the whole table. */
  selectableColumns: string[];
  schemaUsage: boolean;
  totalBytes: bigint;
  columns: string[];
  primaryKey: string[];
  /** Columns of the REPLICA IDENTITY USING INDEX index; empty when not set or when that index was dropped. */
  replicaIdentityIndex: string[];
  /** Without a primary key: the best unique, non-partial, immediate index over NOT NULL columns. */
  uniqueNotNullIndex: { name: string; columns: string[] } | undefined;
}

export function qualifiedName(t: { schema: string; table: string }): string {
  return `${t.schema}.${t.table}`;
}

/** Columns that identify a row, as capture picks them: the primary key, else the replica identity index, else a unique NOT NULL index. */
export function keyColumns(t: SourceTable): string[] {
  if (t.primaryKey.length > 0) return t.primaryKey;
  if (t.replicaIdentity === 'i' && t.replicaIdentityIndex.length > 0) return t.replicaIdentityIndex;
  return t.uniqueNotNullIndex?.columns ?? [];
}

const ACCESS_SQL = `
SELECT c.oid::text AS oid, c.relpersistence = 'u' AS unlogged,
       pg_get_userbyid(c.relowner) AS owner, pg_has_role(c.relowner, 'USAGE') AS owned_by_us,
       has_table_privilege(c.oid, 'SELECT') AS can_select, has_schema_privilege(c.relnamespace, 'USAGE') AS schema_usage,
       ARRAY(SELECT a.attname::text FROM pg_attribute a
              WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                AND has_column_privilege(c.oid, a.attnum, 'SELECT') ORDER BY a.attnum) AS selectable_columns
  FROM pg_class c WHERE c.oid = ANY ($1::oid[])`;

const FOREIGN_SQL = `
SELECT n.nspname AS schema, c.relname AS table
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'f' AND n.nspname <> ALL ($1::text[])
 ORDER BY 1, 2`;

interface AccessRow {
  oid: string;
  unlogged: boolean;
  owner: string;
  owned_by_us: boolean;
  can_select: boolean;
  schema_usage: boolean;
  selectable_columns: string[];
}

/** Every user table of the source (selected or not, foreign tables too), loaded once per run. */
export function sourceTables(ctx: PrecheckContext): Promise<SourceTable[]> {
  return ctx.memo('source-tables', async () => loadSourceTables(await ctx.source()));
}

/** The tables the task moves: regular and partitioned tables matched by the selection. */
export async function selectedTables(ctx: PrecheckContext): Promise<SourceTable[]> {
  const all = await sourceTables(ctx);
  return all.filter((t) => t.kind !== 'f' && ctx.selection.includesTable(t.schema, t.table));
}

export async function loadSourceTables(client: pg.Client): Promise<SourceTable[]> {
  const tables = await listTables(client);
  const { rows } = await client.query<AccessRow>(ACCESS_SQL, [tables.map((t) => String(t.oid))]);
  const access = new Map(rows.map((r) => [r.oid, r]));
  const { rows: foreign } = await client.query<{ schema: string; table: string }>(FOREIGN_SQL, [EXCLUDED_SCHEMAS]);
  return [
    ...tables.map((t) => toSourceTable(t, access.get(String(t.oid)))),
    ...foreign.map((f) => foreignTable(f.schema, f.table)),
  ];
}

function toSourceTable(t: TableInfo, access: AccessRow | undefined): SourceTable {
  const identity = t.replicaIdentity;
  return {
    schema: t.schema,
    table: t.name,
    kind: t.kind === 'partitioned' ? 'p' : 'r',
    extension: t.extension,
    unlogged: access?.unlogged ?? false,
    replicaIdentity: ({ default: 'd', index: 'i', full: 'f', nothing: 'n' } as const)[identity.mode],
    owner: access?.owner ?? '?',
    ownedByUs: access?.owned_by_us ?? false,
    canSelect: access?.can_select ?? false,
    selectableColumns: access?.selectable_columns ?? [],
    schemaUsage: access?.schema_usage ?? false,
    totalBytes: BigInt(Math.round(t.totalBytes)),
    columns: t.columns.map((c) => c.name),
    primaryKey: t.primaryKey,
    replicaIdentityIndex: identity.mode === 'index' ? identity.columns : [],
    uniqueNotNullIndex: t.uniqueKey ? { name: t.uniqueKey.indexName, columns: t.uniqueKey.columns } : undefined,
  };
}

function foreignTable(schema: string, table: string): SourceTable {
  return {
    schema,
    table,
    kind: 'f',
    extension: null,
    unlogged: false,
    replicaIdentity: 'd',
    owner: '?',
    ownedByUs: false,
    canSelect: false,
    selectableColumns: [],
    schemaUsage: false,
    totalBytes: 0n,
    columns: [],
    primaryKey: [],
    replicaIdentityIndex: [],
    uniqueNotNullIndex: undefined,
  };
}

/** Role facts of the connected user. */
export interface RoleInfo {
  name: string;
  superuser: boolean;
  replication: boolean;
}

export async function currentRole(client: pg.Client): Promise<RoleInfo> {
  const { rows } = await client.query<RoleInfo>(
    `SELECT rolname AS name, rolsuper AS superuser, rolreplication AS replication FROM pg_roles WHERE rolname = current_user`,
  );
  return rows[0]!;
}
