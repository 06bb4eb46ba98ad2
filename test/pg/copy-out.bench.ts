/**
 * COPY TO (copyOutBatches) against a server-side cursor (DECLARE + FETCH with raw
 * text types), reading the same 1M pgbench_accounts-like rows from each server.
 * Not a test: `source /tmp/ferry-infra-ready && npx tsx test/pg/copy-out.bench.ts`.
 */
import type pg from 'pg';
import { copyOut, copyOutBatches, openClient, queryTextRows, rawTextTypes } from '@ferry/pg';
import { createTempDatabase } from '../support/databases.js';
import { serviceUrlsFromEnv } from '../support/services.js';

const ROWS = 1_000_000;
const QUERY = 'SELECT aid, bid, abalance, filler FROM accounts';

async function viaCopyBatches(client: pg.Client): Promise<number> {
  let rows = 0;
  for await (const batch of copyOutBatches(client, QUERY)) rows += batch.length;
  return rows;
}

async function viaCopyRows(client: pg.Client): Promise<number> {
  let rows = 0;
  for await (const _row of copyOut(client, QUERY)) rows++;
  return rows;
}

async function viaCursor(client: pg.Client): Promise<number> {
  let rows = 0;
  await client.query('BEGIN');
  await client.query(`DECLARE bench NO SCROLL CURSOR FOR ${QUERY}`);
  for (;;) {
    const result = await client.query({ text: 'FETCH 10000 FROM bench', rowMode: 'array', types: rawTextTypes });
    if (result.rows.length === 0) break;
    rows += result.rows.length;
  }
  await client.query('COMMIT');
  return rows;
}

async function main(): Promise<void> {
  const urls = serviceUrlsFromEnv();
  for (const [label, serverUrl] of [['source', urls.sourcePgUrl], ['destination', urls.destPgUrl]] as const) {
    const db = await createTempDatabase(serverUrl, 'pg_bench');
    const client = await openClient(db.url, { applicationName: 'ferry-bench', role: label });
    try {
      await client.query('CREATE TABLE accounts (aid int PRIMARY KEY, bid int, abalance int, filler char(84))');
      await client.query(`INSERT INTO accounts SELECT g, g % 50, 0, '' FROM generate_series(1, ${ROWS}) g`);
      await client.query('VACUUM ANALYZE accounts');
      const [size] = await queryTextRows(client, `SELECT pg_size_pretty(pg_relation_size('accounts'))`);
      console.log(`${label}: ${ROWS} rows, ${size![0]}`);
      const readers = { 'COPY batches': viaCopyBatches, 'COPY rows': viaCopyRows, 'cursor FETCH 10000': viaCursor };
      for (let round = 1; round <= 3; round++) {
        for (const [name, read] of Object.entries(readers)) {
          const started = performance.now();
          const rows = await read(client);
          const seconds = (performance.now() - started) / 1000;
          if (rows !== ROWS) throw new Error(`${name} read ${rows} rows`);
          console.log(`  round ${round} ${name.padEnd(20)} ${seconds.toFixed(2)} s  ${(ROWS / seconds / 1e6).toFixed(2)} M rows/s`);
        }
      }
    } finally {
      await client.end();
      await db.drop();
    }
  }
}

await main();
