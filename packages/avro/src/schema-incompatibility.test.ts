import { describe, expect, it } from 'vitest';
import { describeIncompatibility, SchemaIncompatibleError } from './schema-incompatibility.js';
import type { AvroRecordSchema } from './avro-schema.js';

// The registered version the registry compared against (its pointers refer to this one).
const existing: AvroRecordSchema = {
  type: 'record',
  name: 'Value',
  fields: [
    { name: 'id', type: ['null', 'long'], default: null, 'pg.name': 'id' },
    { name: 'Qty_1a2b3c4d', type: ['null', 'int'], default: null, 'pg.name': 'Qty!' },
  ],
};

describe('describeIncompatibility', () => {
  it("names fields and columns in Apicurio's diff list", () => {
    // Captured from Apicurio 3.0.9 for an int → string change.
    const message =
      'io.apicurio.registry.rules.RuleViolationException: Incompatible artifact: t-value [AVRO], num of incompatible diffs: {2}, ' +
      'list of diff types: [reader type: STRING not compatible with writer type: NULL at /fields/1/type/0, ' +
      'reader type: STRING not compatible with writer type: INT at /fields/1/type/1]';
    expect(describeIncompatibility(message, existing)).toEqual([
      'field "Qty_1a2b3c4d" (column "Qty!") type[0]: reader type: string not compatible with writer type: null',
      'field "Qty_1a2b3c4d" (column "Qty!") type[1]: reader type: string not compatible with writer type: int',
    ]);
  });

  it('walks into nested records (the row inside an envelope)', () => {
    const envelope = { type: 'record', name: 'Envelope', fields: [{ name: 'before', type: ['null', existing] }] } as AvroRecordSchema;
    const message = 'x, list of diff types: [READER_FIELD_MISSING_DEFAULT_VALUE: n at /fields/0/type/1/fields/1]';
    expect(describeIncompatibility(message, envelope)).toEqual([
      'field "before" type[1] field "Qty_1a2b3c4d" (column "Qty!"): reader_field_missing_default_value: n',
    ]);
  });

  it('keeps a message it cannot parse', () => {
    expect(describeIncompatibility('Schema being registered is incompatible', existing)).toEqual([
      'Schema being registered is incompatible',
    ]);
  });

  it('makes an error that names the subject and the changes', () => {
    const error = new SchemaIncompatibleError('t-value', ['field "a": x']);
    expect(error.code).toBe('SCHEMA_INCOMPATIBLE');
    expect(error.retriable).toBe(false);
    expect(error.message).toContain('subject "t-value"');
    expect(error.message).toContain('field "a": x');
  });
});
