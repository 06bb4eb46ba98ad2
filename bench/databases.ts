import { pgbenchInit } from './pgbench.js';
import { databaseUrl, query, quoteIdent, withClient } from './sql.js';

/** The tables pgbench creates, in the order they are reported. */
export const PGBENCH_TABLES = ['pgbench_accounts', 'pgbench_branches', 'pgbench_tellers', 'pgbench_history'] as const;
/** Lag markers: one row per 100 ms on the source; the destination stamps its arrival. */
export const MARKER_TABLE = 'bench_lag';
export const ALL_TABLES = [...PGBENCH_TABLES, MARKER_TABLE];

export interface BenchDatabase {
  name: string;
  url: string;
}

export async function createDatabase(serverUrl: string, name: string): Promise<BenchDatabase> {
  await query(serverUrl, `CREATE DATABASE ${quoteIdent(name)}`);
  return { name, url: databaseUrl(serverUrl, name) };
}

/** Drops the database and any replication slot that points at it (a leaked slot keeps WAL forever). */
export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  await withClient(serverUrl, async (client) => {
    await client.query('SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = $1 AND active_pid IS NOT NULL', [name]);
    await client.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1', [name]);
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
  });
}

/** The source: pgbench's tables and data at `scale`, plus the empty marker table. */
export async function loadSource(db: BenchDatabase, scale: number): Promise<void> {
  await pgbenchInit(db.url, scale);
  await query(db.url, `CREATE TABLE ${MARKER_TABLE} (id bigint PRIMARY KEY, src_at timestamptz NOT NULL DEFAULT clock_timestamp())`);
}

/**
 * A destination: pgbench's own DDL (drop, tables, primary keys; no data), so each method
 * loads into the same empty tables with their keys in place. The marker table has one
 * extra column the destination fills itself: when the row arrived.
 */
export async function prepareDestination(db: BenchDatabase, scale: number): Promise<void> {
  await pgbenchInit(db.url, scale, 'dtp');
  await query(
    db.url,
    `CREATE TABLE ${MARKER_TABLE} (id bigint PRIMARY KEY, src_at timestamptz NOT NULL, dst_at timestamptz NOT NULL DEFAULT clock_timestamp())`,
  );
}

export interface TableVolume {
  table: string;
  rows: number;
  heapBytes: number;
}

export async function tableVolumes(url: string): Promise<TableVolume[]> {
  return withClient(url, async (client) => {
    const out: TableVolume[] = [];
    for (const table of PGBENCH_TABLES) {
      const { rows } = await client.query<{ rows: string; heap: string }>(
        `SELECT (SELECT count(*) FROM ${quoteIdent(table)})::text AS rows, pg_table_size($1)::text AS heap`,
        [table],
      );
      out.push({ table, rows: Number(rows[0]!.rows), heapBytes: Number(rows[0]!.heap) });
    }
    return out;
  });
}

export async function rowCounts(url: string): Promise<Record<string, number>> {
  return Object.fromEntries((await tableVolumes(url)).map((v) => [v.table, v.rows]));
}
