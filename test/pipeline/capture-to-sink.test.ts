import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '../support/databases.js';
import { query, releaseTask, startFerry, tableDigest, waitFor, writeTask, type RunningService, type TestTask } from '../support/pipeline.js';
import { serviceUrlsFromEnv } from '../support/services.js';

// The whole stream, as real processes: `ferry capture` (PostgreSQL 13) → Kafka → `ferry sink` (PostgreSQL 17).
const urls = serviceUrlsFromEnv();

const TABLES = `
  CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(12,2), tags text[], note text, at timestamptz);
  CREATE TABLE pairs (a int, b text, PRIMARY KEY (b, a));
  CREATE TABLE loose (n int, t text);
`;

describe('capture → Kafka → sink', () => {
  let source: TempDatabase;
  let dest: TempDatabase;
  let task: TestTask;
  const services: RunningService[] = [];

  beforeAll(async () => {
    source = await createTempDatabase(urls.sourcePgUrl, 'pipe_src');
    dest = await createTempDatabase(urls.destPgUrl, 'pipe_dst');
    await query(source.url, TABLES);
    await query(dest.url, TABLES);
    await query(
      source.url,
      `INSERT INTO items SELECT g, 'item ' || g, g * 1.25, ARRAY['x', NULL, 'y'], NULL, '2024-01-01 00:00:00+00'::timestamptz + g * interval '1 minute' FROM generate_series(1, 30000) g;
       INSERT INTO pairs SELECT g, 'k' || (g % 7) FROM generate_series(1, 500) g;`,
    );
    await query(source.url, `INSERT INTO loose VALUES (1, 'same'), (1, 'same'), (2, 'other')`);
    // Uncompressed out-of-line storage: a long note is surely TOASTed, so updates leave it unsent.
    await query(source.url, `ALTER TABLE items ALTER COLUMN note SET STORAGE EXTERNAL`);
    task = writeTask(urls, source.url, dest.url, 'snapshot: { parallelism: 2, chunkRows: 5000 }');
  });

  afterAll(async () => {
    await Promise.all(services.map((s) => s.kill('SIGKILL')));
    if (task) await releaseTask(task);
    await source?.drop();
    await dest?.drop();
  });

  it('copies a snapshot taken under concurrent writes, then follows every change', async () => {
    let writing = true;
    const writer = (async () => {
      let n = 0;
      while (writing) {
        n += 1;
        await query(source.url, `UPDATE items SET price = price + 1, note = $1 WHERE id = $2`, [`w${n}`, ((n * 97) % 30000) + 1]);
        await query(source.url, `INSERT INTO items VALUES ($1, 'live', 1, '{}', NULL, now())`, [100000 + n]);
        await query(source.url, `DELETE FROM items WHERE id = $1`, [((n * 13) % 30000) + 1]);
      }
      return n;
    })();
    services.push(startFerry(task, 'capture'), startFerry(task, 'sink'));
    await new Promise((r) => setTimeout(r, 6_000));
    writing = false;
    const writes = await writer;
    expect(writes).toBeGreaterThan(5);

    // Changes of every kind once streaming runs: key change, keyless rows, TOAST left alone.
    await query(source.url, `UPDATE items SET note = repeat('toast-', 20000) WHERE id = 7`);
    await query(source.url, `UPDATE items SET price = 99 WHERE id = 7`);
    await query(source.url, `UPDATE items SET id = 70007 WHERE id = 8`);
    // A key change that leaves the TOASTed note unsent: it must still arrive under the new key.
    await query(source.url, `UPDATE items SET note = repeat('key-toast-', 10000) WHERE id = 9`);
    await query(source.url, `UPDATE items SET id = 70009 WHERE id = 9`);
    await query(source.url, `UPDATE pairs SET b = 'moved' WHERE a = 3 AND b = 'k3'`);
    await query(source.url, `DELETE FROM loose WHERE ctid = (SELECT min(ctid) FROM loose WHERE n = 1); UPDATE loose SET t = 'changed' WHERE n = 2`);

    for (const [table, order] of [
      ['items', 'id'],
      ['pairs', 'b, a'],
      ['loose', 'n, t'],
    ] as const) {
      const want = await tableDigest(source.url, table, order);
      await waitFor(`${table} to match`, async () => (await tableDigest(dest.url, table, order)).digest === want.digest, 60_000);
      expect(await tableDigest(dest.url, table, order)).toEqual(want);
    }
    const [toast] = await query<{ len: number; price: string }>(dest.url, `SELECT length(note) AS len, price::text AS price FROM items WHERE id = 7`);
    expect(toast).toEqual({ len: 120000, price: '99.00' });
    const [moved] = await query<{ len: number }>(dest.url, `SELECT length(note) AS len FROM items WHERE id = 70009`);
    expect(moved).toEqual({ len: 100000 });
  });

  it('applies TRUNCATE after every partition has reached it', async () => {
    await query(source.url, `TRUNCATE items; INSERT INTO items VALUES (1, 'after truncate', 1, NULL, NULL, NULL)`);
    await waitFor('truncate to arrive', async () => {
      const rows = await query<{ n: string }>(dest.url, 'SELECT count(*)::text AS n FROM items');
      return rows[0]!.n === '1';
    });
    expect(await query(dest.url, 'SELECT id, name FROM items')).toEqual([{ id: 1, name: 'after truncate' }]);
  });
});
