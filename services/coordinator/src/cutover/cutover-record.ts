import type { CutoverReport } from './cutover-report.js';

/**
 * What a fence changed on the source. It is saved in the task state before the change
 * is made, so `ferry cutover --abort` can undo it from any machine, even after the
 * cutover that made it was killed.
 */
export type FenceRecord =
  /** Roles that lost LOGIN; `couldLogin` false ones had none to give back. */
  | { kind: 'roles'; roles: { name: string; couldLogin: boolean }[] }
  /** The database's own default_transaction_read_only before (null: not set). */
  | { kind: 'read-only'; database: string; previous: string | null };

export interface BackflowRecord {
  taskFile: string;
  logFile: string;
  /** The reverse task's slot on the destination server. */
  slot: string;
  /** The `ferry migrate` running the backflow, started by the cutover. */
  pid: number | null;
}

/** The newest cutover of a task, kept in the task state. */
export interface CutoverRecord {
  markerId: string;
  startedAt: string;
  finishedAt: string | null;
  abortedAt: string | null;
  fence: FenceRecord | null;
  backflow: BackflowRecord | null;
  error: string | null;
  report: CutoverReport | null;
}
