import type { AvroRow, SnapshotChunk, SourceInfo } from '@ferry/avro';
import type { Logger } from '@ferry/observability';
import { openClient } from '@ferry/pg';
import type pg from 'pg';
import type { CapturedTable } from '../captured-table.js';
import type { CaptureMetrics } from '../capture-metrics.js';
import type { KafkaDispatcher } from '../dispatch/kafka-dispatcher.js';
import type { RecordEncoder } from '../dispatch/record-encoder.js';
import { chunkSelect, planChunks, readChunkRows } from './chunk-reading.js';
import type { PlannedChunk, SnapshotProgress } from './snapshot-progress.js';

export interface SnapshotSettings {
  sourceUrl: string;
  database: string;
  consistentLsn: string;
  /**
   * When resuming after a crash: the consistent point of the new snapshot. Keyless tables
   * that were not complete start over there (their rows cannot be matched to dedupe).
   */
  resumePoint: string | null;
  serverMajor: number;
  parallelism: number;
  chunkRows: number;
  /** Rows per Kafka message; a message must stay under the broker's size limit. */
  rowsPerMessage: number;
  bytesPerMessage: number;
  throttle?: (rows: number, bytes: number) => Promise<void>;
}

interface WorkItem {
  table: CapturedTable;
  chunk: PlannedChunk;
}

/**
 * The full-data copy. Every worker opens a REPEATABLE READ transaction on the
 * slot's exported snapshot (or, when resuming after a crash, a fresh one: the
 * stream from the slot's consistent point replays everything since, and applies
 * are idempotent), then reads chunks with COPY and publishes them in Kafka
 * transactions. A chunk is recorded as done only after its transaction commits.
 */
export class SnapshotSource {
  constructor(
    private readonly tables: readonly CapturedTable[],
    private readonly encoder: RecordEncoder,
    private readonly newDispatcher: (worker: number) => Promise<KafkaDispatcher>,
    private readonly progress: SnapshotProgress,
    private readonly settings: SnapshotSettings,
    private readonly metrics: CaptureMetrics,
    private readonly log: Logger,
  ) {}

  /**
   * @param snapshotName the exported snapshot to import, or null when resuming
   * @param onImported called once every worker has imported it (the exporter may then move on)
   */
  async run(snapshotName: string | null, onImported: () => Promise<void>, signal: AbortSignal): Promise<void> {
    const workers = Math.max(1, this.settings.parallelism);
    this.log.info({ step: 1, workers, snapshot: snapshotName ?? 'fresh (resuming)' }, 'Snapshot step 1 - opening reader sessions');
    const clients: pg.Client[] = [];
    try {
      for (let i = 0; i < workers; i++) {
        const client = await openClient(this.settings.sourceUrl, { applicationName: `ferry-snapshot-${i}`, role: 'source' });
        clients.push(client);
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        if (snapshotName) await client.query(`SET TRANSACTION SNAPSHOT '${snapshotName.replace(/[^0-9A-F-]/gi, '')}'`);
      }
      await onImported();

      this.log.info({ step: 2 }, 'Snapshot step 2 - planning chunks');
      const queue: WorkItem[] = [];
      const resets: CapturedTable[] = [];
      for (const table of this.tables) {
        let state = this.progress.table(table.key);
        const restart = state !== undefined && !state.complete && state.kind === 'blocks' && this.settings.resumePoint !== null;
        if (!state || restart) {
          const plan = await planChunks(clients[0]!, table, this.settings.chunkRows, this.settings.serverMajor);
          if (restart) {
            await this.progress.restarted(table.key, plan.kind, plan.chunks, this.settings.resumePoint!);
            resets.push(table);
            this.log.info({ table: table.key, from: this.settings.resumePoint }, 'table has no key: its interrupted snapshot starts over');
          } else {
            await this.progress.planned(table.key, plan.kind, plan.chunks);
          }
          state = this.progress.table(table.key)!;
        }
        if (state.complete) continue;
        const done = new Set(state.done);
        this.metrics.snapshotTable(table.key, 0, state.chunks.length);
        for (const chunk of state.chunks) if (!done.has(chunk.index)) queue.push({ table, chunk });
        this.log.info({ table: table.key, chunks: state.chunks.length, remaining: state.chunks.length - done.size }, 'planned');
      }

      if (resets.length > 0) await this.publishResets(resets);
      this.log.info({ step: 3, chunks: queue.length }, 'Snapshot step 3 - reading chunks');
      const remaining = new Map<string, number>();
      for (const item of queue) remaining.set(item.table.key, (remaining.get(item.table.key) ?? 0) + 1);
      // Tables whose chunks were all done before a restart still need their end marker.
      const markers = new Set(this.tables.filter((t) => !this.progress.table(t.key)!.complete && !remaining.has(t.key)).map((t) => t.key));
      await Promise.all(
        clients.map(async (client, worker) => {
          const dispatcher = await this.newDispatcher(worker);
          try {
            for (let item = queue.shift(); item; item = queue.shift()) {
              if (signal.aborted) return;
              await this.copyChunk(client, dispatcher, item);
              const left = remaining.get(item.table.key)! - 1;
              remaining.set(item.table.key, left);
              if (left === 0) markers.add(item.table.key);
              for (const key of [...markers]) {
                markers.delete(key);
                await this.finishTable(dispatcher, this.tables.find((t) => t.key === key)!);
              }
            }
            for (const key of [...markers]) {
              markers.delete(key);
              await this.finishTable(dispatcher, this.tables.find((t) => t.key === key)!);
            }
          } finally {
            await dispatcher.close();
          }
        }),
      );
      if (signal.aborted) return;
      await this.progress.snapshotComplete();
      this.log.info({ step: 4 }, 'Snapshot step 4 - complete');
    } finally {
      await Promise.allSettled(clients.map(async (c) => {
        await c.query('ROLLBACK').catch(() => undefined);
        await c.end();
      }));
    }
  }

  private async copyChunk(client: pg.Client, dispatcher: KafkaDispatcher, { table, chunk }: WorkItem): Promise<void> {
    const state = this.progress.table(table.key)!;
    const query = chunkSelect(table, state.kind, chunk);
    let part = 0;
    let rows = 0;
    let batch: AvroRow[] = [];
    let batchBytes = 0;
    const publish = async (): Promise<void> => {
      const message: SnapshotChunk = {
        source: this.source(table, `${chunk.index}.${part}`),
        chunk: { id: `${table.key}#${chunk.index}.${part}`, index: chunk.index, rowCount: batch.length, range: rangeText(chunk), last: false, reset: false },
        rows: batch,
      };
      await dispatcher.add(this.encoder.chunk(table, message));
      if (this.settings.throttle) await this.settings.throttle(batch.length, batchBytes);
      part += 1;
      batch = [];
      batchBytes = 0;
    };
    for await (const values of readChunkRows(client, query)) {
      for (const row of values) {
        batch.push(table.rows.toAvro(row));
        for (const v of row) batchBytes += v === null ? 1 : v.length + 1;
        rows += 1;
        if (batch.length >= this.settings.rowsPerMessage || batchBytes >= this.settings.bytesPerMessage) await publish();
      }
    }
    if (batch.length > 0 || part === 0) await publish();
    await dispatcher.commit();
    await this.progress.chunkDone(table.key, chunk.index, rows);
    this.metrics.snapshotChunkDone(table.key, rows);
  }

  /** Tells the sinks to discard rows of an earlier attempt before the new chunks arrive. */
  private async publishResets(tables: readonly CapturedTable[]): Promise<void> {
    const dispatcher = await this.newDispatcher(0);
    try {
      for (const table of tables) {
        const marker: SnapshotChunk = {
          source: this.source(table, null),
          chunk: { id: `${table.key}#reset@${this.settings.resumePoint}`, index: -1, rowCount: 0, range: null, last: false, reset: true },
          rows: [],
        };
        await dispatcher.add(this.encoder.chunk(table, marker));
      }
      await dispatcher.commit();
    } finally {
      await dispatcher.close();
    }
  }

  /** The end-of-table marker: the sink starts applying the table's changes after it. */
  private async finishTable(dispatcher: KafkaDispatcher, table: CapturedTable): Promise<void> {
    const state = this.progress.table(table.key)!;
    const marker: SnapshotChunk = {
      source: this.source(table, null),
      chunk: { id: `${table.key}#end`, index: state.chunks.length, rowCount: 0, range: null, last: true, reset: false },
      rows: [],
    };
    await dispatcher.add(this.encoder.chunk(table, marker));
    await dispatcher.commit();
    await this.progress.tableComplete(table.key);
    this.log.info({ table: table.key, rows: state.rows, chunks: state.chunks.length }, 'table snapshot complete');
  }

  private source(table: CapturedTable, chunk: string | null): SourceInfo {
    return {
      db: this.settings.database,
      schema: table.id.schema,
      table: table.id.table,
      lsn: this.settings.consistentLsn,
      txId: null,
      commitTsMicros: null,
      snapshot: true,
      chunk,
    };
  }
}

function rangeText(chunk: PlannedChunk): string {
  const show = (bound: string[] | null) => (bound === null ? '∞' : `(${bound.join(', ')})`);
  return `${chunk.lower === null ? '-∞' : show(chunk.lower)} .. ${show(chunk.upper)}`;
}
