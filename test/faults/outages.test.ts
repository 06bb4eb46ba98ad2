import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '../support/databases.js';
import { query, releaseTask, runFerry, startFerry, tableDigest, waitFor, writeTask, type RunningService, type TestTask } from '../support/pipeline.js';
import { serviceUrlsFromEnv } from '../support/services.js';

// Outages of the real servers under a running migration with writes going on:
// the broker restarts, the source restarts, the destination is gone for a minute.
// Afterwards the copy equals the source, and no slot is left behind.
const urls = serviceUrlsFromEnv();
const INFRA = fileURLToPath(new URL('../../infra/src/cli.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
const run = promisify(execFile);
const infra = (...args: string[]) => run(TSX, [INFRA, ...args], { timeout: 180_000 });

describe('outages during a migration', () => {
  let source: TempDatabase;
  let dest: TempDatabase;
  let task: TestTask;
  let migrate: RunningService;
  let writes = 0;
  let writing = true;
  let writer: Promise<void>;

  beforeAll(async () => {
    source = await createTempDatabase(urls.sourcePgUrl, 'fault_src');
    dest = await createTempDatabase(urls.destPgUrl, 'fault_dst');
    await query(source.url, `CREATE TABLE ledger (id bigint PRIMARY KEY, amount numeric NOT NULL, note text); CREATE TABLE log (at timestamptz, what text)`);
    await query(source.url, `INSERT INTO ledger SELECT g, g % 1000, 'start' FROM generate_series(1, 50000) g`);
    task = writeTask(urls, source.url, dest.url, 'retry: { connectionMinutes: 10, otherMinutes: 5 }');
    migrate = startFerry(task, 'migrate');
    await waitFor('continuous sync', async () => {
      const { code, output } = await runFerry(['status', '-c', task.file, '--json']);
      return code === 0 && JSON.parse(output.slice(output.indexOf('{'))).state.phase === 'incremental';
    }, 180_000, 1000);
    // A writer that keeps going through the source's own restart (its failures are retried).
    writer = (async () => {
      while (writing) {
        try {
          writes += 1;
          await query(source.url, `UPDATE ledger SET amount = amount + 1, note = $1 WHERE id = $2`, [`w${writes}`, 1 + ((writes * 7919) % 50000)]);
          await query(source.url, `INSERT INTO log VALUES (now(), $1)`, [`w${writes}`]);
        } catch {
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    })();
  });

  afterAll(async () => {
    writing = false;
    await writer;
    await migrate?.kill('SIGINT');
    if (task) await releaseTask(task);
    await source?.drop();
    await dest?.drop();
  });

  async function expectCaughtUp(): Promise<void> {
    const before = writes;
    await waitFor('more writes', async () => writes > before + 20, 60_000);
    writing = false;
    await writer;
    for (const [table, order] of [
      ['ledger', 'id'],
      ['log', 'at, what'],
    ] as const) {
      const want = await tableDigest(source.url, table, order);
      await waitFor(`${table} to match`, async () => (await tableDigest(dest.url, table, order)).digest === want.digest, 240_000, 1000).catch(() => undefined);
      // On a mismatch, name the rows that differ rather than two digests.
      const [sourceRows, destRows] = await Promise.all([
        query<{ row: string }>(source.url, `SELECT t::text AS row FROM ${table} t ORDER BY ${order}`),
        query<{ row: string }>(dest.url, `SELECT t::text AS row FROM ${table} t ORDER BY ${order}`),
      ]);
      const counted = (rows: { row: string }[]) => rows.reduce((m, r) => m.set(r.row, (m.get(r.row) ?? 0) + 1), new Map<string, number>());
      const [have, got] = [counted(sourceRows), counted(destRows)];
      const differing = [...new Set([...have.keys(), ...got.keys()])].filter((row) => have.get(row) !== got.get(row));
      expect(differing.map((row) => `${row}: source ${have.get(row) ?? 0}, destination ${got.get(row) ?? 0}`)).toEqual([]);
    }
    writing = true;
    writer = (async () => {
      while (writing) {
        try {
          writes += 1;
          await query(source.url, `UPDATE ledger SET amount = amount + 1 WHERE id = $1`, [1 + ((writes * 104729) % 50000)]);
          await query(source.url, `INSERT INTO log VALUES (now(), $1)`, [`w${writes}`]);
        } catch {
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    })();
  }

  it('survives a restart of the Kafka broker', async () => {
    await infra('down', '--only', 'kafka');
    await new Promise((r) => setTimeout(r, 5_000));
    await infra('up', '--only', 'kafka');
    await expectCaughtUp();
  });

  it('survives a restart of the source PostgreSQL, whose fast shutdown is not held up by capture', async () => {
    const started = Date.now();
    const { stderr } = await infra('down', '--only', 'pg-source');
    // A walsender waits at shutdown until its client confirms all WAL sent; capture confirms
    // keepalive positions when idle, so a fast shutdown finishes well within pg_ctl's 30 s.
    expect(stderr).not.toContain('fast shutdown did not finish');
    expect(Date.now() - started).toBeLessThan(30_000);
    await new Promise((r) => setTimeout(r, 3_000));
    await infra('up', '--only', 'pg-source');
    await expectCaughtUp();
  });

  it('waits out a destination that is unreachable for a minute', async () => {
    await infra('down', '--only', 'pg-dest');
    await new Promise((r) => setTimeout(r, 60_000));
    await infra('up', '--only', 'pg-dest');
    await expectCaughtUp();
  });

  it('leaves no slot behind once released', async () => {
    writing = false;
    await writer;
    await migrate.kill('SIGINT');
    await releaseTask(task);
    const slots = await query(urls.sourcePgUrl, `SELECT slot_name FROM pg_replication_slots WHERE slot_name = $1`, [`ferry_${task.name.replace(/-/g, '_')}`]);
    expect(slots).toEqual([]);
  });
});
