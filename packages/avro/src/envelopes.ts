import { DataError } from '@ferry/core';
import type { AvroField, AvroRecordSchema, AvroSchema } from './avro-schema.js';
import { fullName } from './avro-schema.js';
import { avroNamespace } from './avro-names.js';
import type { AvroRow } from './row-converter.js';

/**
 * The value schemas of Ferry's topics. Names live in a namespace derived from the topic
 * (`ferry.public.orders` → records `ferry.public.orders.Envelope`, `.Source`, …), so two
 * topics never clash and a schema's names never change while its topic stays the same
 * (Avro resolution matches records by full name).
 *
 * `op` and the transaction `status` are Avro strings, not enums, on purpose: consumers
 * written for Debezium read `op` as a string, and a new operation (say, logical decoding
 * messages) can be added later without breaking readers that hold the old schema, which
 * an enum symbol would. The TypeScript types below keep Ferry's own code to the known
 * values; the extra byte per message is noise next to the row.
 */

/** r = snapshot read, c = insert, u = update, d = delete, t = truncate. */
export type Operation = 'r' | 'c' | 'u' | 'd' | 't';
export const OPERATIONS: readonly Operation[] = ['r', 'c', 'u', 'd', 't'];

/** Where an event came from. Informational; the resume position lives elsewhere. */
export interface SourceInfo {
  db: string;
  schema: string;
  table: string;
  /** The event's LSN as PostgreSQL prints it ("0/16B3748"). */
  lsn: string;
  txId: bigint | null;
  /** Commit time in microseconds since the Unix epoch. */
  commitTsMicros: bigint | null;
  snapshot: boolean;
  /** The snapshot chunk this event belongs to, if any. */
  chunk: string | null;
}

export interface TransactionInfo {
  id: string;
  /** Position of this event within its transaction, from 1. */
  order: bigint;
}

export interface ChangeEvent<Row = AvroRow> {
  before: Row | null;
  after: Row | null;
  op: Operation;
  source: SourceInfo;
  /** When capture processed the event, milliseconds since the Unix epoch. */
  tsMs: bigint;
  transaction: TransactionInfo | null;
  /** Original names of columns whose unchanged TOAST value is not in `after` (leave them alone). */
  unchangedToast: string[];
}

export interface ChunkInfo {
  /** Unique for the table's snapshot, e.g. "public.orders#17". */
  id: string;
  /** Order of the chunk within the table's snapshot, from 0. */
  index: number;
  /** How many rows `rows` holds. */
  rowCount: number;
  /** Human-readable key range of the chunk (informational), null for the whole table. */
  range: string | null;
  /** True on the table's final chunk. */
  last: boolean;
  /**
   * True on a marker that starts the table's snapshot over: rows of earlier chunks are to
   * be discarded (a keyless table whose interrupted snapshot is taken again).
   */
  reset: boolean;
}

/** Many `op: r` rows of one key range in one message (one COPY on the sink). */
export interface SnapshotChunk<Row = AvroRow> {
  source: SourceInfo;
  chunk: ChunkInfo;
  rows: Row[];
}

export type TransactionStatus = 'BEGIN' | 'END';

export interface TableEventCount {
  /** "schema.table" */
  table: string;
  count: bigint;
}

/** A `<prefix>.transactions` message. Counts are null on BEGIN. */
export interface TransactionBoundary {
  status: TransactionStatus;
  id: string;
  eventCount: bigint | null;
  perTable: TableEventCount[];
  lsn: string;
  commitTsMicros: bigint | null;
  tsMs: bigint;
}

/** A `<prefix>.heartbeat` message. */
export interface Heartbeat {
  db: string;
  lsn: string | null;
  tsMs: bigint;
}

const nullable = (type: AvroSchema): AvroSchema => ['null', type];
const field = (name: string, type: AvroSchema, extra: Partial<AvroField> = {}): AvroField => ({
  name,
  type,
  ...extra,
});
const optional = (name: string, type: AvroSchema): AvroField => field(name, nullable(type), { default: null });

function sourceSchema(namespace: string): AvroRecordSchema {
  return {
    type: 'record',
    name: 'Source',
    namespace,
    fields: [
      field('db', 'string'),
      field('schema', 'string'),
      field('table', 'string'),
      field('lsn', 'string'),
      optional('txId', 'long'),
      optional('commitTsMicros', 'long'),
      field('snapshot', 'boolean', { default: false }),
      optional('chunk', 'string'),
    ],
  };
}

/**
 * The value schema of a table topic: a Debezium-style change event around the table's
 * row record (from tableAvroSchemas().row).
 */
export function changeEventSchema(topic: string, row: AvroRecordSchema): AvroRecordSchema {
  const namespace = avroNamespace(topic);
  const rowInNamespace = { ...row, namespace: row.namespace ?? namespace };
  return {
    type: 'record',
    name: 'Envelope',
    namespace,
    'pg.schema': row['pg.schema'],
    'pg.table': row['pg.table'],
    fields: [
      field('before', nullable(rowInNamespace), { default: null }),
      // A named type is defined once per schema; later uses refer to it by full name.
      field('after', nullable(fullName(rowInNamespace)), { default: null }),
      field('op', 'string'),
      field('source', sourceSchema(namespace)),
      field('tsMs', 'long'),
      optional('transaction', {
        type: 'record',
        name: 'TransactionBlock',
        namespace,
        fields: [field('id', 'string'), field('order', 'long')],
      }),
      field('unchangedToast', { type: 'array', items: 'string' }, { default: [] }),
    ],
  };
}

/** The value schema of a snapshot chunk message for a table. */
export function snapshotChunkSchema(topic: string, row: AvroRecordSchema): AvroRecordSchema {
  const namespace = avroNamespace(topic);
  return {
    type: 'record',
    name: 'SnapshotChunk',
    namespace,
    'pg.schema': row['pg.schema'],
    'pg.table': row['pg.table'],
    fields: [
      field('source', sourceSchema(namespace)),
      field('chunk', {
        type: 'record',
        name: 'ChunkInfo',
        namespace,
        fields: [
          field('id', 'string'),
          field('index', 'int'),
          field('rowCount', 'int'),
          optional('range', 'string'),
          field('last', 'boolean', { default: false }),
          field('reset', 'boolean', { default: false }),
        ],
      }),
      field('rows', { type: 'array', items: { ...row, namespace: row.namespace ?? namespace } }),
    ],
  };
}

/** The value schema of `<prefix>.transactions`. */
export function transactionBoundarySchema(topic: string): AvroRecordSchema {
  const namespace = avroNamespace(topic);
  return {
    type: 'record',
    name: 'TransactionBoundary',
    namespace,
    fields: [
      field('status', 'string'),
      field('id', 'string'),
      optional('eventCount', 'long'),
      field(
        'perTable',
        {
          type: 'array',
          items: {
            type: 'record',
            name: 'TableEventCount',
            namespace,
            fields: [field('table', 'string'), field('count', 'long')],
          },
        },
        { default: [] },
      ),
      field('lsn', 'string'),
      optional('commitTsMicros', 'long'),
      field('tsMs', 'long'),
    ],
  };
}

/** The value schema of `<prefix>.heartbeat`. */
export function heartbeatSchema(topic: string): AvroRecordSchema {
  return {
    type: 'record',
    name: 'Heartbeat',
    namespace: avroNamespace(topic),
    fields: [field('db', 'string'), optional('lsn', 'string'), field('tsMs', 'long')],
  };
}

/**
 * The row record inside a change event or snapshot chunk schema (for RowConverter), or
 * the schema itself when it is already a row or key record.
 */
export function rowSchemaOf(valueSchema: AvroRecordSchema): AvroRecordSchema {
  const byName = new Map(valueSchema.fields.map((f) => [f.name, f.type]));
  if (valueSchema.name === 'Envelope') {
    const before = byName.get('before');
    const record = Array.isArray(before) ? before.find(isRecord) : undefined;
    if (record) return record;
  } else if (valueSchema.name === 'SnapshotChunk') {
    const rows = byName.get('rows');
    if (isArraySchema(rows) && isRecord(rows.items)) return rows.items;
  } else if (valueSchema.name === 'Value' || valueSchema.name === 'Key') {
    return valueSchema;
  }
  throw new DataError(`schema ${fullName(valueSchema)} holds no Ferry row record`, {
    fix: 'pass a change event, snapshot chunk, row or key schema',
  });
}

function isRecord(schema: AvroSchema | undefined): schema is AvroRecordSchema {
  return typeof schema === 'object' && schema !== null && !Array.isArray(schema) && schema.type === 'record';
}

function isArraySchema(schema: AvroSchema | undefined): schema is { type: 'array'; items: AvroSchema } {
  return typeof schema === 'object' && schema !== null && !Array.isArray(schema) && schema.type === 'array';
}
