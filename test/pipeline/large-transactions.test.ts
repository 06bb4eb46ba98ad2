import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseExposition, sampleValue } from '@ferry/metrics';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePortRange } from '../console/operator-support.js';
import { createTempDatabase, type TempDatabase } from '../support/databases.js';
import { query, releaseTask, setSourceOptions, startFerry, stopAll, tableDigest, waitFor, writeTask, type RunningService, type TestTask } from '../support/pipeline.js';
import { serviceUrlsFromEnv } from '../support/services.js';

// Protocol streaming of in-progress transactions (PostgreSQL 14+): a transaction past the
// walsender's logical_decoding_work_mem reaches capture while still open, waits in a spool
// file, and is published at its commit, in commit order; aborted ones and rolled-back
// subtransactions never reach the destination; a kill -9 while one is open loses nothing.
const urls = serviceUrlsFromEnv();
const TABLES = `CREATE TABLE items (id int PRIMARY KEY, pad text);
CREATE TABLE notes (id int PRIMARY KEY, body text);`;

function slotName(task: TestTask): string {
  return `ferry_${task.name.replace(/-/g, '_')}`;
}

async function streamingFromSlot(url: string, task: TestTask): Promise<boolean> {
  const beat = await query(url, `SELECT 1 FROM ferry.heartbeat WHERE task = $1`, [task.name]).catch(() => []);
  const [slot] = await query<{ active: boolean }>(url, 'SELECT active FROM pg_replication_slots WHERE slot_name = $1', [slotName(task)]);
  return beat.length > 0 && slot?.active === true;
}

async function sameTables(source: string, dest: string): Promise<boolean> {
  for (const table of ['items', 'notes']) {
    const [a, b] = await Promise.all([tableDigest(source, table, 'id'), tableDigest(dest, table, 'id')]);
    if (a.digest !== b.digest) return false;
  }
  return true;
}

describe('large transactions streamed while open (PostgreSQL 17 source)', () => {
  const databases: TempDatabase[] = [];
  const services: RunningService[] = [];
  let task: TestTask | undefined;
  let open: pg.Client | undefined;

  afterAll(async () => {
    await open?.end().catch(() => undefined);
    await stopAll(services);
    if (task) await releaseTask(task);
    for (const db of databases) await db.drop();
  });

  it('publishes a streamed transaction at its commit, drops aborted work, and survives kill -9 while it is open', async () => {
    const source = await createTempDatabase(urls.destPgUrl, 'ltx_src');
    const dest = await createTempDatabase(urls.destPgUrl, 'ltx_dst');
    databases.push(source, dest);
    await query(source.url, `${TABLES} INSERT INTO items SELECT g, 'seed' FROM generate_series(1, 100) g;`);
    await query(dest.url, TABLES);
    // Capture serves /metrics on the base port + 1.
    const metricsBase = await freePortRange(3);
    const captureMetric = async (name: string): Promise<number | null> =>
      sampleValue(parseExposition(await (await fetch(`http://127.0.0.1:${metricsBase + 1}/metrics`)).text()), name, {});
    task = writeTask(urls, source.url, dest.url, `metrics: { port: ${metricsBase} }`);
    const spoolBase = join(task.dir, 'spool');
    const spool = join(spoolBase, task.name);
    setSourceOptions(task, `largeTransactions: { decodingMemoryKb: 64, spoolDirectory: "${spoolBase}" }`);

    services.push(startFerry(task, 'sink'));
    let capture = startFerry(task, 'capture');
    services.push(capture);
    await waitFor('capture to stream from the slot', () => streamingFromSlot(source.url, task!), 120_000, 500, [capture]);

    // A large transaction, left open: 20 000 rows, well past 64 kB.
    open = new pg.Client({ connectionString: source.url });
    await open.connect();
    await open.query('BEGIN');
    await open.query(`INSERT INTO items SELECT g, repeat('x', 100) FROM generate_series(1001, 21000) g`);
    const xid = (await open.query<{ xid: string }>(`SELECT (txid_current() % 4294967296)::text AS xid`)).rows[0]!.xid;

    // Capture holds it in a spool file while it is open, and small transactions committed
    // meanwhile are not held up behind it.
    const spoolFile = join(spool, `${xid}.spool`);
    await waitFor('the open transaction to be spooled', async () => existsSync(spoolFile), 60_000, 200, [capture]);
    await query(source.url, `INSERT INTO notes VALUES (1, 'committed while the large one is open')`);
    await waitFor('the small transaction at the destination', async () => (await query(dest.url, 'SELECT 1 FROM notes WHERE id = 1')).length === 1, 60_000, 250);
    const [held] = await query<{ n: string }>(dest.url, 'SELECT count(*)::text AS n FROM items');
    expect(Number(held!.n)).toBe(100);
    expect(await captureMetric('ferry_capture_spool_transactions')).toBe(1);
    expect(await captureMetric('ferry_capture_spool_bytes')).toBeGreaterThan(20_000 * 100);

    // kill -9 with the transaction open: the restarted capture starts its spool over, and the
    // slot (confirmed only past committed transactions) streams the transaction again.
    await capture.kill('SIGKILL');
    capture = startFerry(task, 'capture');
    services.push(capture);
    await waitFor('the restarted capture to stream', async () => readFileSync(capture.logFile, 'utf8').includes('streaming changes from the slot'), 60_000, 200, [capture]);
    await waitFor('the restarted capture to spool the open transaction again', async () => existsSync(spoolFile), 60_000, 200, [capture]);

    // Still open: a savepoint rolled back after its rows were streamed (5 000 rows, past
    // 64 kB on their own), and a released one that updates rows the transaction inserted.
    await open.query('SAVEPOINT gone');
    await open.query(`INSERT INTO items SELECT g, repeat('r', 100) FROM generate_series(30001, 35000) g`);
    // Each row is about 140 bytes in the spool: 20 000 rows stay under 3 MB, 25 000 pass 3.25 MB.
    await waitFor('the savepoint\'s rows to be spooled', async () => existsSync(spoolFile) && statSync(spoolFile).size > 25_000 * 130, 60_000, 200, [capture]);
    await open.query('ROLLBACK TO SAVEPOINT gone');
    await open.query('SAVEPOINT kept');
    await open.query(`UPDATE items SET pad = 'updated in a released savepoint' WHERE id BETWEEN 1001 AND 2000`);
    await open.query('RELEASE SAVEPOINT kept');
    await open.query(`INSERT INTO items SELECT g, 'after the kill' FROM generate_series(21001, 22000) g`);

    // A second large transaction that aborts as a whole.
    await query(source.url, `DO $$ BEGIN
      INSERT INTO items SELECT g, repeat('a', 100) FROM generate_series(40001, 60000) g;
      RAISE EXCEPTION 'abort on purpose';
    END $$`).catch((error: Error) => expect(error.message).toBe('abort on purpose'));
    await query(source.url, `INSERT INTO notes VALUES (2, 'after the aborted one')`);

    await open.query('COMMIT');
    await open.end();
    open = undefined;
    await query(source.url, `INSERT INTO notes VALUES (3, 'after the large commit')`);

    await waitFor('the destination to match the source', () => sameTables(source.url, dest.url), 90_000, 500, [capture]);
    const counts = await query<{ total: string; updated: string; rolled: string; aborted: string }>(
      dest.url,
      `SELECT count(*)::text AS total,
              count(*) FILTER (WHERE pad = 'updated in a released savepoint')::text AS updated,
              count(*) FILTER (WHERE id BETWEEN 30001 AND 35000)::text AS rolled,
              count(*) FILTER (WHERE id > 40000)::text AS aborted
         FROM items`,
    );
    expect(counts[0]).toEqual({ total: String(100 + 21_000), updated: '1000', rolled: '0', aborted: '0' });

    // It really was streamed: the server counts streamed transactions per slot, and capture
    // logged the replay of the committed one; its spool file is gone.
    await waitFor(
      'the slot to count streamed transactions',
      async () => {
        const [stats] = await query<{ stream_txns: string }>(source.url, 'SELECT stream_txns::text FROM pg_stat_replication_slots WHERE slot_name = $1', [slotName(task!)]);
        return Number(stats?.stream_txns ?? 0) >= 2;
      },
      30_000,
      500,
    );
    await waitFor('the spool to be empty', async () => readdirSync(spool).length === 0, 30_000, 200);
    expect(await captureMetric('ferry_capture_streamed_transactions_total')).toBe(1);
    expect(await captureMetric('ferry_capture_spool_transactions')).toBe(0);
    const log = readFileSync(capture.logFile, 'utf8');
    expect(log).toContain('a large transaction streamed while open has committed');
    expect(log).toContain(`"xid":${xid}`);
  }, 300_000);
});
