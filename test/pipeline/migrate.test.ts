import { ObjectSelection, taskSchema } from '@ferry/config';
import { openClient } from '@ferry/pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareSchema, formatDifferences } from '../../services/coordinator/src/schema/index.js';
import { createTempDatabase, type TempDatabase } from '../support/databases.js';
import { query, releaseTask, runFerry, startFerry, waitFor, writeTask, type RunningService, type TestTask } from '../support/pipeline.js';
import { serviceUrlsFromEnv } from '../support/services.js';
import { SOURCE_FIXTURE_SQL } from '../schema/source-fixture.js';

// `ferry migrate` end to end: every object kind, rows in most tables, writes going on,
// and a kill -9 of the whole command in the middle; the destination ends equal.
const urls = serviceUrlsFromEnv();

const DATA = String.raw`
INSERT INTO sales.customers (email, name, mood, home, tags)
  SELECT 'c' || g || '@x.org', 'Customer ' || g, (ARRAY['sad','ok','happy']::sales.mood[])[1 + g % 3], ROW('Main St ' || g, 'Town', g)::sales.address, hstore('k', g::text)
  FROM generate_series(1, 3000) g;
INSERT INTO sales.orders (customer_id, quantity, unit_price, note)
  SELECT 10 + 2 * (g % 3000), 1 + g % 9, (g % 100) + 0.5, CASE WHEN g % 10 = 0 THEN NULL ELSE 'note ' || g END FROM generate_series(1, 20000) g;
INSERT INTO sales.departments VALUES (1, NULL), (2, NULL);
INSERT INTO sales.employees VALUES (1, 1), (2, 2);
UPDATE sales.departments SET manager_id = id;
INSERT INTO sales.bookings (room, during) SELECT g % 5, tstzrange('2024-01-01'::timestamptz + g * interval '1 hour', '2024-01-01'::timestamptz + g * interval '1 hour' + interval '30 minutes') FROM generate_series(1, 500) g;
INSERT INTO sales.events SELECT g, '2024-01-01'::date + (g % 900), jsonb_build_object('g', g) FROM generate_series(1, 5000) g;
INSERT INTO "Util Schema"."Weird ""Table"" Ünïcode" VALUES (1, 'a b', 'q"uote', 3), (2, NULL, E'tab\there', 0);
`;

describe('ferry migrate', () => {
  let source: TempDatabase;
  let dest: TempDatabase;
  let task: TestTask;
  let migrate: RunningService | undefined;

  beforeAll(async () => {
    source = await createTempDatabase(urls.sourcePgUrl, 'mig_src');
    dest = await createTempDatabase(urls.destPgUrl, 'mig_dst');
    await query(source.url, SOURCE_FIXTURE_SQL);
    await query(source.url, DATA);
    await query(source.url, 'ANALYZE');
    task = writeTask(urls, source.url, dest.url, 'objects: { include: ["sales.*", "Util Schema.*"] }\nsnapshot: { parallelism: 2, chunkRows: 4000 }');
  });

  afterAll(async () => {
    await migrate?.kill('SIGKILL');
    if (task) await releaseTask(task);
    await source?.drop();
    await dest?.drop();
  });

  async function phase(): Promise<string | undefined> {
    const { code, output } = await runFerry(['status', '-c', task.file, '--json']);
    if (code !== 0) return undefined;
    return JSON.parse(output.slice(output.indexOf('{'))).state.phase as string;
  }

  it('goes from an empty destination to continuous sync, across kill -9 of the whole command in the full and incremental phases', async () => {
    let writing = true;
    const writer = (async () => {
      for (let n = 1; writing; n++) {
        await query(source.url, `UPDATE sales.orders SET quantity = quantity + 1, note = $1 WHERE id = $2`, [`live ${n}`, 1 + ((n * 37) % 20000)]);
        await query(source.url, `INSERT INTO sales.events VALUES ($1, '2025-03-01', '{"live": true}')`, [100000 + n]);
        await query(source.url, `DELETE FROM sales.bookings WHERE id = $1`, [1 + (n % 500)]);
      }
    })();

    migrate = startFerry(task, 'migrate');
    await waitFor('the full copy to start', async () => (await phase()) === 'full', 90_000, 1000);
    await migrate.kill('SIGKILL');
    // Its services notice the supervisor is gone and stop; a new run resumes every step.
    await new Promise((r) => setTimeout(r, 3000));
    migrate = startFerry(task, 'migrate');
    await waitFor('continuous sync', async () => (await phase()) === 'incremental', 180_000, 1000);
    // Killed again during continuous sync (post-data done): the next run goes straight on.
    await migrate.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 3000));
    migrate = startFerry(task, 'migrate');
    await new Promise((r) => setTimeout(r, 5000));
    expect(await phase()).toBe('incremental');
    writing = false;
    await writer;

    await waitFor('ferry verify to pass', async () => (await runFerry(['verify', '-c', task.file])).code === 0, 90_000, 2000).catch(() => undefined);
    const summary = await runFerry(['verify', '-c', task.file]);
    expect(summary.output).toContain('all tables match');
    const { output } = await runFerry(['verify', '-c', task.file, '--json']);
    const report = JSON.parse(output.slice(output.indexOf('{\n'))) as { ok: boolean; tables: { table: string; ok: boolean; sourceRows: number }[] };
    expect(report.ok).toBe(true);
    expect(report.tables.find((t) => t.table === 'sales.orders')?.sourceRows).toBe(20000);
    expect(report.tables.map((t) => t.table)).toContain('Util Schema.Weird "Table" Ünïcode');

    // The schema, post-data included (indexes, foreign keys, triggers), equals the source's.
    const selection = new ObjectSelection(
      taskSchema.parse({ name: 'x', source: { url: source.url }, destination: { url: dest.url }, kafka: { brokers: ['h:1'] }, schemaRegistry: { url: 'http://r' }, objects: { include: ['sales.*', 'Util Schema.*'] } }).objects,
    );
    const a = await openClient(source.url, { applicationName: 'test', role: 'source' });
    const b = await openClient(dest.url, { applicationName: 'test', role: 'destination' });
    try {
      const differences = await compareSchema(a, b, selection);
      expect(formatDifferences(differences)).toBe(formatDifferences([]));
    } finally {
      await a.end();
      await b.end();
    }
  }, 300_000);
});
