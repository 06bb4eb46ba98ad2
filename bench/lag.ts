import type pg from 'pg';
import { MARKER_TABLE } from './databases.js';
import { newClient, withClient } from './sql.js';

/**
 * Writes one marker row every `everyMs` on the source; its `src_at` is the source's clock
 * at insert, and the destination's default `dst_at` its clock when the row arrived.
 */
export class MarkerWriter {
  private timer: NodeJS.Timeout | undefined;
  private client: pg.Client | undefined;
  private pending: Promise<unknown> = Promise.resolve();
  private busy = false;
  private failure: Error | undefined;
  firstId = 0;
  lastId = 0;

  constructor(
    private readonly sourceUrl: string,
    private nextId: number,
  ) {}

  async start(everyMs: number): Promise<void> {
    this.client = newClient(this.sourceUrl, 'ferry-bench-markers');
    await this.client.connect();
    this.firstId = this.nextId;
    this.lastId = this.nextId - 1;
    this.timer = setInterval(() => {
      if (this.busy) return; // the source is slow: skip a tick rather than queue inserts
      this.busy = true;
      const id = this.nextId++;
      this.pending = this.client!.query(`INSERT INTO ${MARKER_TABLE} (id) VALUES ($1)`, [id])
        .then(() => (this.lastId = id))
        .catch((error: unknown) => (this.failure ??= error as Error))
        .finally(() => (this.busy = false));
    }, everyMs);
  }

  /** Stops writing; returns the id the next writer should start from. */
  async stop(): Promise<number> {
    clearInterval(this.timer);
    await this.pending;
    await this.client?.end();
    if (this.failure) throw new Error(`writing lag markers failed: ${this.failure.message}`);
    return this.nextId;
  }
}

/** Per marker in [firstId, lastId]: destination arrival minus source insert, in ms. */
export async function markerLags(destUrl: string, firstId: number, lastId: number): Promise<number[]> {
  return withClient(destUrl, async (client) => {
    const { rows } = await client.query<{ lag_ms: number }>(
      `SELECT extract(epoch FROM dst_at - src_at)::float8 * 1000 AS lag_ms FROM ${MARKER_TABLE} WHERE id BETWEEN $1 AND $2 ORDER BY id`,
      [firstId, lastId],
    );
    return rows.map((r) => Number(r.lag_ms));
  });
}

/**
 * Ferry's own view of lag, sampled every `everyMs` from the destination's bookkeeping:
 * `ferry.sink_tables` holds per source table (and for '_heartbeat') the source commit
 * time of the newest applied change.
 */
export class SinkTableSampler {
  private timer: NodeJS.Timeout | undefined;
  private client: pg.Client | undefined;
  private busy = false;
  /** now − last_commit_ms of pgbench_history's row at each sample. */
  readonly tableLags: number[] = [];
  /** For each new heartbeat applied: the destination's updated_at − the heartbeat's source commit time. */
  readonly heartbeatLags: number[] = [];
  private lastHeartbeat = '';

  constructor(
    private readonly destUrl: string,
    private readonly group: string,
  ) {}

  async start(everyMs: number): Promise<void> {
    this.client = newClient(this.destUrl, 'ferry-bench-lag');
    await this.client.connect();
    this.timer = setInterval(() => void this.sample(), everyMs);
  }

  /** Stops sampling; safe to call more than once. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    while (this.busy) await new Promise((r) => setTimeout(r, 20));
    const client = this.client;
    this.client = undefined;
    await client?.end();
  }

  private async sample(): Promise<void> {
    if (this.busy || !this.client) return;
    this.busy = true;
    try {
      const { rows } = await this.client!.query<{ source_table: string; last_commit_ms: string | null; updated_ms: string; now_ms: string }>(
        `SELECT source_table, last_commit_ms::text, (extract(epoch FROM updated_at) * 1000)::bigint::text AS updated_ms,
                (extract(epoch FROM clock_timestamp()) * 1000)::bigint::text AS now_ms
           FROM ferry.sink_tables WHERE consumer_group = $1 AND source_table IN ('_heartbeat', 'public.pgbench_history')`,
        [this.group],
      );
      for (const row of rows) {
        if (row.last_commit_ms === null) continue;
        if (row.source_table === '_heartbeat') {
          if (row.last_commit_ms !== this.lastHeartbeat) {
            if (this.lastHeartbeat !== '') this.heartbeatLags.push(Number(row.updated_ms) - Number(row.last_commit_ms));
            this.lastHeartbeat = row.last_commit_ms;
          }
        } else {
          this.tableLags.push(Number(row.now_ms) - Number(row.last_commit_ms));
        }
      }
    } finally {
      this.busy = false;
    }
  }
}
