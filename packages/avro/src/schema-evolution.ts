import type { AvroField, AvroRecordSchema, AvroSchema } from './avro-schema.js';

/**
 * The next version of a row (or key) record, compatible with the version registered before
 * under the registry's BACKWARD rule (the new schema must read every message of the previous
 * one). Columns are matched by their PostgreSQL name (`pg.name`):
 * - a new column is a new nullable field with default null (compatible as built);
 * - a dropped column's field goes away (a reader ignores fields it does not know);
 * - a column whose Avro type stays the same, or widens the way Avro promotes
 *   (int → long → float → double, string ↔ bytes), keeps its field name;
 * - any other type change gets a new field, `<field>_t<pg type oid>`, for the same column
 *   (same `pg.name`). The old field is dropped and the new one is a nullable field with
 *   default null, so the change stays BACKWARD compatible, and since the suffix names the
 *   type, a field name never carries two Avro types that cannot be promoted.
 * Consumers find a column's values through `pg.name`, never through the field name.
 */
export function evolveRecordSchema(previous: AvroRecordSchema | null, next: AvroRecordSchema): AvroRecordSchema {
  if (!previous) return next;
  const before = new Map(previous.fields.map((f) => [columnOf(f), f]));
  const taken = new Set<string>();
  const fields: AvroField[] = next.fields.map((field) => {
    const old = before.get(columnOf(field));
    let name = field.name;
    if (old && (sameType(old.type, field.type) || promotes(old.type, field.type))) name = old.name;
    else if (old) name = `${field.name}_t${String(field['pg.oid'] ?? 'x')}`;
    return { ...field, name };
  });
  // A field name is used once; a clash (only possible with the suffix) gets a counter.
  for (const field of fields) {
    let name = field.name;
    for (let n = 2; taken.has(name); n++) name = `${field.name}_${n}`;
    field.name = name;
    taken.add(name);
  }
  return { ...next, fields };
}

function columnOf(field: AvroField): string {
  return typeof field['pg.name'] === 'string' ? field['pg.name'] : field.name;
}

/** The non-null branch of a ["null", T] field type (every Ferry column field has that shape). */
function valueType(type: AvroSchema): string {
  const branch = Array.isArray(type) ? type.find((t) => t !== 'null') : type;
  if (typeof branch === 'string') return branch;
  return JSON.stringify(branch);
}

function sameType(a: AvroSchema, b: AvroSchema): boolean {
  return valueType(a) === valueType(b);
}

/** Avro's schema resolution: a reader of `reader` can read data written as `writer`. */
const PROMOTIONS: Record<string, readonly string[]> = {
  int: ['long', 'float', 'double'],
  long: ['float', 'double'],
  float: ['double'],
  string: ['bytes'],
  bytes: ['string'],
};

function promotes(writer: AvroSchema, reader: AvroSchema): boolean {
  return PROMOTIONS[valueType(writer)]?.includes(valueType(reader)) ?? false;
}
