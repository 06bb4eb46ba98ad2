import { effectiveLagSeconds } from '../cutover/check-ready.js';
import type { PipelineProgress } from '../workflow/progress.js';
import type { ServiceTotals } from './service-metrics-reader.js';

export interface TableView {
  table: string;
  estimatedRows: number;
  snapshotRows: number;
  snapshotComplete: boolean;
  /** 0..1 of the estimate (1 once complete). */
  fraction: number;
  rowsPerSecond: number | null;
  etaSeconds: number | null;
}

export interface LagView {
  /** End-to-end lag, growing while the sink stands still (what alerts and cutover use). */
  seconds: number | null;
  /** The newest heartbeat's own lag. */
  heartbeatSeconds: number | null;
  heartbeatAgeSeconds: number | null;
  /** WAL the source wrote that the slot has not confirmed yet. */
  bytes: number | null;
  /** WAL the slot keeps on the source. */
  retainedBytes: number | null;
  slotExists: boolean;
  slotActive: boolean;
}

export interface ThroughputView {
  capturedEventsPerSecond: number | null;
  appliedEventsPerSecond: number | null;
  capturedBytesPerSecond: number | null;
  appliedBytesPerSecond: number | null;
  /** Rows of the full copy applied on the destination per second. */
  snapshotRowsPerSecond: number | null;
}

export interface HistoryPoint extends ThroughputView {
  /** ms since epoch */
  t: number;
  lagSeconds: number | null;
  lagBytes: number | null;
  retainedBytes: number | null;
}

const HISTORY_POINTS = 900;
/** Rates are taken over this window, so one slow second does not make the bars jump. */
const RATE_WINDOW_MS = 5_000;

interface Reading {
  at: number;
  tableRows: Map<string, number>;
  snapshotRows: number;
  totals: ServiceTotals | null;
}

/** Where the migration stands, as the API shows it: tables with rates and ETAs, lag, throughput, and their recent history. */
export class LiveStatus {
  private readings: Reading[] = [];
  readonly history: HistoryPoint[] = [];
  tables: TableView[] = [];
  lag: LagView | null = null;
  throughput: ThroughputView = { capturedEventsPerSecond: null, appliedEventsPerSecond: null, capturedBytesPerSecond: null, appliedBytesPerSecond: null, snapshotRowsPerSecond: null };
  updatedAt: number | null = null;

  update(progress: PipelineProgress, totals: ServiceTotals | null, now = Date.now()): void {
    const reading: Reading = {
      at: now,
      tableRows: new Map(progress.tables.map((t) => [t.table, t.snapshotRows])),
      snapshotRows: progress.tables.reduce((sum, t) => sum + t.snapshotRows, 0),
      totals,
    };
    this.readings.push(reading);
    while (this.readings.length > 2 && now - this.readings[1]!.at >= RATE_WINDOW_MS) this.readings.shift();
    const base = this.readings[0]!;
    const seconds = (now - base.at) / 1000;
    const rate = (a: number | null | undefined, b: number | null | undefined) =>
      seconds > 0 && a !== null && a !== undefined && b !== null && b !== undefined ? Math.max(0, (b - a) / seconds) : null;

    this.tables = progress.tables.map((t) => {
      const perSecond = rate(base.tableRows.get(t.table), t.snapshotRows);
      const total = Math.max(t.estimatedRows, t.snapshotRows, 1);
      const remaining = Math.max(0, total - t.snapshotRows);
      return {
        table: t.table,
        estimatedRows: t.estimatedRows,
        snapshotRows: t.snapshotRows,
        snapshotComplete: t.snapshotComplete,
        fraction: t.snapshotComplete ? 1 : Math.min(0.99, t.snapshotRows / total),
        rowsPerSecond: t.snapshotComplete ? null : perSecond,
        etaSeconds: !t.snapshotComplete && perSecond ? remaining / perSecond : null,
      };
    });
    this.lag = {
      seconds: effectiveLagSeconds(progress),
      heartbeatSeconds: progress.lagSeconds,
      heartbeatAgeSeconds: progress.heartbeatAgeSeconds,
      bytes: progress.slot.lagBytes,
      retainedBytes: progress.slot.retainedBytes,
      slotExists: progress.slot.exists,
      slotActive: progress.slot.active,
    };
    this.throughput = {
      capturedEventsPerSecond: rate(base.totals?.capturedEvents, totals?.capturedEvents),
      appliedEventsPerSecond: rate(base.totals?.appliedEvents, totals?.appliedEvents),
      capturedBytesPerSecond: rate(base.totals?.capturedBytes, totals?.capturedBytes),
      appliedBytesPerSecond: rate(base.totals?.appliedBytes, totals?.appliedBytes),
      snapshotRowsPerSecond: rate(base.snapshotRows, reading.snapshotRows),
    };
    this.history.push({ t: now, lagSeconds: this.lag.seconds, lagBytes: this.lag.bytes, retainedBytes: this.lag.retainedBytes, ...this.throughput });
    if (this.history.length > HISTORY_POINTS) this.history.splice(0, this.history.length - HISTORY_POINTS);
    this.updatedAt = now;
  }
}
