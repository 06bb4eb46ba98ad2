import type { Lsn } from '@ferry/core';

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
