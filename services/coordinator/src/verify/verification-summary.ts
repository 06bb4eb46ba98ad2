/**
 * What a verification run found, as kept in the task state (`TaskState.verification`)
 * and shown by `ferry status`, the HTTP API and the console. Plain JSON: it travels
 * through the `<prefix>._task` topic.
 */
export interface VerificationSummary {
  /** When the run finished (ISO time). */
  at: string;
  /** `manual` for `ferry verify`, `continuous` for the periodic check, `cutover` for the final one. */
  trigger: 'manual' | 'continuous' | 'cutover';
  destination: string;
  /** True when every table matched. */
  ok: boolean;
  tables: TableVerificationSummary[];
}

export interface TableVerificationSummary {
  /** Source table, `schema.table`. */
  table: string;
  destinationTable: string;
  ok: boolean;
  sourceRows: number;
  destinationRows: number | null;
  /** Why the table failed when no row-level difference explains it (missing table, error). */
  problem: string | null;
  /** Rows that differ, at most a bounded number per table. */
  differences: RowDifference[];
  /** How many differing rows were found in all (may exceed `differences.length`). */
  differenceCount: number;
}

export interface RowDifference {
  /** The row's key in the source's names: column → text value. */
  key: Record<string, string | null>;
  kind: 'missing' | 'extra' | 'different';
  /** For `different`: the columns whose values differ (source names). */
  columns: string[];
}
