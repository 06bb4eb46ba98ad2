/**
 * The JSON shapes of the Avro schemas Ferry builds. Only what Ferry uses; custom
 * attributes (`pg.*`) are allowed on records and fields and travel to the registry.
 */
export type AvroPrimitive = 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string';

export type AvroSchema = AvroPrimitive | string | AvroRecordSchema | AvroArraySchema | AvroSchema[];

export interface AvroArraySchema {
  type: 'array';
  items: AvroSchema;
}

export interface AvroField {
  name: string;
  type: AvroSchema;
  default?: unknown;
  doc?: string;
  [attribute: `pg.${string}`]: unknown;
}

export interface AvroRecordSchema {
  type: 'record';
  name: string;
  namespace?: string;
  doc?: string;
  fields: AvroField[];
  [attribute: `pg.${string}`]: unknown;
}

/** `namespace.name`, the name other parts of a schema use to refer to a record. */
export function fullName(record: Pick<AvroRecordSchema, 'name' | 'namespace'>): string {
  return record.namespace ? `${record.namespace}.${record.name}` : record.name;
}
