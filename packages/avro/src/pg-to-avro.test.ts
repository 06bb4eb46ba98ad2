import { describe, expect, it } from 'vitest';
import { InvariantError } from '@ferry/core';
import { avroTypeForColumn, PG_TYPE_OID, tableAvroSchemas, type PgColumn } from './pg-to-avro.js';
import { compileAvroType } from './compile-avro-type.js';

const columns: PgColumn[] = [
  { name: 'id', typeName: 'bigint', typeOid: PG_TYPE_OID.int8 },
  { name: 'Order Total', typeName: 'numeric(12,2)', typeOid: 1700 },
  { name: 'flag', typeName: 'boolean', typeOid: PG_TYPE_OID.bool },
  { name: 'qty', typeName: 'public.positive_int', typeOid: 90001, baseTypeOid: PG_TYPE_OID.int4 },
  { name: 'tags', typeName: 'text[]', typeOid: 1009 },
];

describe('avroTypeForColumn', () => {
  it('maps the native types and carries everything else as text', () => {
    const cases: Array<[number, string]> = [
      [PG_TYPE_OID.bool, 'boolean'],
      [PG_TYPE_OID.int2, 'int'],
      [PG_TYPE_OID.int4, 'int'],
      [PG_TYPE_OID.int8, 'long'],
      [PG_TYPE_OID.oid, 'long'],
      [PG_TYPE_OID.float4, 'float'],
      [PG_TYPE_OID.float8, 'double'],
      [PG_TYPE_OID.bytea, 'bytes'],
      [1700, 'string'], // numeric
      [25, 'string'], // text
      [1114, 'string'], // timestamp
      [1007, 'string'], // int4[]
      [3802, 'string'], // jsonb
      [123456, 'string'], // enum, composite, unknown
    ];
    for (const [typeOid, avroType] of cases) expect(avroTypeForColumn({ typeOid })).toBe(avroType);
  });

  it('maps a domain by its base type', () => {
    expect(avroTypeForColumn({ typeOid: 90001, baseTypeOid: PG_TYPE_OID.float8 })).toBe('double');
    expect(avroTypeForColumn({ typeOid: 90002, baseTypeOid: 1700 })).toBe('string');
  });
});

describe('tableAvroSchemas', () => {
  const { row, key } = tableAvroSchemas({
    topic: 'ferry.public.orders',
    schema: 'public',
    table: 'orders',
    columns,
    keyColumns: ['id'],
  });

  it('builds a row record with nullable fields and pg attributes', () => {
    expect(row).toMatchObject({
      type: 'record',
      name: 'Value',
      namespace: 'ferry.public.orders',
      'pg.schema': 'public',
      'pg.table': 'orders',
    });
    expect(row.fields[0]).toEqual({
      name: 'id',
      type: ['null', 'long'],
      default: null,
      'pg.name': 'id',
      'pg.type': 'bigint',
      'pg.oid': 20,
    });
    expect(row.fields[1]).toMatchObject({ type: ['null', 'string'], 'pg.name': 'Order Total', 'pg.type': 'numeric(12,2)' });
    expect(row.fields[1]!.name).toMatch(/^Order_Total_[0-9a-f]{8}$/);
    expect(row.fields[3]).toMatchObject({ type: ['null', 'int'], 'pg.oid': 90001, 'pg.baseOid': 23 });
    expect(() => compileAvroType(row)).not.toThrow();
  });

  it('builds the key from the key columns in key order with the same field names', () => {
    expect(key).toMatchObject({ type: 'record', name: 'Key', namespace: 'ferry.public.orders' });
    expect(key!.fields).toEqual([row.fields[0]]);
    const twoColumnKey = tableAvroSchemas({ topic: 't', schema: 's', table: 'x', columns, keyColumns: ['Order Total', 'id'] });
    expect(twoColumnKey.key!.fields.map((f) => f['pg.name'])).toEqual(['Order Total', 'id']);
  });

  it('has no key schema for a table without key columns', () => {
    expect(tableAvroSchemas({ topic: 't', schema: 's', table: 'x', columns, keyColumns: [] }).key).toBeNull();
  });

  it('refuses a key column that is not a column', () => {
    expect(() => tableAvroSchemas({ topic: 't', schema: 's', table: 'x', columns, keyColumns: ['nope'] })).toThrow(
      InvariantError,
    );
  });
});
