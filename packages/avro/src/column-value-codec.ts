import { DataError } from '@ferry/core';
import type { AvroPrimitive } from './avro-schema.js';
import { formatFloat4, formatFloat8 } from './pg-float-text.js';

/** A column value as carried in Avro (never null here; nulls are the union's other branch). */
export type AvroColumnValue = boolean | number | bigint | Buffer | string;

/**
 * Converts one column's PostgreSQL text (the server's output with DateStyle=ISO,
 * TimeZone=UTC, IntervalStyle=postgres, extra_float_digits=3, bytea_output=hex) to the
 * Avro value and back to text the destination server accepts as input. `fromAvro(toAvro(t))`
 * is `t` again, except that a float comes back in PostgreSQL's shortest form, which reads
 * back to the identical float.
 */
export interface ColumnValueCodec {
  readonly avroType: ColumnAvroType;
  toAvro(text: string): AvroColumnValue;
  fromAvro(value: AvroColumnValue): string;
}

/** The Avro types a column can have (see pg-to-avro.ts for which PostgreSQL type gets which). */
export type ColumnAvroType = Exclude<AvroPrimitive, 'null'>;

const INTEGER_TEXT = /^-?[0-9]+$/;
const HEX_TEXT = /^[0-9a-fA-F]*$/;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const booleanCodec: ColumnValueCodec = {
  avroType: 'boolean',
  toAvro(text) {
    if (text === 't') return true;
    if (text === 'f') return false;
    throw invalidText('boolean', text, "PostgreSQL prints booleans as 't' or 'f'");
  },
  fromAvro: (value) => (value ? 't' : 'f'),
};

const intCodec: ColumnValueCodec = {
  avroType: 'int',
  toAvro(text) {
    const value = Number(text);
    if (!INTEGER_TEXT.test(text) || value < INT32_MIN || value > INT32_MAX) {
      throw invalidText('int', text, 'an int2/int4 column must hold a 32-bit integer');
    }
    return value;
  },
  fromAvro: (value) => String(value),
};

const longCodec: ColumnValueCodec = {
  avroType: 'long',
  toAvro(text) {
    // BigInt() alone would also take '', ' 1' and '0x1f'.
    const value = INTEGER_TEXT.test(text) ? BigInt(text) : undefined;
    if (value === undefined || value < INT64_MIN || value > INT64_MAX) {
      throw invalidText('long', text, 'an int8/oid column must hold a 64-bit integer');
    }
    return value;
  },
  fromAvro: (value) => String(value),
};

const floatCodec: ColumnValueCodec = {
  avroType: 'float',
  toAvro: (text) => parseFloatText('float', text),
  fromAvro: (value) => formatFloat4(value as number),
};

const doubleCodec: ColumnValueCodec = {
  avroType: 'double',
  toAvro: (text) => parseFloatText('double', text),
  fromAvro: (value) => formatFloat8(value as number),
};

const bytesCodec: ColumnValueCodec = {
  avroType: 'bytes',
  toAvro(text) {
    const hex = text.slice(2);
    if (!text.startsWith('\\x') || hex.length % 2 !== 0 || !HEX_TEXT.test(hex)) {
      throw invalidText('bytes', text, "bytea must be in hex output form ('\\x…'); set bytea_output = hex");
    }
    return Buffer.from(hex, 'hex');
  },
  fromAvro: (value) => `\\x${(value as Buffer).toString('hex')}`,
};

const stringCodec: ColumnValueCodec = {
  avroType: 'string',
  toAvro: (text) => text,
  fromAvro: (value) => value as string,
};

const CODECS: Record<ColumnAvroType, ColumnValueCodec> = {
  boolean: booleanCodec,
  int: intCodec,
  long: longCodec,
  float: floatCodec,
  double: doubleCodec,
  bytes: bytesCodec,
  string: stringCodec,
};

/** The codec for a column's Avro type. The Avro type alone decides the text conversion. */
export function columnValueCodec(avroType: ColumnAvroType): ColumnValueCodec {
  return CODECS[avroType];
}

function parseFloatText(avroType: string, text: string): number {
  // Number() reads every form PostgreSQL prints: 1.5, 1e+20, -0, NaN, Infinity, -Infinity.
  const value = Number(text);
  if (text.length === 0 || (Number.isNaN(value) && text !== 'NaN')) {
    throw invalidText(avroType, text, 'a float4/float8 column must hold a number, NaN, Infinity or -Infinity');
  }
  return value;
}

function invalidText(avroType: string, text: string, fix: string): DataError {
  return new DataError(`cannot carry ${JSON.stringify(shorten(text))} as Avro ${avroType}`, { fix });
}

function shorten(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
