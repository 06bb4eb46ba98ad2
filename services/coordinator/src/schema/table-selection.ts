/**
 * What the schema module needs from a task's object selection. ObjectSelection
 * (@ferry/config) fits it as it is; `everything()` reads a destination as it
 * stands, under its own names.
 */
export interface TableSelection {
  includesTable(schema: string, table: string): boolean;
  selectColumns(schema: string, table: string, columns: readonly string[]): string[];
  destinationTable(schema: string, table: string): { schema: string; table: string };
  destinationSchema(schema: string): string;
  destinationColumn(schema: string, table: string, column: string): string;
}

/** Every table of the given schemas (all schemas when none are given), names unchanged. */
export function selectEverything(schemas?: Iterable<string>): TableSelection {
  const only = schemas === undefined ? undefined : new Set(schemas);
  return {
    includesTable: (schema) => only === undefined || only.has(schema),
    selectColumns: (_schema, _table, columns) => [...columns],
    destinationTable: (schema, table) => ({ schema, table }),
    destinationSchema: (schema) => schema,
    destinationColumn: (_schema, _table, column) => column,
  };
}
