import { DataError } from '@ferry/core';
import {
  UNCHANGED_TOAST,
  type ColumnValue,
  type DeleteMessage,
  type InsertMessage,
  type RelationMessage,
  type TupleData,
  type UpdateMessage,
} from './messages.js';

/** Column name → value. Built with Object.fromEntries, so a column named "__proto__" is safe. */
export type NamedRow = Record<string, ColumnValue>;

/** An Insert, Update or Delete with its columns named. */
export interface RowChange {
  op: 'insert' | 'update' | 'delete';
  relation: RelationMessage;
  /**
   * The old row: only the replica identity columns when `beforeIdentity` is 'key', the whole
   * row when 'full', null for inserts and for updates that kept the key (identity not FULL).
   */
  before: NamedRow | null;
  beforeIdentity: 'key' | 'full' | null;
  /** The new row; null for deletes. Unchanged TOAST columns hold UNCHANGED_TOAST. */
  after: NamedRow | null;
  /** Columns of `after` whose value was not sent (unchanged TOAST): leave them alone downstream. */
  unchangedToast: string[];
}

/**
 * Remembers the latest Relation message per relation id, the way PostgreSQL's own apply
 * worker does: pgoutput sends a Relation before the first change of a table and again after
 * its schema changes, and tuples only make sense against it.
 */
export class RelationCache {
  private readonly relations = new Map<number, RelationMessage>();

  remember(relation: RelationMessage): void {
    this.relations.set(relation.relationId, relation);
  }

  has(relationId: number): boolean {
    return this.relations.has(relationId);
  }

  get(relationId: number): RelationMessage {
    const relation = this.relations.get(relationId);
    if (!relation) {
      throw new DataError(`a change refers to relation ${relationId}, but no Relation message described it`, {
        context: { relationId },
        fix: 'feed every Relation message to the cache before the changes that follow it',
      });
    }
    return relation;
  }

  /** Names the values of a tuple; with `keyOnly`, keeps just the replica identity columns. */
  toRow(relationId: number, values: TupleData, keyOnly = false): NamedRow {
    const relation = this.get(relationId);
    if (values.length !== relation.columns.length) {
      throw new DataError(
        `a tuple of ${relation.schema}.${relation.table} has ${values.length} columns, its Relation message ${relation.columns.length}`,
        { context: { table: `${relation.schema}.${relation.table}`, relationId } },
      );
    }
    const entries: [string, ColumnValue][] = [];
    relation.columns.forEach((column, i) => {
      if (!keyOnly || column.isKey) entries.push([column.name, values[i]!]);
    });
    return Object.fromEntries(entries);
  }

  rowChange(message: InsertMessage | UpdateMessage | DeleteMessage): RowChange {
    const relation = this.get(message.relationId);
    const old = message.tag === 'insert' ? null : message.oldTuple;
    const before = old ? this.toRow(message.relationId, old.values, old.identity === 'key') : null;
    const after = message.tag === 'delete' ? null : this.toRow(message.relationId, message.newTuple);
    return {
      op: message.tag,
      relation,
      before,
      beforeIdentity: old?.identity ?? null,
      after,
      unchangedToast: after
        ? Object.keys(after).filter((name) => after[name] === UNCHANGED_TOAST)
        : [],
    };
  }
}
