import {
  AvroCodec,
  changeEventSchema,
  compileAvroType,
  keySubject,
  PG_TYPE_OID,
  RowConverter,
  SchemaIncompatibleError,
  SchemaRegistryClient,
  snapshotChunkSchema,
  tableAvroSchemas,
  valueSubject,
  type AvroRow,
  type ChangeEvent,
  type PgColumn,
  type SnapshotChunk,
  type SourceInfo,
} from '@ferry/avro';
import { DataError } from '@ferry/core';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../support/names.js';
import { serviceUrlsFromEnv } from '../support/services.js';

const urls = serviceUrlsFromEnv();
const newClient = () => new SchemaRegistryClient({ url: urls.schemaRegistryUrl, retryMaxElapsedMs: 5_000 });

const v1Columns: PgColumn[] = [
  { name: 'id', typeName: 'bigint', typeOid: PG_TYPE_OID.int8 },
  { name: 'Qty!', typeName: 'integer', typeOid: PG_TYPE_OID.int4 },
  { name: 'price', typeName: 'numeric(12,2)', typeOid: 1700 },
];
const v2Columns: PgColumn[] = [...v1Columns, { name: 'added later', typeName: 'text', typeOid: 25 }];

function schemasFor(topic: string, columns: PgColumn[]) {
  const { row, key } = tableAvroSchemas({ topic, schema: 'public', table: 'orders', columns, keyColumns: ['id'] });
  return { row, key: key!, value: changeEventSchema(topic, row) };
}

function insertEvent(converter: RowConverter, values: (string | null)[]): ChangeEvent {
  return {
    before: null,
    after: converter.toAvro(values),
    op: 'c',
    source: source(),
    tsMs: BigInt(Date.now()),
    transaction: { id: '42', order: 1n },
    unchangedToast: [],
  };
}

function source(): SourceInfo {
  return {
    db: 'shop',
    schema: 'public',
    table: 'orders',
    lsn: '0/16B3748',
    txId: 42n,
    commitTsMicros: 1_700_000_000_000_000n,
    snapshot: false,
    chunk: null,
  };
}

describe('schema registry client (real registry)', () => {
  it('registers key and value schemas under explicit subjects, once per process', async () => {
    const topic = uniqueName('ferry.public.orders');
    const client = newClient();
    const { key, value } = schemasFor(topic, v1Columns);
    const keyId = await client.register(keySubject(topic), key);
    const valueId = await client.register(valueSubject(topic), value);
    expect(keyId).not.toBe(valueId);
    // Cached: the same promise, no second request.
    expect(client.register(valueSubject(topic), value)).toBe(client.register(valueSubject(topic), value));
    expect(await client.register(valueSubject(topic), structuredClone(value))).toBe(valueId);
    // A second process (fresh client) finds the same id.
    expect(await newClient().register(valueSubject(topic), value)).toBe(valueId);
    expect((await newClient().latestVersion(valueSubject(topic)))?.id).toBe(valueId);
  });

  it('stores the schema text as sent, pg.* attributes included', async () => {
    const topic = uniqueName('ferry.public.orders');
    const { value } = schemasFor(topic, v1Columns);
    const id = await newClient().register(valueSubject(topic), value);
    expect(await newClient().getSchema(id)).toEqual(value);
  });

  it('works on a subject another client created (no subject-level compatibility setting)', async () => {
    // @kafkajs/confluent-schema-registry 3.6.1 refuses this case: Apicurio reports NONE for the subject.
    const topic = uniqueName('ferry.public.orders');
    const subject = valueSubject(topic);
    const response = await fetch(`${urls.schemaRegistryUrl}/subjects/${subject}/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ schema: JSON.stringify(schemasFor(topic, v1Columns).value) }),
    });
    expect(response.status).toBe(200);
    const id = await newClient().register(subject, schemasFor(topic, v2Columns).value);
    expect(id).toBeGreaterThan(0);
  });

  it('refuses an incompatible change with an error that names the subject and the field', async () => {
    const topic = uniqueName('ferry.public.orders');
    const client = newClient();
    await client.register(valueSubject(topic), schemasFor(topic, v1Columns).row);
    // Qty! int → string without a default: new readers could not read old data.
    const { row } = schemasFor(topic, v1Columns);
    const changed = {
      ...row,
      fields: row.fields.map((f) => (f['pg.name'] === 'Qty!' ? { ...f, type: 'string', default: undefined } : f)),
    };
    const error = await client.register(valueSubject(topic), changed).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemaIncompatibleError);
    const incompatible = error as SchemaIncompatibleError;
    expect(incompatible.subject).toBe(valueSubject(topic));
    expect(incompatible.message).toContain(`subject "${valueSubject(topic)}"`);
    expect(incompatible.message).toMatch(/field "Qty__[0-9a-f]{8}" \(column "Qty!"\)/);
    expect(incompatible.message).toMatch(/string not compatible with writer type: int/);
    // The failure is not cached: a compatible schema still registers.
    await expect(client.register(valueSubject(topic), schemasFor(topic, v2Columns).row)).resolves.toBeGreaterThan(0);
  });

  it('says clearly when a schema id does not exist', async () => {
    const error = await newClient().getType(2_000_000_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as Error).message).toMatch(/schema id 2000000000 is not in the registry/);
  });

  it('reports an unreachable registry as a retriable connection error without credentials', async () => {
    const client = new SchemaRegistryClient({
      url: 'http://user:s3cret@127.0.0.1:1/apis/ccompat/v7',
      retryMaxElapsedMs: 0,
    });
    const error = (await client.getSchema(1).catch((e: unknown) => e)) as Error & { retriable: boolean };
    expect(error.retriable).toBe(true);
    expect(error.message).toMatch(/schema registry unreachable/);
    expect(error.message).not.toContain('s3cret');
  });
});

describe('AvroCodec (real registry)', () => {
  it('encodes and decodes keys and change events through the registry', async () => {
    const topic = uniqueName('ferry.public.orders');
    const { key, value, row } = schemasFor(topic, v1Columns);
    const converter = RowConverter.fromRowSchema(row);
    const keyConverter = RowConverter.fromRowSchema(key);
    const writerCodec = new AvroCodec(newClient());
    const keyWriter = await writerCodec.writer(keySubject(topic), key);
    const valueWriter = await writerCodec.writer<ChangeEvent>(valueSubject(topic), value);

    const event = insertEvent(converter, ['9223372036854775807', '-5', '12.30']);
    const keyMessage = keyWriter.encode(keyConverter.toAvro(['9223372036854775807']));
    const valueMessage = valueWriter.encode(event);
    expect(valueMessage[0]).toBe(0);
    expect(valueMessage.readUInt32BE(1)).toBe(valueWriter.schemaId);

    // A consumer in another process: nothing cached, the writer schema comes from the registry.
    const readerCodec = new AvroCodec(newClient());
    const decodedKey = await readerCodec.decode<AvroRow>(keyMessage);
    expect(keyConverter.fromAvroToObject(decodedKey)).toEqual(Object.assign(Object.create(null), { id: '9223372036854775807' }));
    const decoded = await readerCodec.decodeMessage<ChangeEvent>(valueMessage);
    expect(decoded.schemaId).toBe(valueWriter.schemaId);
    expect(decoded.value).toEqual(event);
    expect(converter.fromAvro(decoded.value.after!)).toEqual(['9223372036854775807', '-5', '12.30']);
  });

  it('reads old messages with an evolved reader (BACKWARD) and new messages with either reader', async () => {
    const topic = uniqueName('ferry.public.orders');
    const subject = valueSubject(topic);
    const v1 = schemasFor(topic, v1Columns);
    const v2 = schemasFor(topic, v2Columns);
    const v1Converter = RowConverter.fromRowSchema(v1.row);
    const v2Converter = RowConverter.fromRowSchema(v2.row);
    const codec = new AvroCodec(newClient());

    const oldMessage = (await codec.writer(subject, v1.value)).encode(insertEvent(v1Converter, ['1', '2', '3.00']));
    const v2Writer = await codec.writer(subject, v2.value);
    const newMessage = v2Writer.encode(insertEvent(v2Converter, ['4', '5', '6.00', 'hello']));

    const consumer = new AvroCodec(newClient());
    const v2Reader = compileAvroType(v2.value);
    const oldAsNew = await consumer.decode<ChangeEvent>(oldMessage, v2Reader);
    expect(v2Converter.fromAvro(oldAsNew.after!)).toEqual(['1', '2', '3.00', null]);
    const newAsNew = await consumer.decode<ChangeEvent>(newMessage, v2.value);
    expect(v2Converter.fromAvroToObject(newAsNew.after!)['added later']).toBe('hello');
    // Without a reader, each message comes back in its writer's shape.
    expect(v2Converter.fromAvro((await consumer.decode<ChangeEvent>(newMessage)).after!)).toEqual(['4', '5', '6.00', 'hello']);
    // An old consumer still reads new messages (the added field is skipped).
    const newAsOld = await consumer.decode<ChangeEvent>(newMessage, v1.value);
    expect(v1Converter.fromAvro(newAsOld.after!)).toEqual(['4', '5', '6.00']);
  });

  it('encodes snapshot chunks larger than the scratch buffer, and very large ones', async () => {
    const topic = uniqueName('ferry.public.orders');
    const { row } = schemasFor(topic, v1Columns);
    const converter = RowConverter.fromRowSchema(row);
    const schema = snapshotChunkSchema(topic, row);
    const codec = new AvroCodec(newClient());
    const writer = await codec.writer<SnapshotChunk>(valueSubject(topic), schema);
    for (const rowCount of [10, 20_000, 700_000]) {
      const rows = Array.from({ length: rowCount }, (_, i) => converter.toAvro([String(i), String(i % 1000), `${i}.25`]));
      const chunk: SnapshotChunk = {
        source: { ...source(), snapshot: true, chunk: `c${rowCount}` },
        chunk: { id: `c${rowCount}`, index: 0, rowCount, range: null, last: true, reset: false },
        rows,
      };
      const message = writer.encode(chunk);
      const decoded = await new AvroCodec(newClient()).decode<SnapshotChunk>(message);
      expect(decoded.rows.length).toBe(rowCount);
      expect(converter.fromAvro(decoded.rows[rowCount - 1]!)).toEqual([
        String(rowCount - 1),
        String((rowCount - 1) % 1000),
        `${rowCount - 1}.25`,
      ]);
    }
  });

  it('refuses values that do not match the schema, naming where', async () => {
    const topic = uniqueName('ferry.public.orders');
    const { value } = schemasFor(topic, v1Columns);
    const writer = await new AvroCodec(newClient()).writer(valueSubject(topic), value);
    const bad = { ...insertEvent(RowConverter.fromRowSchema(schemasFor(topic, v1Columns).row), ['1', '2', '3']), op: 7 };
    expect(() => writer.encode(bad)).toThrow(DataError);
    expect(() => writer.encode(bad)).toThrow(/invalid at op/);
  });

  it('refuses messages that are not wire-format Avro', async () => {
    const codec = new AvroCodec(newClient());
    await expect(codec.decode(Buffer.from('{"json":true}'))).rejects.toThrow(/not the Confluent magic byte 0/);
    await expect(codec.decode(Buffer.from([0, 0]))).rejects.toThrow(/too short/);

    const topic = uniqueName('ferry.public.orders');
    const { value, row } = schemasFor(topic, v1Columns);
    const message = (await codec.writer(valueSubject(topic), value)).encode(insertEvent(RowConverter.fromRowSchema(row), ['1', '2', '3']));
    const truncated = message.subarray(0, message.length - 3);
    await expect(new AvroCodec(newClient()).decode(truncated)).rejects.toThrow(DataError);
  });
});
