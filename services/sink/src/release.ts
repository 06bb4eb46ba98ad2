import { isOriginOf, sinkOriginPrefix, type ResolvedDestination, type TaskConfig } from '@ferry/config';
import type { Logger } from '@ferry/observability';
import { openClient, quoteIdent } from '@ferry/pg';
import { SINK_SCHEMA } from './sink-state.js';

/** The replication origins of a task's sink sessions are named `<prefix>_<n>`. */
export function originPrefix(task: TaskConfig): string {
  return sinkOriginPrefix(task.name);
}

/**
 * `ferry sink --release`: drops the task's replication origins and its offsets and
 * table bookkeeping on the destination. The copied data stays. Origins are
 * cluster-wide and limited in number (max_replication_slots), so none may be leaked.
 */
export async function releaseSink(task: TaskConfig, destination: ResolvedDestination, group: string, log: Logger): Promise<void> {
  const client = await openClient(destination.url, { applicationName: 'ferry-sink-release', role: 'destination' });
  try {
    // The old source of a backflow may be fenced read-only by `ferry cutover`; Ferry writes through it.
    await client.query('SET default_transaction_read_only = off');
    const { rows } = await client.query<{ roname: string }>(
      `SELECT roname FROM pg_replication_origin WHERE roname LIKE $1 || '\\_%'`,
      [originPrefix(task)],
    );
    // LIKE alone would also match another task's origins (task "a" vs task "a_b" sharing the destination).
    const ours = rows.filter((r) => isOriginOf(originPrefix(task), r.roname));
    for (const { roname } of ours) await client.query('SELECT pg_replication_origin_drop($1)', [roname]);
    // sink_markers and sink_dead_letters arrived later than the others: a destination written by an older sink lacks them.
    for (const table of ['sink_offsets', 'sink_tables', 'sink_truncates', 'sink_markers', 'sink_dead_letters']) {
      const exists = await client.query(`SELECT to_regclass($1) IS NOT NULL AS present`, [`${quoteIdent(SINK_SCHEMA)}.${quoteIdent(table)}`]);
      if (String(exists.rows[0].present) !== 't' && exists.rows[0].present !== true) continue;
      await client.query(`DELETE FROM ${quoteIdent(SINK_SCHEMA)}.${quoteIdent(table)} WHERE consumer_group = $1`, [group]);
    }
    log.info({ origins: ours.length, group }, 'released the sink\'s replication origins and bookkeeping');
  } finally {
    await client.end();
  }
}
