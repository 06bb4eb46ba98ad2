import type { ObjectSelection } from '@ferry/config';
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
 * replica identity FULL where whole old rows are needed, and the publication listing exactly
 * the selected tables plus those two.
 */
/**
 * Why capture sets REPLICA IDENTITY FULL on a table (every update and delete then logs the
 * whole old row), or undefined when the key is enough.
 */
export function wholeRowReason(table: CapturedTable, selection: ObjectSelection, serverMajor: number): string | undefined {
  if (table.keyColumns.length === 0) return 'the table has no primary or unique key, so updates and deletes can only be matched by the whole old row';
  if (selection.transform(table.id.schema, table.id.table) !== undefined) return 'the table has a transform, whose expressions need every value of an update';
  // From 15 the publication filters; before, the sink does, and needs every value of an update.
  if (table.rowFilter !== undefined && serverMajor < 15) return 'the table has a row filter, which the sink applies to its changes (PostgreSQL before 15 cannot filter a publication)';
  return undefined;
}

/** Sets REPLICA IDENTITY FULL on the table when wholeRowReason says it needs it. */
export async function ensureWholeRows(client: pg.Client, table: CapturedTable, selection: ObjectSelection, serverMajor: number, log: Logger): Promise<void> {
  if (table.description.replicaIdentity === 'full') return;
  const reason = wholeRowReason(table, selection, serverMajor);
  if (reason === undefined) return;
  await client.query(`ALTER TABLE ${quoteQualified(table.id)} REPLICA IDENTITY FULL`);
  log.info({ table: table.key }, `set REPLICA IDENTITY FULL: ${reason}`);
}

export async function prepareSource(
  client: pg.Client,
  settings: { publication: string; serverMajor: number; rowFilters: boolean; ddlLog?: boolean; selection: ObjectSelection },
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
  for (const table of tables) await ensureWholeRows(client, table, settings.selection, settings.serverMajor, log);
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
