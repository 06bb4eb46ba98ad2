/**
 * Micro benchmark of the hot path for a 10-column row (not a test; no asserts):
 *   npx tsx packages/avro/bench/codec-throughput.ts        (needs SCHEMA_REGISTRY_URL)
 * Prints operations per second for each step and end to end.
 */
import {
  AvroCodec,
  changeEventSchema,
  PG_TYPE_OID,
  RowConverter,
  SchemaRegistryClient,
  tableAvroSchemas,
  valueSubject,
  type ChangeEvent,
  type PgColumn,
  type PgText,
} from '@ferry/avro';

const registryUrl = process.env['SCHEMA_REGISTRY_URL'];
if (!registryUrl) throw new Error('set SCHEMA_REGISTRY_URL (e.g. source /tmp/ferry-infra-ready)');

const columns: PgColumn[] = [
  { name: 'id', typeName: 'bigint', typeOid: PG_TYPE_OID.int8 },
  { name: 'qty', typeName: 'integer', typeOid: PG_TYPE_OID.int4 },
  { name: 'price', typeName: 'numeric(12,2)', typeOid: 1700 },
  { name: 'name', typeName: 'text', typeOid: 25 },
  { name: 'created_at', typeName: 'timestamp with time zone', typeOid: 1184 },
  { name: 'active', typeName: 'boolean', typeOid: PG_TYPE_OID.bool },
  { name: 'score', typeName: 'double precision', typeOid: PG_TYPE_OID.float8 },
  { name: 'blob', typeName: 'bytea', typeOid: PG_TYPE_OID.bytea },
  { name: 'note', typeName: 'text', typeOid: 25 },
  { name: 'tags', typeName: 'text[]', typeOid: 1009 },
];
const values: PgText[] = [
  '1234567', '42', '1234.50', 'Widget Deluxe', '2024-02-29 12:34:56.123456+00', 't', '0.1', '\\xdeadbeef',
  'a short note about the order', '{red,green}',
];

const topic = `bench.public.orders_${Date.now().toString(36)}`;
const { row } = tableAvroSchemas({ topic, schema: 'public', table: 'orders', columns, keyColumns: ['id'] });
const converter = RowConverter.fromRowSchema(row);
const codec = new AvroCodec(new SchemaRegistryClient({ url: registryUrl }));
const rowWriter = await codec.writer(valueSubject(`${topic}.rows`), row);
const eventWriter = await codec.writer<ChangeEvent>(valueSubject(topic), changeEventSchema(topic, row));

const record = converter.toAvro(values);
const event: ChangeEvent = {
  before: null,
  after: record,
  op: 'c',
  source: { db: 'shop', schema: 'public', table: 'orders', lsn: '16/B374D848', txId: 771n, commitTsMicros: 1n, snapshot: false, chunk: null },
  tsMs: 1_700_000_000_000n,
  transaction: { id: '771', order: 1n },
  unchangedToast: [],
};
const rowMessage = rowWriter.encode(record);
const eventMessage = eventWriter.encode(event);

function measure(label: string, fn: () => unknown, ms = 1500): void {
  for (let i = 0; i < 20_000; i++) fn(); // warm up
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 5_000; i++) fn();
    n += 5_000;
    elapsed = performance.now() - start;
  }
  console.log(`${label.padEnd(58)} ${Math.round((n / elapsed) * 1000).toLocaleString('en-US').padStart(11)} /s`);
}

async function measureAsync(label: string, fn: () => Promise<unknown>, ms = 1500): Promise<void> {
  for (let i = 0; i < 20_000; i++) await fn();
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 5_000; i++) await fn();
    n += 5_000;
    elapsed = performance.now() - start;
  }
  console.log(`${label.padEnd(58)} ${Math.round((n / elapsed) * 1000).toLocaleString('en-US').padStart(11)} /s`);
}

console.log(`node ${process.version}; row message ${rowMessage.length} B, change event ${eventMessage.length} B`);
measure('change event → wire-format message (first)', () => eventWriter.encode(event));
measure('text row → Avro record (RowConverter.toAvro)', () => converter.toAvro(values));
measure('Avro record → wire-format message (SchemaWriter.encode)', () => rowWriter.encode(record));
measure('text row → wire-format message', () => rowWriter.encode(converter.toAvro(values)));
measure('change event → wire-format message', () => eventWriter.encode(event));
measure('text row → change event message', () => eventWriter.encode({ ...event, after: converter.toAvro(values) }));
await measureAsync('row message → Avro record (AvroCodec.decode)', () => codec.decode(rowMessage));
await measureAsync('change event message → event (AvroCodec.decode)', () => codec.decode(eventMessage));
await measureAsync('row message → text row', async () => converter.fromAvro(await codec.decode(rowMessage)));
