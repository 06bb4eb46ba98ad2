import type { DestinationLag } from './check-ready.js';
import type { BackflowRecord } from './cutover-record.js';
import type { VerifiedDestination } from './final-verify.js';
import type { SequenceSync } from './sync-sequences.js';
import type { Drained } from './wait-drained.js';

export interface CutoverReport {
  task: string;
  markerId: string;
  startedAt: string;
  finishedAt: string;
  /** From the fence to the end: how long applications could not write. */
  writesFencedSeconds: number;
  fence: string;
  sessionsEnded: number;
  lag: DestinationLag[];
  drained: Drained[];
  sequences: { destination: string; synced: SequenceSync[] }[];
  verified: VerifiedDestination[];
  backflow: BackflowRecord | null;
}

/** The report a person reads after `ferry cutover`, with what to do next. Pure. */
export function formatReport(report: CutoverReport, configPath = 'task.yaml'): string {
  const lines = [
    `cutover of task ${report.task} done at ${report.finishedAt}; application writes were fenced for ${report.writesFencedSeconds.toFixed(1)} s`,
    `  fence:      ${report.fence}; ${report.sessionsEnded} session(s) ended`,
  ];
  for (const drained of report.drained) {
    const sequences = report.sequences.find((s) => s.destination === drained.destination)?.synced ?? [];
    const verified = report.verified.find((v) => v.destination === drained.destination);
    const count = (action: SequenceSync['action']) => sequences.filter((s) => s.action === action).length;
    lines.push(
      `  ${`${drained.destination}:`.padEnd(11)} drained through marker LSN ${drained.markerLsn} (${drained.partitions} partitions, ${drained.seconds.toFixed(1)} s); ` +
        `sequences: ${count('set')} set, ${count('kept')} already ahead, ${count('missing')} missing; ` +
        `${verified ? `${verified.tables} tables verified equal (${verified.rows} rows)` : 'not verified'}`,
    );
    const missing = sequences.filter((s) => s.action === 'missing');
    if (missing.length > 0) lines.push(`              sequences not on the destination: ${missing.map((s) => s.destination).join(', ')}`);
  }
  const next = [
    'point the applications at the destination; the source stays fenced',
    `stop ferry migrate (or capture and sinks) of ${configPath}: the source no longer changes`,
    `once the old source is retired: ferry capture -c ${configPath} --release, then ferry sink -c ${configPath} --release`,
  ];
  if (report.backflow) {
    const b = report.backflow;
    lines.push(`  backflow:   ferry migrate -c ${b.taskFile} runs as pid ${b.pid ?? '?'} (log ${b.logFile}); slot ${b.slot} on the destination`);
    next.push(
      `backflow carries the destination's writes to the old source; stop it with kill ${b.pid ?? '<pid>'}, resume it with ferry migrate -c ${b.taskFile}, ` +
        `and release it with ferry capture -c ${b.taskFile} --release and ferry sink -c ${b.taskFile} --release`,
    );
  }
  lines.push('next:', ...next.map((n) => `  - ${n}`));
  return lines.join('\n');
}
