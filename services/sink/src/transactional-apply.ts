import { DDL_EVENT_HEADER } from '@ferry/avro';
import { FerryError, InvariantError, Lsn, type Throttle } from '@ferry/core';
import type { Logger } from '@ferry/observability';
import type { EachBatchPayload } from 'kafkajs';
import { TRANSACTIONS_KEY, type BatchApplier } from './apply/batch-applier.js';
import { eventFailure, UnappliableEventError } from './apply/event-failure.js';
import { TransactionBuffer } from './apply/transaction-buffer.js';
import type { SinkClientPool } from './client-pool.js';
import type { EventDecoder } from './event-decoder.js';
import type { SinkMetrics } from './sink-metrics.js';
import { readAppliedLsn } from './sink-state.js';

export interface TransactionalApplyDependencies {
  groupId: string;
  transactionsTopic: string;
  /** Events held at most, beyond those of the transaction being completed. */
  maxBuffered: number;
  /** Whether the snapshot is part of the task (then a table's changes wait for it). */
  gated: boolean;
  applier: BatchApplier;
  pool: SinkClientPool;
  decoder: EventDecoder;
  metrics: SinkMetrics;
  storedOffsets: Map<string, bigint>;
  throttle: Throttle | undefined;
  log: Logger;
  snapshotApplied(table: string): Promise<boolean>;
  pauseAndRetry(topic: string, partition: number, offset: string, pauseMs: number): void;
  /** The sink's answer to a refused event: retry after a pause, or stop once the window has passed. */
  refused(error: UnappliableEventError, offset: bigint): void;
}

/** How long a partition waits before trying again to complete a transaction or find room. */
const WAIT_MS = 100;
const GATE_RETRY_MS = 1_000;

/**
 * sink.mode transactional: whole source transactions, in commit order, each in one
 * destination transaction (for destinations read during sync). Table partitions only
 * fill a TransactionBuffer; the `<prefix>._transactions` partition applies each END once
 * the buffer holds every event it counts, with the offsets of every partition read.
 * Snapshot and heartbeat topics are applied per partition as in the default mode.
 * See docs/decisions.md, "Transaction-consistent apply".
 */
export class TransactionalApply {
  private readonly buffer = new TransactionBuffer();
  /** Commit LSN of the last transaction applied: older ones seen again (capture replays) are skipped. */
  private appliedLsn: Lsn | null = null;
  /** Commit LSN of the END being completed: its events are let in even when the buffer is full. */
  private completing: Lsn | null = null;

  constructor(private readonly deps: TransactionalApplyDependencies) {}

  /** At the start of a run: where the destination is. */
  async start(): Promise<void> {
    const lsn = await this.deps.pool.use((client) => readAppliedLsn(client, this.deps.groupId, TRANSACTIONS_KEY));
    this.appliedLsn = lsn === null ? null : Lsn.parse(lsn);
    this.buffer.clear();
  }

  /** On every assignment: partitions are read again from the destination's offsets. */
  reset(): void {
    this.buffer.clear();
    this.completing = null;
  }

  handles(topic: string, isSnapshot: boolean, heartbeatTopic: string): boolean {
    return topic === this.deps.transactionsTopic || (!isSnapshot && topic !== heartbeatTopic);
  }

  async handleBatch(payload: EachBatchPayload): Promise<void> {
    if (payload.batch.topic === this.deps.transactionsTopic) await this.applyEnds(payload);
    else await this.hold(payload);
  }

  /** A table partition: decode and hold its events until their transaction is complete. */
  private async hold({ batch, resolveOffset, heartbeat, isStale, isRunning }: EachBatchPayload): Promise<void> {
    const { topic, partition, messages } = batch;
    for (const m of messages) {
      if (!isRunning() || isStale()) return;
      const offset = BigInt(m.offset);
      if (m.headers?.[DDL_EVENT_HEADER] !== undefined) {
        throw new FerryError('UNSUPPORTED', `a schema change arrived on ${topic}; sink.mode transactional does not apply schema changes yet`, {
          context: { topic, partition, offset: m.offset },
          fix: 'apply this part of the stream with sink.mode: partition (the default), or leave schema changes out of the sync (ddl.capture: false)',
        });
      }
      if (m.value !== null) {
        let change;
        try {
          change = await this.deps.decoder.change(m.value);
        } catch (error) {
          throw new UnappliableEventError(topic, partition, [eventFailure(error, offset, null, null)], true);
        }
        if (!change.event.transaction) {
          throw new InvariantError(`the change event at ${topic} partition ${partition} offset ${offset} belongs to no transaction`, {
            context: { topic, partition, offset: m.offset },
            fix: 'sink.mode transactional needs change events written by Ferry capture (they carry transaction.id and order)',
          });
        }
        const lsn = Lsn.parse(change.event.source.lsn);
        const duplicate = this.appliedLsn !== null && !lsn.isAfter(this.appliedLsn);
        if (!duplicate) {
          const mayHold = this.buffer.size < this.deps.maxBuffered || (this.completing !== null && !lsn.isAfter(this.completing));
          if (!mayHold) {
            // Full of later transactions: read on once the transaction being completed is applied.
            this.deps.pauseAndRetry(topic, partition, m.offset, WAIT_MS);
            return;
          }
          this.buffer.add({ topic, partition, offset, change });
        }
      }
      this.buffer.consumed(topic, partition, offset + 1n);
      resolveOffset(m.offset);
    }
    // Past the batch's transaction markers too, so a fully applied partition stores its end offset.
    this.buffer.consumed(topic, partition, BigInt(batch.lastOffset()) + 1n);
    await heartbeat();
  }

  /** The transaction topic: apply each END, in order, once its events are all held. */
  private async applyEnds({ batch, resolveOffset, heartbeat, isStale, isRunning }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    for (const m of batch.messages) {
      if (!isRunning() || isStale()) return;
      const offset = BigInt(m.offset);
      const end = m.value === null ? null : await this.deps.decoder.transaction(m.value);
      if (end === null || end.status !== 'END') {
        resolveOffset(m.offset);
        continue;
      }
      const lsn = Lsn.parse(end.lsn);
      if (this.appliedLsn !== null && !lsn.isAfter(this.appliedLsn)) {
        // A transaction capture sent again after a restart: the destination has it.
        this.buffer.remove(end.id);
        resolveOffset(m.offset);
        continue;
      }
      this.completing = lsn;
      if (this.deps.gated) {
        for (const { table } of end.perTable) {
          if (!(await this.deps.snapshotApplied(table))) {
            this.deps.pauseAndRetry(topic, partition, m.offset, GATE_RETRY_MS);
            return;
          }
        }
      }
      if (!this.buffer.isComplete(end)) {
        this.deps.pauseAndRetry(topic, partition, m.offset, WAIT_MS);
        return;
      }
      const changes = this.buffer.events(end.id);
      // Only partitions whose restart point moved past what the destination already stores.
      const cuts = this.buffer.cuts(end.id).filter((c) => c.next > (this.deps.storedOffsets.get(`${c.topic}:${c.partition}`) ?? -1n));
      const started = Date.now();
      const commitMs = end.commitTsMicros === null ? null : Number(end.commitTsMicros / 1000n);
      let outcome;
      try {
        outcome = await this.deps.pool.use((client) => this.deps.applier.applyTransaction(client, topic, offset, { lsn: end.lsn, commitMs }, changes, cuts));
      } catch (error) {
        if (!(error instanceof UnappliableEventError)) throw error;
        this.deps.refused(error, offset);
        return;
      }
      this.buffer.remove(end.id);
      this.appliedLsn = lsn;
      this.completing = null;
      resolveOffset(m.offset);
      if (outcome === null) continue;
      this.deps.storedOffsets.set(`${topic}:${partition}`, offset + 1n);
      for (const cut of cuts) {
        const key = `${cut.topic}:${cut.partition}`;
        if (cut.next > (this.deps.storedOffsets.get(key) ?? 0n)) this.deps.storedOffsets.set(key, cut.next);
      }
      this.deps.metrics.batchApplied(outcome.applied, Date.now() - started, outcome.lastCommitMs);
      if (this.deps.throttle) await this.deps.throttle(outcome.applied, 0);
      await heartbeat();
    }
  }
}
