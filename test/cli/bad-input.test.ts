import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createKafka } from '@ferry/kafka';
import { createRootLogger } from '@ferry/observability';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TempDatabase } from '../support/databases.js';
import { uniqueName } from '../support/names.js';
import { query, releaseTask, runFerry, startFerry, tableDigest, waitFor, writeTask, type RunningService, type TestTask } from '../support/pipeline.js';
import { serviceUrlsFromEnv } from '../support/services.js';

// What a person sees when the input is wrong, and that nothing is lost when data is.
const urls = serviceUrlsFromEnv();

describe('bad task files', () => {
  it('lists every problem with its path and line, and exits 1', async () => {
    const task = writeTask(urls, urls.sourcePgUrl, urls.destPgUrl);
    const file = join(task.dir, 'bad.yaml');
    writeFileSync(file, 'name: Bad Name\nsource: { url: "mysql://x" }\nkafka: { brokers: [nohost], partitons: 3 }\nschemaRegistry: { url: "http://r" }\n');
    const { code, output } = await runFerry(['precheck', '-c', file]);
    expect(code).toBe(1);
    expect(output).toContain('has 5 problems');
    expect(output).toMatch(/name \(line 1\): use 1-40 lower-case letters/);
    expect(output).toMatch(/source\.url \(line 2\): must be a postgres:\/\//);
    expect(output).toMatch(/kafka \(line 3\): unknown key "partitons"/);
    expect(output).toMatch(/destination.*a destination is required/);
  });

  it('names a missing file, malformed YAML and a missing -c', async () => {
    expect((await runFerry(['migrate', '-c', '/nonexistent/task.yaml'])).output).toContain('task file /nonexistent/task.yaml does not exist');
    const task = writeTask(urls, urls.sourcePgUrl, urls.destPgUrl);
    const file = join(task.dir, 'broken.yaml');
    writeFileSync(file, 'name: x\nsource: { url: "postgres://h/d"\n');
    const broken = await runFerry(['status', '-c', file]);
    expect(broken.code).toBe(1);
    expect(broken.output).toMatch(/line \d+, column \d+:/);
    const missing = await runFerry(['verify']);
    expect(missing.output).toContain('ferry verify needs a task file');
  });

  it('keeps a password given through ${VAR} out of every message', async () => {
    const task = writeTask(urls, urls.sourcePgUrl.replace('postgres:postgres@', 'postgres:${FERRY_TEST_SECRET}@'), urls.destPgUrl);
    const { output } = await runFerry(['precheck', '-c', task.file]);
    expect(output).toContain('FERRY_TEST_SECRET is not set');
    const wrong = writeTask(urls, urls.sourcePgUrl.replace('postgres:postgres@', 'postgres:Wr0ngPassw0rd@'), urls.destPgUrl);
    const result = await runFerry(['precheck', '-c', wrong.file]);
    expect(result.code).toBe(1);
    expect(result.output).toContain('28P01');
    expect(result.output).not.toContain('Wr0ngPassw0rd');
  });
});

describe('bad data and awkward names', () => {
  let source: TempDatabase;
  let dest: TempDatabase;
  let task: TestTask;
  const running: RunningService[] = [];

  beforeAll(async () => {
    // Database names with hyphens and capitals are fine: Ferry quotes every name.
    const name = `Ferry-Hyphen-${uniqueName('db').slice(-6)}`;
    await query(urls.sourcePgUrl, `CREATE DATABASE "${name}"`);
    await query(urls.destPgUrl, `CREATE DATABASE "${name}"`);
    const at = (server: string) => Object.assign(new URL(server), { pathname: `/${name}` }).toString();
    const drop = (server: string) => async () => {
      await query(server, `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1`, [name]);
      await query(server, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    };
    source = { name, url: at(urls.sourcePgUrl), drop: drop(urls.sourcePgUrl) };
    dest = { name, url: at(urls.destPgUrl), drop: drop(urls.destPgUrl) };
    const ddl = `CREATE SCHEMA "Sales Dept"; CREATE TABLE "Sales Dept"."Order Lines ""2024""" ("Line ID" int PRIMARY KEY, "Prix €" numeric, "naïve" text)`;
    await query(source.url, ddl);
    await query(dest.url, ddl);
    await query(source.url, `INSERT INTO "Sales Dept"."Order Lines ""2024""" SELECT g, g * 1.1, 'ü' || g FROM generate_series(1, 1000) g`);
    // A refused event is retried for retry.otherMinutes before the sink stops: 3 s here.
    task = writeTask(urls, source.url, dest.url, 'retry: { otherMinutes: 0.05 }');
  });

  afterAll(async () => {
    await Promise.all(running.map((s) => s.kill('SIGKILL')));
    if (task) await releaseTask(task);
    await source?.drop();
    await dest?.drop();
  });

  it('names tables the task asks for that do not exist', async () => {
    const missing = writeTask(urls, source.url, dest.url, 'objects: { include: ["public.no_such_table", "\\"Sales Dept\\".\\"No Such\\""] }');
    const { code, output } = await runFerry(['precheck', '-c', missing.file]);
    expect(code).toBe(1);
    expect(output).toContain('public.no_such_table');
    expect(output).toContain('objects.include selects no table of the source database');
    expect(output).toContain('"Sales Dept"."No Such"');
  });

  it('carries a hyphenated database and quoted, unicode names', async () => {
    running.push(startFerry(task, 'capture'), startFerry(task, 'sink'));
    await query(source.url, `UPDATE "Sales Dept"."Order Lines ""2024""" SET "naïve" = 'changed' WHERE "Line ID" <= 10`);
    const table = `"Sales Dept"."Order Lines ""2024"""`;
    const want = await tableDigest(source.url, table, '"Line ID"');
    await waitFor('the copy to match', async () => (await tableDigest(dest.url, table, '"Line ID"')).digest === want.digest, 60_000);
    expect(await tableDigest(dest.url, table, '"Line ID"')).toEqual(want);
  });

  it('stops at a poison message with the topic, partition and offset, and applies nothing past it', async () => {
    const kafka = createKafka({ brokers: urls.kafkaBrokers, clientId: 'poison' }, createRootLogger({ service: 'test', level: 'error' }));
    const producer = kafka.producer();
    await producer.connect();
    const admin = kafka.admin();
    await admin.connect();
    const tableTopic = (await admin.listTopics()).find((t) => t.startsWith(`${task.prefix}.Sales`) && !t.includes('.snapshot.'))!;
    await admin.disconnect();
    expect(tableTopic).toBeDefined();
    const [sent] = await producer.send({ topic: tableTopic, messages: [{ key: 'k', value: Buffer.from('not avro at all'), partition: 0 }] });
    const poisonOffset = BigInt(sent!.baseOffset!);
    await producer.disconnect();
    const sink = running.find((s) => s.logFile.includes('sink'))!;
    const code = await Promise.race([sink.exited, new Promise((r) => setTimeout(() => r('still running'), 60_000))]);
    expect(code).toBe(1);
    const { readFileSync } = await import('node:fs');
    const log = readFileSync(sink.logFile, 'utf8');
    expect(log).toContain(
      `DATA_INVALID: cannot apply the event at topic ${tableTopic} partition 0 offset ${poisonOffset} (an undecodable message): message starts with byte 110, not the Confluent magic byte 0`,
    );
    expect(log).toContain(`topic=${tableTopic}`);
    expect(log).toMatch(/partition=0 offset=\d+/);
    // The destination's own offset for that partition stops at the poison: it was not skipped.
    const [stored] = await query<{ next_offset: string }>(dest.url, `SELECT next_offset::text FROM ferry.sink_offsets WHERE topic = $1 AND partition = 0`, [tableTopic]);
    expect(BigInt(stored?.next_offset ?? '0')).toBeLessThanOrEqual(poisonOffset);
  });
});
