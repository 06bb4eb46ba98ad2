import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '../support/databases.js';
import { query, releaseTask, runFerry, startFerry, stopAll, waitFor, writeTask, type RunningService, type TestTask } from '../support/pipeline.js';
import { serviceUrlsFromEnv } from '../support/services.js';

// Source failover: the slot lives on one server. A lost slot (dropped, or a failover to a
// standby without it) must stop capture with SLOT_LOST, and a restart must refuse too:
// never a silent new slot (a gap) or a silent new snapshot.
const urls = serviceUrlsFromEnv();

const TABLES = `CREATE TABLE items (id int PRIMARY KEY, name text);
INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 200) g;`;

async function slotOf(url: string, slot: string): Promise<{ active: boolean; failover?: boolean } | undefined> {
  const [row] = await query<{ active: boolean; failover?: boolean }>(url, 'SELECT * FROM pg_replication_slots WHERE slot_name = $1', [slot]);
  return row;
}

/** Capture writes its heartbeat row right before it starts streaming, i.e. once the snapshot is done. */
async function streaming(url: string, task: TestTask, slot: string): Promise<boolean> {
  const beat = await query(url, `SELECT 1 FROM ferry.heartbeat WHERE task = $1`, [task.name]).catch(() => []);
  return beat.length > 0 && (await slotOf(url, slot))?.active === true;
}

function slotName(task: TestTask): string {
  return `ferry_${task.name.replace(/-/g, '_')}`;
}

describe('source failover', () => {
  const databases: TempDatabase[] = [];
  const tasks: TestTask[] = [];
  const services: RunningService[] = [];

  afterAll(async () => {
    await stopAll(services);
    for (const task of tasks) await releaseTask(task);
    for (const db of databases) await db.drop();
  });

  it('a dropped slot is reported, not papered over', async () => {
    const source = await createTempDatabase(urls.sourcePgUrl, 'fo_src');
    const dest = await createTempDatabase(urls.destPgUrl, 'fo_dst');
    databases.push(source, dest);
    await query(source.url, TABLES);
    const task = writeTask(urls, source.url, dest.url);
    tasks.push(task);
    const slot = slotName(task);

    const capture = startFerry(task, 'capture');
    services.push(capture);
    await waitFor('capture to finish the snapshot and stream', () => streaming(source.url, task, slot), 120_000, 500);
    // PostgreSQL 13: the slot exists on the primary only, as after a failover to a standby.
    expect((await slotOf(source.url, slot))?.failover).toBeUndefined();

    // What a failover to a standby without the slot looks like to capture: its walsender ends
    // and the slot is not there when it comes back.
    await waitFor(
      'the slot to be dropped',
      async () => {
        await query(source.url, 'SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 AND active_pid IS NOT NULL', [slot]);
        await query(source.url, 'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active', [slot]);
        return (await slotOf(source.url, slot)) === undefined;
      },
      60_000,
      50,
    );
    await query(source.url, `INSERT INTO items VALUES (1000, 'written after the slot was lost')`);

    const code = await Promise.race([capture.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 90_000))]);
    expect(code).toBe(1);
    const log = readFileSync(capture.logFile, 'utf8');
    expect(log).toContain(`SLOT_LOST: replication slot "${slot}" is gone while capture was streaming`);
    expect(log).toContain('fix: start the task over: `ferry reset -c task.yaml --yes`');

    // A restart refuses as well, and leaves no new slot behind.
    const again = startFerry(task, 'capture');
    services.push(again);
    const againCode = await Promise.race([again.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 90_000))]);
    expect(againCode).toBe(1);
    const againLog = readFileSync(again.logFile, 'utf8');
    expect(againLog).toContain(`SLOT_LOST: replication slot "${slot}" is gone: it was dropped, or the source failed over to a standby (PostgreSQL 13 keeps slots on the primary only)`);
    expect(againLog).not.toContain('created replication slot');
    expect(await slotOf(source.url, slot)).toBeUndefined();

    // Starting over is explicit: `ferry reset` asks for --yes, then clears the task so capture begins anew.
    const asked = await runFerry(['reset', '-c', task.file]);
    expect(asked.code).toBe(2);
    expect(asked.output).toContain('Run again with --yes to do it');
    const reset = await runFerry(['reset', '-c', task.file, '--yes']);
    expect(reset.code, reset.output).toBe(0);
    const fresh = startFerry(task, 'capture');
    services.push(fresh);
    await waitFor('a new snapshot and stream after the reset', () => streaming(source.url, task, slot), 120_000, 500);
    expect(readFileSync(fresh.logFile, 'utf8')).toContain('created replication slot with an exported snapshot');
    await fresh.kill();
  }, 400_000);

  it('creates a failover slot on a PostgreSQL 17 source', async () => {
    const [setting] = await query<{ wal_level: string }>(urls.destPgUrl, 'SHOW wal_level');
    // The PostgreSQL 17 server (the destination server of the other suites) serves as a source here.
    expect(setting?.wal_level).toBe('logical');
    const source = await createTempDatabase(urls.destPgUrl, 'fo17_src');
    const dest = await createTempDatabase(urls.destPgUrl, 'fo17_dst');
    databases.push(source, dest);
    await query(source.url, TABLES);
    const task = writeTask(urls, source.url, dest.url);
    tasks.push(task);
    const slot = slotName(task);

    const capture = startFerry(task, 'capture');
    services.push(capture);
    await waitFor('capture to finish the snapshot and stream', () => streaming(source.url, task, slot), 120_000, 500);
    const row = await slotOf(source.url, slot);
    expect(row?.failover).toBe(true);
    await capture.kill();
  }, 200_000);
});
