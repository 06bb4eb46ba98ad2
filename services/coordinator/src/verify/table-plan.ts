import type { ObjectSelection } from '@ferry/config';
import { chooseOrderedKey, type TableInfo } from '@ferry/pg';
import type { SideColumn, SideTable } from './table-sql.js';

/** What to compare for one selected source table, in each side's names and types. */
export interface TablePlan {
  /** `schema.table` on the source. */
  table: string;
  /** `schema.table` on the destination. */
  destinationTable: string;
  source: SideTable;
  /** Null when the destination cannot be compared (see `problem`). */
  destination: SideTable | null;
  /** Source names of the compared columns, in order (to name differing columns). */
  columnNames: string[];
  /** Source names of the key columns; empty for a table without a usable key. */
  keyNames: string[];
  problem: string | null;
}

/**
 * Maps a source table to its destination copy under the task's selection: carried
 * (non-generated, selected) columns, renames, the row filter, and the key used for
 * ranges (primary key, else a unique key over NOT NULL columns). Pure.
 */
export function planTable(
  selection: ObjectSelection,
  source: TableInfo,
  destinationTables: readonly TableInfo[],
  options: { jsonbByHash: boolean } = { jsonbByHash: false },
): TablePlan {
  const carried = source.columns.filter((c) => c.generated === null);
  const names = selection.selectColumns(source.schema, source.name, carried.map((c) => c.name));
  const columns = names.map((name) => carried.find((c) => c.name === name)!);
  const orderedKey = chooseOrderedKey(source) ?? [];
  // A key column left out by the column selection cannot order ranges: compare the table whole.
  const keyNames = orderedKey.every((k) => names.includes(k.name)) ? orderedKey.map((k) => k.name) : [];
  const transform = selection.transform(source.schema, source.name);
  const sideColumn = (name: string): SideColumn => ({ name, type: columns.find((c) => c.name === name)! });
  const sourceSide: SideTable = {
    schema: source.schema,
    table: source.name,
    // A transformed column holds its expression's result on the destination (never a key column).
    columns: names.map((name) => ({ ...sideColumn(name), expression: transform?.columns[name] })),
    key: keyNames.map(sideColumn),
    where: sourceFilter(selection.rowFilter(source.schema, source.name), transform?.dropWhere),
    jsonbByHash: options.jsonbByHash,
  };
  const target = selection.destinationTable(source.schema, source.name);
  const plan: TablePlan = {
    table: `${source.schema}.${source.name}`,
    destinationTable: `${target.schema}.${target.table}`,
    source: sourceSide,
    destination: null,
    columnNames: names,
    keyNames,
    problem: null,
  };
  const found = destinationTables.find((t) => t.schema === target.schema && t.name === target.table);
  if (!found) {
    plan.problem = `table ${plan.destinationTable} does not exist on the destination`;
    return plan;
  }
  const destinationColumn = (name: string): SideColumn | string => {
    const renamed = selection.destinationColumn(source.schema, source.name, name);
    const column = found.columns.find((c) => c.name === renamed);
    return column ? { name: renamed, type: column } : renamed;
  };
  const mapped = names.map(destinationColumn);
  const missing = mapped.filter((c): c is string => typeof c === 'string');
  if (missing.length > 0) {
    plan.problem = `column(s) ${missing.map((c) => `"${c}"`).join(', ')} missing from ${plan.destinationTable} on the destination`;
    return plan;
  }
  const destinationColumns = mapped as SideColumn[];
  plan.destination = {
    schema: target.schema,
    table: target.table,
    columns: destinationColumns,
    key: keyNames.map((k) => destinationColumns[names.indexOf(k)]!),
    jsonbByHash: options.jsonbByHash,
  };
  return plan;
}

/** The rows the destination holds: the row filter, and not dropped by the transform (a NULL condition keeps the row, as in the sink). */
export function sourceFilter(where: string | undefined, dropWhere: string | undefined): string | undefined {
  if (dropWhere === undefined) return where;
  const keep = `NOT coalesce((${dropWhere}), false)`;
  return where === undefined ? keep : `(${where}) AND ${keep}`;
}
