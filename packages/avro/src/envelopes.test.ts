import { describe, expect, it } from 'vitest';
import { compileAvroType } from './compile-avro-type.js';
import {
  changeEventSchema,
  heartbeatSchema,
  rowSchemaOf,
  snapshotChunkSchema,
  transactionBoundarySchema,
  type ChangeEvent,
  type Heartbeat,
  type SnapshotChunk,
  type SourceInfo,
  type TransactionBoundary,
} from './envelopes.js';
import { PG_TYPE_OID, tableAvroSchemas } from './pg-to-avro.js';
import { RowConverter } from './row-converter.js';

const topic = 'ferry-test.public.orders';
const { row } = tableAvroSchemas({
  topic,
  schema: 'public',
  table: 'orders',
  columns: [
    { name: 'id', typeName: 'bigint', typeOid: PG_TYPE_OID.int8 },
    { name: 'note text', typeName: 'text', typeOid: 25 },
  ],
  keyColumns: ['id'],
});
const converter = RowConverter.fromRowSchema(row);

const source: SourceInfo = {
  db: 'shop',
  schema: 'public',
  table: 'orders',
  lsn: '16/B374D848',
  txId: 4294967297n,
  commitTsMicros: 1_700_000_000_123_456n,
  snapshot: false,
  chunk: null,
};

function roundTrip<T>(schema: object, value: T): T {
  const type = compileAvroType(schema as never);
  return type.fromBuffer(type.toBuffer(value)) as T;
}

describe('change event schema', () => {
  const schema = changeEventSchema(topic, row);

  it('is named from the topic and wraps the row record twice (defined once, then referenced)', () => {
    expect(schema).toMatchObject({ type: 'record', name: 'Envelope', namespace: 'ferry_test.public.orders' });
    const fields = Object.fromEntries(schema.fields.map((f) => [f.name, f.type]));
    expect((fields['before'] as unknown[])[1]).toEqual(row);
    expect(fields['after']).toEqual(['null', 'ferry_test.public.orders.Value']);
    expect(rowSchemaOf(schema)).toEqual(row);
  });

  it('round-trips an update with transaction info and unchanged TOAST columns', () => {
    const event: ChangeEvent = {
      before: converter.toAvro(['1', 'old']),
      after: converter.toAvro(['9223372036854775807', null]),
      op: 'u',
      source,
      tsMs: 1_700_000_000_999n,
      transaction: { id: '4294967297:16/B374D848', order: 3n },
      unchangedToast: ['note text'],
    };
    const back = roundTrip(schema, event);
    expect(back).toEqual(event);
    expect(converter.fromAvro(back.after!)).toEqual(['9223372036854775807', null]);
  });

  it('round-trips a delete and a truncate (no rows, no transaction)', () => {
    for (const op of ['d', 't'] as const) {
      const event: ChangeEvent = {
        before: op === 'd' ? converter.toAvro(['1', null]) : null,
        after: null,
        op,
        source: { ...source, txId: null, commitTsMicros: null },
        tsMs: 5n,
        transaction: null,
        unchangedToast: [],
      };
      expect(roundTrip(schema, event)).toEqual(event);
    }
  });
});

describe('snapshot chunk schema', () => {
  it('carries many rows of one key range in one message', () => {
    const schema = snapshotChunkSchema(topic, row);
    expect(rowSchemaOf(schema)).toEqual(row);
    const chunk: SnapshotChunk = {
      source: { ...source, snapshot: true, chunk: 'public.orders#0' },
      chunk: { id: 'public.orders#0', index: 0, rowCount: 3, range: 'id >= 1 AND id < 4', last: true, reset: false },
      rows: [['1', 'a'], ['2', null], ['3', 'c']].map((r) => converter.toAvro(r)),
    };
    const back = roundTrip(schema, chunk);
    expect(back).toEqual(chunk);
    expect(back.rows.map((r) => converter.fromAvro(r))).toEqual([['1', 'a'], ['2', null], ['3', 'c']]);
  });
});

describe('transaction boundary and heartbeat schemas', () => {
  it('round-trip BEGIN and END', () => {
    const schema = transactionBoundarySchema('ferry.transactions');
    expect(schema).toMatchObject({ name: 'TransactionBoundary', namespace: 'ferry.transactions' });
    const begin: TransactionBoundary = {
      status: 'BEGIN',
      id: '771',
      eventCount: null,
      perTable: [],
      lsn: '0/16B3748',
      commitTsMicros: 1n,
      tsMs: 2n,
    };
    const end: TransactionBoundary = {
      ...begin,
      status: 'END',
      eventCount: 3n,
      perTable: [
        { table: 'public.orders', count: 2n },
        { table: 'public.items', count: 1n },
      ],
    };
    expect(roundTrip(schema, begin)).toEqual(begin);
    expect(roundTrip(schema, end)).toEqual(end);
  });

  it('round-trips a heartbeat', () => {
    const heartbeat: Heartbeat = { db: 'shop', lsn: '0/1', tsMs: 1_700_000_000_000n };
    expect(roundTrip(heartbeatSchema('ferry.heartbeat'), heartbeat)).toEqual(heartbeat);
  });
});
