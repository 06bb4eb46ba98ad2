import { DataError } from '@ferry/core';
import type { AvroField, AvroRecordSchema, AvroSchema } from './avro-schema.js';
import {
  columnValueCodec,
  type AvroColumnValue,
  type ColumnAvroType,
  type ColumnValueCodec,
} from './column-value-codec.js';

/** A column value as PostgreSQL text, or null for SQL NULL. */
export type PgText = string | null;

/** A decoded Avro row record: Avro field name → value. */
export type AvroRow = Record<string, AvroColumnValue | null>;

interface ColumnSlot {
  columnName: string;
  fieldName: string;
  codec: ColumnValueCodec;
}

/**
 * Turns rows of PostgreSQL text into Avro row records and back, for one row schema.
 * Built from the row record schema itself (its `pg.name` attributes map Avro field names
 * back to column names), so a consumer can build one for any writer or reader schema.
 *
 * Rows are positional (`values[i]` is `columnNames[i]`) or objects keyed by the original
 * column names. Objects returned here have no prototype, so a column named "__proto__"
 * or "constructor" is an ordinary key.
 */
export class RowConverter {
  /** Original PostgreSQL column names, in schema order. */
  readonly columnNames: readonly string[];
  /** Avro field names, in the same order. */
  readonly fieldNames: readonly string[];
  private readonly slots: readonly ColumnSlot[];
  private readonly tableName: string;

  private constructor(slots: ColumnSlot[], tableName: string) {
    this.slots = slots;
    this.tableName = tableName;
    this.columnNames = slots.map((s) => s.columnName);
    this.fieldNames = slots.map((s) => s.fieldName);
  }

  static fromRowSchema(schema: AvroRecordSchema): RowConverter {
    const tableName = `${String(schema['pg.schema'] ?? '?')}.${String(schema['pg.table'] ?? schema.name)}`;
    const slots = schema.fields.map((field) => ({
      columnName: typeof field['pg.name'] === 'string' ? field['pg.name'] : field.name,
      fieldName: field.name,
      codec: columnValueCodec(columnAvroTypeOf(field, tableName)),
    }));
    return new RowConverter(slots, tableName);
  }

  /** Positional text values → Avro record. */
  toAvro(values: readonly PgText[]): AvroRow {
    if (values.length !== this.slots.length) {
      throw new DataError(
        `${this.tableName}: row has ${values.length} values but the schema has ${this.slots.length} columns`,
        { context: { table: this.tableName }, fix: 'the row and the schema come from different table versions' },
      );
    }
    const record: AvroRow = {};
    for (let i = 0; i < this.slots.length; i++) {
      const slot = this.slots[i]!;
      const text = values[i]!;
      record[slot.fieldName] = text === null ? null : this.encodeValue(slot, text);
    }
    return record;
  }

  /** Text values keyed by original column name → Avro record. Every column must be present. */
  toAvroFromObject(row: Readonly<Record<string, PgText>>): AvroRow {
    const record: AvroRow = {};
    for (const slot of this.slots) {
      if (!Object.hasOwn(row, slot.columnName)) {
        throw new DataError(`${this.tableName}: row has no value for column "${slot.columnName}"`, {
          context: { table: this.tableName, column: slot.columnName },
          fix: 'pass null for SQL NULL; every column of the schema needs a value',
        });
      }
      const text = row[slot.columnName]!;
      record[slot.fieldName] = text === null ? null : this.encodeValue(slot, text);
    }
    return record;
  }

  /** Avro record → positional text values (ready for COPY or a parameterized INSERT). */
  fromAvro(record: Readonly<AvroRow>): PgText[] {
    const values = new Array<PgText>(this.slots.length);
    for (let i = 0; i < this.slots.length; i++) {
      const slot = this.slots[i]!;
      const value = record[slot.fieldName];
      values[i] = value === null || value === undefined ? null : slot.codec.fromAvro(value);
    }
    return values;
  }

  /** Avro record → text values keyed by original column name (a prototype-less object). */
  fromAvroToObject(record: Readonly<AvroRow>): Record<string, PgText> {
    const row = Object.create(null) as Record<string, PgText>;
    for (const slot of this.slots) {
      const value = record[slot.fieldName];
      row[slot.columnName] = value === null || value === undefined ? null : slot.codec.fromAvro(value);
    }
    return row;
  }

  private encodeValue(slot: ColumnSlot, text: string): AvroColumnValue {
    try {
      return slot.codec.toAvro(text);
    } catch (error) {
      if (!(error instanceof DataError)) throw error;
      throw new DataError(`${this.tableName}.${slot.columnName}: ${error.message}`, {
        context: { table: this.tableName, column: slot.columnName },
        ...(error.fix === undefined ? {} : { fix: error.fix }),
        cause: error,
      });
    }
  }
}

const COLUMN_AVRO_TYPES = new Set<string>(['boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

/** The T of a `["null", T]` field (T may be written as `{"type": T}`). */
function columnAvroTypeOf(field: AvroField, tableName: string): ColumnAvroType {
  const branches: AvroSchema[] = Array.isArray(field.type) ? field.type : [field.type];
  const nonNull = branches.filter((b) => b !== 'null');
  const only = nonNull.length === 1 ? nonNull[0] : undefined;
  const name = typeof only === 'object' && only !== null && !Array.isArray(only) ? only.type : only;
  if (typeof name !== 'string' || !COLUMN_AVRO_TYPES.has(name)) {
    throw new DataError(
      `${tableName}: field "${field.name}" has Avro type ${JSON.stringify(field.type)}, which is not a Ferry column type`,
      { context: { table: tableName, column: field.name }, fix: 'row schemas are built by tableAvroSchemas()' },
    );
  }
  return name as ColumnAvroType;
}
