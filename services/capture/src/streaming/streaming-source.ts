import type { ChangeEvent, TransactionBoundary } from '@ferry/avro';
import type { Lsn } from '@ferry/core';
import type { Logger } from '@ferry/observability';
import {
  decodeAt,
  pgMicrosToEpochMs,
  PgoutputDecoder,
  RelationCache,
  supportsStreaming,
  type PgoutputMessage,
  type StreamCommitMessage,
  type ReplicationConnection,
  type ReplicationEvent,
  type ReplicationStream,
  type TruncateMessage,
} from '@ferry/pgoutput';
import type { CapturedTable } from '../captured-table.js';
import type { KafkaDispatcher, OutgoingRecord } from '../dispatch/kafka-dispatcher.js';
import type { RecordEncoder } from '../dispatch/record-encoder.js';
import type { CaptureMetrics } from '../capture-metrics.js';
import type { DdlCapture } from '../ddl/ddl-capture.js';
import { COMMIT_LSN_HEADER, SOURCE_SYSTEM_HEADER } from './captured-position.js';
import { changeToEvents, TransactionContext } from './change-events.js';
import { fillKeyChangeToast, type CurrentRowReader } from './key-change-toast.js';
import type { TransactionSpool } from './transaction-spool.js';

export interface StreamingSourceSettings {
  slot: string;
  publication: string;
  database: string;
  /** Partitions of each table topic (a TRUNCATE goes to all of them). */
  partitions: number;
  /** Source table "ferry.heartbeat": its changes become heartbeat events, not table events. */
  heartbeatTable: string;
  /** Source table "ferry.cutover_markers": this task's inserted rows become cutover marker records. */
  markerTable: string;
  /** The task's name: marker rows of other tasks sharing the source are not ours. */
  task: string;
  /** With DDL capture: source table "ferry.ddl_log" and what turns its rows into DDL events. */
  ddl?: { table: string; capture: DdlCapture };
  /** Per table: changes committed before this LSN are already in its (re-taken) snapshot. */
  streamFrom: ReadonlyMap<string, Lsn>;
  /**
   * Commit LSN of the newest source transaction already in Kafka (readCapturedPosition):
   * the slot may send it and earlier ones again after a restart of the source.
   */
  alreadyCaptured: Lsn | null;
  /** The source's system identifier, stamped on END records next to the commit LSN. */
  sourceSystem: string;
  /** Reads a row's current values from the source (unchanged TOAST of key-changing updates). */
  readCurrentRow: CurrentRowReader;
  /** Replication origins whose changes are skipped (Ferry's own writes, in backflow). */
  skipOrigins: (name: string) => boolean;
  /** Commit to Kafka at least this often while behind. */
  maxBatchMs: number;
  maxBatchRecords: number;
  throttle?: (records: number, bytes: number) => Promise<void>;
  /**
   * Runs on a tick between source transactions, after the commit (adding a table: see
   * TableAddition). Every transaction handled so far is before whatever position it takes.
   */
  betweenTransactions?: (publish: (record: OutgoingRecord) => Promise<void>) => Promise<void>;
  /**
   * Where streamed in-progress transactions wait for their commit. Given, and the source is
   * 14+: large transactions are streamed while open instead of spilled on the source.
   */
  spool?: TransactionSpool;
}

interface OpenTransaction {
  xid: number;
  lsn: Lsn;
  commitTsMicros: bigint;
  context: TransactionContext;
  counts: Map<string, bigint>;
  skip: boolean;
}

/** A periodic chance to commit what is batched (see eventsWithTicks). */
const TICK = Symbol('tick');

/** PostgreSQL's epoch (2000-01-01) in microseconds since the Unix epoch. */
const PG_EPOCH_MICROS = 946_684_800_000_000n;

/**
 * Streams committed changes from the slot into Kafka, in commit order. Each Kafka
 * transaction holds whole source transactions; the slot is confirmed only up to
 * the end of the last source transaction whose Kafka transaction has committed.
 */
export class StreamingSource {
  private readonly relations = new RelationCache();
  private stream: ReplicationStream | undefined;
  /** The source transaction being read, between its BEGIN and COMMIT. */
  private tx: OpenTransaction | null = null;
  /** End of the last source transaction whose events are in the open Kafka transaction. */
  private pendingConfirm: Lsn | null = null;
  private batchStartedAt = 0;
  /** Transactions skipped because Kafka already holds them. */
  private resent = 0;
  /** The streamed transaction whose block is open (between Stream Start and Stop). */
  private streamBlock: number | null = null;
  /** The spool in use: settings.spool on a source that can stream (14+), else none. */
  private spool: TransactionSpool | undefined;

  constructor(
    private readonly connection: ReplicationConnection,
    private readonly tables: ReadonlyMap<string, CapturedTable>,
    private readonly encoder: RecordEncoder,
    private readonly dispatcher: KafkaDispatcher,
    private readonly settings: StreamingSourceSettings,
    private readonly metrics: CaptureMetrics,
    private readonly log: Logger,
  ) {}

  /** Runs until `signal` aborts or the stream fails; commits what is complete before returning. */
  async run(signal: AbortSignal): Promise<void> {
    const spool = supportsStreaming(this.connection.serverMajor) ? this.settings.spool : undefined;
    this.spool = spool;
    // Whatever an earlier run spooled is streamed again from its first block.
    await spool?.reset();
    const stream = this.connection.startReplication({
      slotName: this.settings.slot,
      publications: [this.settings.publication],
      // Without it the source spills a large transaction to its own disk and sends it at commit.
      streaming: spool !== undefined,
      messages: false,
      isIdle: () => this.tx === null && this.pendingConfirm === null,
    });
    this.stream = stream;
    const stop = () => void stream.close();
    signal.addEventListener('abort', stop, { once: true });
    this.log.info({ slot: this.settings.slot }, 'streaming changes from the slot');
    try {
      for await (const event of this.eventsWithTicks(stream)) {
        if (event === TICK) {
          // Between transactions: commit those held back for batching, so the last one
          // before a pause in writes waits at most one tick.
          if (this.tx === null) {
            await this.flush();
            // What it publishes goes ahead of the next transaction's records, in the stream's order.
            await this.settings.betweenTransactions?.((record) => this.dispatcher.add(record));
            // Committed now, not with the next source transaction: a restart must not lose it.
            if (this.pendingConfirm === null && this.dispatcher.pendingRecords > 0) await this.dispatcher.commit();
          }
          continue;
        }
        await this.route(event, stream);
      }
      // Stopped on request: commit what is complete to Kafka. The stream is already
      // closing, so the slot may re-send it after a restart (duplicates after the last
      // confirmed commit are expected; the sink's applies are idempotent).
      await this.flush();
    } finally {
      // After a failure nothing is committed or confirmed here: the slot re-sends it.
      signal.removeEventListener('abort', stop);
      await stream.close();
      if (spool) {
        await spool.close();
        this.spoolMetrics(spool);
      }
    }
  }

  /**
   * The stream's events, with TICK every `maxBatchMs`. Waiting for the next event goes on in
   * the background while the loop handles a tick, and only the loop touches the dispatcher,
   * so a flush never interleaves with a transaction's records. One interval timer serves
   * all events (a timer per event would cost the hot path).
   */
  private async *eventsWithTicks(stream: ReplicationStream): AsyncGenerator<ReplicationEvent | typeof TICK> {
    const iterator = stream[Symbol.asyncIterator]();
    let next = iterator.next();
    let fire: () => void = () => undefined;
    const newTick = () => new Promise<typeof TICK>((resolve) => (fire = () => resolve(TICK)));
    let tick = newTick();
    const ticker = setInterval(() => fire(), this.settings.maxBatchMs);
    try {
      for (;;) {
        // A fired tick wins over a ready event: Promise.race settles with the first settled entry.
        const result = await Promise.race([tick, next]);
        if (result === TICK) {
          tick = newTick();
          yield TICK;
          continue;
        }
        if (result.done) return;
        yield result.value;
        next = iterator.next();
      }
    } finally {
      clearInterval(ticker);
      // The loop stopped early (failure or stop): the read still waiting must not surface as
      // an unhandled rejection when the stream closes under it.
      next.catch(() => undefined);
    }
  }

  /**
   * Messages of a streamed transaction go to its spool until the server says how it ended;
   * at Stream Commit they are handled like any transaction, in its place in commit order.
   */
  private async route(event: ReplicationEvent, stream: ReplicationStream): Promise<void> {
    const { message } = event;
    const spool = this.spool;
    if (!spool) return this.handle(message, stream);
    const block = this.streamBlock;
    switch (message.tag) {
      case 'stream-start':
        this.streamBlock = message.xid;
        return spool.startBlock(message.xid, message.firstSegment);
      case 'stream-stop':
        this.streamBlock = null;
        if (block !== null) await spool.endBlock(block);
        return this.spoolMetrics(spool);
      case 'stream-abort':
        await spool.abort(message.xid, message.subXid);
        return this.spoolMetrics(spool);
      case 'stream-commit':
        await this.replayStreamed(message, spool, stream);
        this.metrics.streamedTransactions += 1;
        return this.spoolMetrics(spool);
      default:
        if (block === null) return this.handle(message, stream);
        // An Origin message carries no xid: it belongs to the whole transaction.
        return spool.append(block, { xid: 'xid' in message && message.xid !== null ? message.xid : block, lsn: event.lsn, payload: event.payload });
    }
  }

  private spoolMetrics(spool: TransactionSpool): void {
    this.metrics.spool = { transactions: spool.openTransactions, bytes: spool.totalBytes };
  }

  private async replayStreamed(commit: StreamCommitMessage, spool: TransactionSpool, stream: ReplicationStream): Promise<void> {
    const bytes = spool.bytes(commit.xid);
    const started = Date.now();
    const decoder = new PgoutputDecoder({ insideStreamBlock: true });
    await this.handle({ tag: 'begin', finalLsn: commit.commitLsn, commitTime: commit.commitTime, xid: commit.xid }, stream);
    let messages = 0;
    for await (const spooled of spool.committed(commit.xid)) {
      await this.handle(decodeAt(decoder, spooled.payload, this.settings.slot, spooled.lsn), stream);
      messages += 1;
    }
    await this.handle({ tag: 'commit', flags: commit.flags, commitLsn: commit.commitLsn, endLsn: commit.endLsn, commitTime: commit.commitTime }, stream);
    await spool.discard(commit.xid);
    this.log.info(
      { xid: commit.xid, commitLsn: commit.commitLsn.toString(), messages, spooledBytes: bytes, ms: Date.now() - started },
      'a large transaction streamed while open has committed; its changes are published',
    );
  }

  private async handle(message: PgoutputMessage, stream: ReplicationStream): Promise<void> {
    const tx = this.tx;
    switch (message.tag) {
      case 'begin':
        this.tx = {
          xid: message.xid,
          lsn: message.finalLsn,
          commitTsMicros: message.commitTime,
          context: new TransactionContext(this.settings.database, message.xid, message.finalLsn.toString(), message.commitTime + PG_EPOCH_MICROS),
          counts: new Map(),
          skip: this.alreadyInKafka(message.finalLsn),
        };
        break;
      case 'origin':
        if (tx && this.settings.skipOrigins(message.originName)) tx.skip = true;
        break;
      case 'relation':
        this.relations.remember(message);
        await this.settings.ddl?.capture.onRelation(message);
        this.checkRelation(message.schema, message.table, message.columns);
        break;
      case 'insert':
      case 'update':
      case 'delete':
        if (tx && !tx.skip) await this.onRowChange(tx, this.relations.rowChange(message));
        break;
      case 'truncate':
        if (tx && !tx.skip) await this.onTruncate(tx, message);
        break;
      case 'commit':
        if (tx) await this.onCommit(tx, message.endLsn, stream);
        this.tx = null;
        break;
      default:
        // type, message and stream-* messages carry nothing Ferry needs here.
        break;
    }
  }

  private async onRowChange(tx: OpenTransaction, change: ReturnType<RelationCache['rowChange']>): Promise<void> {
    const key = `${change.relation.schema}.${change.relation.table}`;
    if (key === this.settings.heartbeatTable) {
      await this.dispatcher.add(
        this.encoder.heartbeat({ db: this.settings.database, lsn: tx.lsn.toString(), tsMs: BigInt(pgMicrosToEpochMs(tx.commitTsMicros)) }),
      );
      this.metrics.heartbeat(pgMicrosToEpochMs(tx.commitTsMicros));
      return;
    }
    if (key === this.settings.markerTable) {
      await this.onCutoverMarker(tx, change);
      return;
    }
    if (key === this.settings.ddl?.table) {
      // Its rows come inside the DDL's own transaction: later changes already use the new shape.
      if (change.op === 'insert' && change.after) {
        await this.settings.ddl.capture.onLogRow(change.after, tx.context, (record) => this.dispatcher.add(record));
      }
      return;
    }
    const table = this.tables.get(key);
    if (!table || !table.operations.has(change.op)) return;
    const from = this.settings.streamFrom.get(key);
    if (from && tx.lsn.isBefore(from)) return;
    // Only a key-changing update with unsent TOAST needs more (checked here: this runs per change).
    const complete = change.op === 'update' && change.unchangedToast.length > 0 ? await fillKeyChangeToast(change, table, this.settings.readCurrentRow) : change;
    const events = changeToEvents(complete, table, tx.context, BigInt(Date.now()));
    for (const event of events) {
      await this.dispatcher.add(this.encoder.change(table, event));
      if (event.value) this.count(tx, table);
    }
  }

  /**
   * A cutover marker goes to the heartbeat topic inside the same Kafka transaction stream
   * as the changes, after every change committed before it: once a consumer reading
   * committed data sees it, Kafka holds everything the source committed before the marker.
   */
  private async onCutoverMarker(tx: OpenTransaction, change: ReturnType<RelationCache['rowChange']>): Promise<void> {
    const id = change.after?.id;
    if (change.op !== 'insert' || change.after?.task !== this.settings.task || typeof id !== 'string') return;
    const commitMs = pgMicrosToEpochMs(tx.commitTsMicros);
    await this.dispatcher.add(this.encoder.cutoverMarker({ db: this.settings.database, lsn: tx.lsn.toString(), tsMs: BigInt(commitMs) }, id));
    this.log.info({ marker: id, lsn: tx.lsn.toString() }, 'cutover marker captured');
  }

  private async onTruncate(tx: OpenTransaction, message: TruncateMessage): Promise<void> {
    for (const relationId of message.relationIds) {
      const relation = this.relations.get(relationId);
      const table = this.tables.get(`${relation.schema}.${relation.table}`);
      if (!table || !table.operations.has('truncate')) continue;
      const from = this.settings.streamFrom.get(table.key);
      if (from && tx.lsn.isBefore(from)) continue;
      const event: ChangeEvent = {
        before: null,
        after: null,
        op: 't',
        source: tx.context.source(table),
        tsMs: BigInt(Date.now()),
        transaction: { id: tx.context.id, order: tx.context.nextOrder() },
        unchangedToast: [],
      };
      // Every partition gets the truncate, so each sink sees it in order with that partition's rows.
      for (let partition = 0; partition < this.settings.partitions; partition++) {
        await this.dispatcher.add(this.encoder.change(table, { key: null, value: event }, partition));
      }
      this.count(tx, table);
    }
  }

  private async onCommit(tx: OpenTransaction, endLsn: Lsn, stream: ReplicationStream): Promise<void> {
    if (tx.counts.size > 0) {
      let total = 0n;
      for (const n of tx.counts.values()) total += n;
      const boundary: TransactionBoundary = {
        status: 'END',
        id: String(tx.xid),
        eventCount: total,
        perTable: [...tx.counts].map(([table, count]) => ({ table, count })),
        lsn: tx.lsn.toString(),
        commitTsMicros: tx.commitTsMicros + PG_EPOCH_MICROS,
        tsMs: BigInt(Date.now()),
      };
      const record = this.encoder.transaction(boundary);
      // Read back by readCapturedPosition after a restart, without decoding the Avro value.
      record.headers = { ...record.headers, [COMMIT_LSN_HEADER]: tx.context.lsn, [SOURCE_SYSTEM_HEADER]: this.settings.sourceSystem };
      await this.dispatcher.add(record);
      this.metrics.transactionCaptured(Number(total), pgMicrosToEpochMs(tx.commitTsMicros));
    }
    this.pendingConfirm = endLsn;
    if (this.batchStartedAt === 0) this.batchStartedAt = Date.now();
    // Commit at once when caught up (low latency); batch while behind (throughput).
    const caughtUp = stream.bufferedFrames === 0;
    const due = Date.now() - this.batchStartedAt >= this.settings.maxBatchMs;
    if (caughtUp || due || this.dispatcher.pendingRecords >= this.settings.maxBatchRecords) await this.flush();
  }

  /** Commits the Kafka transaction, then lets the slot move to the last committed source transaction. */
  private async flush(): Promise<void> {
    const confirm = this.pendingConfirm;
    if (confirm === null) return;
    const records = this.dispatcher.pendingRecords;
    await this.dispatcher.commit();
    this.stream?.confirm(confirm);
    // Tell the server now rather than at the next status tick, so WAL is released promptly.
    this.stream?.sendStatus();
    this.metrics.committed(records, confirm);
    this.pendingConfirm = null;
    this.batchStartedAt = 0;
    if (this.settings.throttle && records > 0) await this.settings.throttle(records, 0);
  }

  /** True for a transaction the slot sends again although its events are already in Kafka. */
  private alreadyInKafka(commitLsn: Lsn): boolean {
    const captured = this.settings.alreadyCaptured;
    if (captured === null || commitLsn.isAfter(captured)) return false;
    this.resent += 1;
    if (this.resent === 1) this.log.info({ commitLsn: commitLsn.toString(), capturedThrough: captured.toString() }, 'skipping transactions the slot sent again that are already in Kafka');
    return true;
  }

  private count(tx: OpenTransaction, table: CapturedTable): void {
    tx.counts.set(table.key, (tx.counts.get(table.key) ?? 0n) + 1n);
  }

  private checkRelation(schema: string, table: string, columns: readonly { name: string; typeOid: number }[]): void {
    const captured = this.tables.get(`${schema}.${table}`);
    if (captured && !captured.sameColumnsAs(columns) && !this.settings.ddl) {
      this.log.warn(
        { table: captured.key },
        'the table changed shape during sync; its events keep the columns capture started with (schema changes arrive with DDL capture)',
      );
    }
  }
}

