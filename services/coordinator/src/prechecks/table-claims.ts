import { ObjectSelection, sinkOriginPrefix, type TaskConfig } from '@ferry/config';
import { isPgTrue, listTables, openClient, quoteIdent } from '@ferry/pg';
import type pg from 'pg';
import type { TableName } from './destination-tables.js';

/**
 * Many-to-one: several tasks may write one destination, each into its own tables. Every
 * task records on each destination which tables it writes (`ferry.task_tables`), so the
 * precheck of another task can name a table two tasks would both write. Sink bookkeeping
 * is already kept apart per task (consumer group, replication origins); this is the one
 * thing two tasks could silently share.
 */
const CLAIMS = `${quoteIdent('ferry')}.${quoteIdent('task_tables')}`;

export interface TableClaim extends TableName {
  task: string;
  destination: string;
  sourceTable: string;
}

async function ensureClaimsTable(client: pg.ClientBase): Promise<void> {
  await client.query('BEGIN');
  try {
    // The same lock the sink takes for its own bookkeeping: concurrent CREATE ... IF NOT EXISTS can collide.
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('ferry.sink_state'))`);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent('ferry')}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${CLAIMS} (
      dest_schema text NOT NULL, dest_table text NOT NULL, task text NOT NULL, destination text NOT NULL,
      source_table text NOT NULL, claimed_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (dest_schema, dest_table, task, destination))`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Records the task's destination tables on every destination (idempotent; `ferry migrate` calls it on each start). */
export async function recordTableClaims(task: TaskConfig): Promise<void> {
  const selection = new ObjectSelection(task.objects);
  const source = await openClient(task.source.url, { applicationName: 'ferry-coordinator', role: 'source' });
  let mapped: { source: string; dest: TableName }[];
  try {
    const tables = (await listTables(source)).filter((t) => selection.includesTable(t.schema, t.name));
    mapped = tables.map((t) => ({ source: `${t.schema}.${t.name}`, dest: selection.destinationTable(t.schema, t.name) }));
  } finally {
    await source.end();
  }
  for (const destination of task.destinations) {
    const client = await openClient(destination.url, { applicationName: 'ferry-coordinator', role: 'destination' });
    try {
      await client.query('SET default_transaction_read_only = off');
      await ensureClaimsTable(client);
      await client.query(
        `INSERT INTO ${CLAIMS} (dest_schema, dest_table, task, destination, source_table)
         SELECT s, t, $4, $5, src FROM unnest($1::text[], $2::text[], $3::text[]) AS u(s, t, src)
         ON CONFLICT (dest_schema, dest_table, task, destination) DO UPDATE SET source_table = EXCLUDED.source_table`,
        [mapped.map((m) => m.dest.schema), mapped.map((m) => m.dest.table), mapped.map((m) => m.source), task.name, destination.name],
      );
    } finally {
      await client.end();
    }
  }
}

/** Claims of other tasks on `names`; empty when none were recorded. */
export async function otherTasksClaims(client: pg.ClientBase, names: readonly TableName[], task: string): Promise<TableClaim[]> {
  if (names.length === 0) return [];
  const present = await client.query(`SELECT to_regclass('ferry.task_tables') IS NOT NULL AS present`);
  if (!isPgTrue(present.rows[0]?.present)) return [];
  const { rows } = await client.query<{ schema: string; table: string; task: string; destination: string; source_table: string }>(
    `SELECT c.dest_schema AS schema, c.dest_table AS table, c.task, c.destination, c.source_table
       FROM ${CLAIMS} c JOIN unnest($1::text[], $2::text[]) AS w(s, t) ON c.dest_schema = w.s AND c.dest_table = w.t
      WHERE c.task <> $3
      ORDER BY 1, 2, 3`,
    [names.map((n) => n.schema), names.map((n) => n.table), task],
  );
  return rows.map((r) => ({ schema: r.schema, table: r.table, task: r.task, destination: r.destination, sourceTable: r.source_table }));
}

/**
 * Other tasks on this destination whose sink origins would be named like this task's: task
 * names differing only in "-" versus "_" share the prefix ferry_<name>, and then one task's
 * `ferry sink --release` would drop the other's origins.
 */
export async function originPrefixTwins(client: pg.ClientBase, task: string): Promise<string[]> {
  const present = await client.query(`SELECT to_regclass('ferry.task_tables') IS NOT NULL AS present`);
  if (!isPgTrue(present.rows[0]?.present)) return [];
  const { rows } = await client.query<{ task: string }>(`SELECT DISTINCT task FROM ${CLAIMS} WHERE task <> $1 ORDER BY 1`, [task]);
  return rows.map((r) => r.task).filter((other) => sinkOriginPrefix(other) === sinkOriginPrefix(task));
}

/** Removes the task's claims on a destination (`ferry reset`). */
export async function dropTableClaims(client: pg.ClientBase, task: string): Promise<void> {
  const present = await client.query(`SELECT to_regclass('ferry.task_tables') IS NOT NULL AS present`);
  if (isPgTrue(present.rows[0]?.present)) await client.query(`DELETE FROM ${CLAIMS} WHERE task = $1`, [task]);
}
