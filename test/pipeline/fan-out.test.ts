import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '../support/databases.js';
import { query, releaseTask, runFerry, startFerry, stopAll, tableDigest, waitFor, writeTask, type RunningService, type TestTask } from '../support/pipeline.js';
import { serviceUrlsFromEnv } from '../support/services.js';

// One capture, many sinks: two sink processes sharing one destination's partitions,
// a second destination fed by its own consumer group, and a replay into an empty one.
const urls = serviceUrlsFromEnv();
const TABLE = 'CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL, owner text)';

describe('one stream, several sinks', () => {
  let source: TempDatabase;
  const dests: TempDatabase[] = [];
  let task: TestTask;
  const running: RunningService[] = [];

  beforeAll(async () => {
    source = await createTempDatabase(urls.sourcePgUrl, 'fan_src');
    for (let i = 0; i < 3; i++) {
      const dest = await createTempDatabase(urls.destPgUrl, `fan_dst${i + 1}`);
      await query(dest.url, TABLE);
      dests.push(dest);
    }
    await query(source.url, TABLE);
    await query(source.url, `INSERT INTO accounts SELECT g, 1000, 'owner ' || g FROM generate_series(1, 20000) g`);
    task = writeTask(urls, source.url, dests.map((d) => d.url));
  });

  afterAll(async () => {
    await Promise.all(running.map((s) => s.kill('SIGKILL')));
    if (task) await releaseTask(task, ['d1', 'd2', 'd3']);
    await source?.drop();
    for (const d of dests) await d.drop();
  });

  it('keeps two destinations equal to the source, the first fed by two sink processes', async () => {
    running.push(
      startFerry(task, 'capture'),
      startFerry(task, 'sink', ['--destination', 'd1', '--concurrency', '2']),
      startFerry(task, 'sink', ['--destination', 'd1', '--concurrency', '2']),
      startFerry(task, 'sink', ['--destination', 'd2']),
    );
    // Transfers between accounts: the total stays constant, any lost or doubled update shows.
    for (let n = 0; n < 300; n++) {
      const from = 1 + ((n * 7919) % 20000);
      const to = 1 + ((n * 104729) % 20000);
      await query(source.url, `BEGIN; UPDATE accounts SET balance = balance - 5 WHERE id = ${from}; UPDATE accounts SET balance = balance + 5 WHERE id = ${to}; COMMIT`);
    }
    await query(source.url, `DELETE FROM accounts WHERE id % 1000 = 0; INSERT INTO accounts VALUES (50000, 0, 'new')`);
    const want = await tableDigest(source.url, 'accounts', 'id');
    for (const dest of dests.slice(0, 2)) {
      await waitFor('destination to match', async () => (await tableDigest(dest.url, 'accounts', 'id')).digest === want.digest, 90_000, 500);
      expect(await tableDigest(dest.url, 'accounts', 'id')).toEqual(want);
    }
    const [sum] = await query<{ total: string }>(dests[0]!.url, 'SELECT sum(balance)::text AS total FROM accounts');
    const [sourceSum] = await query<{ total: string }>(source.url, 'SELECT sum(balance)::text AS total FROM accounts');
    expect(sum!.total).toBe(sourceSum!.total);
  });

  it('rebuilds an empty destination by replaying the topics with a new consumer group', async () => {
    running.push(startFerry(task, 'sink', ['--destination', 'd3', '--group', `replay-${task.name}`]));
    const want = await tableDigest(source.url, 'accounts', 'id');
    await waitFor('the replay to match', async () => (await tableDigest(dests[2]!.url, 'accounts', 'id')).digest === want.digest, 90_000, 500);
    expect(await tableDigest(dests[2]!.url, 'accounts', 'id')).toEqual(want);
  });
});

describe('one-to-many phases', () => {
  let source: TempDatabase;
  const dests: TempDatabase[] = [];
  let task: TestTask;
  const running: RunningService[] = [];

  interface Status {
    state: { phase: string };
    destinations: { name: string; progress: { tables: { snapshotComplete: boolean }[] } }[];
  }

  async function status(): Promise<Status | undefined> {
    const { code, output } = await runFerry(['status', '-c', task.file, '--json']);
    if (code !== 0) return undefined;
    return JSON.parse(output.slice(output.indexOf('{\n'))) as Status;
  }

  async function phase(): Promise<string | undefined> {
    return (await status())?.state.phase;
  }

  const apiPort = 20_000 + Math.floor(Math.random() * 20_000);
  const copied = (s: Status | undefined) => s?.destinations.map((d) => [d.name, d.progress.tables.every((t) => t.snapshotComplete)]);

  beforeAll(async () => {
    source = await createTempDatabase(urls.sourcePgUrl, 'fanph_src');
    for (let i = 0; i < 2; i++) dests.push(await createTempDatabase(urls.destPgUrl, `fanph_dst${i + 1}`));
    await query(source.url, TABLE);
    await query(source.url, `INSERT INTO accounts SELECT g, 1000, 'owner ' || g FROM generate_series(1, 5000) g`);
    task = writeTask(urls, source.url, dests.map((d) => d.url), `api: { port: ${apiPort} }`);
  });

  afterAll(async () => {
    await stopAll(running);
    if (task) await releaseTask(task, ['d1', 'd2']);
    await source?.drop();
    for (const d of dests) await d.drop();
  });

  it('leaves the full copy only once every destination has it', async () => {
    running.push(startFerry(task, 'coordinator'), startFerry(task, 'capture'), startFerry(task, 'sink', ['--destination', 'd1']));
    const want = await tableDigest(source.url, 'accounts', 'id');
    await waitFor('the first destination\'s copy', async () => (await tableDigest(dests[0]!.url, 'accounts', 'id').catch(() => undefined))?.digest === want.digest, 120_000, 500, running);
    // The coordinator looks every second; d2 has no sink yet, so its copy is not in.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const waiting = await status();
    expect(waiting?.state.phase).toBe('full');
    // ferry status shows each destination's copy.
    expect(copied(waiting)).toEqual([['d1', true], ['d2', false]]);
    const sinkD2 = startFerry(task, 'sink', ['--destination', 'd2']);
    running.push(sinkD2);
    await waitFor('continuous sync', async () => (await phase()) === 'incremental', 120_000, 1_000, running);
    expect(await tableDigest(dests[1]!.url, 'accounts', 'id')).toEqual(want);
    expect(copied(await status())).toEqual([['d1', true], ['d2', true]]);

    // The console's cutover readiness looks at every destination: d2's sink stops, its lag grows.
    await sinkD2.kill('SIGKILL');
    const readiness = await waitFor(
      'the API to name d2 in the readiness',
      async () => {
        const body = (await (await fetch(`http://127.0.0.1:${apiPort}/api/cutover?maxLagSeconds=3`)).json()) as { readiness: { ready: boolean; problem: string | null } };
        return body.readiness.problem?.includes('destination "d2"') ? body.readiness : undefined;
      },
      60_000,
      1_000,
    );
    expect(readiness.ready).toBe(false);
    expect(readiness.problem).toMatch(/lag too high: destination "d2" is \d+\.\d s behind the source \(the limit is 3 s\)/);
  }, 300_000);
});
