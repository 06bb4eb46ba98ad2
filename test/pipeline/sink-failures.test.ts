import { readFileSync } from 'node:fs';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '../support/databases.js';
import { query, releaseTask, startFerry, waitFor, writeTask, type RunningService, type TestTask } from '../support/pipeline.js';
import { serviceUrlsFromEnv } from '../support/services.js';

// Events the destination refuses: named by table and key (never other values), retried for
// retry.otherMinutes, then either the sink stops or, with sink.deadLetter, they are set aside.
const urls = serviceUrlsFromEnv();
const SOURCE_TABLE = `CREATE TABLE items (id int PRIMARY KEY, name text, qty int)`;
// The destination is stricter than the source: one specific row cannot go in.
const DEST_TABLE = `CREATE TABLE items (id int PRIMARY KEY, name text, qty int CONSTRAINT qty_not_negative CHECK (qty >= 0))`;
// 3 s: long enough to see a retry, short enough for a test.
const RETRY = 'retry: { otherMinutes: 0.05 }';

const kafka = new Kafka({ brokers: urls.kafkaBrokers, logLevel: logLevel.NOTHING });

async function tableTopic(task: TestTask): Promise<string> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await waitFor('the table topic', async () => (await admin.listTopics()).find((t) => t === `${task.prefix}.public.items`));
  } finally {
    await admin.disconnect();
  }
}

function exitedWithin(service: RunningService, ms: number): Promise<number | null | 'still running'> {
  return Promise.race([service.exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), ms))]);
}

describe('an event the destination refuses, without dead letters', () => {
  let source: TempDatabase;
  let dest: TempDatabase;
  let task: TestTask;
  const running: RunningService[] = [];

  beforeAll(async () => {
    source = await createTempDatabase(urls.sourcePgUrl, 'sinkfail_src');
    dest = await createTempDatabase(urls.destPgUrl, 'sinkfail_dst');
    await query(source.url, SOURCE_TABLE);
    await query(dest.url, DEST_TABLE);
    await query(source.url, `INSERT INTO items SELECT g, 'name ' || g, g FROM generate_series(1, 100) g`);
    task = writeTask(urls, source.url, dest.url, RETRY);
  });

  afterAll(async () => {
    await Promise.all(running.map((s) => s.kill('SIGKILL')));
    if (task) await releaseTask(task);
    await source?.drop();
    await dest?.drop();
  });

  it('retries, then stops naming topic, partition, offset, table and key, but no other value', async () => {
    const sink = startFerry(task, 'sink');
    running.push(startFerry(task, 'capture'), sink);
    await waitFor('the snapshot', async () => (await query<{ n: string }>(dest.url, 'SELECT count(*)::text AS n FROM items'))[0]!.n === '100', 90_000);
    // Many rows in one statement; only id 121 breaks the destination's CHECK.
    await query(source.url, `INSERT INTO items SELECT g, CASE WHEN g = 121 THEN 'secret-value' ELSE 'ok' END, CASE WHEN g = 121 THEN -1 ELSE g END FROM generate_series(101, 140) g`);
    const topic = await tableTopic(task);

    expect(await exitedWithin(sink, 90_000)).toBe(1);
    const log = readFileSync(sink.logFile, 'utf8');
    expect(log).toMatch(
      new RegExp(
        `DATA_INVALID: cannot apply the event at topic ${topic.replace(/\./g, '\\.')} partition \\d offset \\d+ \\(table public\\.items, key \\{"id":"121"\\}\\): new row for relation "items" violates check constraint "qty_not_negative"`,
      ),
    );
    expect(log).toMatch(/at: topic=\S+ partition=\d offset=\d+ table=public\.items key=\{"id":"121"\} sqlstate=23514 constraint=qty_not_negative/);
    // It was retried within the window before the sink gave up.
    expect(log).toContain('the destination refused an event; retrying until retry.otherMinutes have passed');
    // The other columns of the refused row never reach a log line.
    expect(log).not.toContain('secret-value');
    expect(log).not.toContain('Failing row contains');
    // Nothing of the refused event's transaction slice was stored past it.
    const [row] = await query<{ n: string }>(dest.url, 'SELECT count(*)::text AS n FROM items WHERE id = 121');
    expect(row!.n).toBe('0');
  });
});

describe('dead letters (sink.deadLetter.enabled)', () => {
  let source: TempDatabase;
  let dest: TempDatabase;
  let task: TestTask;
  const running: RunningService[] = [];

  beforeAll(async () => {
    source = await createTempDatabase(urls.sourcePgUrl, 'sinkdlq_src');
    dest = await createTempDatabase(urls.destPgUrl, 'sinkdlq_dst');
    await query(source.url, SOURCE_TABLE);
    await query(dest.url, DEST_TABLE);
    // Row 50 of the snapshot is refused too (a snapshot chunk is one COPY).
    await query(source.url, `INSERT INTO items SELECT g, 'name ' || g, CASE WHEN g = 50 THEN -50 ELSE g END FROM generate_series(1, 100) g`);
    task = writeTask(urls, source.url, dest.url, `${RETRY}\nsink: { deadLetter: { enabled: true } }`);
  });

  afterAll(async () => {
    await Promise.all(running.map((s) => s.kill('SIGKILL')));
    if (task) await releaseTask(task);
    await source?.drop();
    await dest?.drop();
  });

  it('sets refused and undecodable events aside after the retry window and applies everything else', async () => {
    const sink = startFerry(task, 'sink');
    running.push(startFerry(task, 'capture'), sink);
    await waitFor('the snapshot without row 50', async () => (await query<{ n: string }>(dest.url, 'SELECT count(*)::text AS n FROM items'))[0]!.n === '99', 90_000);

    const topic = await tableTopic(task);
    await query(source.url, `INSERT INTO items SELECT g, 'ok', CASE WHEN g = 105 THEN -1 ELSE g END FROM generate_series(101, 110) g`);
    const producer = kafka.producer();
    await producer.connect();
    const [sent] = await producer.send({ topic, messages: [{ key: 'k', value: Buffer.from('not avro at all'), partition: 0 }] });
    await producer.disconnect();
    const poisonOffset = sent!.baseOffset!;
    await query(source.url, `INSERT INTO items SELECT g, 'after', g FROM generate_series(111, 115) g`);

    await waitFor('every acceptable row', async () => (await query<{ n: string }>(dest.url, 'SELECT count(*)::text AS n FROM items'))[0]!.n === '113', 90_000);
    const ids = await query<{ id: number }>(dest.url, 'SELECT id FROM items WHERE id NOT IN (SELECT generate_series(1, 115)) OR id IN (50, 105) ORDER BY id');
    expect(ids).toEqual([]);
    expect(sink.process.exitCode).toBeNull();

    // Recorded on the destination, keys only.
    const letters = await waitFor('three dead letters recorded', async () => {
      const rows = await query<{ topic: string; partition: number; message_offset: string; row_key: string; table_name: string | null; error: string; sqlstate: string | null; dead_letter_topic: string }>(
        dest.url,
        `SELECT topic, partition, message_offset::text, row_key, table_name, error, sqlstate, dead_letter_topic FROM ferry.sink_dead_letters ORDER BY table_name NULLS LAST, row_key`,
      );
      return rows.length === 3 ? rows : undefined;
    });
    const dlqTopic = `${task.prefix}._dlq.main`;
    expect(letters.map((l) => [l.topic.endsWith('.snapshot.public.items') ? 'snapshot' : l.topic, l.table_name, l.row_key, l.sqlstate, l.dead_letter_topic])).toEqual([
      [topic, 'public.items', '{"id":"105"}', '23514', dlqTopic],
      ['snapshot', 'public.items', '{"id":"50"}', '23514', dlqTopic],
      [topic, null, '', null, dlqTopic],
    ]);
    expect(letters[0]!.error).toBe('new row for relation "items" violates check constraint "qty_not_negative"');
    expect(letters[2]!.error).toBe('message starts with byte 110, not the Confluent magic byte 0');
    expect(letters[2]).toMatchObject({ partition: 0, message_offset: poisonOffset });

    // The dead-letter topic holds the original messages, with headers naming where they came from.
    const consumer = kafka.consumer({ groupId: `${task.name}-dlq-reader` });
    const received: KafkaMessage[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: dlqTopic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void received.push(message) });
    await waitFor('three dead letters in Kafka', async () => received.length >= 3, 30_000);
    await consumer.disconnect();
    const header = (m: KafkaMessage, name: string) => m.headers?.[name]?.toString();
    const poison = received.find((m) => m.value?.toString() === 'not avro at all')!;
    expect(poison).toBeDefined();
    expect([header(poison, 'ferry-dlq-topic'), header(poison, 'ferry-dlq-partition'), header(poison, 'ferry-dlq-offset')]).toEqual([topic, '0', poisonOffset]);
    expect(header(poison, 'ferry-dlq-error')).toBe('message starts with byte 110, not the Confluent magic byte 0');
    const change = received.find((m) => header(m, 'ferry-dlq-key') === '{"id":"105"}')!;
    expect([header(change, 'ferry-dlq-topic'), header(change, 'ferry-dlq-table')]).toEqual([topic, 'public.items']);
    expect(change.value![0]).toBe(0); // the original Avro message, Confluent framing included
    expect(received).toHaveLength(3);

    // Clearly reported: one ERROR line per dead letter.
    const log = readFileSync(sink.logFile, 'utf8');
    expect(log.match(/set aside in the dead-letter topic after retry\.otherMinutes/g)).toHaveLength(3);
  });
});
