import { isUnchangedToast, type NamedRow, type RowChange } from '@ferry/pgoutput';
import type { CapturedTable } from '../captured-table.js';

/** Reads the named columns of the row with this key from the source now (text forms), or null when there is none. */
export type CurrentRowReader = (table: CapturedTable, key: Record<string, string>, columns: string[]) => Promise<Record<string, string | null> | null>;

/**
 * Fills the unchanged TOAST columns of an UPDATE that changed the key.
 *
 * Why: such an update travels as a delete of the old key and a create of the new one (each
 * key's history stays on its partition), so the sink has no row to leave those columns alone
 * in: their values must travel. A FULL before image holds them (PostgreSQL writes it
 * detoasted). Otherwise they are read from the source by the new key. That value may be newer
 * than this change when later transactions touched the row, but those transactions' own
 * events follow and set the same value, and a row no longer found under the new key was
 * re-keyed or deleted later, which later events also carry: the end state is exact.
 */
export async function fillKeyChangeToast(change: RowChange, table: CapturedTable, readCurrentRow: CurrentRowReader): Promise<RowChange> {
  if (change.op !== 'update' || change.unchangedToast.length === 0 || change.before === null || change.after === null) return change;
  if (!keyChanged(table, change.before, change.after)) return change;

  const after: NamedRow = { ...change.after };
  const missing: string[] = [];
  for (const column of change.unchangedToast) {
    const old = change.beforeIdentity === 'full' ? change.before[column] : undefined;
    if (typeof old === 'string' || old === null) after[column] = old;
    else missing.push(column);
  }
  if (missing.length > 0) {
    const key = Object.fromEntries(table.keyColumns.map((name) => [name, after[name] as string]));
    const current = await readCurrentRow(table, key, missing);
    if (current === null) return { ...change, after, unchangedToast: missing };
    for (const column of missing) after[column] = current[column] ?? null;
  }
  return { ...change, after, unchangedToast: [] };
}

function keyChanged(table: CapturedTable, before: NamedRow, after: NamedRow): boolean {
  if (table.keyColumns.length === 0) return false;
  return table.keyColumns.some((name) => {
    const old = before[name];
    return old !== undefined && !isUnchangedToast(old) && old !== after[name];
  });
}
