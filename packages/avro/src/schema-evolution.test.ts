import { describe, expect, it } from 'vitest';
import { compileAvroType } from './compile-avro-type.js';
import { tableAvroSchemas, type PgColumn } from './pg-to-avro.js';
import { evolveRecordSchema } from './schema-evolution.js';

const row = (columns: PgColumn[]) => tableAvroSchemas({ topic: 'p.public.t', schema: 'public', table: 't', columns, keyColumns: [] }).row;
const int4 = (name: string): PgColumn => ({ name, typeName: 'integer', typeOid: 23 });
const int8 = (name: string): PgColumn => ({ name, typeName: 'bigint', typeOid: 20 });
const text = (name: string): PgColumn => ({ name, typeName: 'text', typeOid: 25 });

describe('evolveRecordSchema', () => {
  it('keeps the first version as built', () => {
    const first = row([int4('id')]);
    expect(evolveRecordSchema(null, first)).toBe(first);
  });

  it('adds and drops fields by column name, keeping promotable types on their field', () => {
    const next = evolveRecordSchema(row([int4('id'), text('gone')]), row([int8('id'), text('new')]));
    expect(next.fields.map((f) => [f.name, f['pg.name'], f.type])).toEqual([
      ['id', 'id', ['null', 'long']],
      ['new', 'new', ['null', 'string']],
    ]);
  });

  it('moves a type change Avro cannot promote to a new field named after the type', () => {
    const previous = row([int4('id'), int4('qty')]);
    const next = evolveRecordSchema(previous, row([int4('id'), { name: 'qty', typeName: 'numeric', typeOid: 1700 }]));
    expect(next.fields.map((f) => [f.name, f['pg.name']])).toEqual([
      ['id', 'id'],
      ['qty_t1700', 'qty'],
    ]);
    // The new schema reads data written with the old one (BACKWARD): qty reads as null.
    const oldType = compileAvroType(previous);
    const newType = compileAvroType(next);
    const resolver = newType.createResolver(oldType);
    const decoded = newType.fromBuffer(oldType.toBuffer({ id: 1, qty: 5 }), resolver) as Record<string, unknown>;
    expect({ ...decoded }).toEqual({ id: 1, qty_t1700: null });
  });

  it('keeps the moved field name in later versions', () => {
    const v2 = evolveRecordSchema(row([int4('qty')]), row([{ name: 'qty', typeName: 'numeric', typeOid: 1700 }]));
    const v3 = evolveRecordSchema(v2, row([{ name: 'qty', typeName: 'numeric', typeOid: 1700 }, text('note')]));
    expect(v3.fields.map((f) => f.name)).toEqual(['qty_t1700', 'note']);
  });
});

describe('DDL event header', () => {
  it('round-trips and refuses what is not a DDL event', async () => {
    const { decodeDdlEventHeader, encodeDdlEventHeader } = await import('./ddl-event.js');
    const event = {
      id: '3', lsn: '0/10', txId: '9', commitTsMicros: '1', tag: 'DROP TABLE', statement: 'DROP TABLE t',
      action: 'drop' as const, schema: 'public', table: 't', previous: null, definition: null, dropped: [],
    };
    expect(decodeDdlEventHeader(encodeDdlEventHeader(event))).toEqual(event);
    expect(() => decodeDdlEventHeader('{"id": 3}')).toThrow('does not hold a DDL event');
  });
});
