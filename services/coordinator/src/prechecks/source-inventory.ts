import type pg from 'pg';
import type { PrecheckContext } from './types.js';

/** Ferry's own schema on the source (the heartbeat table): never part of a migration. */
export const FERRY_SCHEMA = 'ferry';

/** One user table of the source database, as the checks need it. */
export interface SourceTable {
  schema: string;
  table: string;
  /** r = table, p = partitioned table, f = foreign table. */
  kind: 'r' | 'p' | 'f';
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
  /** Columns of the REPLICA IDENTITY USING INDEX index, when that is set. */
  replicaIdentityIndex: string[];
  /** A unique, non-partial, immediate index over NOT NULL columns: a key without being a primary key. */
  uniqueNotNullIndex: { name: string; columns: string[] } | undefined;
}

export function qualifiedName(t: { schema: string; table: string }): string {
  return `${t.schema}.${t.table}`;
}

/** Columns that identify a row: the primary key, else the replica identity index, else a unique NOT NULL index. */
export function keyColumns(t: SourceTable): string[] {
  if (t.primaryKey.length > 0) return t.primaryKey;
  if (t.replicaIdentity === 'i' && t.replicaIdentityIndex.length > 0) return t.replicaIdentityIndex;
  return t.uniqueNotNullIndex?.columns ?? [];
}

// Index columns by position; indkey holds 0 for expressions, excluded by indexprs IS NULL.
const INDEX_COLUMNS = `
  SELECT array_agg(a.attname::text ORDER BY k.ord)
  FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum`;

const TABLES_SQL = `
SELECT n.nspname AS schema, c.relname AS table, c.relkind AS kind,
       c.relpersistence = 'u' AS unlogged, c.relreplident AS replica_identity,
       pg_get_userbyid(c.relowner) AS owner,
       pg_has_role(c.relowner, 'USAGE') AS owned_by_us,
       has_table_privilege(c.oid, 'SELECT') AS can_select,
       has_schema_privilege(n.oid, 'USAGE') AS schema_usage,
       pg_total_relation_size(c.oid)::text AS total_bytes,
       ARRAY(SELECT a.attname::text FROM pg_attribute a
             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) AS columns,
       ARRAY(SELECT a.attname::text FROM pg_attribute a
             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
               AND has_column_privilege(c.oid, a.attnum, 'SELECT') ORDER BY a.attnum) AS selectable_columns,
       (SELECT (${INDEX_COLUMNS}) FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) AS primary_key,
       (SELECT (${INDEX_COLUMNS}) FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident) AS replica_identity_index,
       (SELECT json_build_object('name', ic.relname, 'columns', (${INDEX_COLUMNS}))
          FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
         WHERE i.indrelid = c.oid AND i.indisunique AND i.indimmediate AND i.indisvalid
           AND i.indpred IS NULL AND i.indexprs IS NULL
           AND NOT EXISTS (SELECT 1 FROM unnest(i.indkey::int2[]) AS k(attnum)
                           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                           WHERE NOT a.attnotnull)
         ORDER BY i.indisprimary DESC, ic.relname LIMIT 1) AS unique_not_null_index
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
  AND n.nspname <> $1
ORDER BY n.nspname, c.relname`;

interface TableRow {
  schema: string;
  table: string;
  kind: 'r' | 'p' | 'f';
  unlogged: boolean;
  replica_identity: 'd' | 'i' | 'f' | 'n';
  owner: string;
  owned_by_us: boolean;
  can_select: boolean;
  schema_usage: boolean;
  total_bytes: string;
  columns: string[];
  selectable_columns: string[];
  primary_key: string[] | null;
  replica_identity_index: string[] | null;
  unique_not_null_index: { name: string; columns: string[] } | null;
}

/** Every user table of the source (selected or not), loaded once per run. */
export function sourceTables(ctx: PrecheckContext): Promise<SourceTable[]> {
  return ctx.memo('source-tables', async () => loadSourceTables(await ctx.source()));
}

/** The tables the task moves: regular and partitioned tables matched by the selection. */
export async function selectedTables(ctx: PrecheckContext): Promise<SourceTable[]> {
  const all = await sourceTables(ctx);
  return all.filter((t) => t.kind !== 'f' && ctx.selection.includesTable(t.schema, t.table));
}

export async function loadSourceTables(client: pg.Client): Promise<SourceTable[]> {
  const { rows } = await client.query<TableRow>(TABLES_SQL, [FERRY_SCHEMA]);
  return rows.map((r) => ({
    schema: r.schema,
    table: r.table,
    kind: r.kind,
    unlogged: r.unlogged,
    replicaIdentity: r.replica_identity,
    owner: r.owner,
    ownedByUs: r.owned_by_us,
    canSelect: r.can_select,
    selectableColumns: r.selectable_columns,
    schemaUsage: r.schema_usage,
    totalBytes: BigInt(r.total_bytes),
    columns: r.columns,
    primaryKey: r.primary_key ?? [],
    replicaIdentityIndex: r.replica_identity_index ?? [],
    uniqueNotNullIndex: r.unique_not_null_index ?? undefined,
  }));
}

/** Role facts of the connected user. */
export interface RoleInfo {
  name: string;
  superuser: boolean;
  replication: boolean;
}

export async function currentRole(client: pg.Client): Promise<RoleInfo> {
  const { rows } = await client.query<{ name: string; superuser: boolean; replication: boolean }>(
    `SELECT rolname AS name, rolsuper AS superuser, rolreplication AS replication FROM pg_roles WHERE rolname = current_user`,
  );
  return rows[0]!;
}
