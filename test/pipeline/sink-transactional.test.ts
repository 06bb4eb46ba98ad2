import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '../support/databases.js';
import { query, releaseTask, startFerry, tableDigest, waitFor, writeTask, type RunningService, type TestTask } from '../support/pipeline.js';
import { serviceUrlsFromEnv } from '../support/services.js';

// sink.mode transactional: a destination read during sync only ever shows whole source
// transactions, across partitions and across a kill -9 of the sink.
const urls = serviceUrlsFromEnv();
const TABLE = `CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL)`;
const ACCOUNTS = 200;
const TOTAL = ACCOUNTS * 1000;

describe('transaction-consistent sink', () => {
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
    source = await createTempDatabase(urls.sourcePgUrl, 'sinktx_src');
    dest = await createTempDatabase(urls.destPgUrl, 'sinktx_dst');
    await query(source.url, TABLE);
    await query(dest.url, TABLE);
    await query(source.url, `INSERT INTO accounts SELECT g, 1000 FROM generate_series(1, ${ACCOUNTS}) g`);
    task = writeTask(urls, source.url, dest.url, `sink: { mode: ${process.env.FERRY_TEST_SINK_MODE ?? 'transactional'} }`);
  });

  afterAll(async () => {
    await Promise.all(running.map((s) => s.kill('SIGKILL')));
    if (task) await releaseTask(task);
    await source?.drop();
    await dest?.drop();
  });

  it('never shows half of a transfer, even after kill -9 of the sink and of capture', async () => {
    let capture = start('capture');
    let sink = start('sink');
    await waitFor('the snapshot', async () => (await query<{ n: string }>(dest.url, 'SELECT count(*)::text AS n FROM accounts'))[0]!.n === String(ACCOUNTS), 90_000);

    // A reader on the destination, as fast as it can: every total it sees must be the whole.
    let reading = true;
    const seen: number[] = [];
    const reader = (async () => {
      const client = new pg.Client({ connectionString: dest.url });
      await client.connect();
      try {
        while (reading) {
          const { rows } = await client.query<{ total: string }>('SELECT sum(balance)::text AS total FROM accounts');
          seen.push(Number(rows[0]!.total));
        }
      } finally {
        await client.end();
      }
    })();

    const writer = new pg.Client({ connectionString: source.url });
    await writer.connect();
    try {
      for (let i = 0; i < 300; i++) {
        const from = ((i * 37) % ACCOUNTS) + 1;
        const to = ((i * 91 + 13) % ACCOUNTS) + 1;
        if (from === to) continue;
        // One source transaction, two keys: most likely on two partitions.
        await writer.query(`UPDATE accounts SET balance = balance - ${i % 50} WHERE id = ${from}; UPDATE accounts SET balance = balance + ${i % 50} WHERE id = ${to}`);
        if (i === 100) {
          // One larger transaction over every partition.
          await writer.query(`UPDATE accounts SET balance = balance + 1 WHERE id > 100; UPDATE accounts SET balance = balance - 100 WHERE id = 1`);
        }
        if (i === 150) {
          await sink.kill('SIGKILL');
          sink = start('sink');
        }
        if (i === 220) {
          // Capture sends again what the slot had not confirmed: transactions the sink may hold already.
          await capture.kill('SIGKILL');
          capture = start('capture');
        }
      }
    } finally {
      await writer.end();
    }
    const want = await tableDigest(source.url, 'accounts', 'id');
    await waitFor('the destination to match', async () => (await tableDigest(dest.url, 'accounts', 'id')).digest === want.digest, 90_000);
    reading = false;
    await reader;

    expect(await tableDigest(dest.url, 'accounts', 'id')).toEqual(want);
    expect(seen.length).toBeGreaterThan(100);
    expect(seen.filter((total) => total !== TOTAL)).toEqual([]);
    expect(sink.process.exitCode).toBeNull();
  });
});
