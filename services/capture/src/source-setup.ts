import type { Logger } from '@ferry/observability';
import { openClient, quoteIdent, quoteQualified } from '@ferry/pg';
import type pg from 'pg';
import type { CapturedTable } from './captured-table.js';
import { DDL_LOG_TABLE, removeDdlCapture } from './ddl/ddl-source-objects.js';

/** Ferry's own schema on the source: the heartbeat and cutover marker tables live here. */
export const FERRY_SCHEMA = 'ferry';
export const HEARTBEAT_TABLE = 'heartbeat';
/**
 * `ferry cutover` inserts a row here once application writes are fenced. The row travels
 * through the slot in WAL order like any change, so capture turns it into a control record
 * on the heartbeat topic right after every change committed before it.
 */
export const CUTOVER_MARKER_TABLE = 'cutover_markers';

/**
 * The source-side objects capture needs: the heartbeat table (its writes keep the
 * slot moving when selected tables are idle, and time lag), the cutover marker table,
 * replica identity FULL on tables without a key, and the publication listing exactly
 * the selected tables plus those two.
 */
export async function prepareSource(
  client: pg.Client,
  settings: { publication: string; serverMajor: number; rowFilters: boolean; ddlLog?: boolean; wholeRows?: ReadonlySet<string> },
  tables: readonly CapturedTable[],
  log: Logger,
): Promise<void> {
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(FERRY_SCHEMA)}`);
  await client.query(
    `CREATE TABLE IF NOT EXISTS ${quoteQualified(FERRY_SCHEMA, HEARTBEAT_TABLE)} (task text PRIMARY KEY, ts timestamptz NOT NULL)`,
  );
  await client.query(
    `CREATE TABLE IF NOT EXISTS ${quoteQualified(FERRY_SCHEMA, CUTOVER_MARKER_TABLE)} (
       task text NOT NULL, id text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (task, id))`,
  );
  for (const table of tables) {
    if (table.keyColumns.length === 0 && table.description.replicaIdentity !== 'full') {
      // Without a key, updates and deletes can only be matched by the whole old row.
      await client.query(`ALTER TABLE ${quoteQualified(table.id)} REPLICA IDENTITY FULL`);
      log.info({ table: table.key }, 'table has no primary or unique key: set REPLICA IDENTITY FULL so updates and deletes are captured');
    } else if (settings.wholeRows?.has(table.key) && table.description.replicaIdentity !== 'full') {
      // objects.transform computes from whole rows: the old row supplies unchanged TOAST values.
      await client.query(`ALTER TABLE ${quoteQualified(table.id)} REPLICA IDENTITY FULL`);
      log.info({ table: table.key }, 'table has a transform: set REPLICA IDENTITY FULL so every update carries the values its expressions need');
    }
  }
  const members = [
    ...tables.map((t) => {
      const filter = settings.rowFilters && t.rowFilter ? ` WHERE (${t.rowFilter})` : '';
      return `TABLE ${quoteQualified(t.id)}${filter}`;
    }),
    `TABLE ${quoteQualified(FERRY_SCHEMA, HEARTBEAT_TABLE)}`,
    `TABLE ${quoteQualified(FERRY_SCHEMA, CUTOVER_MARKER_TABLE)}`,
    // DDL capture: the event trigger's log travels in the DDL's own transaction.
    ...(settings.ddlLog ? [`TABLE ${quoteQualified(FERRY_SCHEMA, DDL_LOG_TABLE)}`] : []),
  ];
  // PostgreSQL before 15 writes "FOR TABLE a, b"; 15+ accepts "TABLE a, TABLE b" and row filters.
  const list = settings.serverMajor >= 15 ? members.join(', ') : `TABLE ${members.map((m) => m.replace(/^TABLE /, '')).join(', ')}`;
  const exists = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [settings.publication]);
  if (exists.rowCount === 0) {
    await client.query(`CREATE PUBLICATION ${quoteIdent(settings.publication)} FOR ${list}`);
    log.info({ publication: settings.publication, tables: tables.length }, 'created publication');
  } else {
    await client.query(`ALTER PUBLICATION ${quoteIdent(settings.publication)} SET ${list}`);
  }
}

export async function slotExists(client: pg.Client, slot: string): Promise<{ exists: boolean; confirmedFlush: string | null; active: boolean }> {
  const { rows } = await client.query<{ confirmed_flush_lsn: string | null; active: boolean }>(
    'SELECT confirmed_flush_lsn::text, active FROM pg_replication_slots WHERE slot_name = $1',
    [slot],
  );
  const row = rows[0];
  return { exists: row !== undefined, confirmedFlush: row?.confirmed_flush_lsn ?? null, active: row?.active ?? false };
}

/** Drops the slot, the publication and this task's heartbeat and marker rows: nothing Ferry made is left behind. */
export async function releaseSource(client: pg.Client, settings: { slot: string; publication: string; task: string }): Promise<void> {
  await client.query(
    `SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 AND active_pid IS NOT NULL`,
    [settings.slot],
  );
  await client.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1`, [settings.slot]);
  await client.query(`DROP PUBLICATION IF EXISTS ${quoteIdent(settings.publication)}`);
  await removeDdlCapture(client, settings.publication);
  for (const table of [HEARTBEAT_TABLE, CUTOVER_MARKER_TABLE]) {
    const exists = await client.query(`SELECT to_regclass($1) AS t`, [`${quoteIdent(FERRY_SCHEMA)}.${quoteIdent(table)}`]);
    if (exists.rows[0]?.t) await client.query(`DELETE FROM ${quoteQualified(FERRY_SCHEMA, table)} WHERE task = $1`, [settings.task]);
  }
}

/**
 * Ferry's own source sessions write through a read-only fence (`ferry cutover --fence
 * read-only` makes the database default to read-only transactions for everyone else).
 */
export async function allowWritesThroughFence(client: pg.ClientBase): Promise<void> {
  await client.query('SET default_transaction_read_only = off');
}

/**
 * Writes the heartbeat row every `intervalMs` on a session of its own, opened
 * again after the source restarts; returns a stop function.
 */
export function startHeartbeat(sourceUrl: string, task: string, intervalMs: number, log: Logger): () => void {
  let client: pg.Client | null = null;
  const beat = async (): Promise<void> => {
    try {
      if (!client) {
        client = await openClient(sourceUrl, { applicationName: 'ferry-heartbeat', role: 'source', onError: () => undefined });
        await allowWritesThroughFence(client);
      }
      await client.query(
        `INSERT INTO ${quoteQualified(FERRY_SCHEMA, HEARTBEAT_TABLE)} (task, ts) VALUES ($1, now()) ON CONFLICT (task) DO UPDATE SET ts = excluded.ts`,
        [task],
      );
    } catch (error) {
      log.warn({ err: error }, 'heartbeat write failed; lag in seconds will look higher until it works again');
      const broken = client;
      client = null;
      await broken?.end().catch(() => undefined);
    }
  };
  void beat();
  const timer = setInterval(() => void beat(), intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    void client?.end().catch(() => undefined);
  };
}
