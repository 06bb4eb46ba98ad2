import type { ColumnInfo, SqlFragment } from '@ferry/pg';
import { quoteIdent, quoteQualified } from '@ferry/pg';

/**
 * The SQL verify runs on each side, built from one side's names and types. Pure.
 *
 * Every value is hashed from its text form (Ferry's sessions fix DateStyle, TimeZone,
 * IntervalStyle, extra_float_digits and bytea_output), except floats, whose text differs
 * between PostgreSQL 11 and 12 for the same value (their binary form is hashed), and jsonb,
 * whose text keeps a number's trailing zeros (1.0 vs 1.00): it is compared by
 * jsonb_hash_extended, which hashes equal values alike and is stable across majors (hash
 * partitioning depends on that; PostgreSQL 11+).
 * Key ranges compare keys by the type's own order, except for text-like and enum keys,
 * which are compared as UTF-8 bytes: the two databases may sort text by different
 * collations, and a range must hold the same keys on both sides.
 */

export type SideColumnType = Pick<ColumnInfo, 'type' | 'typeCategory' | 'baseTypeOid'>;

export interface SideColumn {
  /** The column's name on this side. */
  name: string;
  type: SideColumnType;
  /**
   * Source only: the task's transform of this column (objects.transform), SQL over the
   * source row. The destination holds its result, so the source side compares it too.
   */
  expression?: string | undefined;
}

export interface SideTable {
  schema: string;
  table: string;
  /** The compared columns in source order, named as on this side. */
  columns: readonly SideColumn[];
  /** The key columns in key order, named as on this side. */
  key: readonly SideColumn[];
  /** The task's row filter: only on the source (the destination holds only carried rows). */
  where?: string | undefined;
  /** Compare jsonb by value (both servers are PostgreSQL 11+); else by text. */
  jsonbByHash?: boolean;
}

const FLOAT4_OID = 700;
const FLOAT8_OID = 701;
const JSONB_OID = 3802;

/** One column's comparable form: exact, and the same on every major for equal values. */
export function valueSql(column: SideColumn, jsonbByHash = false): string {
  const name = column.expression === undefined ? quoteIdent(column.name) : `(${column.expression})::${column.type.type}`;
  if (jsonbByHash && column.type.baseTypeOid === JSONB_OID) return `jsonb_hash_extended(${name}::jsonb, 0)::text`;
  if (column.type.baseTypeOid === FLOAT8_OID) return `float8send(${name}::float8)::text`;
  if (column.type.baseTypeOid === FLOAT4_OID) return `float4send(${name}::float4)::text`;
  return `${name}::text`;
}

/** md5 of the row's compared columns (NULL and '' stay apart in a row's text form). */
export function rowHashSql(table: SideTable): string {
  return `md5(ROW(${table.columns.map((c) => valueSql(c, table.jsonbByHash)).join(', ')})::text)`;
}

/** The expression a key column is ordered by in key ranges, and its type for parameters. */
export function sortKey(column: SideColumn): { sql: string; type: string } {
  const name = quoteIdent(column.name);
  if (column.type.typeCategory === 'S' || column.type.typeCategory === 'E') return { sql: `convert_to(${name}::text, 'UTF8')`, type: 'bytea' };
  return { sql: name, type: column.type.type };
}

/** Collects `$n` parameters. */
class Params {
  readonly values: unknown[] = [];
  add(value: unknown, cast = ''): string {
    this.values.push(value);
    return `$${this.values.length}${cast}`;
  }
}

function from(table: SideTable): string {
  return `FROM ONLY ${quoteQualified(table.schema, table.table)}`;
}

function filter(table: SideTable, conditions: string[]): string {
  const all = table.where ? [...conditions, `(${table.where})`] : conditions;
  return all.length > 0 ? ` WHERE ${all.join(' AND ')}` : '';
}

function sortTuple(table: SideTable): string {
  const sorts = table.key.map((k) => sortKey(k).sql);
  return sorts.length === 1 ? sorts[0]! : `ROW(${sorts.join(', ')})`;
}

/**
 * Range boundaries on the source: the sort key of every `chunkRows`-th row, in key order.
 * One pass (a sort, or the key's index), the boundaries only travel.
 */
export function boundariesSql(table: SideTable, chunkRows: number): SqlFragment {
  const sorts = table.key.map((k) => sortKey(k).sql);
  const aliases = sorts.map((_, i) => `s${i + 1}`);
  const inner = sorts.map((s, i) => `${s} AS ${aliases[i]}`).join(', ');
  return {
    sql:
      `SELECT ${aliases.map((a) => `${a}::text`).join(', ')} FROM (SELECT ${inner}, row_number() OVER (ORDER BY ${sorts.join(', ')}) AS rn ` +
      `${from(table)}${filter(table, [])}) b WHERE rn % $1 = 0 ORDER BY rn`,
    params: [String(chunkRows)],
  };
}

/**
 * `width_bucket(key, thresholds)`: 0 below the first boundary, i for keys from boundary i
 * (inclusive) to boundary i+1 (exclusive). Boundaries travel as one text array per key
 * column, cast to this side's types.
 */
function bucketSql(table: SideTable, boundaries: readonly (readonly string[])[], params: Params): string {
  const sorts = table.key.map(sortKey);
  const arrays = sorts.map((_, i) => params.add(boundaries.map((b) => b[i]!), '::text[]'));
  const names = sorts.map((_, i) => `v${i + 1}`);
  const casts = sorts.map((s, i) => `u.${names[i]}::${s.type}`);
  const element = casts.length === 1 ? casts[0]! : `ROW(${casts.join(', ')})`;
  const thresholds = `ARRAY(SELECT ${element} FROM unnest(${arrays.join(', ')}) WITH ORDINALITY AS u(${names.join(', ')}, o) ORDER BY o)`;
  return `width_bucket(${sortTuple(table)}, ${thresholds})`;
}

/** Per key range: row count and the sum of a 60-bit hash of every row (order does not matter). */
export function rangeSumsSql(table: SideTable, boundaries: readonly (readonly string[])[]): { sql: string; params: unknown[] } {
  const params = new Params();
  const bucket = bucketSql(table, boundaries, params);
  return {
    sql:
      `SELECT ${bucket} AS bucket, count(*)::text, sum(('x' || substr(${rowHashSql(table)}, 1, 15))::bit(60)::bigint)::text ` +
      `${from(table)}${filter(table, [])} GROUP BY 1`,
    params: params.values,
  };
}

/** Buckets first..last (inclusive) as one key condition, using the same boundaries as width_bucket. */
function runCondition(table: SideTable, boundaries: readonly (readonly string[])[], first: number, last: number, params: Params): string {
  const sorts = table.key.map(sortKey);
  const tuple = sorts.length === 1 ? sorts[0]!.sql : `(${sorts.map((s) => s.sql).join(', ')})`;
  const bound = (values: readonly string[]) => {
    const cast = sorts.map((s, i) => params.add(values[i], `::${s.type}`));
    return cast.length === 1 ? cast[0]! : `(${cast.join(', ')})`;
  };
  const parts: string[] = [];
  if (first >= 1) parts.push(`${tuple} >= ${bound(boundaries[first - 1]!)}`);
  if (last < boundaries.length) parts.push(`${tuple} < ${bound(boundaries[last]!)}`);
  return parts.length > 0 ? `(${parts.join(' AND ')})` : 'TRUE';
}

/** Key (as text) and row hash of every row in the given runs of buckets. */
export function rangeRowsSql(
  table: SideTable,
  boundaries: readonly (readonly string[])[],
  runs: readonly (readonly [number, number])[],
): { sql: string; params: unknown[] } {
  const params = new Params();
  const conditions = runs.map(([first, last]) => runCondition(table, boundaries, first, last, params));
  return {
    sql: `SELECT ${keyTextSql(table)}, ${rowHashSql(table)} ${from(table)}${filter(table, [`(${conditions.join(' OR ')})`])}`,
    params: params.values,
  };
}

function keyTextSql(table: SideTable): string {
  return table.key.map((k) => `${quoteIdent(k.name)}::text`).join(', ');
}

/**
 * Rows with the given keys (each key as its columns' text): key, row hash and, with
 * `values`, every compared column's comparable text.
 */
export function keyRowsSql(table: SideTable, keys: readonly (readonly string[])[], values: boolean): { sql: string; params: unknown[] } {
  const params = new Params();
  const arrays = table.key.map((_, i) => params.add(keys.map((k) => k[i]!), '::text[]'));
  const names = table.key.map((_, i) => `v${i + 1}`);
  const columns = table.key.map((k) => quoteIdent(k.name));
  const casts = table.key.map((k, i) => `u.${names[i]}::${k.type.type}`);
  const tuple = columns.length === 1 ? columns[0]! : `(${columns.join(', ')})`;
  const condition = `${tuple} IN (SELECT ${casts.join(', ')} FROM unnest(${arrays.join(', ')}) AS u(${names.join(', ')}))`;
  const selected = [keyTextSql(table), rowHashSql(table), ...(values ? table.columns.map((c) => valueSql(c, table.jsonbByHash)) : [])];
  return { sql: `SELECT ${selected.join(', ')} ${from(table)}${filter(table, [condition])}`, params: params.values };
}

/** Count and order-independent checksum of the whole table (tables without a key). */
export function wholeTableSql(table: SideTable): { sql: string; params: unknown[] } {
  return {
    sql: `SELECT count(*)::text, coalesce(sum(('x' || substr(${rowHashSql(table)}, 1, 15))::bit(60)::bigint), 0)::text ${from(table)}${filter(table, [])}`,
    params: [],
  };
}
