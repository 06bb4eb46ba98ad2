import { describe, expect, it } from 'vitest';
import { DataError } from '@ferry/core';
import { compileAvroType } from './compile-avro-type.js';
import { PG_TYPE_OID, tableAvroSchemas, type PgColumn } from './pg-to-avro.js';
import { RowConverter, type AvroRow, type PgText } from './row-converter.js';

const columns: PgColumn[] = [
  { name: 'id', typeName: 'bigint', typeOid: PG_TYPE_OID.int8 },
  { name: 'Order Total', typeName: 'numeric(12,2)', typeOid: 1700 },
  { name: 'ok?', typeName: 'boolean', typeOid: PG_TYPE_OID.bool },
  { name: '__proto__', typeName: 'integer', typeOid: PG_TYPE_OID.int4 },
  { name: 'constructor', typeName: 'double precision', typeOid: PG_TYPE_OID.float8 },
  { name: 'blob', typeName: 'bytea', typeOid: PG_TYPE_OID.bytea },
  { name: 'note', typeName: 'text', typeOid: 25 },
];
const { row } = tableAvroSchemas({ topic: 'p.s.t', schema: 's', table: 't', columns, keyColumns: ['id'] });
const converter = RowConverter.fromRowSchema(row);
const type = compileAvroType(row);

describe('RowConverter', () => {
  const values: PgText[] = ['9223372036854775807', '12.30', 't', '-5', '-0', '\\x00ff', null];

  it('round-trips positional text values through Avro bytes', () => {
    const decoded = type.fromBuffer(type.toBuffer(converter.toAvro(values))) as AvroRow;
    expect(converter.fromAvro(decoded)).toEqual(values);
  });

  it('maps original column names both ways', () => {
    expect(converter.columnNames).toEqual(columns.map((c) => c.name));
    const input = Object.create(null) as Record<string, PgText>;
    columns.forEach((c, i) => (input[c.name] = values[i]!));
    const record = converter.toAvroFromObject(input);
    expect(Object.keys(record)).toEqual(converter.fieldNames);
    const back = converter.fromAvroToObject(type.fromBuffer(type.toBuffer(record)) as AvroRow);
    expect(Object.getPrototypeOf(back)).toBeNull();
    expect(Object.keys(back)).toEqual(columns.map((c) => c.name));
    expect(back['__proto__']).toBe('-5');
    expect(back['constructor']).toBe('-0');
    expect(back['Order Total']).toBe('12.30');
  });

  it('reads a row object parsed from JSON (a "__proto__" key is an own property there)', () => {
    const parsed = JSON.parse(
      '{"id":"1","Order Total":null,"ok?":"f","__proto__":"7","constructor":null,"blob":null,"note":"x"}',
    ) as Record<string, PgText>;
    expect(converter.fromAvro(converter.toAvroFromObject(parsed))).toEqual(['1', null, 'f', '7', null, null, 'x']);
  });

  it('names table and column when a value cannot be carried', () => {
    const bad = [...values];
    bad[3] = 'abc';
    expect(() => converter.toAvro(bad)).toThrow(DataError);
    expect(() => converter.toAvro(bad)).toThrow(/s\.t\.__proto__: cannot carry "abc" as Avro int/);
  });

  it('refuses rows of the wrong width and objects that lack a column', () => {
    expect(() => converter.toAvro(values.slice(1))).toThrow(/row has 6 values but the schema has 7 columns/);
    expect(() => converter.toAvroFromObject({ id: '1' })).toThrow(/no value for column "Order Total"/);
  });

  it('fills columns the record lacks (a reader with a column the writer did not have) with null', () => {
    expect(converter.fromAvro({ id: 1n })).toEqual(['1', null, null, null, null, null, null]);
  });

  it('refuses a schema whose fields are not Ferry column types', () => {
    expect(() =>
      RowConverter.fromRowSchema({ type: 'record', name: 'X', fields: [{ name: 'a', type: ['null', 'string', 'int'] }] }),
    ).toThrow(DataError);
  });
});
