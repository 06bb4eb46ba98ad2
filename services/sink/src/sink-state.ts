import { isPgTrue, quoteIdent } from '@ferry/pg';
import type pg from 'pg';
import type { EventFailure } from './apply/event-failure.js';

/**
 * Ferry's bookkeeping on the destination, in schema `ferry`. The consumed Kafka
 * offsets are written in the same transaction as the rows they produced, so the
 * destination itself says how far it is: a crash, a rebalance or a replay can
 * never apply an event twice.
 */
export const SINK_SCHEMA = 'ferry';

export async function ensureSinkState(client: pg.ClientBase): Promise<void> {
  const s = quoteIdent(SINK_SCHEMA);
  // Two sinks starting at once may race on CREATE ... IF NOT EXISTS; the lock makes it safe.
  await client.query('BEGIN');
  try {
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('ferry.sink_state'))`);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.sink_offsets (
      consumer_group text NOT NULL, topic text NOT NULL, partition int NOT NULL,
      next_offset bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (consumer_group, topic, partition))`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.sink_tables (
      consumer_group text NOT NULL, source_table text NOT NULL,
      snapshot_complete boolean NOT NULL DEFAULT false, snapshot_rows bigint NOT NULL DEFAULT 0,
      last_lsn text, last_commit_ms bigint, updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (consumer_group, source_table))`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.sink_truncates (
      consumer_group text NOT NULL, source_table text NOT NULL, lsn text NOT NULL,
      arrived int[] NOT NULL DEFAULT '{}', done boolean NOT NULL DEFAULT false,
      PRIMARY KEY (consumer_group, source_table, lsn))`);
    // Cutover markers this sink received in stream order; `ferry cutover` sets drained_at
    // once every table partition is applied past the marker.
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.sink_markers (
      consumer_group text NOT NULL, marker text NOT NULL, lsn text NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now(), drained_at timestamptz,
      PRIMARY KEY (consumer_group, marker))`);
    // Events set aside after their retry window (sink.deadLetter): one row per refused event,
    // or per refused row of a snapshot chunk. Keys only, never other column values.
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.sink_dead_letters (
      consumer_group text NOT NULL, topic text NOT NULL, partition int NOT NULL, message_offset bigint NOT NULL,
      row_key text NOT NULL DEFAULT '', table_name text, error text NOT NULL, sqlstate text,
      dead_letter_topic text NOT NULL, at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (consumer_group, topic, partition, message_offset, row_key))`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * Inside the apply transaction: locks this partition's offset row and returns the
 * next offset to apply. A second sink holding the same partition (a zombie after
 * a rebalance) waits here, then sees the advanced offset and skips what was applied.
 */
export async function lockPartitionOffset(client: pg.ClientBase, group: string, topic: string, partition: number): Promise<bigint> {
  // One round trip: the no-op update locks the row (as SELECT ... FOR UPDATE would) and returns it.
  const { rows } = await client.query<{ next_offset: string }>(
    `INSERT INTO ${quoteIdent(SINK_SCHEMA)}.sink_offsets AS o (consumer_group, topic, partition, next_offset) VALUES ($1, $2, $3, 0)
     ON CONFLICT (consumer_group, topic, partition) DO UPDATE SET next_offset = o.next_offset
     RETURNING next_offset::text`,
    [group, topic, partition],
  );
  return BigInt(rows[0]!.next_offset);
}

export async function storePartitionOffset(client: pg.ClientBase, group: string, topic: string, partition: number, nextOffset: bigint): Promise<void> {
  await client.query(
    `UPDATE ${quoteIdent(SINK_SCHEMA)}.sink_offsets SET next_offset = $4, updated_at = now() WHERE consumer_group = $1 AND topic = $2 AND partition = $3`,
    [group, topic, partition, nextOffset.toString()],
  );
}

/**
 * Moves several partitions' stored offsets forward (never back) in one statement, creating
 * rows that are missing. For offsets whose writers are serialized by another lock (the
 * transaction topic's row, in sink.mode transactional).
 */
export async function advancePartitionOffsets(client: pg.ClientBase, group: string, offsets: readonly { topic: string; partition: number; next: bigint }[]): Promise<void> {
  if (offsets.length === 0) return;
  await client.query(
    `INSERT INTO ${quoteIdent(SINK_SCHEMA)}.sink_offsets AS o (consumer_group, topic, partition, next_offset)
     SELECT $1, t.topic, t.partition, t.next_offset FROM unnest($2::text[], $3::int[], $4::bigint[]) AS t(topic, partition, next_offset)
     ON CONFLICT (consumer_group, topic, partition) DO UPDATE SET next_offset = GREATEST(o.next_offset, EXCLUDED.next_offset), updated_at = now()`,
    [group, offsets.map((o) => o.topic), offsets.map((o) => o.partition), offsets.map((o) => o.next.toString())],
  );
}

/**
 * Records that records [first, last] of a partition hold nothing to apply (transaction
 * markers, aborted writes), when the stored offset lies inside that range. The destination's
 * offsets then reach the partition's end offset, which is how `ferry cutover` tells that a
 * partition is fully applied. Returns true when the stored offset moved.
 */
export async function skipFilteredRecords(client: pg.ClientBase, group: string, topic: string, partition: number, first: bigint, last: bigint): Promise<boolean> {
  const result = await client.query(
    `UPDATE ${quoteIdent(SINK_SCHEMA)}.sink_offsets SET next_offset = $5 + 1, updated_at = now()
     WHERE consumer_group = $1 AND topic = $2 AND partition = $3 AND next_offset BETWEEN $4 AND $5`,
    [group, topic, partition, first.toString(), last.toString()],
  );
  return (result.rowCount ?? 0) > 0;
}

/** Inside the apply transaction of the heartbeat partition: a cutover marker has arrived. */
export async function recordMarker(client: pg.ClientBase, group: string, marker: string, lsn: string): Promise<void> {
  await client.query(
    `INSERT INTO ${quoteIdent(SINK_SCHEMA)}.sink_markers (consumer_group, marker, lsn) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
    [group, marker, lsn],
  );
}

/** Inside the apply transaction: the events this batch sets aside, with the offsets that skip them. */
export async function recordDeadLetters(
  client: pg.ClientBase,
  group: string,
  topic: string,
  partition: number,
  failures: readonly EventFailure[],
  deadLetterTopic: string,
): Promise<void> {
  await client.query(
    `INSERT INTO ${quoteIdent(SINK_SCHEMA)}.sink_dead_letters (consumer_group, topic, partition, message_offset, row_key, table_name, error, sqlstate, dead_letter_topic)
     SELECT $1, $2, $3, u.message_offset, u.row_key, u.table_name, u.error, u.sqlstate, $4
     FROM unnest($5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[]) AS u(message_offset, row_key, table_name, error, sqlstate)
     ON CONFLICT DO NOTHING`,
    [
      group,
      topic,
      partition,
      deadLetterTopic,
      failures.map((f) => f.offset.toString()),
      failures.map((f) => (f.key === null ? '' : JSON.stringify(f.key))),
      failures.map((f) => f.table),
      failures.map((f) => f.reason),
      failures.map((f) => f.sqlstate ?? null),
    ],
  );
}

export async function readPartitionOffsets(client: pg.ClientBase, group: string): Promise<Map<string, bigint>> {
  const { rows } = await client.query<{ topic: string; partition: number; next_offset: string }>(
    `SELECT topic, partition, next_offset FROM ${quoteIdent(SINK_SCHEMA)}.sink_offsets WHERE consumer_group = $1`,
    [group],
  );
  return new Map(rows.map((r) => [`${r.topic}:${r.partition}`, BigInt(r.next_offset)]));
}

/** The source LSN recorded for a sink_tables row (a table, the heartbeat or the applied transactions). */
export async function readAppliedLsn(client: pg.ClientBase, group: string, key: string): Promise<string | null> {
  const { rows } = await client.query<{ last_lsn: string | null }>(
    `SELECT last_lsn FROM ${quoteIdent(SINK_SCHEMA)}.sink_tables WHERE consumer_group = $1 AND source_table = $2`,
    [group, key],
  );
  return rows[0]?.last_lsn ?? null;
}

export async function snapshotCompleteTables(client: pg.ClientBase, group: string): Promise<Set<string>> {
  const { rows } = await client.query<{ source_table: string }>(
    `SELECT source_table FROM ${quoteIdent(SINK_SCHEMA)}.sink_tables WHERE consumer_group = $1 AND snapshot_complete`,
    [group],
  );
  return new Set(rows.map((r) => r.source_table));
}

export async function markSnapshotRows(client: pg.ClientBase, group: string, table: string, rows: number, complete: boolean): Promise<void> {
  await client.query(
    `INSERT INTO ${quoteIdent(SINK_SCHEMA)}.sink_tables (consumer_group, source_table, snapshot_rows, snapshot_complete) VALUES ($1, $2, $3, $4)
     ON CONFLICT (consumer_group, source_table) DO UPDATE SET snapshot_rows = ${quoteIdent(SINK_SCHEMA)}.sink_tables.snapshot_rows + EXCLUDED.snapshot_rows,
       snapshot_complete = ${quoteIdent(SINK_SCHEMA)}.sink_tables.snapshot_complete OR EXCLUDED.snapshot_complete, updated_at = now()`,
    [group, table, rows, complete],
  );
}

export async function resetSnapshotRows(client: pg.ClientBase, group: string, table: string): Promise<void> {
  await client.query(
    `UPDATE ${quoteIdent(SINK_SCHEMA)}.sink_tables SET snapshot_rows = 0, snapshot_complete = false, updated_at = now() WHERE consumer_group = $1 AND source_table = $2`,
    [group, table],
  );
}

export async function markApplied(client: pg.ClientBase, group: string, table: string, lsn: string, commitMs: number | null): Promise<void> {
  await client.query(
    `INSERT INTO ${quoteIdent(SINK_SCHEMA)}.sink_tables (consumer_group, source_table, last_lsn, last_commit_ms) VALUES ($1, $2, $3, $4)
     ON CONFLICT (consumer_group, source_table) DO UPDATE SET last_lsn = EXCLUDED.last_lsn, last_commit_ms = EXCLUDED.last_commit_ms, updated_at = now()`,
    [group, table, lsn, commitMs],
  );
}

/**
 * A TRUNCATE arrives on every partition of its table's topic. It may run only when
 * every partition has reached it (so no partition still holds older rows of the
 * table, and none has applied newer ones). Returns 'run' to the partition that
 * completes the set, 'wait' to earlier ones, 'done' once it has run.
 */
export async function arriveAtTruncate(
  client: pg.ClientBase,
  group: string,
  table: string,
  lsn: string,
  partition: number,
  partitions: number,
): Promise<'run' | 'wait' | 'done'> {
  const s = quoteIdent(SINK_SCHEMA);
  await client.query(`INSERT INTO ${s}.sink_truncates (consumer_group, source_table, lsn) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [group, table, lsn]);
  const { rows } = await client.query<{ arrived: string; done: string }>(
    `UPDATE ${s}.sink_truncates SET arrived = CASE WHEN $4::int = ANY(arrived) THEN arrived ELSE arrived || $4::int END
     WHERE consumer_group = $1 AND source_table = $2 AND lsn = $3 RETURNING cardinality(arrived)::text AS arrived, done::text AS done`,
    [group, table, lsn, partition],
  );
  const row = rows[0]!;
  // Ferry's sessions read every value as text (see @ferry/pg rawTextTypes).
  if (isPgTrue(row.done)) return 'done';
  if (Number(row.arrived) < partitions) return 'wait';
  await client.query(`UPDATE ${s}.sink_truncates SET done = true WHERE consumer_group = $1 AND source_table = $2 AND lsn = $3`, [group, table, lsn]);
  return 'run';
}
