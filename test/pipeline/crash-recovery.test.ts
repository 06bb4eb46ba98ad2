import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '../support/databases.js';
import { query, releaseTask, startFerry, tableDigest, waitFor, writeTask, type RunningService, type TestTask } from '../support/pipeline.js';
import { serviceUrlsFromEnv } from '../support/services.js';

// kill -9 of capture and sink at the worst moments: the destination still ends equal to the source.
const urls = serviceUrlsFromEnv();
const TABLES = `CREATE TABLE big (id bigint PRIMARY KEY, payload text, n int);
                CREATE TABLE nokey (g int, v text);`;

describe('crash recovery', () => {
  let source: TempDatabase;
  let dest: TempDatabase;
  let task: TestTask;
  const running: RunningService[] = [];
  const start = (command: string) => {
    const service = startFerry(task, command);
    running.push(service);
    return service;
  };

  beforeAll(async () => {
    source = await createTempDatabase(urls.sourcePgUrl, 'crash_src');
    dest = await createTempDatabase(urls.destPgUrl, 'crash_dst');
    await query(source.url, TABLES);
    await query(dest.url, TABLES);
    await query(source.url, `INSERT INTO big SELECT g, md5(g::text), g % 100 FROM generate_series(1, 120000) g`);
    await query(source.url, `INSERT INTO nokey SELECT g % 10, 'v' || g FROM generate_series(1, 2000) g`);
    // Slow enough that the kill lands in the middle of the snapshot.
    task = writeTask(urls, source.url, dest.url, 'snapshot: { parallelism: 2, chunkRows: 10000 }\nthrottle: { full: { rowsPerSecond: 40000 } }');
  });

  afterAll(async () => {
    await Promise.all(running.map((s) => s.kill('SIGKILL')));
    if (task) await releaseTask(task);
    await source?.drop();
    await dest?.drop();
  });

  async function expectEqual(): Promise<void> {
    for (const [table, order] of [
      ['big', 'id'],
      ['nokey', 'g, v'],
    ] as const) {
      const want = await tableDigest(source.url, table, order);
      await waitFor(`${table} to match the source`, async () => (await tableDigest(dest.url, table, order)).digest === want.digest, 90_000, 500);
      expect(await tableDigest(dest.url, table, order)).toEqual(want);
    }
  }

  it('resumes the snapshot after kill -9 of capture, without losing or duplicating rows', async () => {
    const sink = start('sink');
    const first = start('capture');
    // Wait until some chunks are done, then kill in the middle.
    await waitFor('part of the snapshot to arrive', async () => {
      const [row] = await query<{ n: string }>(dest.url, 'SELECT count(*)::text AS n FROM big');
      return Number(row!.n) >= 20000;
    });
    await first.kill('SIGKILL');
    const [partial] = await query<{ n: string }>(dest.url, 'SELECT count(*)::text AS n FROM big');
    expect(Number(partial!.n)).toBeLessThan(120000);
    await query(source.url, `UPDATE big SET n = n + 1000 WHERE id % 1000 = 0; INSERT INTO nokey VALUES (42, 'during the outage')`);
    start('capture');
    await expectEqual();
    expect(sink.process.exitCode).toBeNull();
  });

  it('loses nothing after kill -9 of capture while streaming', async () => {
    const [capture] = running.filter((s) => s.process.exitCode === null && s.process.signalCode === null && s.logFile.includes('capture'));
    for (let i = 0; i < 20; i++) await query(source.url, `UPDATE big SET payload = 'stream ${i}' WHERE id % 97 = $1`, [i]);
    await capture!.kill('SIGKILL');
    for (let i = 0; i < 20; i++) await query(source.url, `INSERT INTO nokey VALUES ($1, 'while capture is down')`, [i]);
    start('capture');
    await expectEqual();
  });

  it('applies every event exactly once after kill -9 of a sink in the middle of its batches', async () => {
    const [sink] = running.filter((s) => s.process.exitCode === null && s.process.signalCode === null && s.logFile.includes('sink'));
    const writer = (async () => {
      for (let i = 0; i < 40; i++) {
        await query(source.url, `UPDATE big SET n = n + 1 WHERE id % 50 = $1`, [i]);
        await query(source.url, `INSERT INTO nokey VALUES ($1, 'batch')`, [i]);
      }
    })();
    await new Promise((r) => setTimeout(r, 700));
    await sink!.kill('SIGKILL');
    await writer;
    start('sink');
    await expectEqual();
  });
});
