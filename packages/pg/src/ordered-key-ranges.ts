import type pg from 'pg';
import { InvariantError, type TableId } from '@ferry/core';
import type { ColumnInfo, TableInfo } from './catalog.js';
import { quoteIdent, quoteQualified } from './quote.js';
import { queryTextRows } from './text-query.js';

/**
 * Splits a table into chunks for the snapshot. With an ordered key (primary key,
 * or a unique key over NOT NULL columns) chunks are key ranges found by a keyset
 * walk in PostgreSQL itself: ordering, collation and type comparison are the
 * server's, and Node never holds more than one boundary. Without a key, chunks
 * are ranges of heap pages (ctid).
 *
 * Run the walk on the snapshot's own client and transaction, so the boundaries
 * come from the same snapshot as the rows.
 */

/** SQL with `$n` placeholders and their values (text, cast in the SQL). */
export interface SqlFragment {
  sql: string;
  params: string[];
}

export interface KeyColumn {
  name: string;
  /** The column's type as format_type writes it; parameters are cast to it. */
  type: string;
}

/** A chunk of an ordered key: `key > lower AND key <= upper`; null means open on that side. */
export interface KeyRange {
  lower: readonly string[] | null;
  upper: readonly string[] | null;
}

/** A chunk of heap pages: `ctid >= (startPage,0) AND ctid < (endPage,0)`; null means open on that side. */
export interface PageRange {
  startPage: number | null;
  endPage: number | null;
}

/** The key to chunk a table by: its primary key, else its best unique key, else null (use pages). */
export function chooseOrderedKey(table: Pick<TableInfo, 'columns' | 'primaryKey' | 'uniqueKey'>): KeyColumn[] | null {
  const names = table.primaryKey.length > 0 ? table.primaryKey : (table.uniqueKey?.columns ?? []);
  if (names.length === 0) return null;
  return names.map((name) => {
    const column: ColumnInfo | undefined = table.columns.find((candidate) => candidate.name === name);
    if (!column) throw new InvariantError(`key column "${name}" is not among the table's columns`);
    return { name, type: column.type };
  });
}

/**
 * Boundary keys, as text, that cut the table into chunks of `chunkRows` rows: the
 * last key of each full chunk. Each step reads `chunkRows` index entries from the
 * previous boundary:
 *   SELECT k1, k2 FROM t WHERE (k1, k2) > ($1::t1, $2::t2) ORDER BY k1, k2 OFFSET n-1 LIMIT 1
 * so the whole walk costs one pass over the key's index, and no sort in Node.
 * (If the key's index uses a non-default operator class, the ORDER BY cannot use
 * it and every step sorts: still correct, only slow.)
 */
export async function findKeyBoundaries(
  client: pg.ClientBase,
  table: TableId,
  key: readonly KeyColumn[],
  chunkRows: number,
): Promise<string[][]> {
  if (!Number.isSafeInteger(chunkRows) || chunkRows < 1) throw new InvariantError(`chunkRows must be a positive integer, got ${chunkRows}`);
  const boundaries: string[][] = [];
  let lower: string[] | null = null;
  for (;;) {
    const step = keyBoundaryStepSql(table, key, lower, chunkRows);
    const rows = await queryTextRows(client, step.sql, step.params);
    const row = rows[0];
    if (!row) return boundaries;
    const boundary = row.map((value, i) => {
      if (value === null) throw new InvariantError(`key column "${key[i]?.name}" of ${table.key} holds NULL; it cannot order chunks`);
      return value;
    });
    boundaries.push(boundary);
    lower = boundary;
  }
}

/** Boundaries → ranges: (-inf, b1], (b1, b2], ..., (bn, +inf). No boundaries → one open range. */
export function keyRangesFromBoundaries(boundaries: readonly (readonly string[])[]): KeyRange[] {
  const ranges: KeyRange[] = [];
  let lower: readonly string[] | null = null;
  for (const boundary of boundaries) {
    ranges.push({ lower, upper: boundary });
    lower = boundary;
  }
  ranges.push({ lower, upper: null });
  return ranges;
}

/** findKeyBoundaries + keyRangesFromBoundaries. */
export async function planKeyRanges(
  client: pg.ClientBase,
  table: TableId,
  key: readonly KeyColumn[],
  chunkRows: number,
): Promise<KeyRange[]> {
  return keyRangesFromBoundaries(await findKeyBoundaries(client, table, key, chunkRows));
}

/**
 * One step of the walk: the key of the `chunkRows`-th row after `lower` (from the
 * start when null). Every value is cast to its column's type, so the comparison
 * uses the column's own operators and collation and can use its index.
 */
export function keyBoundaryStepSql(
  table: TableId,
  key: readonly KeyColumn[],
  lower: readonly string[] | null,
  chunkRows: number,
): SqlFragment {
  const columns = key.map((column) => quoteIdent(column.name)).join(', ');
  const where = lower === null ? null : keyComparison(key, '>', lower, 1);
  const params = [...(where?.params ?? []), String(chunkRows - 1)];
  return {
    sql:
      `SELECT ${columns} FROM ${quoteQualified(table)}` +
      (where ? ` WHERE ${where.sql}` : '') +
      ` ORDER BY ${columns} OFFSET $${params.length}::bigint LIMIT 1`,
    params,
  };
}

/**
 * The WHERE condition of one key range, e.g.
 *   ("a", "b") > ($1::text, $2::integer) AND ("a", "b") <= ($3::text, $4::integer)
 * Row comparison is lexicographic, exactly the ORDER BY of the walk. An open side
 * adds nothing; a range open on both sides is `TRUE`.
 */
export function keyRangeWhere(key: readonly KeyColumn[], range: KeyRange, firstParam = 1): SqlFragment {
  const parts: string[] = [];
  const params: string[] = [];
  if (range.lower !== null) {
    const lower = keyComparison(key, '>', range.lower, firstParam);
    parts.push(lower.sql);
    params.push(...lower.params);
  }
  if (range.upper !== null) {
    const upper = keyComparison(key, '<=', range.upper, firstParam + params.length);
    parts.push(upper.sql);
    params.push(...upper.params);
  }
  return { sql: parts.length > 0 ? parts.join(' AND ') : 'TRUE', params };
}

function keyComparison(key: readonly KeyColumn[], operator: '>' | '<=', values: readonly string[], firstParam: number): SqlFragment {
  if (key.length === 0) throw new InvariantError('an ordered key needs at least one column');
  if (values.length !== key.length) {
    throw new InvariantError(`key bound has ${values.length} value(s) for ${key.length} key column(s)`);
  }
  const columns = key.map((column) => quoteIdent(column.name));
  const placeholders = key.map((column, i) => `$${firstParam + i}::${column.type}`);
  const sql =
    key.length === 1
      ? `${columns[0]} ${operator} ${placeholders[0]}`
      : `(${columns.join(', ')}) ${operator} (${placeholders.join(', ')})`;
  return { sql, params: [...values] };
}

/**
 * Page ranges of about `pagesPerChunk` pages over `pageCount` pages. The first is
 * open at the bottom and the last open at the top, so rows on pages added after
 * the count was taken are still read.
 */
export function pageRanges(pageCount: number, pagesPerChunk: number): PageRange[] {
  if (!Number.isSafeInteger(pagesPerChunk) || pagesPerChunk < 1) {
    throw new InvariantError(`pagesPerChunk must be a positive integer, got ${pagesPerChunk}`);
  }
  const ranges: PageRange[] = [];
  let start: number | null = null;
  for (let next = pagesPerChunk; next < pageCount; next += pagesPerChunk) {
    ranges.push({ startPage: start, endPage: next });
    start = next;
  }
  ranges.push({ startPage: start, endPage: null });
  return ranges;
}

/**
 * `ctid >= $1::tid AND ctid < $2::tid` for a page range. On PostgreSQL 14+ this
 * is a TID Range Scan that reads only those pages; on 13 and older it is a
 * sequential scan with a filter, so every chunk reads the whole table (see
 * planPageRanges). Only for ordinary tables: a partitioned table has no heap of
 * its own and ctids repeat across partitions, so chunk each partition instead.
 */
export function pageRangeWhere(range: PageRange, firstParam = 1): SqlFragment {
  const parts: string[] = [];
  const params: string[] = [];
  if (range.startPage !== null) {
    parts.push(`ctid >= $${firstParam + params.length}::tid`);
    params.push(`(${checkPage(range.startPage)},0)`);
  }
  if (range.endPage !== null) {
    parts.push(`ctid < $${firstParam + params.length}::tid`);
    params.push(`(${checkPage(range.endPage)},0)`);
  }
  return { sql: parts.length > 0 ? parts.join(' AND ') : 'TRUE', params };
}

function checkPage(page: number): number {
  if (!Number.isSafeInteger(page) || page < 0 || page > 0xffff_ffff) throw new InvariantError(`not a heap page number: ${page}`);
  return page;
}

/**
 * Page ranges for a keyless table, sized from its row density. Before PostgreSQL
 * 14 there is no TID Range Scan, so N chunks would read the table N times: there
 * the whole table is one chunk.
 */
export async function planPageRanges(
  client: pg.ClientBase,
  table: TableId,
  chunkRows: number,
  serverMajor: number,
): Promise<PageRange[]> {
  if (serverMajor < 14) return [{ startPage: null, endPage: null }];
  // The current size, not relpages, which is only as fresh as the last vacuum.
  const [row] = await queryTextRows(
    client,
    `SELECT pg_relation_size(c.oid) / current_setting('block_size')::bigint, c.reltuples::float8, c.relpages
       FROM pg_class c WHERE c.oid = $1::regclass`,
    [quoteQualified(table)],
  );
  if (!row) throw new InvariantError(`table ${table.key} not found`);
  const pageCount = Number(row[0]);
  const rowsPerPage = Number(row[2]) > 0 && Number(row[1]) > 0 ? Number(row[1]) / Number(row[2]) : 100;
  const pagesPerChunk = Math.max(1, Math.round(chunkRows / Math.max(1, rowsPerPage)));
  return pageRanges(pageCount, pagesPerChunk);
}
