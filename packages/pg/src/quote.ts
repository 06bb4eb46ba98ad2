import { DataError, TableId } from '@ferry/core';

/**
 * SQL quoting. Identifiers are always double-quoted, so case, dots, spaces and
 * keywords survive exactly. Values go through bind parameters; `quoteLiteral`
 * exists only for the few places where PostgreSQL takes no parameters (DDL
 * strings, `COPY (SELECT ...)`).
 */

/** `"name"`, with any `"` doubled. PostgreSQL identifiers cannot hold NUL or be empty. */
export function quoteIdent(name: string): string {
  if (name.length === 0) {
    throw new DataError('an SQL identifier cannot be empty', { fix: 'check the table, schema and column names in the task file' });
  }
  if (name.includes('\0')) {
    throw new DataError('an SQL identifier cannot contain a NUL character', { context: { key: JSON.stringify(name) } });
  }
  return `"${name.replaceAll('"', '""')}"`;
}

/** `"schema"."table"` from two names or a TableId. */
export function quoteQualified(table: TableId): string;
export function quoteQualified(schema: string, table: string): string;
export function quoteQualified(schemaOrTable: string | TableId, table?: string): string {
  if (schemaOrTable instanceof TableId) return `${quoteIdent(schemaOrTable.schema)}.${quoteIdent(schemaOrTable.table)}`;
  if (table === undefined) throw new TypeError('quoteQualified(schema, table) needs a table name');
  return `${quoteIdent(schemaOrTable)}.${quoteIdent(table)}`;
}

/** `"a", "b", "c"` for a column list. */
export function quoteIdentList(names: readonly string[]): string {
  return names.map(quoteIdent).join(', ');
}

/**
 * A string literal, for the rare SQL that cannot take bind parameters (DDL such
 * as `COMMENT ON ... IS '...'`, or a `COPY (SELECT ...)` query). Prefer
 * parameters everywhere else.
 *
 * Safe whatever `standard_conforming_strings` says: without a backslash the plain
 * form `'...'` reads the same under both settings; with a backslash we use the
 * escape form `E'...'`, where backslashes are always escapes, and double them.
 * Ferry's sessions are UTF8 (see connect.ts), so no multi-byte character can
 * swallow the closing quote. NUL cannot be stored in PostgreSQL text.
 */
export function quoteLiteral(value: string): string {
  if (value.includes('\0')) {
    throw new DataError('a PostgreSQL text value cannot contain a NUL character (\\u0000)', {
      fix: 'remove NUL characters from the value; PostgreSQL rejects them in text',
    });
  }
  const quoted = value.replaceAll("'", "''");
  if (!quoted.includes('\\')) return `'${quoted}'`;
  return `E'${quoted.replaceAll('\\', '\\\\')}'`;
}
