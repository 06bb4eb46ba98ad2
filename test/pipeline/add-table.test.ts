import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '../support/databases.js';
import { query, releaseTask, startFerry, tableDigest, waitFor, writeTask, type RunningService, type TestTask } from '../support/pipeline.js';
import { serviceUrlsFromEnv } from '../support/services.js';

// Issue #9 part 3: a table selected in the task file while capture streams is copied
// alone, from its own consistent point, while the other tables keep flowing.
const urls = serviceUrlsFromEnv();

const TABLES = `
  CREATE TABLE a (id int PRIMARY KEY, v text);
  CREATE TABLE b (id int PRIMARY KEY, v text, n int);
  CREATE TABLE c (n int, t text);
`;

describe('adding a table to a running task', () => {
  let source: TempDatabase;
  let dest: TempDatabase;
  let task: TestTask;
  const services: RunningService[] = [];

  beforeAll(async () => {
    source = await createTempDatabase(urls.sourcePgUrl, 'add_src');
    dest = await createTempDatabase(urls.destPgUrl, 'add_dst');
    await query(source.url, TABLES);
    // a and c exist on the destination (as `ferry migrate` makes them); b does not: the sink
    // creates it from the create event capture sends ahead of its copy.
    await query(dest.url, `CREATE TABLE a (id int PRIMARY KEY, v text); CREATE TABLE c (n int, t text);`);
    await query(
      source.url,
      `INSERT INTO a SELECT g, 'a' || g FROM generate_series(1, 1000) g;
       INSERT INTO b SELECT g, 'b' || g, 0 FROM generate_series(1, 20000) g;
       INSERT INTO c SELECT g % 500, 'c' || (g % 500) FROM generate_series(1, 3000) g;`,
    );
    task = writeTask(urls, source.url, dest.url, 'objects: { include: ["public.a"] }\nsnapshot: { chunkRows: 4000 }');
  });

  afterAll(async () => {
    await Promise.all(services.map((s) => s.kill('SIGKILL')));
    if (task) await releaseTask(task);
    await source?.drop();
    await dest?.drop();
  });

  it('copies a newly selected table while streaming goes on, then follows its changes', async () => {
    services.push(startFerry(task, 'capture'), startFerry(task, 'sink'));
    const wantA0 = await tableDigest(source.url, 'a', 'id');
    await waitFor('a to be copied', async () => (await tableDigest(dest.url, 'a', 'id')).digest === wantA0.digest, 90_000);

    let writing = true;
    let n = 0;
    const writer = (async () => {
      while (writing) {
        n += 1;
        await query(
          source.url,
          // One statement (parameters allow no more), one source transaction touching all three tables.
          `WITH ia AS (INSERT INTO a VALUES ($1, 'live')), ub AS (UPDATE b SET n = n + 1, v = 'w' || $1 WHERE id = $2),
                ib AS (INSERT INTO b VALUES ($3, 'new', 0)), db AS (DELETE FROM b WHERE id = $4),
                ic AS (INSERT INTO c VALUES ($5, 'live')), dc AS (DELETE FROM c WHERE ctid = (SELECT min(ctid) FROM c WHERE n = $6))
           SELECT 1`,
          [100_000 + n, ((n * 97) % 20_000) + 1, 100_000 + n, ((n * 13) % 20_000) + 1, 1000 + n, n % 500],
        );
      }
    })();
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await query(dest.url, `SELECT to_regclass('public.b') IS NULL AS missing`)).toEqual([{ missing: true }]);

    // The user selects b and c in the task file; capture takes the change in on its own.
    writeFileSync(task.file, readFileSync(task.file, 'utf8').replace('include: ["public.a"]', 'include: ["public.a", "public.b", "public.c"]'));

    // Meanwhile a keeps arriving at the destination: sampled until b's snapshot is applied.
    const samples: { a: number; bDone: boolean }[] = [];
    await waitFor(
      'b snapshot to be applied',
      async () => {
        const [a] = await query<{ n: number }>(dest.url, 'SELECT count(*)::int AS n FROM a');
        const done = await query<{ done: boolean }>(dest.url, `SELECT snapshot_complete AS done FROM ferry.sink_tables WHERE source_table = 'public.b'`).catch(() => []);
        samples.push({ a: a!.n, bDone: done[0]?.done === true });
        return done[0]?.done === true;
      },
      120_000,
      500,
    );
    const during = samples.filter((s) => !s.bDone).map((s) => s.a);
    expect(during.length).toBeGreaterThan(1);
    expect(during[during.length - 1]!).toBeGreaterThan(during[0]!);

    // b keeps following writes after its copy.
    await new Promise((r) => setTimeout(r, 3_000));
    writing = false;
    await writer;
    expect(n).toBeGreaterThan(10);

    for (const [table, order] of [
      ['a', 'id'],
      ['b', 'id'],
      ['c', 'n, t'],
    ] as const) {
      const want = await tableDigest(source.url, table, order);
      await waitFor(`${table} to match`, async () => (await tableDigest(dest.url, table, order)).digest === want.digest, 90_000).catch(() => undefined);
      expect({ table, ...(await tableDigest(dest.url, table, order)) }).toEqual({ table, ...want });
    }
    // b was created with its key, from the source's definition.
    expect(await query(dest.url, `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'public.b'::regclass`)).toEqual([{ def: 'PRIMARY KEY (id)' }]);
  }, 300_000);

  it('takes an interrupted table copy again when capture restarts', async () => {
    const src = await createTempDatabase(urls.sourcePgUrl, 'add_src');
    const dst = await createTempDatabase(urls.destPgUrl, 'add_dst');
    // Slow copy (4 000 rows/s): capture is killed while b's chunks are being read.
    const crashTask = writeTask(urls, src.url, dst.url, 'objects: { include: ["public.a"] }\nsnapshot: { chunkRows: 2000 }\nthrottle: { full: { rowsPerSecond: 4000 } }');
    const running: RunningService[] = [];
    let writing = true;
    let writer: Promise<void> = Promise.resolve();
    try {
      await query(src.url, `CREATE TABLE a (id int PRIMARY KEY, v text); CREATE TABLE b (id int PRIMARY KEY, v text, n int);`);
      await query(dst.url, `CREATE TABLE a (id int PRIMARY KEY, v text); CREATE TABLE b (id int PRIMARY KEY, v text, n int);`);
      await query(src.url, `INSERT INTO a SELECT g, 'a' FROM generate_series(1, 100) g; INSERT INTO b SELECT g, 'b' || g, 0 FROM generate_series(1, 20000) g;`);
      const capture = startFerry(crashTask, 'capture');
      running.push(capture, startFerry(crashTask, 'sink'));
      await waitFor('a to be copied', async () => (await query<{ n: number }>(dst.url, 'SELECT count(*)::int AS n FROM a'))[0]!.n === 100, 90_000);
      let n = 0;
      writer = (async () => {
        while (writing) {
          n += 1;
          await query(
            src.url,
            `WITH ia AS (INSERT INTO a VALUES ($1, 'live')), ub AS (UPDATE b SET n = n + 1, v = 'w' || $1 WHERE id = $2), db AS (DELETE FROM b WHERE id = $3) SELECT 1`,
            [1000 + n, ((n * 97) % 20_000) + 1, ((n * 13) % 20_000) + 1],
          );
        }
      })();
      writeFileSync(crashTask.file, readFileSync(crashTask.file, 'utf8').replace('include: ["public.a"]', 'include: ["public.a", "public.b"]'));
      await waitFor('the copy of b to start', async () => readFileSync(capture.logFile, 'utf8').includes('snapshot of added tables starts'), 60_000);
      await new Promise((r) => setTimeout(r, 1_500));
      await capture.kill('SIGKILL');
      expect(readFileSync(capture.logFile, 'utf8')).not.toMatch(/"table":"public\.b","rows":\d+,"chunks":\d+,"msg":"table snapshot complete"/);

      const again = startFerry(crashTask, 'capture');
      running.push(again);
      await waitFor(
        'b snapshot to be applied',
        async () => (await query<{ done: boolean }>(dst.url, `SELECT snapshot_complete AS done FROM ferry.sink_tables WHERE source_table = 'public.b'`).catch(() => []))[0]?.done === true,
        120_000,
        500,
      );
      expect(readFileSync(again.logFile, 'utf8')).toContain('it is taken again while streaming');
      await new Promise((r) => setTimeout(r, 2_000));
      writing = false;
      await writer;
      expect(n).toBeGreaterThan(10);
      for (const table of ['a', 'b']) {
        const want = await tableDigest(src.url, table, 'id');
        await waitFor(`${table} to match`, async () => (await tableDigest(dst.url, table, 'id')).digest === want.digest, 90_000).catch(() => undefined);
        expect({ table, ...(await tableDigest(dst.url, table, 'id')) }).toEqual({ table, ...want });
      }
    } finally {
      writing = false;
      await writer.catch(() => undefined);
      await Promise.all(running.map((s) => s.kill('SIGKILL')));
      await releaseTask(crashTask);
      await src.drop();
      await dst.drop();
    }
  }, 300_000);
});
