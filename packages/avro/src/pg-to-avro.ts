import { InvariantError } from '@ferry/core';
import type { AvroField, AvroRecordSchema } from './avro-schema.js';
import { avroFieldNames, avroNamespace } from './avro-names.js';
import type { ColumnAvroType } from './column-value-codec.js';

/** One column of a source table, as read from the catalogs. */
export interface PgColumn {
  /** The column name exactly as PostgreSQL has it (any characters). */
  name: string;
  /** `format_type(atttypid, atttypmod)`, e.g. "numeric(12,2)", "public.mood", "integer[]". */
  typeName: string;
  typeOid: number;
  /** For a domain: the OID of its (innermost) base type, which decides the Avro type. */
  baseTypeOid?: number;
}

/** Built-in type OIDs (stable across PostgreSQL versions) that get a native Avro type. */
export const PG_TYPE_OID = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  oid: 26,
  float4: 700,
  float8: 701,
} as const;

const NATIVE_AVRO_TYPES: ReadonlyMap<number, ColumnAvroType> = new Map<number, ColumnAvroType>([
  [PG_TYPE_OID.bool, 'boolean'],
  [PG_TYPE_OID.bytea, 'bytes'],
  [PG_TYPE_OID.int8, 'long'],
  [PG_TYPE_OID.int2, 'int'],
  [PG_TYPE_OID.int4, 'int'],
  [PG_TYPE_OID.oid, 'long'],
  [PG_TYPE_OID.float4, 'float'],
  [PG_TYPE_OID.float8, 'double'],
]);

/**
 * The Avro type of a column. A handful of types map to Avro natives; every other type
 * (numeric, dates and times, arrays, json, enums, composites, ranges, …) travels as
 * PostgreSQL's own text form, the only form that keeps every value exact. A domain
 * follows its base type.
 */
export function avroTypeForColumn(column: Pick<PgColumn, 'typeOid' | 'baseTypeOid'>): ColumnAvroType {
  return NATIVE_AVRO_TYPES.get(column.baseTypeOid ?? column.typeOid) ?? 'string';
}

export interface TableAvroSchemasInput {
  /** The Kafka topic the table's events go to; the Avro namespace is derived from it. */
  topic: string;
  schema: string;
  table: string;
  /** In table order (attnum). */
  columns: readonly PgColumn[];
  /** Primary key or replica identity columns, in key order. Empty: the table has no key. */
  keyColumns: readonly string[];
}

export interface TableAvroSchemas {
  /** The row record: one nullable field per column. Named `<namespace>.Value`. */
  row: AvroRecordSchema;
  /** The key record (`<namespace>.Key`), or null when the table has no key columns. */
  key: AvroRecordSchema | null;
}

/**
 * Avro schemas for one table. Every field is `["null", T]` with default null (so a
 * column added later is a compatible change) and carries the PostgreSQL column name,
 * type and OID as `pg.*` attributes; the records carry `pg.schema` and `pg.table`.
 */
export function tableAvroSchemas(input: TableAvroSchemasInput): TableAvroSchemas {
  const namespace = avroNamespace(input.topic);
  const names = avroFieldNames(input.columns.map((c) => c.name));
  const fields = input.columns.map((column, i) => columnField(column, names[i]!));
  const recordAttributes = { 'pg.schema': input.schema, 'pg.table': input.table };

  const row: AvroRecordSchema = { type: 'record', name: 'Value', namespace, ...recordAttributes, fields };
  if (input.keyColumns.length === 0) return { row, key: null };

  const keyFields = input.keyColumns.map((keyColumn) => {
    const index = input.columns.findIndex((c) => c.name === keyColumn);
    if (index < 0) {
      throw new InvariantError(`key column "${keyColumn}" is not a column of ${input.schema}.${input.table}`, {
        context: { table: `${input.schema}.${input.table}`, column: keyColumn },
      });
    }
    return fields[index]!;
  });
  const key: AvroRecordSchema = { type: 'record', name: 'Key', namespace, ...recordAttributes, fields: keyFields };
  return { row, key };
}

function columnField(column: PgColumn, avroName: string): AvroField {
  const field: AvroField = {
    name: avroName,
    type: ['null', avroTypeForColumn(column)],
    default: null,
    'pg.name': column.name,
    'pg.type': column.typeName,
    'pg.oid': column.typeOid,
  };
  if (column.baseTypeOid !== undefined && column.baseTypeOid !== column.typeOid) {
    field['pg.baseOid'] = column.baseTypeOid;
  }
  return field;
}
