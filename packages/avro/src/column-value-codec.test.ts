import { describe, expect, it } from 'vitest';
import { DataError } from '@ferry/core';
import { columnValueCodec, type ColumnAvroType } from './column-value-codec.js';
import { compileAvroType } from './compile-avro-type.js';

/** text → Avro value → bytes (through a compiled ["null", T] type) → Avro value → text */
function roundTrip(avroType: ColumnAvroType, text: string): string {
  const codec = columnValueCodec(avroType);
  const type = compileAvroType(['null', avroType]);
  const decoded = type.fromBuffer(type.toBuffer(codec.toAvro(text))) as Parameters<typeof codec.fromAvro>[0];
  return codec.fromAvro(decoded);
}

// PostgreSQL's text output (DateStyle=ISO, TimeZone=UTC, IntervalStyle=postgres,
// extra_float_digits=3, bytea_output=hex) for values of every type family.
const EXACT: Array<[ColumnAvroType, string[]]> = [
  ['boolean', ['t', 'f']],
  ['int', ['0', '-1', '32767', '-32768', '2147483647', '-2147483648']],
  ['long', ['0', '-1', '9007199254740993', '9223372036854775807', '-9223372036854775808', '4294967295']],
  ['double', ['0', '-0', 'NaN', 'Infinity', '-Infinity', '1.5', '0.1', '1e+15', '1e-05', '1.7976931348623157e+308', '5e-324', '-123.456']],
  ['float', ['0', '-0', 'NaN', 'Infinity', '-Infinity', '1.1', '3.4028235e+38', '1e-45', '123456', '1e+06']],
  ['bytes', ['\\x', '\\x00', '\\xdeadbeef00ff', `\\x${Buffer.alloc(300, 0xab).toString('hex')}`]],
  [
    'string',
    [
      // numeric
      'NaN', '0.000000000000000000000000000001', '-12345678901234567890.123456789012345678901234567890', '1.10',
      // text family
      '', ' leading and trailing ', 'quote " backslash \\ tab \t newline \n', 'ünïcödé ✓ 日本語 🎉',
      // date/time
      '2024-02-29', 'infinity', '-infinity', '4713-01-01 BC', '0044-03-15 BC', '24:00:00', '23:59:59.999999',
      '2024-01-01 12:34:56.123456', '2024-01-01 12:34:56.123456+00', '294276-12-31 23:59:59.999999+00',
      '12:00:00+05:30', '1 year 2 mons 3 days 04:05:06.789', '-178000000 years', '00:00:00', '-1 days +02:03:00',
      // misc
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"b": 1, "a": [1, 2]}', '{ "a" : 1, "a" : 2 }', '<doc>x &amp; y</doc>',
      '{{1,NULL},{3,4}}', '{"a b","c\\"d",NULL,""}', '[2:3]={1,2}', 'happy', '(1,"x y")', '[1,10)', 'empty',
      '10101', '(1.5,2)', '(3,4),(1,2)', '192.168.0.1/24', '::1', '08:00:2b:01:02:03', "'a' 'fat':2 'rat':3", "'fat' & 'rat'",
      '"k"=>"v", "n"=>NULL', '$1,234.56', 'MiXeD CaSe',
    ],
  ],
];

describe('column value codec', () => {
  for (const [avroType, texts] of EXACT) {
    it(`round-trips ${avroType} text exactly through Avro bytes`, () => {
      for (const text of texts) expect(roundTrip(avroType, text)).toBe(text);
    });
  }

  it('carries int8 beyond 2^53 as an exact bigint', () => {
    expect(columnValueCodec('long').toAvro('9007199254740993')).toBe(9007199254740993n);
  });

  it('keeps the sign of -0 and NaN for both float types', () => {
    for (const t of ['float', 'double'] as const) {
      const codec = columnValueCodec(t);
      expect(Object.is(codec.toAvro('-0'), -0)).toBe(true);
      expect(Number.isNaN(codec.toAvro('NaN'))).toBe(true);
    }
  });

  it('gives float text that reads back to the identical value when the source printed more digits', () => {
    // extra_float_digits=3 on an old server (pre-12) prints more than the shortest digits.
    expect(roundTrip('double', '0.10000000000000001')).toBe('0.1');
    expect(roundTrip('float', '1.10000002')).toBe('1.1');
  });

  it('refuses text that is not the server output of the type', () => {
    const bad: Array<[ColumnAvroType, string]> = [
      ['boolean', 'true'],
      ['boolean', ''],
      ['int', ''],
      ['int', '1.5'],
      ['int', '2147483648'],
      ['int', ' 1'],
      ['long', ''],
      ['long', '0x10'],
      ['long', '9223372036854775808'],
      ['double', ''],
      ['double', 'abc'],
      ['float', 'inf'],
      ['bytes', 'abc'],
      ['bytes', '\\x0'],
      ['bytes', '\\xzz'],
    ];
    for (const [avroType, text] of bad) {
      expect(() => columnValueCodec(avroType).toAvro(text), `${avroType} ${JSON.stringify(text)}`).toThrow(DataError);
    }
  });
});
