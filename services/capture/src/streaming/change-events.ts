import { DataError } from '@ferry/core';
import type { AvroRow, ChangeEvent, Operation, SourceInfo } from '@ferry/avro';
import { isUnchangedToast, type NamedRow, type RowChange } from '@ferry/pgoutput';
import type { CapturedTable } from '../captured-table.js';

/** What a change becomes on its table topic: keyed events, and tombstones after deletes. */
export interface KeyedEvent {
  key: AvroRow | null;
  /** null: a tombstone, so compaction can drop the key. */
  value: ChangeEvent | null;
}

/**
 * One source transaction as its events describe it. Built once at BEGIN: the source block
 * is the same for every change of a table in the transaction, so it is made once per table.
 */
export class TransactionContext {
  readonly id: string;
  private order = 0n;
  private readonly sources = new Map<CapturedTable, SourceInfo>();

  constructor(
    private readonly db: string,
    readonly xid: number,
    readonly lsn: string,
    /** Commit time, microseconds since the Unix epoch. */
    readonly commitTsMicros: bigint,
  ) {
    this.id = String(xid);
  }

  /** Running position of the next event inside the transaction, from 1. */
  nextOrder(): bigint {
    return ++this.order;
  }

  source(table: CapturedTable): SourceInfo {
    let source = this.sources.get(table);
    if (!source) {
      source = {
        db: this.db,
        schema: table.id.schema,
        table: table.id.table,
        lsn: this.lsn,
        txId: BigInt(this.xid),
        commitTsMicros: this.commitTsMicros,
        snapshot: false,
        chunk: null,
      };
      this.sources.set(table, source);
    }
    return source;
  }
}

/**
 * Turns one decoded row change into events, the way Debezium's emitters do: an
 * update that changes the key becomes a delete (plus tombstone) of the old key and
 * a create of the new one, so each key's history stays on its own partition.
 * Unchanged TOAST columns are listed, never filled with a placeholder value.
 */
export function changeToEvents(change: RowChange, table: CapturedTable, tx: TransactionContext, nowMs: bigint): KeyedEvent[] {
  const source = tx.source(table);
  const event = (op: Operation, before: AvroRow | null, after: AvroRow | null, unchangedToast: string[]): ChangeEvent => ({
    before,
    after,
    op,
    source,
    tsMs: nowMs,
    transaction: { id: tx.id, order: tx.nextOrder() },
    unchangedToast,
  });

  if (change.op === 'insert') {
    const after = toAvroRow(table, change.after!);
    return [{ key: keyOf(table, change.after!), value: event('c', null, after.row, after.unchanged) }];
  }
  if (change.op === 'delete') {
    const key = keyOf(table, change.before!);
    const before = change.beforeIdentity === 'full' ? toAvroRow(table, change.before!).row : keyOnlyRow(table, change.before!);
    return [
      { key, value: event('d', before, null, []) },
      { key, value: null },
    ];
  }
  // update
  const after = toAvroRow(table, change.after!);
  const newKey = keyOf(table, change.after!);
  const before =
    change.before === null
      ? null
      : change.beforeIdentity === 'full'
        ? toAvroRow(table, change.before).row
        : keyOnlyRow(table, change.before);
  if (change.before !== null && table.keys !== null) {
    const oldKey = keyOf(table, change.before);
    if (!sameKey(oldKey, newKey)) {
      return [
        { key: oldKey, value: event('d', before, null, []) },
        { key: oldKey, value: null },
        { key: newKey, value: event('c', null, after.row, after.unchanged) },
      ];
    }
  }
  return [{ key: newKey, value: event('u', before, after.row, after.unchanged) }];
}

function toAvroRow(table: CapturedTable, named: NamedRow): { row: AvroRow; unchanged: string[] } {
  const unchanged: string[] = [];
  const text: Record<string, string | null> = Object.create(null);
  for (const column of table.columns) {
    const value = named[column.name];
    if (value === undefined) {
      throw new DataError(`change for ${table.key} has no column "${column.name}"`, {
        context: { table: table.key, column: column.name },
        fix: 'the table changed shape; restart capture so it reads the new columns',
      });
    }
    if (isUnchangedToast(value)) {
      unchanged.push(column.name);
      text[column.name] = null;
    } else if (value instanceof Uint8Array) {
      throw new DataError(`binary tuple data for ${table.key}.${column.name}; capture asks for text`, {
        context: { table: table.key, column: column.name },
      });
    } else {
      text[column.name] = value;
    }
  }
  return { row: table.rows.toAvroFromObject(text), unchanged };
}

/** A before image holding only the key columns; other columns null. */
function keyOnlyRow(table: CapturedTable, named: NamedRow): AvroRow {
  const text: Record<string, string | null> = Object.create(null);
  const keys = new Set(table.keyColumns);
  for (const column of table.columns) {
    const value = named[column.name];
    text[column.name] = keys.has(column.name) && typeof value === 'string' ? value : null;
  }
  return table.rows.toAvroFromObject(text);
}

function keyOf(table: CapturedTable, named: NamedRow): AvroRow | null {
  if (!table.keys) return null;
  const text: Record<string, string | null> = Object.create(null);
  for (const name of table.keyColumns) {
    const value = named[name];
    if (typeof value !== 'string') {
      throw new DataError(`change for ${table.key} lacks key column "${name}"`, {
        context: { table: table.key, column: name },
        fix: 'key columns must be NOT NULL and part of the replica identity',
      });
    }
    text[name] = value;
  }
  return table.keys.toAvroFromObject(text);
}

function sameKey(a: AvroRow | null, b: AvroRow | null): boolean {
  if (a === null || b === null) return a === b;
  for (const name of Object.keys(a)) {
    const x = a[name];
    const y = b[name];
    if (Buffer.isBuffer(x) && Buffer.isBuffer(y) ? !x.equals(y) : x !== y) return false;
  }
  return true;
}
