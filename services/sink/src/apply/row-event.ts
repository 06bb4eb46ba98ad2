/** A column value in PostgreSQL's text form; null is SQL NULL. */
export type TextValue = string | null;

/**
 * One decoded change, in destination terms: names already mapped (renames,
 * column selection, name case), values as PostgreSQL text.
 */
export interface RowEvent {
  op: 'c' | 'u' | 'd' | 't';
  /** Key column values (destination names); null for keyless tables and truncates. */
  key: Record<string, TextValue> | null;
  /** Whole old row for keyless tables (REPLICA IDENTITY FULL), to find the row to change. */
  before: Record<string, TextValue> | null;
  /** New row values; columns listed in `unchangedToast` are absent. */
  after: Record<string, TextValue> | null;
  unchangedToast: string[];
  /** For error messages: where the event came from. */
  offset: string;
  lsn: string;
}
