import { readFile } from 'node:fs/promises';
import type { DdlEvent, SnapshotChunk } from '@ferry/avro';
import type { ObjectSelection } from '@ferry/config';
import type { Lsn } from '@ferry/core';
import type { Logger } from '@ferry/observability';
import { openClient, quoteIdent, quoteQualified } from '@ferry/pg';
import { ReplicationConnection, type CreatedSlot } from '@ferry/pgoutput';
import type pg from 'pg';
import type { CapturedTable, SourceTableDescription } from './captured-table.js';
import type { CaptureMetrics } from './capture-metrics.js';
import type { KafkaDispatcher, OutgoingRecord } from './dispatch/kafka-dispatcher.js';
import type { RecordEncoder } from './dispatch/record-encoder.js';
import { planChunks } from './snapshot/chunk-reading.js';
import type { PlannedChunk, SnapshotProgress, TableSnapshotState } from './snapshot/snapshot-progress.js';
import { SnapshotSource } from './snapshot/snapshot-source.js';
import { describeSourceTables } from './source-catalog.js';
import { ensureWholeRows } from './source-setup.js';

/** How often the task file is checked for a changed object selection. */
export const TASK_FILE_POLL_MS = 5_000;

export interface TableAdditionSettings {
  sourceUrl: string;
  publication: string;
  /** The task's slot; the temporary slot of an addition is named after it. */
  slot: string;
  database: string;
  serverMajor: number;
  chunkRows: number;
  throttle?: (rows: number, bytes: number) => Promise<void>;
  /** The task file: its object selection is read again when its text changes. */
  taskFile: string;
  /** The selection capture started with: tables it matches are DDL capture's, never added here. */
  selection: ObjectSelection;
  /** The selection the task file now gives (parses the file; throws when it is not valid). */
  readSelection: () => ObjectSelection;
  /** The captured tables by "schema.table", shared with the streaming source (changed here). */
  tables: Map<string, CapturedTable>;
  /** Per table: the stream skips its changes committed before this LSN (shared with the streaming source). */
  streamFrom: Map<string, Lsn>;
  progress: SnapshotProgress;
  encoder: RecordEncoder;
  /** Registers a new table's schemas and creates its topics. */
  prepareTable: (description: SourceTableDescription, selection: ObjectSelection) => Promise<CapturedTable>;
  newDispatcher: (name: string) => Promise<KafkaDispatcher>;
  /** Partitions of each table topic: an added table's `create` event goes to all of them. */
  partitions: number;
  metrics: CaptureMetrics;
  log: Logger;
  pollMs?: number;
}

interface Waiting {
  table: CapturedTable;
  /** Chunks planned ahead, so the streaming loop waits only for the temporary slot. */
  plan: { kind: TableSnapshotState['kind']; chunks: PlannedChunk[] };
  /** Keeps the consistent point of an interrupted keyed snapshot (its changes since are in Kafka). */
  keep: boolean;
  /** An interrupted keyless snapshot: the sink discards its rows before the new copy. */
  reset: boolean;
}

/**
 * Takes a table newly selected in the task file into the running task. The task file is
 * read again when its text changes (every TASK_FILE_POLL_MS); for each table it now selects
 * that capture does not have: the table joins the publication and gets its topics and
 * schemas, then, between two source transactions of the stream, a temporary slot with an
 * exported snapshot gives a consistent point P. From there on the stream sends the table's
 * changes committed at P or later, and its snapshot is copied from the exported snapshot
 * in the background, ending with the end-of-table marker the sink waits for. The streaming
 * loop waits only for the creation of the temporary slot.
 */
export class TableAddition {
  private readonly waiting: Waiting[] = [];
  /** Tables being added, from the task file change until their snapshot is complete. */
  private readonly adding = new Set<string>();
  private copying: Promise<void> | null = null;
  private lastText: string | undefined;
  private previous: ObjectSelection;
  private timer: NodeJS.Timeout | undefined;
  private checking = false;

  constructor(private readonly settings: TableAdditionSettings) {
    this.previous = settings.selection;
  }

  /**
   * Before streaming starts: tables whose addition a stop interrupted, and (`unrecorded`)
   * selected tables the snapshot state does not know, such as ones selected while capture
   * was stopped. Removes those that need a new consistent point from the stream's tables.
   */
  async resume(unrecorded: readonly string[]): Promise<void> {
    const { tables, progress } = this.settings;
    const client = await this.client();
    try {
      for (const table of [...tables.values()]) {
        const state = progress.table(table.key);
        const interrupted = state !== undefined && !state.complete;
        if (!interrupted && !unrecorded.includes(table.key)) continue;
        // Keyed, with a consistent point recorded: its changes since are all in Kafka, and
        // re-applying them over rows read later converges, as when the first snapshot resumes.
        const keep = interrupted && state.kind === 'key' && state.streamFrom !== null && state.chunks.length > 0;
        if (!keep) tables.delete(table.key);
        const plan = keep ? { kind: state.kind, chunks: state.chunks } : await planChunks(client, table, this.settings.chunkRows, this.settings.serverMajor);
        const reset = interrupted && state.kind === 'blocks' && state.chunks.length > 0;
        this.adding.add(table.key);
        this.waiting.push({ table, plan, keep, reset });
        this.settings.log.info({ table: table.key, keep, reset }, 'table snapshot not complete: it is taken again while streaming');
      }
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** Starts watching the task file; stop() ends it. */
  async start(): Promise<void> {
    // The first check always compares: the file may have changed since capture read it.
    this.lastText = undefined;
    this.timer = setInterval(() => void this.check(), this.settings.pollMs ?? TASK_FILE_POLL_MS);
  }

  /** Stops watching and waits for a running table copy (it stops at its next chunk when the task stops). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.copying;
  }

  /**
   * Called by the streaming loop between source transactions. Every transaction the loop
   * has handled committed before the temporary slot's consistent point, so from here the
   * table's changes at or after that point reach its topic and the earlier ones are in its copy.
   */
  async atTransactionBoundary(signal: AbortSignal, publish: (record: OutgoingRecord) => Promise<void>): Promise<void> {
    if (this.waiting.length === 0 || this.copying !== null || signal.aborted) return;
    const batch = this.waiting.splice(0);
    const { log, progress, tables, streamFrom } = this.settings;
    let connection: ReplicationConnection | undefined;
    let slot: CreatedSlot;
    try {
      connection = await ReplicationConnection.connect(this.settings.sourceUrl);
      slot = await connection.createSlot(`${this.settings.slot}_add`, { temporary: true, exportSnapshot: true });
      for (const item of batch) {
        if (item.keep) continue;
        // Recorded before the stream moves on: after a restart its changes before P stay skipped.
        await progress.restarted(item.table.key, item.plan.kind, item.plan.chunks, slot.consistentPoint.toString());
        tables.set(item.table.key, item.table);
        streamFrom.set(item.table.key, slot.consistentPoint);
      }
      // A kept table too: its first announcement may not have reached Kafka before a restart.
      for (const item of batch) await this.announce(item.table, slot.consistentPoint, publish);
    } catch (error) {
      await connection?.close().catch(() => undefined);
      // The loop has not moved on: taking the tables out again loses nothing. A recorded P
      // goes too (none of the table's changes reached Kafka); a pending reset stays recorded.
      for (const item of batch) {
        if (!item.keep) {
          tables.delete(item.table.key);
          streamFrom.delete(item.table.key);
          if (!item.reset) await progress.planned(item.table.key, 'key', []).catch(() => undefined);
        }
        this.waiting.push(item);
      }
      log.warn({ err: error, tables: batch.map((i) => i.table.key) }, 'could not start the snapshot of added tables; trying again shortly');
      return;
    }
    log.info({ tables: batch.map((i) => i.table.key), consistentPoint: slot.consistentPoint.toString() }, 'snapshot of added tables starts; streaming goes on');
    this.copying = this.copy(batch, connection, slot, signal).finally(() => {
      this.copying = null;
    });
  }

  /**
   * With DDL capture (the table's definition is known), a `create` event goes ahead of the
   * table's first change on every partition of its topic, through the stream's own
   * transaction: the sink creates the destination table before the copy arrives, and keeps
   * the changes behind the copy (`snapshotFollows`). An existing table is reconciled instead.
   */
  private async announce(table: CapturedTable, consistentPoint: Lsn, publish: (record: OutgoingRecord) => Promise<void>): Promise<void> {
    const definition = table.description.definition;
    if (!definition) return;
    const event: DdlEvent = {
      id: `added-${consistentPoint.toString()}`,
      lsn: consistentPoint.toString(),
      txId: '0',
      commitTsMicros: null,
      tag: 'CREATE TABLE',
      statement: null,
      action: 'create',
      schema: table.id.schema,
      table: table.id.table,
      previous: null,
      definition,
      dropped: [],
      snapshotFollows: true,
    };
    for (let partition = 0; partition < this.settings.partitions; partition++) await publish(this.settings.encoder.ddlMarker(table, event, partition));
    await publish(this.settings.encoder.ddlEvent(event, table.topic));
  }

  private async copy(batch: Waiting[], connection: ReplicationConnection, slot: CreatedSlot, signal: AbortSignal): Promise<void> {
    const { log } = this.settings;
    try {
      const resets = batch.filter((i) => i.reset).map((i) => i.table);
      if (resets.length > 0) await this.publishResets(resets, slot.consistentPoint.toString());
      const snapshot = new SnapshotSource(
        batch.map((i) => i.table),
        this.settings.encoder,
        (worker) => this.settings.newDispatcher(`add-${worker}`),
        this.settings.progress,
        {
          sourceUrl: this.settings.sourceUrl,
          database: this.settings.database,
          consistentLsn: slot.consistentPoint.toString(),
          resumePoint: null,
          serverMajor: this.settings.serverMajor,
          parallelism: 1,
          chunkRows: this.settings.chunkRows,
          rowsPerMessage: 2_000,
          bytesPerMessage: 512 * 1024,
          ...(this.settings.throttle ? { throttle: this.settings.throttle } : {}),
        },
        this.settings.metrics,
        log.child({ phase: 'full', added: true }),
      );
      await snapshot.run(slot.snapshotName ?? null, () => connection.close(), signal);
      for (const item of batch) if (this.settings.progress.table(item.table.key)?.complete) this.adding.delete(item.table.key);
    } catch (error) {
      if (signal.aborted) return;
      // Taken again from a new consistent point, as after a restart.
      log.warn({ err: error, tables: batch.map((i) => i.table.key) }, 'snapshot of added tables failed; it is taken again');
      for (const item of batch) {
        const state = this.settings.progress.table(item.table.key);
        const keep = state?.kind === 'key' && state.streamFrom !== null && state.chunks.length > 0;
        if (!keep) this.settings.tables.delete(item.table.key);
        this.waiting.push({ table: item.table, plan: keep ? { kind: state.kind, chunks: state.chunks } : item.plan, keep, reset: !keep && state?.kind === 'blocks' });
      }
    } finally {
      await connection.close().catch(() => undefined);
    }
  }

  /** Reads the task file when its text changed and prepares the tables it newly selects. */
  private async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    const { log } = this.settings;
    try {
      const text = await readFile(this.settings.taskFile, 'utf8').catch(() => undefined);
      if (text === undefined || text === this.lastText) return;
      let selection: ObjectSelection;
      try {
        selection = this.settings.readSelection();
      } catch (error) {
        log.warn({ err: error, file: this.settings.taskFile }, 'the changed task file is not valid; its object selection is not taken in');
        return;
      }
      this.lastText = text;
      await this.addSelected(selection);
    } catch (error) {
      log.warn({ err: error }, 'could not take in tables newly selected by the task file; trying again at its next change');
      this.lastText = undefined;
    } finally {
      this.checking = false;
    }
  }

  private async addSelected(selection: ObjectSelection): Promise<void> {
    const { tables, log, progress } = this.settings;
    const client = await this.client();
    try {
      const descriptions = await describeSourceTables(client, selection);
      // A table the previous selection matched is in the task already, or DDL capture's to add (it is being created).
      const fresh = descriptions.filter(
        (d) => !this.previous.includesTable(d.schema, d.name) && !tables.has(`${d.schema}.${d.name}`) && !this.adding.has(`${d.schema}.${d.name}`),
      );
      const selected = new Set(descriptions.map((d) => `${d.schema}.${d.name}`));
      const dropped = [...tables.keys()].filter((key) => !selected.has(key));
      if (dropped.length > 0) log.warn({ tables: dropped }, 'the task file no longer selects these tables; they stay captured until capture restarts');
      for (const description of fresh) {
        const key = `${description.schema}.${description.name}`;
        this.adding.add(key);
        try {
          // Recorded first: a restart before its consistent point takes the table again from scratch.
          await progress.planned(key, 'key', []);
          const table = await this.settings.prepareTable(description, selection);
          await this.joinPublication(client, table, selection);
          const plan = await planChunks(client, table, this.settings.chunkRows, this.settings.serverMajor);
          this.waiting.push({ table, plan, keep: false, reset: false });
          log.info({ table: key, chunks: plan.chunks.length }, 'table newly selected by the task file: it joins the running task');
        } catch (error) {
          this.adding.delete(key);
          throw error;
        }
      }
      this.previous = selection;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** Replica identity as source setup sets it, then the publication sends the table's changes. */
  private async joinPublication(client: pg.Client, table: CapturedTable, selection: ObjectSelection): Promise<void> {
    await ensureWholeRows(client, table, selection, this.settings.serverMajor, this.settings.log);
    const member = await client.query(
      'SELECT 1 FROM pg_publication_tables WHERE pubname = $1 AND schemaname = $2 AND tablename = $3',
      [this.settings.publication, table.id.schema, table.id.table],
    );
    if (member.rowCount !== 0) return;
    const filter = this.settings.serverMajor >= 15 && table.rowFilter ? ` WHERE (${table.rowFilter})` : '';
    await client.query(`ALTER PUBLICATION ${quoteIdent(this.settings.publication)} ADD TABLE ${quoteQualified(table.id)}${filter}`);
  }

  /** Tells the sink to discard rows of an interrupted copy before the new chunks arrive. */
  private async publishResets(tables: readonly CapturedTable[], point: string): Promise<void> {
    const dispatcher = await this.settings.newDispatcher('add-0');
    try {
      for (const table of tables) {
        const marker: SnapshotChunk = {
          source: { db: this.settings.database, schema: table.id.schema, table: table.id.table, lsn: point, txId: null, commitTsMicros: null, snapshot: true, chunk: null },
          chunk: { id: `${table.key}#reset@${point}`, index: -1, rowCount: 0, range: null, last: false, reset: true },
          rows: [],
        };
        await dispatcher.add(this.settings.encoder.chunk(table, marker));
      }
      await dispatcher.commit();
    } finally {
      await dispatcher.close();
    }
  }

  private client(): Promise<pg.Client> {
    return openClient(this.settings.sourceUrl, { applicationName: 'ferry-capture-add', role: 'source' });
  }
}
