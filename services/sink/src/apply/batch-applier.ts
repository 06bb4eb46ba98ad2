import type { DdlEvent } from '@ferry/avro';
import type { ObjectSelection } from '@ferry/config';
import { DataError, FerryError, TableId } from '@ferry/core';
import { copyIn } from '@ferry/pg';
import type { Logger } from '@ferry/observability';
import type pg from 'pg';
import { renameColumns, type DecodedChange, type DecodedChunk } from '../event-decoder.js';
import {
  advancePartitionOffsets,
  arriveAtTruncate,
  lockPartitionOffset,
  markApplied,
  markSnapshotRows,
  recordDeadLetters,
  recordMarker,
  resetSnapshotRows,
  storePartitionOffset,
} from '../sink-state.js';
import { reduceBatch, type ApplyStep, type KeyAction } from './batch-reducer.js';
import { eventFailure, isEventError, UnappliableEventError, type EventFailure } from './event-failure.js';
import type { BufferedChange } from './transaction-buffer.js';
import type { RowEvent, TextValue } from './row-event.js';
import {
  deleteByKeys,
  deleteWholeRow,
  insertRows,
  truncateTable,
  updateByKeys,
  updateWholeRow,
  upsertRows,
  type Statement,
  type TargetTable,
} from './statement-builder.js';
import { readTargetTable } from './target-tables.js';
import { RowTransforms, sourceColumnsOf } from './transforms.js';
import { applyDdlEvent } from './ddl-applier.js';

/** One Kafka message, decoded. */
export type SinkMessage =
  | { offset: bigint; kind: 'change'; change: DecodedChange }
  | { offset: bigint; kind: 'chunk'; chunk: DecodedChunk }
  /** A source heartbeat: records how far behind the destination is, even when tables are idle. */
  | { offset: bigint; kind: 'heartbeat'; lsn: string; commitMs: number }
  /** A cutover marker: recorded as received; `ferry cutover` decides when it is drained. */
  | { offset: bigint; kind: 'marker'; id: string; lsn: string }
  /** A tombstone: only there for compaction. */
  | { offset: bigint; kind: 'skip' }
  /** A captured schema change: applied once every partition of the table's topic has reached it. */
  | { offset: bigint; kind: 'ddl'; event: DdlEvent }
  /** A message that could not be decoded: a failure like a refused row. */
  | { offset: bigint; kind: 'undecodable'; failure: EventFailure };

/** What the sink decides about refused events; see SinkService. */
export interface FailureHandling {
  /**
   * With dead letters on, the careful pass goes on past a refused event to find every
   * one of the batch; without, it stops at the first.
   */
  collectAll: boolean;
  /** Asked with every refused event of the batch: true sets them aside and commits the rest. */
  deadLetter(failures: readonly EventFailure[]): boolean;
  /** Inside the transaction, just before COMMIT: publish the dead letters (at least once). */
  publish(failures: readonly EventFailure[]): Promise<void>;
  /** Where dead letters go, recorded with them in ferry.sink_dead_letters. */
  deadLetterTopic: string;
}

/** Without dead letters: the first refused event fails the batch. */
const STOP_AT_FIRST: FailureHandling = { collectAll: false, deadLetter: () => false, publish: async () => undefined, deadLetterTopic: '' };

export interface BatchOutcome {
  /** The next offset to read: past everything applied or skipped. */
  nextOffset: bigint;
  applied: number;
  /** Set when the batch stopped at a TRUNCATE waiting for other partitions. */
  waitingAt: bigint | null;
  lastCommitMs: number | null;
  /** Events set aside (dead letters) in this batch. */
  deadLetters: EventFailure[];
}

/** One attempt at a batch: fast (reduced, multi-row) or careful (event by event, each in a savepoint). */
interface Pass {
  topic: string;
  partition: number;
  partitions: number;
  careful: boolean;
  handling: FailureHandling;
  failures: EventFailure[];
  /** Change events among the failures (counted as applied until refused). */
  refusedChanges: number;
}

/** The sink_tables row that holds the newest applied source heartbeat. */
export const HEARTBEAT_KEY = '_heartbeat';

/** The sink_tables row that holds the commit LSN of the last source transaction applied whole (sink.mode transactional). */
export const TRANSACTIONS_KEY = '_transactions';

/** Rows per statement: big enough to amortize, small enough for PostgreSQL's parameter handling. */
const ROWS_PER_STATEMENT = 5_000;

/**
 * Applies one partition's batch in one destination transaction, together with
 * the partition's next offset. Events at offsets the destination already holds
 * are skipped, so redelivery after a crash or rebalance changes nothing.
 */
export class BatchApplier {
  private readonly targets = new Map<string, Promise<TargetTable>>();
  private readonly transforms: RowTransforms;

  constructor(
    private readonly group: string,
    private readonly selection: ObjectSelection,
    private readonly log: Logger,
  ) {
    this.transforms = new RowTransforms(selection);
  }

  /**
   * `endOffset`: the offset after the batch's last record, counting records the consumer
   * filtered out (transaction markers, aborted writes). When the whole batch is applied the
   * stored offset moves there, so a fully applied partition stores its end offset.
   */
  async apply(
    client: pg.ClientBase,
    topic: string,
    partition: number,
    partitions: number,
    messages: readonly SinkMessage[],
    endOffset?: bigint,
    handling: FailureHandling = STOP_AT_FIRST,
  ): Promise<BatchOutcome> {
    const pass = (careful: boolean): Pass => ({ topic, partition, partitions, careful, handling, failures: [], refusedChanges: 0 });
    try {
      return await this.applyPass(client, topic, partition, messages, endOffset, pass(false));
    } catch (error) {
      if (!isEventError(error)) throw error;
      // Only on this failure path: again, event by event, to name (or set aside) the refused ones.
      return await this.applyPass(client, topic, partition, messages, endOffset, pass(true));
    }
  }

  private async applyPass(
    client: pg.ClientBase,
    topic: string,
    partition: number,
    messages: readonly SinkMessage[],
    endOffset: bigint | undefined,
    pass: Pass,
  ): Promise<BatchOutcome> {
    await client.query('BEGIN');
    try {
      const next = await lockPartitionOffset(client, this.group, topic, partition);
      const fresh = messages.filter((m) => m.offset >= next);
      const outcome = await this.applyFresh(client, pass, fresh, next);
      if (pass.failures.length > 0) {
        if (!pass.handling.deadLetter(pass.failures)) throw new UnappliableEventError(topic, partition, pass.failures);
        outcome.deadLetters = pass.failures;
        outcome.applied -= pass.refusedChanges;
        await recordDeadLetters(client, this.group, topic, partition, pass.failures, pass.handling.deadLetterTopic);
      }
      if (outcome.waitingAt === null && endOffset !== undefined && endOffset > outcome.nextOffset) outcome.nextOffset = endOffset;
      await storePartitionOffset(client, this.group, topic, partition, outcome.nextOffset);
      if (outcome.deadLetters.length > 0) await pass.handling.publish(outcome.deadLetters);
      await client.query('COMMIT');
      return outcome;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /**
   * sink.mode transactional: one whole source transaction in one destination transaction,
   * together with the next offset of the transaction topic and the cuts of the table
   * partitions that moved (see TransactionBuffer.cuts). Returns null when the destination already
   * holds this transaction (its stored transaction-topic offset is past the END).
   */
  async applyTransaction(
    client: pg.ClientBase,
    transactionsTopic: string,
    endOffset: bigint,
    end: { lsn: string; commitMs: number | null },
    changes: readonly BufferedChange[],
    cuts: readonly { topic: string; partition: number; next: bigint }[],
  ): Promise<BatchOutcome | null> {
    const attempt = async (careful: boolean): Promise<BatchOutcome | null> => {
      await client.query('BEGIN');
      try {
        // The transaction topic's row is the one lock: every write of this mode's offsets happens under it.
        if ((await lockPartitionOffset(client, this.group, transactionsTopic, 0)) > endOffset) {
          await client.query('ROLLBACK');
          return null;
        }
        // One "partition": commit order makes the per-partition TRUNCATE barrier unnecessary.
        const pass: Pass = { topic: transactionsTopic, partition: 0, partitions: 1, careful, handling: STOP_AT_FIRST, failures: [], refusedChanges: 0 };
        const outcome = await this.applyFresh(client, pass, changes.map((c) => ({ offset: c.offset, kind: 'change' as const, change: c.change })), 0n);
        await storePartitionOffset(client, this.group, transactionsTopic, 0, endOffset + 1n);
        await advancePartitionOffsets(client, this.group, cuts);
        await markApplied(client, this.group, TRANSACTIONS_KEY, end.lsn, end.commitMs);
        await client.query('COMMIT');
        return { ...outcome, lastCommitMs: end.commitMs ?? outcome.lastCommitMs };
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    };
    try {
      try {
        return await attempt(false);
      } catch (error) {
        if (!isEventError(error)) throw error;
        return await attempt(true);
      }
    } catch (error) {
      // The refused event is reported at the transaction's END: that is what is retried.
      if (error instanceof UnappliableEventError) {
        throw new UnappliableEventError(transactionsTopic, 0, error.failures.map((f) => ({ ...f, offset: endOffset })));
      }
      throw error;
    }
  }

  /** Forget cached table descriptions (after a schema change on the destination). */
  forgetTargets(): void {
    this.targets.clear();
  }

  private async applyFresh(client: pg.ClientBase, pass: Pass, messages: readonly SinkMessage[], next: bigint): Promise<BatchOutcome> {
    let nextOffset = next;
    let applied = 0;
    let lastCommitMs: number | null = null;
    // Consecutive change events of one table are reduced together.
    let run: { change: DecodedChange; offset: bigint }[] = [];
    const flushRun = async (): Promise<bigint | null> => {
      if (run.length === 0) return null;
      const events = run;
      run = [];
      const waitingAt = await this.applyChanges(client, events, pass);
      const done = waitingAt === null ? events : events.filter((e) => e.offset < waitingAt);
      applied += done.length;
      const last = done[done.length - 1];
      if (last) {
        const ts = last.change.event.source.commitTsMicros;
        lastCommitMs = ts === null ? lastCommitMs : Number(ts / 1000n);
        await markApplied(client, this.group, last.change.sourceTable, last.change.event.source.lsn, lastCommitMs);
      }
      return waitingAt;
    };

    for (const message of messages) {
      if (message.kind === 'change') {
        if (run.length > 0 && run[0]!.change.sourceTable !== message.change.sourceTable) {
          const waitingAt = await flushRun();
          if (waitingAt !== null) return { nextOffset: waitingAt, applied, waitingAt, lastCommitMs, deadLetters: [] };
        }
        run.push({ change: message.change, offset: message.offset });
      } else {
        const waitingAt = await flushRun();
        if (waitingAt !== null) return { nextOffset: waitingAt, applied, waitingAt, lastCommitMs, deadLetters: [] };
        if (message.kind === 'chunk') applied += await this.applyChunk(client, message.chunk, message.offset, pass);
        if (message.kind === 'undecodable') this.refused(pass, message.failure);
        if (message.kind === 'ddl' && (await this.arriveAtDdl(client, pass, message.event)) === 'wait') {
          return { nextOffset: message.offset, applied, waitingAt: message.offset, lastCommitMs, deadLetters: [] };
        }
        if (message.kind === 'heartbeat') {
          await markApplied(client, this.group, HEARTBEAT_KEY, message.lsn, message.commitMs);
          // An idle source still moves the lag: the heartbeat's commit time is as applied as any change.
          lastCommitMs = message.commitMs;
        }
        if (message.kind === 'marker') {
          await recordMarker(client, this.group, message.id, message.lsn);
          this.log.info({ marker: message.id, lsn: message.lsn }, 'cutover marker received');
        }
      }
      nextOffset = message.offset + 1n;
    }
    const waitingAt = await flushRun();
    if (waitingAt !== null) return { nextOffset: waitingAt, applied, waitingAt, lastCommitMs, deadLetters: [] };
    return { nextOffset, applied, waitingAt: null, lastCommitMs, deadLetters: [] };
  }

  /**
   * A schema change is a barrier like TRUNCATE: the partition that completes the set applies it
   * (inside this transaction, with its offset); earlier ones wait, later ones find it done.
   */
  private async arriveAtDdl(client: pg.ClientBase, pass: Pass, event: DdlEvent): Promise<'wait' | 'done'> {
    const decision = await arriveAtTruncate(client, this.group, pass.topic, `ddl ${event.id}`, pass.partition, pass.partitions);
    if (decision === 'wait') return 'wait';
    if (decision === 'run') await applyDdlEvent(client, event, { selection: this.selection, group: this.group, log: this.log });
    // Applied here or by another sink process: cached table descriptions are stale either way.
    this.forgetTargets();
    return 'done';
  }

  /** A refused event: remembered for the end of the pass, or the end of the batch right away. */
  private refused(pass: Pass, failure: EventFailure): void {
    pass.failures.push(failure);
    if (!pass.handling.collectAll) throw new UnappliableEventError(pass.topic, pass.partition, pass.failures);
  }

  /** Careful pass: one event (or row) in its own savepoint, so a refusal undoes only it. */
  private async attempt(client: pg.ClientBase, pass: Pass, offset: bigint, table: string, key: Record<string, TextValue> | null, work: () => Promise<void>): Promise<boolean> {
    await client.query('SAVEPOINT ferry_event');
    try {
      await work();
      await client.query('RELEASE SAVEPOINT ferry_event');
      return true;
    } catch (error) {
      await client.query('ROLLBACK TO SAVEPOINT ferry_event');
      if (!isEventError(error)) throw error;
      this.refused(pass, eventFailure(error, offset, table, key));
      return false;
    }
  }

  private async applyChunk(client: pg.ClientBase, chunk: DecodedChunk, offset: bigint, pass: Pass): Promise<number> {
    if (chunk.chunk.chunk.reset) {
      // The table's snapshot starts over (capture re-took it after a crash): drop the rows so far.
      const target = await this.target(client, chunk.schema, chunk.table);
      await run(client, truncateTable(target));
      await resetSnapshotRows(client, this.group, chunk.sourceTable);
      this.log.info({ table: chunk.sourceTable }, 'snapshot of table restarted by capture; earlier rows discarded');
      return 0;
    }
    if (chunk.chunk.chunk.last) {
      await markSnapshotRows(client, this.group, chunk.sourceTable, 0, true);
      this.log.info({ table: chunk.sourceTable }, 'snapshot of table applied; its changes follow');
      return 0;
    }
    const target = await this.target(client, chunk.schema, chunk.table);
    const destColumns = chunk.columns.map((c) => this.selection.destinationColumn(chunk.schema, chunk.table, c));
    const keep = destColumns.map((c) => target.types.has(c) && !target.generated.has(c));
    const columns = destColumns.filter((_, i) => keep[i]);
    // objects.transform: computed and masked values, dropped rows left out (apply/transforms.ts).
    const rows = await this.transforms.chunkRows(client, target, chunk, columns, chunk.rows.map((row) => row.filter((_, i) => keep[i])), chunk.columns.filter((_, i) => keep[i]));
    const objects = () => rows.map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i] ?? null])));
    let applied = rows.length;
    if (pass.careful) {
      // Row by row, so a refused row names its key and the others still go in.
      const table = `${target.schema}.${target.table}`;
      for (const row of objects()) {
        const key = target.keyColumns.length ? pick(row, target.keyColumns) : null;
        const write = target.keyColumns.length ? upsertRows(target, [row]) : insertRows(target, [row]);
        if (!(await this.attempt(client, pass, offset, table, key, () => run(client, write)))) applied -= 1;
      }
      await markSnapshotRows(client, this.group, chunk.sourceTable, applied, false);
      return applied;
    }
    await client.query('SAVEPOINT ferry_chunk');
    try {
      await copyIn(client, new TableId(target.schema, target.table), columns, rows);
      await client.query('RELEASE SAVEPOINT ferry_chunk');
    } catch (error) {
      await client.query('ROLLBACK TO SAVEPOINT ferry_chunk');
      // A chunk read again after a capture restart finds its rows present: merge instead.
      const sqlstate = error instanceof FerryError ? error.context.sqlstate : (error as { code?: string }).code;
      if (sqlstate !== '23505' || target.keyColumns.length === 0) throw error;
      const all = objects();
      for (let i = 0; i < all.length; i += ROWS_PER_STATEMENT) {
        await run(client, upsertRows(target, all.slice(i, i + ROWS_PER_STATEMENT)));
      }
    }
    await markSnapshotRows(client, this.group, chunk.sourceTable, applied, false);
    return applied;
  }

  /** Applies a run of one table's changes; returns the offset of a TRUNCATE that must wait, else null. */
  private async applyChanges(client: pg.ClientBase, changes: readonly { change: DecodedChange; offset: bigint }[], pass: Pass): Promise<bigint | null> {
    const { schema, table } = changes[0]!.change;
    const target = await this.target(client, schema, table);
    const keep = (c: string) => target.types.has(c);
    const decoded: RowEvent[] = changes.map(({ change, offset }) => {
      const after = renameColumns(change.after, this.selection, schema, table, keep);
      const before = renameColumns(change.before, this.selection, schema, table, keep);
      const keySource = change.event.op === 'd' ? before : after;
      const key = target.keyColumns.length && keySource ? pick(keySource, target.keyColumns) : null;
      const unchangedToast = change.event.unchangedToast.map((c) => this.selection.destinationColumn(schema, table, c));
      if (after) for (const c of unchangedToast) delete after[c];
      return { op: change.event.op as RowEvent['op'], key, before, after, unchangedToast, offset: offset.toString(), lsn: change.event.source.lsn };
    });
    // objects.transform: computed and masked values, dropped rows kept out (apply/transforms.ts).
    const events = await this.transforms.events(client, target, { schema, table }, decoded, sourceColumnsOf(changes));
    if (!pass.careful) return this.applySteps(client, target, reduceBatch(events, target.keyColumns), pass, `${schema}.${table}`);
    // Careful pass: no reduction, each event alone, so the refused one is exactly named.
    for (const event of events) {
      if (event.op === 't') {
        const waitingAt = await this.applySteps(client, target, reduceBatch([event], target.keyColumns), pass, `${schema}.${table}`);
        if (waitingAt !== null) return waitingAt;
        continue;
      }
      const ok = await this.attempt(client, pass, BigInt(event.offset), `${target.schema}.${target.table}`, event.key, async () => {
        await this.applySteps(client, target, reduceBatch([event], target.keyColumns), pass, `${schema}.${table}`);
      });
      if (!ok) pass.refusedChanges += 1;
    }
    return null;
  }

  private async applySteps(client: pg.ClientBase, target: TargetTable, steps: readonly ApplyStep[], pass: Pass, sourceTable: string): Promise<bigint | null> {
    for (const step of steps) {
      if (step.kind === 'keyed') await this.applyKeyed(client, target, step.actions);
      else if (step.kind === 'keyless') await this.applyKeyless(client, target, step.events);
      else {
        const decision = await arriveAtTruncate(client, this.group, sourceTable, step.event.lsn, pass.partition, pass.partitions);
        if (decision === 'wait') return BigInt(step.event.offset);
        if (decision === 'run') await run(client, truncateTable(target));
      }
    }
    return null;
  }

  private async applyKeyed(client: pg.ClientBase, target: TargetTable, actions: readonly KeyAction[]): Promise<void> {
    const deletes: Record<string, TextValue>[] = [];
    const upserts: Record<string, TextValue>[] = [];
    const updates = new Map<string, { key: Record<string, TextValue>; set: Record<string, TextValue> }[]>();
    for (const action of actions) {
      if (action.kind === 'delete') deletes.push(action.key);
      else if (action.kind === 'upsert') upserts.push(action.row);
      else {
        const signature = Object.keys(action.set).sort().join('\u0000');
        const group = updates.get(signature);
        if (group) group.push(action);
        else updates.set(signature, [action]);
      }
    }
    for (let i = 0; i < deletes.length; i += ROWS_PER_STATEMENT) await run(client, deleteByKeys(target, deletes.slice(i, i + ROWS_PER_STATEMENT)));
    for (const rows of groupByColumns(upserts)) {
      for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) await run(client, upsertRows(target, rows.slice(i, i + ROWS_PER_STATEMENT)));
    }
    for (const rows of updates.values()) {
      for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) await run(client, updateByKeys(target, rows.slice(i, i + ROWS_PER_STATEMENT)));
    }
  }

  private async applyKeyless(client: pg.ClientBase, target: TargetTable, events: readonly RowEvent[]): Promise<void> {
    let inserts: Record<string, TextValue>[] = [];
    const flushInserts = async () => {
      for (const rows of groupByColumns(inserts)) await run(client, insertRows(target, rows));
      inserts = [];
    };
    for (const event of events) {
      if (event.op === 'c') {
        inserts.push(event.after!);
        continue;
      }
      await flushInserts();
      if (!event.before) {
        throw new DataError(`an ${event.op === 'd' ? 'delete' : 'update'} of ${target.schema}.${target.table} carries no old row`, {
          context: { table: `${target.schema}.${target.table}`, offset: event.offset, lsn: event.lsn },
          fix: 'a table without a key needs REPLICA IDENTITY FULL on the source (capture sets it; check it was not changed)',
        });
      }
      await run(client, event.op === 'd' ? deleteWholeRow(target, event.before) : updateWholeRow(target, event.before, event.after!));
    }
    await flushInserts();
  }

  private target(client: pg.ClientBase, schema: string, table: string): Promise<TargetTable> {
    const dest = this.selection.destinationTable(schema, table);
    const key = `${dest.schema}.${dest.table}`;
    let target = this.targets.get(key);
    if (!target) {
      target = readTargetTable(client, dest.schema, dest.table);
      this.targets.set(key, target);
      target.catch(() => this.targets.delete(key));
    }
    return target;
  }
}

async function run(client: pg.ClientBase, statement: Statement | null): Promise<void> {
  if (statement) await client.query(statement.text, statement.values);
}

function pick(row: Record<string, TextValue>, columns: readonly string[]): Record<string, TextValue> {
  const out: Record<string, TextValue> = {};
  for (const c of columns) out[c] = row[c] ?? null;
  return out;
}

/** Rows with the same columns can share one multi-row statement. */
function groupByColumns(rows: readonly Record<string, TextValue>[]): Record<string, TextValue>[][] {
  const groups = new Map<string, Record<string, TextValue>[]>();
  for (const row of rows) {
    const signature = Object.keys(row).join('\u0000');
    const group = groups.get(signature);
    if (group) group.push(row);
    else groups.set(signature, [row]);
  }
  return [...groups.values()];
}
