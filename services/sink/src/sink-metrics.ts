/** Counters the sink keeps for logs, status and /metrics. */
export class SinkMetrics {
  eventsApplied = 0;
  batches = 0;
  lastBatchMs = 0;
  lastBatchSize = 0;
  /** Commit time at the source of the newest applied change (ms since epoch). */
  lastSourceCommitMs: number | null = null;

  batchApplied(events: number, durationMs: number, lastCommitMs: number | null): void {
    this.eventsApplied += events;
    this.batches += 1;
    this.lastBatchMs = durationMs;
    this.lastBatchSize = events;
    if (lastCommitMs !== null) this.lastSourceCommitMs = lastCommitMs;
  }

  lagSeconds(now = Date.now()): number | null {
    return this.lastSourceCommitMs === null ? null : Math.max(0, (now - this.lastSourceCommitMs) / 1000);
  }
}
