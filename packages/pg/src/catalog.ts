import type pg from 'pg';
import { InvariantError, Lsn, TableId } from '@ferry/core';
import { queryTextRows, type TextRow } from './text-query.js';

/**
 * Catalog queries shared by capture, sink and coordinator. They run on
 * PostgreSQL 10 to 18: where a catalog column appeared later (attgenerated in 12,
 * indnkeyatts in 11) the SQL is chosen by server version.
 */

export interface ServerVersion {
  /** 13 for 13.4; 9 is never returned (Ferry needs 10+). */
  major: number;
  /** server_version_num, e.g. 130004. */
  num: number;
  /** server_version, e.g. "13.4 (Debian 13.4-1)". */
  text: string;
}

/** The declared type's kind (pg_type.typtype), with true arrays told apart from other base types. */
export type TypeKind = 'base' | 'array' | 'composite' | 'domain' | 'enum' | 'range' | 'multirange' | 'pseudo';

export interface ColumnInfo {
  name: string;
  /** Position in the table (attnum); gaps mark dropped columns. */
  attnum: number;
  /** `format_type(atttypid, atttypmod)`, e.g. "numeric(10,2)", "character varying(20)", "public.mood". */
  type: string;
  typeOid: number;
  typeSchema: string;
  /** pg_type.typname, unquoted (arrays start with "_"). */
  typeName: string;
  typeKind: TypeKind;
  /** pg_type.typcategory, one letter: N numeric, S string, D date/time, A array, E enum, U user, ... */
  typeCategory: string;
  /** The type under all domain layers; the column's own type when it is not a domain. */
  baseTypeOid: number;
  baseTypeKind: TypeKind;
  /** For an array (after domains): its element type; null otherwise. */
  elementTypeOid: number | null;
  elementTypeKind: TypeKind | null;
  notNull: boolean;
  /** Default expression (pg_get_expr); null for none and for generated columns. */
  default: string | null;
  /** 'stored' (12+), 'virtual' (18+), or null. */
  generated: 'stored' | 'virtual' | null;
  /** The generation expression of a generated column. */
  generationExpression: string | null;
  /** Identity column: GENERATED ALWAYS or BY DEFAULT. */
  identity: 'always' | 'by default' | null;
}

export interface KeyIndex {
  indexName: string;
  /** Key columns in index order. */
  columns: string[];
}

export interface ReplicaIdentity {
  /** relreplident: d default (primary key), n nothing, f full, i index. */
  mode: 'default' | 'nothing' | 'full' | 'index';
  /** The index, for 'index' mode and for 'default' with a primary key. */
  indexName: string | null;
  /** Columns that identify the old row in the WAL: the key for 'default' and 'index', else empty. */
  columns: string[];
}

export interface TableInfo {
  oid: number;
  id: TableId;
  schema: string;
  name: string;
  /** relkind r (ordinary) or p (partitioned: holds no rows itself). */
  kind: 'table' | 'partitioned';
  /** For a partition, its direct parent. */
  partitionOf: TableId | null;
  /** The extension that owns the table (e.g. postgis's spatial_ref_sys), if any. */
  extension: string | null;
  columns: ColumnInfo[];
  /** Primary key columns in key order; empty when there is none. */
  primaryKey: string[];
  replicaIdentity: ReplicaIdentity;
  /**
   * When there is no primary key: the best unique index usable as a key (valid,
   * immediate, not partial, no expressions, every column NOT NULL); fewest
   * columns wins, then the name. Null when there is a primary key or no such index.
   */
  uniqueKey: KeyIndex | null;
  /** reltuples; null when the table was never vacuumed or analyzed (14+ says -1). */
  estimatedRows: number | null;
  /** relpages at the last vacuum/analyze. */
  pages: number;
  /** pg_total_relation_size: heap, indexes and TOAST. */
  totalBytes: number;
}

export interface ListTablesOptions {
  /** Only these schemas; all user schemas when absent. */
  schemas?: readonly string[];
}

/** Schemas that never hold user tables to move. `ferry` is Ferry's own (heartbeat, markers). */
export const EXCLUDED_SCHEMAS: readonly string[] = ['pg_catalog', 'information_schema', 'ferry'];

export async function serverVersion(client: pg.ClientBase): Promise<ServerVersion> {
  const [row] = await queryTextRows(client, `SELECT current_setting('server_version_num'), current_setting('server_version')`);
  const num = Number(row?.[0]);
  if (!Number.isInteger(num) || num < 100000) {
    throw new InvariantError(`unexpected server_version_num "${row?.[0]}": Ferry needs PostgreSQL 10 or newer`);
  }
  return { major: Math.floor(num / 10000), num, text: row![1] ?? '' };
}

/** The server's current WAL write position (pg_current_wal_lsn; 10+). */
export async function currentLsn(client: pg.ClientBase): Promise<Lsn> {
  const [row] = await queryTextRows(client, 'SELECT pg_current_wal_lsn()::text');
  return Lsn.parse(row![0]!);
}

/** Ordinary and partitioned tables with their columns and keys, sorted by schema and name. */
export async function listTables(client: pg.ClientBase, options: ListTablesOptions = {}): Promise<TableInfo[]> {
  const version = await serverVersion(client);
  const tableRows = await queryTextRows(client, TABLES_SQL, [EXCLUDED_SCHEMAS, options.schemas ?? null]);
  if (tableRows.length === 0) return [];
  const oids = tableRows.map((row) => row[0]!);
  const columnRows = await queryTextRows(client, columnsSql(version.major), [oids]);
  const indexRows = await queryTextRows(client, indexesSql(version.major), [oids]);

  const columnsByTable = groupBy(columnRows, (row) => row[0]!);
  const indexesByTable = groupBy(indexRows, (row) => row[0]!);
  return tableRows.map((row) => {
    const columns = (columnsByTable.get(row[0]!) ?? []).map(toColumn);
    const indexes = (indexesByTable.get(row[0]!) ?? []).map((indexRow) => toIndex(indexRow, columns));
    return toTable(row, columns, indexes);
  });
}

const TABLES_SQL = `
SELECT c.oid, n.nspname, c.relname, c.relkind, c.relreplident, c.reltuples::float8, c.relpages,
       pg_total_relation_size(c.oid), pn.nspname, pc.relname,
       (SELECT e.extname FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
         WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
           AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e' LIMIT 1)
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_inherits i ON c.relispartition AND i.inhrelid = c.oid
  LEFT JOIN pg_class pc ON pc.oid = i.inhparent
  LEFT JOIN pg_namespace pn ON pn.oid = pc.relnamespace
 WHERE c.relkind IN ('r', 'p')
   AND n.nspname <> ALL ($1::text[])
   AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
   AND ($2::text[] IS NULL OR n.nspname = ANY ($2::text[]))
 ORDER BY n.nspname, c.relname`;

/**
 * A true array is the `typarray` of its element; this leaves out int2vector,
 * oidvector, point and name, which also have a typelem.
 */
function columnsSql(major: number): string {
  // attgenerated arrived in 12; before that no column is generated.
  const generated = major >= 12 ? 'a.attgenerated' : "''";
  return `
WITH RECURSIVE domain_chain(domain_oid, type_oid, depth) AS (
  SELECT t.oid, t.typbasetype, 1 FROM pg_type t WHERE t.typtype = 'd'
  UNION ALL
  SELECT c.domain_oid, t.typbasetype, c.depth + 1
    FROM domain_chain c JOIN pg_type t ON t.oid = c.type_oid
   WHERE t.typtype = 'd'
), domain_base AS (
  SELECT DISTINCT ON (domain_oid) domain_oid, type_oid AS base_oid
    FROM domain_chain ORDER BY domain_oid, depth DESC
)
SELECT a.attrelid, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), a.atttypid,
       tn.nspname, t.typname, t.typtype, t.typcategory,
       bt.oid, bt.typtype, (bt.typelem <> 0 AND et.typarray = bt.oid),
       et.oid, et.typtype, (et.typelem <> 0 AND eet.typarray = et.oid),
       a.attnotnull, pg_get_expr(ad.adbin, ad.adrelid), a.attidentity, ${generated}
  FROM pg_attribute a
  JOIN pg_type t ON t.oid = a.atttypid
  JOIN pg_namespace tn ON tn.oid = t.typnamespace
  LEFT JOIN domain_base db ON db.domain_oid = a.atttypid
  JOIN pg_type bt ON bt.oid = COALESCE(db.base_oid, a.atttypid)
  LEFT JOIN pg_type et ON et.oid = bt.typelem
  LEFT JOIN pg_type eet ON eet.oid = et.typelem
  LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
 WHERE a.attrelid = ANY ($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attrelid, a.attnum`;
}

function indexesSql(major: number): string {
  // INCLUDE columns (11+) follow the key columns in indkey; indnkeyatts counts the keys.
  const keyCount = major >= 11 ? 'i.indnkeyatts' : 'i.indnatts';
  return `
SELECT i.indrelid, ic.relname, i.indisprimary, i.indisunique, i.indisreplident,
       i.indimmediate, i.indisvalid, i.indpred IS NOT NULL, i.indexprs IS NOT NULL,
       ${keyCount}, i.indkey::text
  FROM pg_index i
  JOIN pg_class ic ON ic.oid = i.indexrelid
 WHERE i.indrelid = ANY ($1::oid[]) AND (i.indisprimary OR i.indisunique OR i.indisreplident)
 ORDER BY i.indrelid, ic.relname`;
}

interface IndexInfo {
  name: string;
  primary: boolean;
  unique: boolean;
  replicaIdentity: boolean;
  /** Usable as a row key: valid, immediate, not partial, no expressions, all columns NOT NULL. */
  usableAsKey: boolean;
  columns: string[];
}

function toColumn(row: TextRow): ColumnInfo {
  const generatedCode = row[18] ?? '';
  const expression = row[16] ?? null;
  const isArray = row[11] === 't';
  const baseKind = typeKind(row[10]!, isArray);
  return {
    name: row[2]!,
    attnum: Number(row[1]),
    type: row[3]!,
    typeOid: Number(row[4]),
    typeSchema: row[5]!,
    typeName: row[6]!,
    typeKind: typeKind(row[7]!, row[7] === 'b' && isArray),
    typeCategory: row[8]!,
    baseTypeOid: Number(row[9]),
    baseTypeKind: baseKind,
    elementTypeOid: isArray ? Number(row[12]) : null,
    elementTypeKind: isArray ? typeKind(row[13]!, row[14] === 't') : null,
    notNull: row[15] === 't',
    default: generatedCode === '' ? expression : null,
    generated: generatedCode === 's' ? 'stored' : generatedCode === 'v' ? 'virtual' : null,
    generationExpression: generatedCode === '' ? null : expression,
    identity: row[17] === 'a' ? 'always' : row[17] === 'd' ? 'by default' : null,
  };
}

function typeKind(typtype: string, isArray: boolean): TypeKind {
  switch (typtype) {
    case 'b': return isArray ? 'array' : 'base';
    case 'c': return 'composite';
    case 'd': return 'domain';
    case 'e': return 'enum';
    case 'r': return 'range';
    case 'm': return 'multirange';
    case 'p': return 'pseudo';
    default: throw new InvariantError(`unknown pg_type.typtype "${typtype}"`);
  }
}

function toIndex(row: TextRow, columns: readonly ColumnInfo[]): IndexInfo {
  const keyCount = Number(row[9]);
  const attnums = row[10]!.split(' ').slice(0, keyCount).map(Number);
  const keyColumns = attnums.map((attnum) => columns.find((column) => column.attnum === attnum));
  const plainColumns = keyColumns.every((column) => column !== undefined);
  return {
    name: row[1]!,
    primary: row[2] === 't',
    unique: row[3] === 't',
    replicaIdentity: row[4] === 't',
    usableAsKey:
      row[5] === 't' && row[6] === 't' && row[7] === 'f' && row[8] === 'f' && plainColumns &&
      keyColumns.every((column) => column!.notNull),
    // An expression column (attnum 0) has no name; such an index is never a key.
    columns: keyColumns.map((column) => column?.name ?? ''),
  };
}

function toTable(row: TextRow, columns: ColumnInfo[], indexes: readonly IndexInfo[]): TableInfo {
  const schema = row[1]!;
  const name = row[2]!;
  const primary = indexes.find((index) => index.primary);
  const reltuples = Number(row[5]);
  return {
    oid: Number(row[0]),
    id: new TableId(schema, name),
    schema,
    name,
    kind: row[3] === 'p' ? 'partitioned' : 'table',
    partitionOf: row[8] && row[9] ? new TableId(row[8], row[9]) : null,
    extension: row[10] ?? null,
    columns,
    primaryKey: primary?.columns ?? [],
    replicaIdentity: replicaIdentity(row[4]!, primary, indexes.find((index) => index.replicaIdentity)),
    uniqueKey: primary ? null : bestUniqueKey(indexes),
    estimatedRows: reltuples < 0 ? null : reltuples,
    pages: Number(row[6]),
    totalBytes: Number(row[7] ?? 0),
  };
}

function replicaIdentity(code: string, primary: IndexInfo | undefined, identityIndex: IndexInfo | undefined): ReplicaIdentity {
  switch (code) {
    case 'd':
      return { mode: 'default', indexName: primary?.name ?? null, columns: primary?.columns ?? [] };
    case 'i':
      // relreplident 'i' with its index dropped behaves like 'nothing'.
      return { mode: 'index', indexName: identityIndex?.name ?? null, columns: identityIndex?.columns ?? [] };
    case 'f':
      return { mode: 'full', indexName: null, columns: [] };
    case 'n':
      return { mode: 'nothing', indexName: null, columns: [] };
    default:
      throw new InvariantError(`unknown relreplident "${code}"`);
  }
}

function bestUniqueKey(indexes: readonly IndexInfo[]): KeyIndex | null {
  const candidates = indexes
    .filter((index) => index.unique && index.usableAsKey)
    .sort((a, b) => a.columns.length - b.columns.length || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const best = candidates[0];
  return best ? { indexName: best.name, columns: best.columns } : null;
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}
