import { quoteIdent, quoteQualified } from '@ferry/pg';
import type { TextValue } from './row-event.js';

/** A destination table as the sink writes it. */
export interface TargetTable {
  schema: string;
  table: string;
  /** Column name → type as format_type prints it (used for casts from text). */
  types: ReadonlyMap<string, string>;
  keyColumns: readonly string[];
  /** Generated columns are computed by the destination and never written. */
  generated: ReadonlySet<string>;
  /** GENERATED ALWAYS AS IDENTITY needs OVERRIDING SYSTEM VALUE to take the source's value. */
  hasIdentityAlways: boolean;
}

export interface Statement {
  text: string;
  values: unknown[];
}

/**
 * Builds the SQL the sink runs. Pure: names are quoted, every value is a bind
 * parameter. Many rows go in one statement as parallel text arrays that
 * `unnest` turns back into rows, each cast from PostgreSQL's text form with the
 * column's own type (the text form round-trips exactly).
 */
export function upsertRows(target: TargetTable, rows: readonly Record<string, TextValue>[]): Statement | null {
  if (rows.length === 0) return null;
  const columns = writableColumns(target, Object.keys(rows[0]!));
  const { select, values } = unnestSelect(target, columns, rows);
  const keys = target.keyColumns.map(quoteIdent).join(', ');
  const updates = columns.filter((c) => !target.keyColumns.includes(c));
  const conflict = updates.length
    ? `DO UPDATE SET ${updates.map((c) => `${quoteIdent(c)} = EXCLUDED.${quoteIdent(c)}`).join(', ')}`
    : 'DO NOTHING';
  return {
    text: `INSERT INTO ${quoteQualified(target.schema, target.table)} (${columns.map(quoteIdent).join(', ')})${overriding(target)} ${select} ON CONFLICT (${keys}) ${conflict}`,
    values,
  };
}

/** Plain multi-row INSERT (keyless tables, and snapshot chunks taking the merge path without a key). */
export function insertRows(target: TargetTable, rows: readonly Record<string, TextValue>[]): Statement | null {
  if (rows.length === 0) return null;
  const columns = writableColumns(target, Object.keys(rows[0]!));
  const { select, values } = unnestSelect(target, columns, rows);
  return { text: `INSERT INTO ${quoteQualified(target.schema, target.table)} (${columns.map(quoteIdent).join(', ')})${overriding(target)} ${select}`, values };
}

/** Deletes rows by key. */
export function deleteByKeys(target: TargetTable, keys: readonly Record<string, TextValue>[]): Statement | null {
  if (keys.length === 0) return null;
  const values = target.keyColumns.map((c) => keys.map((k) => k[c] ?? null));
  const aliases = target.keyColumns.map((_, i) => `c${i + 1}`);
  const match = target.keyColumns.map((c, i) => `t.${quoteIdent(c)} = u.${aliases[i]}::${typeOf(target, c)}`).join(' AND ');
  return {
    text: `DELETE FROM ${quoteQualified(target.schema, target.table)} AS t USING unnest(${values.map((_, i) => `$${i + 1}::text[]`).join(', ')}) AS u(${aliases.join(', ')}) WHERE ${match}`,
    values,
  };
}

/** Updates some columns of rows found by key (the rest are unchanged TOAST values). */
export function updateByKeys(target: TargetTable, rows: readonly { key: Record<string, TextValue>; set: Record<string, TextValue> }[]): Statement | null {
  if (rows.length === 0) return null;
  const setColumns = writableColumns(target, Object.keys(rows[0]!.set)).filter((c) => !target.keyColumns.includes(c));
  if (setColumns.length === 0) return null;
  const all = [...target.keyColumns, ...setColumns];
  const values = all.map((c, i) => rows.map((r) => (i < target.keyColumns.length ? r.key[c] : r.set[c]) ?? null));
  const aliases = all.map((_, i) => `c${i + 1}`);
  const set = setColumns.map((c, i) => `${quoteIdent(c)} = u.${aliases[target.keyColumns.length + i]}::${typeOf(target, c)}`).join(', ');
  const match = target.keyColumns.map((c, i) => `t.${quoteIdent(c)} = u.${aliases[i]}::${typeOf(target, c)}`).join(' AND ');
  return {
    text: `UPDATE ${quoteQualified(target.schema, target.table)} AS t SET ${set} FROM unnest(${values.map((_, i) => `$${i + 1}::text[]`).join(', ')}) AS u(${aliases.join(', ')}) WHERE ${match}`,
    values,
  };
}

/**
 * For tables without a key: the one row whose every column equals the old row
 * (compared as text, which works for types without an equality operator such as json).
 */
export function matchWholeRow(target: TargetTable, before: Record<string, TextValue>, firstParam: number): { where: string; values: TextValue[] } {
  const columns = Object.keys(before).filter((c) => target.types.has(c));
  return {
    where: `ctid = (SELECT ctid FROM ${quoteQualified(target.schema, target.table)} WHERE ${columns
      .map((c, i) => `${quoteIdent(c)}::text IS NOT DISTINCT FROM $${firstParam + i}`)
      .join(' AND ')} LIMIT 1)`,
    values: columns.map((c) => before[c] ?? null),
  };
}

export function deleteWholeRow(target: TargetTable, before: Record<string, TextValue>): Statement {
  const { where, values } = matchWholeRow(target, before, 1);
  return { text: `DELETE FROM ${quoteQualified(target.schema, target.table)} WHERE ${where}`, values };
}

export function updateWholeRow(target: TargetTable, before: Record<string, TextValue>, after: Record<string, TextValue>): Statement {
  const columns = writableColumns(target, Object.keys(after));
  const set = columns.map((c, i) => `${quoteIdent(c)} = $${i + 1}::${typeOf(target, c)}`).join(', ');
  const { where, values } = matchWholeRow(target, before, columns.length + 1);
  return {
    text: `UPDATE ${quoteQualified(target.schema, target.table)} SET ${set} WHERE ${where}`,
    values: [...columns.map((c) => after[c] ?? null), ...values],
  };
}

export function truncateTable(target: TargetTable): Statement {
  return { text: `TRUNCATE ${quoteQualified(target.schema, target.table)}`, values: [] };
}

function unnestSelect(target: TargetTable, columns: readonly string[], rows: readonly Record<string, TextValue>[]) {
  const values = columns.map((c) => rows.map((r) => r[c] ?? null));
  const aliases = columns.map((_, i) => `c${i + 1}`);
  const select = `SELECT ${columns.map((c, i) => `u.${aliases[i]}::${typeOf(target, c)}`).join(', ')} FROM unnest(${columns
    .map((_, i) => `$${i + 1}::text[]`)
    .join(', ')}) AS u(${aliases.join(', ')})`;
  return { select, values };
}

function writableColumns(target: TargetTable, columns: readonly string[]): string[] {
  return columns.filter((c) => target.types.has(c) && !target.generated.has(c));
}

function overriding(target: TargetTable): string {
  return target.hasIdentityAlways ? ' OVERRIDING SYSTEM VALUE' : '';
}

/** The cast target: format_type output, which quotes names that need it. */
function typeOf(target: TargetTable, column: string): string {
  const type = target.types.get(column);
  if (!type) throw new Error(`column "${column}" is not in ${target.schema}.${target.table}`);
  return type;
}
