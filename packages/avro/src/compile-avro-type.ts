import avro from 'avsc';
import type { Type } from 'avsc';
import { DataError } from '@ferry/core';
import { bigintLongType } from './bigint-long-type.js';
import type { AvroSchema } from './avro-schema.js';

/**
 * Compiles an Avro schema into an avsc type the way Ferry reads and writes it: every
 * `long` is a bigint (see bigint-long-type.ts), records carry no helper methods.
 * Compiling is the expensive step; callers compile once per schema and keep the type.
 */
export function compileAvroType(schema: AvroSchema | string): Type {
  const parsed: unknown = typeof schema === 'string' ? parseSchemaText(schema) : schema;
  try {
    return avro.Type.forSchema(parsed as never, {
      omitRecordMethods: true,
      typeHook: (node: unknown) => (isLong(node) ? bigintLongType : undefined),
    });
  } catch (error) {
    throw new DataError(`invalid Avro schema: ${(error as Error).message}`, {
      cause: error,
      fix: 'the schema was built or stored wrongly; compare it with the Avro specification',
    });
  }
}

// Also `{"type": "long", "logicalType": …}`: Ferry registers no logical types, so avsc
// would read those as plain longs anyway; as bigints they stay exact.
function isLong(node: unknown): boolean {
  if (node === 'long') return true;
  return typeof node === 'object' && node !== null && (node as { type?: unknown }).type === 'long';
}

function parseSchemaText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DataError(`Avro schema is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}
