import type { Lsn } from '@ferry/core';
import type { Registry } from '@ferry/metrics';

export interface TableSnapshotProgress {
  rowsDone: number;
  rowsEstimated: number;
  chunksDone: number;
  chunksTotal: number;
  startedAt: number;
  finishedAt: number | null;
}

/**
 * Counters capture keeps for logs, status and /metrics. Plain numbers; whoever
 * reports them reads a snapshot with `read()`.
 */
export class CaptureMetrics {
  eventsCaptured = 0;
  transactionsCaptured = 0;
  recordsCommitted = 0;
  lastCommittedLsn: string | null = null;
  /** Commit time of the newest source transaction seen (ms since epoch). */
  lastSourceCommitMs: number | null = null;
  lastHeartbeatMs: number | null = null;
  readonly snapshot = new Map<string, TableSnapshotProgress>();
  /** Bytes (keys and values) committed to Kafka by every dispatcher so far. */
  private kafkaBytes = 0;
  /** Large transactions streamed while open (PostgreSQL 14+) that committed and were published. */
  streamedTransactions = 0;
  /** Streamed transactions still open, and the bytes their spool files hold. */
  spool = { transactions: 0, bytes: 0 };

  /** A dispatcher committed a Kafka transaction of this many bytes. */
  bytesCommitted(bytes: number): void {
    this.kafkaBytes += bytes;
  }

  /** Bytes (keys and values) committed to Kafka by every dispatcher so far. */
  bytesCaptured(): number {
    return this.kafkaBytes;
  }

  /** Publishes these numbers in a Prometheus registry, read at each scrape. */
  register(registry: Registry): void {
    const events = registry.counter('ferry_capture_events_total', 'Row changes read from the source WAL.');
    const transactions = registry.counter('ferry_capture_transactions_total', 'Source transactions read from the WAL.');
    const records = registry.counter('ferry_capture_records_committed_total', 'Kafka records committed by the change stream.');
    const bytes = registry.counter('ferry_capture_bytes_total', 'Bytes (keys and values) committed to Kafka, snapshot and changes.');
    const lag = registry.gauge('ferry_capture_lag_seconds', 'Seconds since the newest source commit that reached Kafka.');
    const snapshotRows = registry.counter('ferry_snapshot_rows_total', 'Rows of the full copy sent to Kafka, per table.');
    const chunksDone = registry.gauge('ferry_snapshot_chunks_done', 'Snapshot chunks finished, per table.');
    const chunksTotal = registry.gauge('ferry_snapshot_chunks', 'Snapshot chunks of each table.');
    const complete = registry.gauge('ferry_snapshot_table_complete', '1 once every chunk of the table is in Kafka.');
    const streamed = registry.counter('ferry_capture_streamed_transactions_total', 'Large transactions the source streamed while open, published at their commit.');
    const spoolTransactions = registry.gauge('ferry_capture_spool_transactions', 'Streamed transactions still open, kept in spool files.');
    const spoolBytes = registry.gauge('ferry_capture_spool_bytes', 'Bytes the spool files of open streamed transactions hold.');
    registry.onCollect(() => {
      events.setTotal(this.eventsCaptured);
      transactions.setTotal(this.transactionsCaptured);
      records.setTotal(this.recordsCommitted);
      bytes.setTotal(this.bytesCaptured());
      lag.set(this.lagSeconds());
      streamed.setTotal(this.streamedTransactions);
      spoolTransactions.set(this.spool.transactions);
      spoolBytes.set(this.spool.bytes);
      for (const [table, progress] of this.snapshot) {
        snapshotRows.setTotal(progress.rowsDone, { table });
        chunksDone.set(progress.chunksDone, { table });
        chunksTotal.set(progress.chunksTotal, { table });
        complete.set(progress.finishedAt === null ? 0 : 1, { table });
      }
    });
  }

  transactionCaptured(events: number, commitMs: number): void {
    this.eventsCaptured += events;
    this.transactionsCaptured += 1;
    this.lastSourceCommitMs = commitMs;
  }

  heartbeat(commitMs: number): void {
    this.lastHeartbeatMs = commitMs;
    this.lastSourceCommitMs = Math.max(this.lastSourceCommitMs ?? 0, commitMs);
  }

  committed(records: number, lsn: Lsn): void {
    this.recordsCommitted += records;
    this.lastCommittedLsn = lsn.toString();
  }

  /** Seconds between now and the newest source commit that reached Kafka. */
  lagSeconds(now = Date.now()): number | null {
    return this.lastSourceCommitMs === null ? null : Math.max(0, (now - this.lastSourceCommitMs) / 1000);
  }

  snapshotTable(table: string, rowsEstimated: number, chunksTotal: number): void {
    this.snapshot.set(table, { rowsDone: 0, rowsEstimated, chunksDone: 0, chunksTotal, startedAt: Date.now(), finishedAt: null });
  }

  snapshotChunkDone(table: string, rows: number): void {
    const progress = this.snapshot.get(table);
    if (!progress) return;
    progress.rowsDone += rows;
    progress.chunksDone += 1;
    if (progress.chunksDone >= progress.chunksTotal) progress.finishedAt = Date.now();
  }
}
