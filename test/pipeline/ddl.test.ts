import { AvroCodec, rowSchemaOf, RowConverter, SchemaRegistryClient, type AvroRecordSchema, type ChangeEvent } from '@ferry/avro';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '../support/databases.js';
import { query, releaseTask, startFerry, tableDigest, waitFor, writeTask, type RunningService, type TestTask } from '../support/pipeline.js';
import { serviceUrlsFromEnv } from '../support/services.js';

// DDL capture end to end: schema changes interleaved with writes during incremental sync, as
// real processes (`ferry capture` on PostgreSQL 13 → Kafka → `ferry sink` on PostgreSQL 17).
const urls = serviceUrlsFromEnv();
const kafka = new Kafka({ brokers: urls.kafkaBrokers, logLevel: logLevel.NOTHING });

/** A table's shape as both servers print it with every name qualified: columns, constraints, indexes; null when it does not exist. */
async function shape(url: string, table: string): Promise<unknown> {
  const rows = await query<{ shape: unknown }>(
    url,
    `SELECT CASE WHEN to_regclass($1) IS NOT NULL THEN jsonb_build_object(
       'columns', (SELECT jsonb_agg(jsonb_build_array(a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid)) ORDER BY a.attnum)
                   FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                   WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped),
       'constraints', (SELECT jsonb_agg(jsonb_build_array(conname, pg_get_constraintdef(oid)) ORDER BY conname) FROM pg_constraint WHERE conrelid = to_regclass($1)),
       'indexes', (SELECT jsonb_agg(pg_get_indexdef(indexrelid) ORDER BY indexrelid::regclass::text) FROM pg_index WHERE indrelid = to_regclass($1))) END AS shape`,
    [table],
  );
  return rows[0]?.shape ?? null;
}

async function sameTable(table: string, orderBy: string): Promise<void> {
  await waitFor(
    `${table} to have the same shape and rows on the destination`,
    async () => {
      const [a, b] = await Promise.all([shape(source.url, table), shape(dest.url, table)]);
      if (a === null || JSON.stringify(a) !== JSON.stringify(b)) return false;
      const [x, y] = await Promise.all([tableDigest(source.url, table, orderBy), tableDigest(dest.url, table, orderBy)]);
      return x.digest === y.digest && x.count === y.count;
    },
    90_000,
    500,
  );
  expect(await shape(dest.url, table)).toEqual(await shape(source.url, table));
  expect(await tableDigest(dest.url, table, orderBy)).toEqual(await tableDigest(source.url, table, orderBy));
}

let source: TempDatabase;
let dest: TempDatabase;

describe('DDL capture', () => {
  let task: TestTask;
  const services: RunningService[] = [];

  beforeAll(async () => {
    source = await createTempDatabase(urls.sourcePgUrl, 'ddl_src');
    dest = await createTempDatabase(urls.destPgUrl, 'ddl_dst');
    const tables = `CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(12,2));`;
    await query(source.url, tables);
    await query(dest.url, tables);
    await query(source.url, `INSERT INTO items SELECT g, 'item ' || g, g * 1.5 FROM generate_series(1, 300) g`);
    task = writeTask(urls, source.url, dest.url, 'snapshot: { parallelism: 1, chunkRows: 1000 }');
    services.push(startFerry(task, 'capture'), startFerry(task, 'sink'));
    await sameTable('items', 'id');
  }, 150_000);

  afterAll(async () => {
    await Promise.all(services.map((s) => s.kill('SIGKILL')));
    if (task) await releaseTask(task);
    await source?.drop();
    await dest?.drop();
  });

  it('adds a column, with and without a default, between writes', async () => {
    await query(source.url, `INSERT INTO items VALUES (301, 'before', 1); ALTER TABLE items ADD COLUMN qty int; UPDATE items SET qty = id WHERE id <= 40; INSERT INTO items VALUES (302, 'after', 2, 7)`);
    await query(source.url, `ALTER TABLE items ADD COLUMN status text NOT NULL DEFAULT 'new'`);
    await query(source.url, `INSERT INTO items (id, name, price, qty, status) VALUES (303, 'x', 3, 3, 'old'); UPDATE items SET status = 'hot' WHERE id % 7 = 0`);
    await sameTable('items', 'id');
    expect(await query(dest.url, `SELECT id, qty, status FROM items WHERE id IN (40, 41, 302, 303) ORDER BY id`)).toEqual([
      { id: 40, qty: 40, status: 'new' },
      { id: 41, qty: null, status: 'new' },
      { id: 302, qty: 7, status: 'new' },
      { id: 303, qty: 3, status: 'old' },
    ]);
  }, 120_000);

  it('changes a column type, adds constraints and an index, drops a default and a column, renames the table', async () => {
    // Another session writes all along, between and during the changes (each waits for the other's locks).
    let writing = true;
    const writer = (async () => {
      let n = 0;
      for (; writing; n++) await query(source.url, `UPDATE items SET price = price + 1 WHERE id = $1`, [1 + ((n * 37) % 300)]);
      return n;
    })();
    await query(source.url, `ALTER TABLE items ALTER COLUMN qty TYPE numeric(10,2); UPDATE items SET qty = qty + 0.25 WHERE id <= 10`);
    await query(source.url, `ALTER TABLE items ADD CONSTRAINT qty_not_negative CHECK (qty >= 0), ADD CONSTRAINT name_unique UNIQUE (name)`);
    await query(source.url, `ALTER TABLE items ALTER COLUMN status DROP DEFAULT; INSERT INTO items (id, name, status) VALUES (304, 'no default', 'set')`);
    await query(source.url, `CREATE INDEX items_price ON items (price) WHERE price > 100`);
    await query(source.url, `UPDATE items SET price = price * 2 WHERE id BETWEEN 100 AND 120; ALTER TABLE items DROP COLUMN name; DELETE FROM items WHERE id = 5`);
    writing = false;
    expect(await writer).toBeGreaterThan(3);
    await query(source.url, `ALTER TABLE items RENAME TO stock; INSERT INTO stock (id, price, qty, status) VALUES (305, 1, 1, 'renamed'); UPDATE stock SET qty = 99 WHERE id = 1`);
    // A renamed column keeps its values on the destination too.
    await query(source.url, `ALTER TABLE stock RENAME COLUMN status TO state; UPDATE stock SET state = 'after rename' WHERE id = 2`);
    await sameTable('stock', 'id');
    expect(await shape(dest.url, 'items')).toBeNull();
    expect(await query(dest.url, `SELECT count(*)::int AS n FROM stock WHERE state = 'new'`)).toEqual(await query(source.url, `SELECT count(*)::int AS n FROM stock WHERE state = 'new'`));
  }, 120_000);

  it('takes in new tables of selected schemas, keyed or not, and applies TRUNCATE and DROP TABLE', async () => {
    await query(source.url, `BEGIN; CREATE TABLE extra (id bigint PRIMARY KEY, note text DEFAULT 'n'); INSERT INTO extra VALUES (1, 'same transaction'); COMMIT`);
    await query(source.url, `INSERT INTO extra SELECT g, 'row ' || g FROM generate_series(2, 50) g; UPDATE extra SET note = 'changed' WHERE id < 5`);
    await query(source.url, `CREATE TABLE loose (a int, b text); INSERT INTO loose VALUES (1, 'one'), (1, 'one'), (2, 'two')`);
    await query(source.url, `UPDATE loose SET b = 'uno' WHERE a = 1; DELETE FROM loose WHERE a = 2`);
    await sameTable('extra', 'id');
    await sameTable('loose', 'a, b');
    await query(source.url, `TRUNCATE extra; INSERT INTO extra VALUES (100, 'after truncate')`);
    await query(source.url, `DROP TABLE loose; INSERT INTO stock (id, price, qty, state) VALUES (306, 1, 1, 'last')`);
    await sameTable('extra', 'id');
    await sameTable('stock', 'id');
    await waitFor('loose to be dropped on the destination', async () => (await shape(dest.url, 'loose')) === null, 60_000);
  }, 150_000);

  it('replays schema changes made while capture was down (the catalog is ahead of the slot)', async () => {
    const capture = services.shift()!;
    await capture.kill('SIGKILL');
    await query(source.url, `INSERT INTO stock (id, price, qty, state) VALUES (400, 4, 4, 'down')`);
    await query(source.url, `ALTER TABLE stock ADD COLUMN later text DEFAULT 'l'; INSERT INTO stock (id, price, later, state) VALUES (401, 4, 'x', 's')`);
    await query(source.url, `ALTER TABLE stock DROP COLUMN qty; UPDATE stock SET later = 'y' WHERE id = 400`);
    // Renamed while capture is down: the log row, read in WAL order, still names the old column.
    await query(source.url, `ALTER TABLE stock RENAME COLUMN later TO afterwards; UPDATE stock SET afterwards = 'z' WHERE id = 401`);
    // now() is computed once, at the ALTER, for every existing row: the destination must take that value, not its own.
    await query(source.url, `ALTER TABLE stock ADD COLUMN seen_at timestamptz NOT NULL DEFAULT now(); INSERT INTO stock (id, price, state) VALUES (402, 4, 'after seen_at')`);
    await query(source.url, `ALTER TABLE extra RENAME TO extra_renamed; INSERT INTO extra_renamed VALUES (101, 'while down')`);
    services.unshift(startFerry(task, 'capture'));
    await sameTable('stock', 'id');
    await sameTable('extra_renamed', 'id');
  }, 150_000);

  it('lets a consumer with the registry decode the events from before and after every change', async () => {
    const registry = new SchemaRegistryClient({ url: urls.schemaRegistryUrl });
    const codec = new AvroCodec(registry);
    const topic = `${task.prefix}.public.items`;
    const consumer = kafka.consumer({ groupId: `${task.name}-reader` });
    const seen: { schemaId: number; after: Record<string, unknown> | null; ddl: boolean }[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      // The renamed table stays on its topic: its last row (306) is the newest record; then 3 s of quiet.
      let lastRead = Date.now();
      await consumer.run({
        eachMessage: async ({ message }) => {
          lastRead = Date.now();
          if (message.value === null) {
            seen.push({ schemaId: 0, after: null, ddl: message.headers?.['ferry-ddl'] !== undefined });
            return;
          }
          const { schemaId, value } = await codec.decodeMessage<ChangeEvent>(message.value);
          const rows = RowConverter.fromRowSchema(rowSchemaOf((await registry.getSchema(schemaId)) as AvroRecordSchema));
          seen.push({ schemaId, after: value.after ? { ...rows.fromAvroToObject(value.after) } : null, ddl: false });
        },
      });
      await waitFor('every record of the items topic', async () => seen.some((s) => s.after?.id === '306') && Date.now() - lastRead > 3_000, 60_000);
    } finally {
      await consumer.disconnect();
    }
    // One schema version per shape the table had: written with each, all decode.
    expect(new Set(seen.filter((s) => s.schemaId > 0).map((s) => s.schemaId)).size).toBeGreaterThanOrEqual(5);
    expect(seen.filter((s) => s.ddl).length).toBeGreaterThan(0);
    const afters = seen.map((s) => s.after).filter((a): a is Record<string, unknown> => a !== null);
    expect(afters.find((a) => a.id === '302')).toEqual({ id: '302', name: 'after', price: '2.00', qty: '7' });
    expect(afters.find((a) => a.id === '305')).toEqual({ id: '305', price: '1.00', qty: '1.00', status: 'renamed' });
    expect(afters.some((a) => a.id === '1' && a.qty === '1.25')).toBe(true);
  }, 120_000);
});

describe('DDL capture, failures and the switch', () => {
  const services: RunningService[] = [];
  const tasks: TestTask[] = [];
  const databases: TempDatabase[] = [];

  afterAll(async () => {
    await Promise.all(services.map((s) => s.kill('SIGKILL')));
    for (const task of tasks) await releaseTask(task);
    for (const db of databases) await db.drop();
  });

  async function pair(prefix: string, extraYaml: string): Promise<{ src: TempDatabase; dst: TempDatabase; task: TestTask }> {
    const src = await createTempDatabase(urls.sourcePgUrl, `${prefix}_src`);
    const dst = await createTempDatabase(urls.destPgUrl, `${prefix}_dst`);
    databases.push(src, dst);
    const table = `CREATE TABLE t (id int PRIMARY KEY, v int)`;
    await query(src.url, table);
    await query(dst.url, table);
    await query(src.url, `INSERT INTO t SELECT g, g FROM generate_series(1, 20) g`);
    const task = writeTask(urls, src.url, dst.url, extraYaml);
    tasks.push(task);
    return { src, dst, task };
  }

  it('stops the sink with a clear error when the destination refuses a change, and applies it once the cause is fixed', async () => {
    const { src, dst, task } = await pair('ddlfail', '');
    services.push(startFerry(task, 'capture'));
    let sink = startFerry(task, 'sink');
    services.push(sink);
    await waitFor('the copy', async () => (await tableDigest(dst.url, 't', 'id')).count === 20, 90_000);
    // A row only the destination has breaks the constraint the source adds.
    await query(dst.url, `INSERT INTO t VALUES (1000, -1)`);
    await query(src.url, `ALTER TABLE t ADD CONSTRAINT v_not_negative CHECK (v >= 0); INSERT INTO t VALUES (21, 21)`);
    const code = await Promise.race([sink.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 60_000))]);
    expect(code).not.toBe('running');
    expect(code).not.toBe(0);
    const { readFileSync } = await import('node:fs');
    const log = readFileSync(sink.logFile, 'utf8');
    expect(log).toContain('cannot apply the schema change \\"ALTER TABLE\\" of source table public.t');
    expect(log).toContain('v_not_negative');
    expect(await query(dst.url, `SELECT count(*)::int AS n FROM t WHERE id = 21`)).toEqual([{ n: 0 }]);

    await query(dst.url, `DELETE FROM t WHERE id = 1000`);
    sink = startFerry(task, 'sink');
    services.push(sink);
    await waitFor('the change and the row after it', async () => (await tableDigest(dst.url, 't', 'id')).digest === (await tableDigest(src.url, 't', 'id')).digest, 90_000);
    expect(await query(dst.url, `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = 'v_not_negative'`)).toEqual([{ def: 'CHECK ((v >= 0))' }]);
  }, 240_000);

  it('stops at a column the source filled row by row (random()), and goes on once the destination has its values', async () => {
    const { src, dst, task } = await pair('ddlfill', '');
    services.push(startFerry(task, 'capture'));
    let sink = startFerry(task, 'sink');
    services.push(sink);
    await waitFor('the copy', async () => (await tableDigest(dst.url, 't', 'id')).count === 20, 90_000);
    await query(src.url, `ALTER TABLE t ADD COLUMN r double precision DEFAULT random(); INSERT INTO t (id, v) VALUES (21, 21)`);
    const code = await Promise.race([sink.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 60_000))]);
    expect(code).not.toBe('running');
    const { readFileSync } = await import('node:fs');
    const log = readFileSync(sink.logFile, 'utf8');
    expect(log).toContain('the source filled the new column \\"r\\" of every existing row');
    expect(await query(dst.url, `SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 't' AND column_name = 'r'`)).toEqual([{ n: 0 }]);

    // What the error's fix says: the column, with the source's values of the existing rows.
    const values = await query<{ id: number; r: number }>(src.url, `SELECT id, r FROM t WHERE id <= 20`);
    await query(dst.url, `ALTER TABLE t ADD COLUMN r double precision`);
    for (const row of values) await query(dst.url, `UPDATE t SET r = $2 WHERE id = $1`, [row.id, row.r]);
    sink = startFerry(task, 'sink');
    services.push(sink);
    await waitFor('the change and the row after it', async () => (await tableDigest(dst.url, 't', 'id')).digest === (await tableDigest(src.url, 't', 'id')).digest, 90_000);
  }, 240_000);

  it('leaves schema changes alone when ddl.capture is off', async () => {
    const { src, dst, task } = await pair('ddloff', 'ddl: { capture: false }');
    services.push(startFerry(task, 'capture'), startFerry(task, 'sink'));
    await waitFor('the copy', async () => (await tableDigest(dst.url, 't', 'id')).count === 20, 90_000);
    expect(await query(src.url, `SELECT count(*)::int AS n FROM pg_event_trigger WHERE evtname LIKE 'ferry_ddl%'`)).toEqual([{ n: 0 }]);
    await query(src.url, `ALTER TABLE t ADD COLUMN extra text; INSERT INTO t VALUES (21, 21, 'x'); UPDATE t SET v = 0 WHERE id = 1`);
    await waitFor('the rows', async () => (await query(dst.url, `SELECT count(*)::int AS n FROM t WHERE id = 21 OR (id = 1 AND v = 0)`))[0]?.n === 2, 60_000);
    expect(await query(dst.url, `SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 't' AND column_name = 'extra'`)).toEqual([{ n: 0 }]);
  }, 180_000);
});
