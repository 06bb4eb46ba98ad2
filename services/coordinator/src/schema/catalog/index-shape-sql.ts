import type { IndexElement, IndexShape, QualifiedName } from '../schema-model.js';
import { collationName, nonDefaultOpclassName } from './name-sql.js';

/** DEFAULT_COLLATION_OID: an expression's collation needs no COLLATE when it is the database default. */
const DEFAULT_COLLATION = 100;

/**
 * JSON of an index's shape (method, key elements, INCLUDE columns, predicate,
 * storage options) for pg_index row `i`: built from parts so column names can
 * be renamed. Expressions come from pg_get_indexdef(index, column).
 */
export function indexShapeSql(i: string, serverVersion: number): string {
  const keyCount = serverVersion >= 110000 ? `${i}.indnkeyatts` : `${i}.indnatts`;
  const slot = `${i}.indkey[k.n - 1]`;
  const collation = `${i}.indcollation[k.n - 1]`;
  return `json_build_object(
    'method', (SELECT am.amname FROM pg_catalog.pg_class ic JOIN pg_catalog.pg_am am ON am.oid = ic.relam WHERE ic.oid = ${i}.indexrelid),
    'elements', (
      SELECT json_agg(json_build_object(
               'column', CASE WHEN ${slot} <> 0 THEN ka.attname END,
               'expression', CASE WHEN ${slot} = 0 THEN pg_catalog.pg_get_indexdef(${i}.indexrelid, k.n, false) END,
               'collation', CASE
                  WHEN ${collation} = 0 THEN NULL
                  WHEN ${slot} <> 0 AND ${collation} = ka.attcollation THEN NULL
                  WHEN ${slot} = 0 AND ${collation} = ${DEFAULT_COLLATION} THEN NULL
                  ELSE ${collationName(collation)} END,
               'opclass', ${nonDefaultOpclassName(`${i}.indclass[k.n - 1]`)},
               'descending', (${i}.indoption[k.n - 1] & 1) <> 0,
               'nullsFirst', (${i}.indoption[k.n - 1] & 2) <> 0) ORDER BY k.n)
        FROM generate_series(1, ${keyCount}) k(n)
        LEFT JOIN pg_catalog.pg_attribute ka ON ka.attrelid = ${i}.indrelid AND ka.attnum = ${slot}),
    'include', ARRAY(
      SELECT ia.attname FROM generate_series(${keyCount} + 1, ${i}.indnatts) k(n)
        JOIN pg_catalog.pg_attribute ia ON ia.attrelid = ${i}.indrelid AND ia.attnum = ${slot}
       ORDER BY k.n),
    'predicate', pg_catalog.pg_get_expr(${i}.indpred, ${i}.indrelid),
    'options', (SELECT coalesce(oc.reloptions, '{}') FROM pg_catalog.pg_class oc WHERE oc.oid = ${i}.indexrelid))`;
}

interface ElementRow {
  column: string | null;
  expression: string | null;
  collation: QualifiedName | null;
  opclass: QualifiedName | null;
  descending: boolean;
  nullsFirst: boolean;
}

export interface IndexShapeRow {
  method: string;
  elements: ElementRow[] | null;
  include: string[];
  predicate: string | null;
  options: string[];
}

export function toIndexShape(row: IndexShapeRow): IndexShape {
  const shape: IndexShape = {
    method: row.method,
    elements: (row.elements ?? []).map(toElement),
    include: row.include,
    options: row.options,
  };
  if (row.predicate !== null) shape.predicate = row.predicate;
  return shape;
}

function toElement(row: ElementRow): IndexElement {
  const element: IndexElement = { descending: row.descending, nullsFirst: row.nullsFirst };
  if (row.column !== null) element.column = row.column;
  if (row.expression !== null) element.expression = row.expression;
  if (row.collation) element.collation = row.collation;
  if (row.opclass) element.opclass = row.opclass;
  return element;
}
