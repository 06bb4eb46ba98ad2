import type { PipelineProgress } from '../workflow/progress.js';

const BAR = 24;

/** Per-table bars with rows, rows/s and ETA during the full load; lag during sync. */
export class ProgressView {
  private previous = new Map<string, { rows: number; at: number }>();

  render(progress: PipelineProgress, phase: string, now = Date.now()): string {
    const lines = [`phase: ${phase}`];
    const width = Math.max(5, ...progress.tables.map((t) => t.table.length));
    for (const t of progress.tables) {
      const total = Math.max(t.estimatedRows, t.snapshotRows, 1);
      const fraction = t.snapshotComplete ? 1 : Math.min(0.99, t.snapshotRows / total);
      const filled = Math.round(fraction * BAR);
      const before = this.previous.get(t.table);
      const rate = before && now > before.at ? ((t.snapshotRows - before.rows) * 1000) / (now - before.at) : 0;
      this.previous.set(t.table, { rows: t.snapshotRows, at: now });
      const eta = !t.snapshotComplete && rate > 0 ? ` ETA ${formatSeconds((total - t.snapshotRows) / rate)}` : '';
      lines.push(
        `  ${t.table.padEnd(width)} [${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ${String(t.snapshotRows).padStart(10)} rows` +
          `${t.snapshotComplete ? '  done' : `  ${Math.round(rate)} rows/s${eta}`}`,
      );
    }
    const lag = progress.lagSeconds === null ? 'n/a' : `${progress.lagSeconds.toFixed(1)} s`;
    const bytes = progress.slot.lagBytes === null ? 'n/a' : formatBytes(progress.slot.lagBytes);
    lines.push(`  lag: ${lag} (heartbeat), slot behind by ${bytes}${progress.slot.exists ? '' : ' (no slot yet)'}`);
    return lines.join('\n');
  }
}

export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 90) return `${Math.round(seconds)}s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)}m`;
  return `${(seconds / 3600).toFixed(1)}h`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}
