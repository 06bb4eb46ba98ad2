import type { RowEvent, TextValue } from './row-event.js';

/** What a batch does to one key, after every event for it in the batch. */
export type KeyAction =
  | { kind: 'upsert'; row: Record<string, TextValue> }
  /** Only these columns change (the others are unchanged TOAST values): an UPDATE, never an insert. */
  | { kind: 'update'; key: Record<string, TextValue>; set: Record<string, TextValue> }
  | { kind: 'delete'; key: Record<string, TextValue> };

/** A run of work that must be applied in order: reduced keyed actions, a truncate, or keyless events. */
export type ApplyStep =
  | { kind: 'keyed'; actions: KeyAction[] }
  | { kind: 'truncate'; event: RowEvent }
  | { kind: 'keyless'; events: RowEvent[] };

/**
 * Reduces a table's events of one batch per key, in order: only each key's final
 * state is written (a hot row updated 500 times costs one statement). Deletes and
 * upserts of different keys commute, so one keyed step can carry them all; a
 * TRUNCATE splits the batch, because it must see exactly the rows before it.
 */
export function reduceBatch(events: readonly RowEvent[], keyColumns: readonly string[]): ApplyStep[] {
  const steps: ApplyStep[] = [];
  if (keyColumns.length === 0) {
    let run: RowEvent[] = [];
    for (const event of events) {
      if (event.op === 't') {
        if (run.length) steps.push({ kind: 'keyless', events: run });
        run = [];
        steps.push({ kind: 'truncate', event });
      } else {
        run.push(event);
      }
    }
    if (run.length) steps.push({ kind: 'keyless', events: run });
    return steps;
  }

  let actions = new Map<string, KeyAction>();
  const flush = () => {
    if (actions.size) steps.push({ kind: 'keyed', actions: [...actions.values()] });
    actions = new Map();
  };
  for (const event of events) {
    if (event.op === 't') {
      flush();
      steps.push({ kind: 'truncate', event });
      continue;
    }
    const key = event.key!;
    const id = keyId(key, keyColumns);
    const previous = actions.get(id);
    if (event.op === 'd') {
      actions.set(id, { kind: 'delete', key });
    } else if (event.unchangedToast.length === 0) {
      actions.set(id, { kind: 'upsert', row: event.after! });
    } else if (previous?.kind === 'upsert') {
      // The earlier full row in this batch supplies the values TOAST left out.
      actions.set(id, { kind: 'upsert', row: { ...previous.row, ...event.after! } });
    } else if (previous?.kind === 'update') {
      actions.set(id, { kind: 'update', key, set: { ...previous.set, ...withoutKey(event.after!, keyColumns) } });
    } else {
      // After a delete in this batch there is no row to update; PostgreSQL would not send this.
      actions.set(id, { kind: 'update', key, set: withoutKey(event.after!, keyColumns) });
    }
  }
  flush();
  return steps;
}

function keyId(key: Record<string, TextValue>, keyColumns: readonly string[]): string {
  return JSON.stringify(keyColumns.map((c) => key[c] ?? null));
}

function withoutKey(row: Record<string, TextValue>, keyColumns: readonly string[]): Record<string, TextValue> {
  const out: Record<string, TextValue> = {};
  for (const [k, v] of Object.entries(row)) if (!keyColumns.includes(k)) out[k] = v;
  return out;
}
