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
  /** True when every table matched (and, when they were compared, the schema and the sequences). */
  ok: boolean;
  tables: TableVerificationSummary[];
  /** Seconds the run took. */
  durationSeconds?: number;
  /** Schema objects compared under destination names; absent when not compared. */
  schema?: SchemaVerificationSummary;
  /** Sequence positions; absent when not compared. */
  sequences?: SequenceVerificationSummary;
}

export interface SchemaVerificationSummary {
  ok: boolean;
  /** At most a bounded number of differences. */
  differences: SchemaObjectDifference[];
  differenceCount: number;
}

export interface SchemaObjectDifference {
  /** missing: on the source only; extra: on the destination only; different: on both, not alike. */
  difference: 'missing' | 'extra' | 'different';
  /** table, column, constraint, index, view, function, ... */
  kind: string;
  /** Destination name, quoted as in SQL. */
  objectName: string;
  /** The object as DDL on each side (source under destination names). */
  source?: string;
  destination?: string;
}

export interface SequenceVerificationSummary {
  /** strict: a sequence behind the source fails the run; info: reported only (while sync runs they are expected to lag). */
  mode: 'strict' | 'info';
  /** False only in strict mode with a sequence behind or missing. */
  ok: boolean;
  items: SequenceVerificationItem[];
}

export interface SequenceVerificationItem {
  /** schema.name on the source. */
  sequence: string;
  destinationSequence: string;
  /** What nextval returns next on each side (text: bigint). */
  sourceNext: string;
  destinationNext: string | null;
  /** ok: the destination will not hand out a value the source already has (it is level or ahead). */
  status: 'ok' | 'behind' | 'missing';
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
  /**
   * How the table was compared: `ranges` (key ranges, then row by row) or `whole-table`
   * (no primary or unique key: one count and checksum, differing rows cannot be named).
   */
  method?: 'ranges' | 'whole-table';
  /** Something a person should know that is not a failure, e.g. rows that were in flight and matched on a re-check. */
  note?: string | null;
}

export interface RowDifference {
  /** The row's key in the source's names: column → text value. */
  key: Record<string, string | null>;
  kind: 'missing' | 'extra' | 'different';
  /** For `different`: the columns whose values differ (source names). */
  columns: string[];
}
