import { ObjectSelection, type TaskConfig } from '@ferry/config';
import { isPgTrue, openClient } from '@ferry/pg';
import type pg from 'pg';

export interface TableProgress {
  table: string;
  estimatedRows: number;
  snapshotRows: number;
  snapshotComplete: boolean;
  lastLsn: string | null;
}

export interface PipelineProgress {
  tables: TableProgress[];
  slot: { exists: boolean; active: boolean; lagBytes: number | null; retainedBytes: number | null };
  /** Seconds between a source heartbeat's commit and its arrival at the destination. */
  lagSeconds: number | null;
  /** When the destination last saw a heartbeat (ms since epoch). */
  lastHeartbeatAppliedMs: number | null;
  /**
   * Seconds since the destination applied its newest heartbeat, by the destination's clock.
   * It grows while the sink (or capture) stands still, when `lagSeconds` keeps its last value.
   */
  heartbeatAgeSeconds: number | null;
}

/** The consumer group a destination's sinks use by default (the sink's defaultGroupId). */
export function sinkGroupId(task: Pick<TaskConfig, 'name'>, destination: { name: string }): string {
  return `ferry-${task.name}-${destination.name}`;
}

/** Reads where a migration stands from the source (slot) and one destination (sink bookkeeping), once. */
export async function readProgress(task: TaskConfig, destinationIndex = 0): Promise<PipelineProgress> {
  const reader = new ProgressReader(task, destinationIndex);
  try {
    return await reader.read();
  } finally {
    await reader.close();
  }
}

/**
 * Reads progress again and again over the same two sessions (the coordinator polls every
 * second); a session that failed is dropped and opened anew at the next read.
 */
export class ProgressReader {
  private source: pg.Client | null = null;
  private dest: pg.Client | null = null;

  constructor(
    private readonly task: TaskConfig,
    private readonly destinationIndex = 0,
  ) {}

  async read(): Promise<PipelineProgress> {
    const destination = this.task.destinations[this.destinationIndex]!;
    try {
      this.source ??= await openClient(this.task.source.url, { applicationName: 'ferry-status', role: 'source' });
      this.dest ??= await openClient(destination.url, { applicationName: 'ferry-status', role: 'destination' });
      return await progressFrom(this.source, this.dest, this.task, sinkGroupId(this.task, destination));
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    const sessions = [this.source, this.dest];
    this.source = null;
    this.dest = null;
    await Promise.allSettled(sessions.map((client) => client?.end()));
  }
}

async function progressFrom(source: pg.Client, dest: pg.Client, task: TaskConfig, group: string): Promise<PipelineProgress> {
  const selection = new ObjectSelection(task.objects);
  const estimates = await sourceEstimates(source, selection);
  const slot = await slotState(source, task.source.slot);
  const applied = await sinkTables(dest, group);
  const tables = [...estimates].map(([table, estimatedRows]) => {
    const row = applied.get(table);
    return {
      table,
      estimatedRows,
      snapshotRows: Number(row?.snapshot_rows ?? 0),
      snapshotComplete: isPgTrue(row?.snapshot_complete),
      lastLsn: row?.last_lsn ?? null,
    };
  });
  const beat = applied.get('_heartbeat');
  const lagSeconds = beat?.last_commit_ms ? Math.max(0, (Number(beat.applied_ms) - Number(beat.last_commit_ms)) / 1000) : null;
  const heartbeatAgeSeconds = beat ? Math.max(0, (Number(beat.now_ms) - Number(beat.applied_ms)) / 1000) : null;
  return { tables, slot, lagSeconds, lastHeartbeatAppliedMs: beat ? Number(beat.applied_ms) : null, heartbeatAgeSeconds };
}

async function sourceEstimates(client: pg.Client, selection: ObjectSelection): Promise<Map<string, number>> {
  const { rows } = await client.query<{ schema: string; name: string; estimate: string }>(
    `SELECT n.nspname AS schema, c.relname AS name, greatest(c.reltuples, 0)::bigint::text AS estimate
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'ferry') AND n.nspname NOT LIKE 'pg\\_%'
     ORDER BY 1, 2`,
  );
  return new Map(rows.filter((r) => selection.includesTable(r.schema, r.name)).map((r) => [`${r.schema}.${r.name}`, Number(r.estimate)]));
}

async function slotState(client: pg.Client, slot: string): Promise<PipelineProgress['slot']> {
  const { rows } = await client.query<{ active: string; lag: string | null; retained: string | null }>(
    `SELECT active::text, pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint::text AS lag,
            pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint::text AS retained
     FROM pg_replication_slots WHERE slot_name = $1`,
    [slot],
  );
  const row = rows[0];
  if (!row) return { exists: false, active: false, lagBytes: null, retainedBytes: null };
  return { exists: true, active: row.active === 'true', lagBytes: row.lag === null ? null : Number(row.lag), retainedBytes: row.retained === null ? null : Number(row.retained) };
}

interface SinkTableRow {
  source_table: string;
  snapshot_rows: string;
  snapshot_complete: string;
  last_lsn: string | null;
  last_commit_ms: string | null;
  applied_ms: string;
  now_ms: string;
}

async function sinkTables(client: pg.Client, group: string): Promise<Map<string, SinkTableRow>> {
  const exists = await client.query(`SELECT to_regclass('ferry.sink_tables') IS NOT NULL AS ok`);
  if (String(exists.rows[0].ok) !== 'true' && exists.rows[0].ok !== 't') return new Map();
  const { rows } = await client.query<SinkTableRow>(
    `SELECT source_table, snapshot_rows::text, snapshot_complete::text, last_lsn, last_commit_ms::text,
            (extract(epoch FROM updated_at) * 1000)::bigint::text AS applied_ms,
            (extract(epoch FROM clock_timestamp()) * 1000)::bigint::text AS now_ms
     FROM ferry.sink_tables WHERE consumer_group = $1`,
    [group],
  );
  return new Map(rows.map((r) => [r.source_table, r]));
}
