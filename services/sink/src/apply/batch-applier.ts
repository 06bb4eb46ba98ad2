import type { ObjectSelection } from '@ferry/config';
import { DataError, FerryError, TableId } from '@ferry/core';
import { copyIn } from '@ferry/pg';
import type { Logger } from '@ferry/observability';
import type pg from 'pg';
import { renameColumns, type DecodedChange, type DecodedChunk } from '../event-decoder.js';
import {
  arriveAtTruncate,
  lockPartitionOffset,
  markApplied,
  markSnapshotRows,
  recordMarker,
  resetSnapshotRows,
  storePartitionOffset,
} from '../sink-state.js';
import { reduceBatch, type KeyAction } from './batch-reducer.js';
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

/** One Kafka message, decoded. */
export type SinkMessage =
  | { offset: bigint; kind: 'change'; change: DecodedChange }
  | { offset: bigint; kind: 'chunk'; chunk: DecodedChunk }
  /** A source heartbeat: records how far behind the destination is, even when tables are idle. */
  | { offset: bigint; kind: 'heartbeat'; lsn: string; commitMs: number }
  /** A cutover marker: recorded as received; `ferry cutover` decides when it is drained. */
  | { offset: bigint; kind: 'marker'; id: string; lsn: string }
  /** A tombstone: only there for compaction. */
  | { offset: bigint; kind: 'skip' };

export interface BatchOutcome {
  /** The next offset to read: past everything applied or skipped. */
  nextOffset: bigint;
  applied: number;
  /** Set when the batch stopped at a TRUNCATE waiting for other partitions. */
  waitingAt: bigint | null;
  lastCommitMs: number | null;
}

/** The sink_tables row that holds the newest applied source heartbeat. */
export const HEARTBEAT_KEY = '_heartbeat';

/** Rows per statement: big enough to amortize, small enough for PostgreSQL's parameter handling. */
const ROWS_PER_STATEMENT = 5_000;

/**
 * Applies one partition's batch in one destination transaction, together with
 * the partition's next offset. Events at offsets the destination already holds
 * are skipped, so redelivery after a crash or rebalance changes nothing.
 */
export class BatchApplier {
  private readonly targets = new Map<string, Promise<TargetTable>>();

  constructor(
    private readonly group: string,
    private readonly selection: ObjectSelection,
    private readonly log: Logger,
  ) {}

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
  ): Promise<BatchOutcome> {
    await client.query('BEGIN');
    try {
      const next = await lockPartitionOffset(client, this.group, topic, partition);
      const fresh = messages.filter((m) => m.offset >= next);
      const outcome = await this.applyFresh(client, partition, partitions, fresh, next);
      if (outcome.waitingAt === null && endOffset !== undefined && endOffset > outcome.nextOffset) outcome.nextOffset = endOffset;
      await storePartitionOffset(client, this.group, topic, partition, outcome.nextOffset);
      await client.query('COMMIT');
      return outcome;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /** Forget cached table descriptions (after a schema change on the destination). */
  forgetTargets(): void {
    this.targets.clear();
  }

  private async applyFresh(client: pg.ClientBase, partition: number, partitions: number, messages: readonly SinkMessage[], next: bigint): Promise<BatchOutcome> {
    let nextOffset = next;
    let applied = 0;
    let lastCommitMs: number | null = null;
    // Consecutive change events of one table are reduced together.
    let run: { change: DecodedChange; offset: bigint }[] = [];
    const flushRun = async (): Promise<bigint | null> => {
      if (run.length === 0) return null;
      const events = run;
      run = [];
      const waitingAt = await this.applyChanges(client, events, partition, partitions);
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
          if (waitingAt !== null) return { nextOffset: waitingAt, applied, waitingAt, lastCommitMs };
        }
        run.push({ change: message.change, offset: message.offset });
      } else {
        const waitingAt = await flushRun();
        if (waitingAt !== null) return { nextOffset: waitingAt, applied, waitingAt, lastCommitMs };
        if (message.kind === 'chunk') applied += await this.applyChunk(client, message.chunk);
        if (message.kind === 'heartbeat') await markApplied(client, this.group, HEARTBEAT_KEY, message.lsn, message.commitMs);
        if (message.kind === 'marker') {
          await recordMarker(client, this.group, message.id, message.lsn);
          this.log.info({ marker: message.id, lsn: message.lsn }, 'cutover marker received');
        }
      }
      nextOffset = message.offset + 1n;
    }
    const waitingAt = await flushRun();
    if (waitingAt !== null) return { nextOffset: waitingAt, applied, waitingAt, lastCommitMs };
    return { nextOffset, applied, waitingAt: null, lastCommitMs };
  }

  private async applyChunk(client: pg.ClientBase, chunk: DecodedChunk): Promise<number> {
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
    const rows = chunk.rows.map((row) => row.filter((_, i) => keep[i]));
    await client.query('SAVEPOINT ferry_chunk');
    try {
      await copyIn(client, new TableId(target.schema, target.table), columns, rows);
      await client.query('RELEASE SAVEPOINT ferry_chunk');
    } catch (error) {
      await client.query('ROLLBACK TO SAVEPOINT ferry_chunk');
      // A chunk read again after a capture restart finds its rows present: merge instead.
      const sqlstate = error instanceof FerryError ? error.context.sqlstate : (error as { code?: string }).code;
      if (sqlstate !== '23505' || target.keyColumns.length === 0) throw error;
      const objects = rows.map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i] ?? null])));
      for (let i = 0; i < objects.length; i += ROWS_PER_STATEMENT) {
        await run(client, upsertRows(target, objects.slice(i, i + ROWS_PER_STATEMENT)));
      }
    }
    await markSnapshotRows(client, this.group, chunk.sourceTable, rows.length, false);
    return rows.length;
  }

  /** Applies a run of one table's changes; returns the offset of a TRUNCATE that must wait, else null. */
  private async applyChanges(client: pg.ClientBase, changes: readonly { change: DecodedChange; offset: bigint }[], partition: number, partitions: number): Promise<bigint | null> {
    const { schema, table } = changes[0]!.change;
    const target = await this.target(client, schema, table);
    const keep = (c: string) => target.types.has(c);
    const events: RowEvent[] = changes.map(({ change, offset }) => {
      const after = renameColumns(change.after, this.selection, schema, table, keep);
      const before = renameColumns(change.before, this.selection, schema, table, keep);
      const keySource = change.event.op === 'd' ? before : after;
      const key = target.keyColumns.length && keySource ? pick(keySource, target.keyColumns) : null;
      const unchangedToast = change.event.unchangedToast.map((c) => this.selection.destinationColumn(schema, table, c));
      if (after) for (const c of unchangedToast) delete after[c];
      return { op: change.event.op as RowEvent['op'], key, before, after, unchangedToast, offset: offset.toString(), lsn: change.event.source.lsn };
    });
    for (const step of reduceBatch(events, target.keyColumns)) {
      if (step.kind === 'keyed') await this.applyKeyed(client, target, step.actions);
      else if (step.kind === 'keyless') await this.applyKeyless(client, target, step.events);
      else {
        const decision = await arriveAtTruncate(client, this.group, `${schema}.${table}`, step.event.lsn, partition, partitions);
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
