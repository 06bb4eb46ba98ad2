import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '../support/databases.js';
import { query, releaseTask, runFerry, startFerry, waitFor, writeTask, type RunningService, type TestTask } from '../support/pipeline.js';
import { serviceUrlsFromEnv } from '../support/services.js';

// `ferry verify` against the real servers: differences named down to the key and column,
// under renames, column selection and row filters; and verify while sync runs, with a
// difference in flight re-checked once the sink has passed the check's source position.
const urls = serviceUrlsFromEnv();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Table {
  table: string;
  ok: boolean;
  sourceRows: number;
  destinationRows: number | null;
  differences: { key: Record<string, string | null>; kind: string; columns: string[] }[];
  differenceCount: number;
  method: string;
  note: string | null;
}
interface Summary {
  ok: boolean;
  trigger: string;
  at: string;
  tables: Table[];
  schema?: { ok: boolean };
  sequences?: { mode: string; ok: boolean };
}

/** The pretty-printed JSON document in a command's output (log lines are one-line JSON). */
function jsonDocument<T>(output: string): T {
  const start = output.indexOf('{\n  "');
  return JSON.parse(output.slice(start, output.indexOf('\n}', start) + 2)) as T;
}

async function verify(task: TestTask, args: string[] = []): Promise<{ code: number | null; output: string; summary: Summary | undefined }> {
  const result = await runFerry(['verify', '-c', task.file, '--json', ...args]);
  return { ...result, summary: result.output.includes('{\n  "') ? jsonDocument<Summary>(result.output) : undefined };
}

const ITEMS = `CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL, note text, price numeric(12,2), weight float8, doc jsonb, created timestamptz);
INSERT INTO items SELECT g, 'item ' || g, CASE WHEN g % 5 = 0 THEN NULL ELSE 'note ' || g END, g / 7.0, g / 3.0, jsonb_build_object('g', g, 'w', g / 3.0), '2024-01-01'::timestamptz + g * interval '1 minute'
  FROM generate_series(1, 100000) g;`;

describe('ferry verify finds and names differences', () => {
  let source: TempDatabase;
  let dest: TempDatabase;
  let task: TestTask;

  beforeAll(async () => {
    source = await createTempDatabase(urls.sourcePgUrl, 'ver_src');
    dest = await createTempDatabase(urls.destPgUrl, 'ver_dst');
    await query(source.url, ITEMS);
    await query(dest.url, ITEMS);
    // people → app.persons, name → full_name, without the secret column, only dept 1.
    await query(
      source.url,
      `CREATE TABLE people (id int PRIMARY KEY, name text, secret text, dept int NOT NULL);
       INSERT INTO people SELECT g, 'person ' || g, 'secret ' || g, g % 3 FROM generate_series(1, 3000) g;
       CREATE TABLE "Log ""Book""" (at int, line text);
       INSERT INTO "Log ""Book""" SELECT g % 7, 'line' FROM generate_series(1, 40) g;
       CREATE TABLE masked (id int PRIMARY KEY, email text);
       INSERT INTO masked SELECT g, 'user' || g || '@example.org' FROM generate_series(1, 500) g;`,
    );
    await query(
      dest.url,
      `CREATE SCHEMA app;
       CREATE TABLE app.persons (id int PRIMARY KEY, full_name text, dept int NOT NULL);
       INSERT INTO app.persons SELECT g, 'person ' || g, g % 3 FROM generate_series(1, 3000) g WHERE g % 3 = 1;
       CREATE TABLE "Log ""Book""" (at int, line text);
       INSERT INTO "Log ""Book""" SELECT g % 7, 'line' FROM generate_series(1, 40) g;
       CREATE TABLE masked (id int PRIMARY KEY, email text);
       INSERT INTO masked SELECT g, md5('user' || g || '@example.org') FROM generate_series(1, 500) g WHERE g % 10 <> 0;`,
    );
    task = writeTask(
      urls,
      source.url,
      dest.url,
      `objects:
  include: [public.*]
  columns: { public.people: [id, name, dept] }
  rename: { tables: { public.people: app.persons }, columns: { public.people: { name: full_name } } }
  where: { public.people: "dept = 1" }
  transform: { public.masked: { columns: { email: "md5(email)" }, dropWhere: "id % 10 = 0" } }
verify: { chunkRows: 5000 }`,
    );
  });

  afterAll(async () => {
    await source?.drop();
    await dest?.drop();
  });

  it('passes equal data, under renames, column selection, a row filter and a transform (exit 0)', async () => {
    const { code, summary, output } = await verify(task, ['--skip-schema']);
    expect(code, output).toBe(0);
    expect(summary!.ok).toBe(true);
    const people = summary!.tables.find((t) => t.table === 'public.people')!;
    expect(people).toMatchObject({ ok: true, sourceRows: 1000, destinationRows: 1000, method: 'ranges' });
    expect(summary!.tables.find((t) => t.table === 'public.Log "Book"')).toMatchObject({ ok: true, method: 'whole-table', sourceRows: 40 });
    // Transformed values, and rows the transform keeps out, compare as the destination holds them.
    expect(summary!.tables.find((t) => t.table === 'public.masked')).toMatchObject({ ok: true, sourceRows: 450, destinationRows: 450 });
    expect((await runFerry(['verify', '-c', task.file, '--skip-schema'])).output).toContain('all tables match');
  });

  it('names the key and the column of one changed value among 100 000 rows', async () => {
    await query(dest.url, `UPDATE items SET note = 'changed' WHERE id = 54321`);
    const { code, summary } = await verify(task, ['--skip-schema']);
    expect(code).toBe(1);
    expect(summary!.ok).toBe(false);
    const items = summary!.tables.find((t) => t.table === 'public.items')!;
    expect(items).toMatchObject({ ok: false, sourceRows: 100000, destinationRows: 100000, differenceCount: 1 });
    expect(items.differences).toEqual([{ key: { id: '54321' }, kind: 'different', columns: ['note'] }]);
    // A float and a JSON value written again with the same value are still equal.
    await query(dest.url, `UPDATE items SET weight = 12345 / 3.0, doc = '{"w": 4115.0, "g": 12345}'::jsonb WHERE id = 12345`);
    const human = await runFerry(['verify', '-c', task.file, '--skip-schema']);
    expect(human.code).toBe(1);
    expect(human.output).toContain('id=54321 different: note');
    expect(human.output).toContain('1 table(s) differ');
    await query(dest.url, `UPDATE items SET note = 'note 54321' WHERE id = 54321`);
  });

  it('names a missing row and an extra row as such, and a changed renamed column by its source name', async () => {
    await query(dest.url, `DELETE FROM items WHERE id = 777; INSERT INTO items VALUES (100001, 'extra', NULL, 1, 1, '{}', now())`);
    await query(dest.url, `UPDATE app.persons SET full_name = 'someone else' WHERE id = 7`);
    await query(dest.url, `DELETE FROM "Log ""Book""" WHERE ctid IN (SELECT ctid FROM "Log ""Book""" LIMIT 1)`);
    const { code, summary } = await verify(task, ['--skip-schema']);
    expect(code).toBe(1);
    const items = summary!.tables.find((t) => t.table === 'public.items')!;
    expect(items.differenceCount).toBe(2);
    expect(items.differences).toEqual([
      { key: { id: '777' }, kind: 'missing', columns: [] },
      { key: { id: '100001' }, kind: 'extra', columns: [] },
    ]);
    expect(summary!.tables.find((t) => t.table === 'public.people')!.differences).toEqual([{ key: { id: '7' }, kind: 'different', columns: ['name'] }]);
    const log = summary!.tables.find((t) => t.table === 'public.Log "Book"')!;
    expect(log).toMatchObject({ ok: false, method: 'whole-table', sourceRows: 40, destinationRows: 39, differenceCount: 0 });
    // Nothing streams for this task, so nothing was waited for.
    expect(items.note).toContain('capture is not streaming');
  });

  it('exits 2 when it cannot run', async () => {
    const { code, output } = await runFerry(['verify', '-c', task.file, '--destination', 'nowhere']);
    expect(code).toBe(2);
    expect(output).toContain('no destination named "nowhere"');
  });
});

describe('ferry verify while sync runs', () => {
  let source: TempDatabase;
  let dest: TempDatabase;
  let task: TestTask;
  let coordinator: RunningService | undefined;
  let capture: RunningService | undefined;
  let sink: RunningService | undefined;
  let writing = true;
  let writer: Promise<void> = Promise.resolve();

  async function status(): Promise<{ state: { phase: string }; verification: Summary | null } | undefined> {
    const { code, output } = await runFerry(['status', '-c', task.file, '--json']);
    return code === 0 ? jsonDocument(output) : undefined;
  }

  beforeAll(async () => {
    source = await createTempDatabase(urls.sourcePgUrl, 'versync_src');
    dest = await createTempDatabase(urls.destPgUrl, 'versync_dst');
    await query(
      source.url,
      `CREATE TABLE accounts (id serial PRIMARY KEY, balance bigint NOT NULL, owner text, rate float8, updated timestamptz NOT NULL DEFAULT now());
       INSERT INTO accounts (balance, owner, rate) SELECT 1000, 'owner ' || g, g / 7.0 FROM generate_series(1, 5000) g;`,
    );
    task = writeTask(urls, source.url, dest.url, 'verify: { continuous: 10, chunkRows: 500, recheckTimeoutSeconds: 90 }');
    // The coordinator creates the schema and moves the phases; capture and the sink run
    // as their own processes, so the test can hold the sink still.
    coordinator = startFerry(task, 'coordinator');
    await waitFor('the schema', async () => (await status())?.state.phase === 'full', 120_000, 1000);
    capture = startFerry(task, 'capture');
    sink = startFerry(task, 'sink');
    writer = (async () => {
      for (let n = 1; writing; n++) {
        try {
          await query(source.url, `UPDATE accounts SET balance = balance + 1, updated = now() WHERE id = $1`, [1 + ((n * 7919) % 5000)]);
          if (n % 5 === 0) await query(source.url, `INSERT INTO accounts (balance, owner, rate) VALUES ($1, 'new', 0.1)`, [n]);
          if (n % 7 === 0) await query(source.url, `DELETE FROM accounts WHERE id = $1`, [1 + ((n * 104729) % 5000)]);
        } catch {
          // A busy server may refuse a connection now and then: the writer goes on, it must not stop silently.
        }
        await sleep(20);
      }
    })();
    await waitFor('continuous sync', async () => (await status())?.state.phase === 'incremental', 180_000, 1000);
  }, 400_000);

  afterAll(async () => {
    writing = false;
    await writer.catch(() => undefined);
    sink?.process.kill('SIGCONT');
    await Promise.all([coordinator, capture, sink].map((s) => s?.kill('SIGKILL')));
    if (task) await releaseTask(task);
    await source?.drop();
    await dest?.drop();
  }, 120_000);

  it('passes on a table being written to', async () => {
    const { code, summary, output } = await verify(task);
    expect(code, output).toBe(0);
    expect(summary!.ok).toBe(true);
    expect(summary!.tables.find((t) => t.table === 'public.accounts')!.ok).toBe(true);
    expect(summary!.schema!.ok).toBe(true);
    // The serial's sequence is not carried by sync: reported, not failed, before cutover.
    expect(summary!.sequences!.mode).toBe('info');
  });

  it('re-checks rows in flight after the sink has passed the position of the check, and reports only what persists', async () => {
    // Hold the sink: every write from now on is in flight, so the first comparison differs.
    sink!.process.kill('SIGSTOP');
    try {
      await sleep(1500);
      // Writes that are surely in flight, whatever the background writer managed meanwhile.
      await query(source.url, `INSERT INTO accounts (balance, owner, rate) VALUES (1, 'in flight', 0.5), (2, 'in flight', 0.5)`);
      const running = verify(task, ['--skip-schema']);
      // Let the sink go only once this verify (not a continuous round) has put its position marker into the source's WAL.
      const marker = await waitFor(
        'the verify marker',
        async () => (await query(source.url, `SELECT 1 FROM ferry.cutover_markers WHERE task = $1 AND id LIKE 'verify-manual-%' AND created_at > now() - interval '60 seconds'`, [task.name])).length > 0,
        60_000,
        200,
      ).catch((error: unknown) => error as Error);
      sink!.process.kill('SIGCONT');
      const { code, summary, output } = await running;
      expect(marker instanceof Error ? `${marker.message}\n${output}` : 'marker written').toBe('marker written');
      expect(code, output).toBe(0);
      const accounts = summary!.tables.find((t) => t.table === 'public.accounts')!;
      expect(accounts.ok).toBe(true);
      expect(accounts.note).toMatch(/^\d+ row\(s\) differed while in flight and matched on a re-check/);
    } finally {
      sink!.process.kill('SIGCONT');
    }
  }, 200_000);

  it('shows continuous verification in ferry status (JSON and text) during incremental sync', async () => {
    const since = Date.now();
    const latest = await waitFor(
      'a continuous verification that matches',
      async () => {
        const s = await status();
        const v = s?.verification;
        return v && v.trigger === 'continuous' && Date.parse(v.at) > since && v.ok ? v : undefined;
      },
      150_000,
      2000,
    );
    expect(latest.tables.map((t) => t.table)).toEqual(['public.accounts']);
    expect((await status())!.state.phase).toBe('incremental');
    const text = await runFerry(['status', '-c', task.file]);
    expect(text.output).toMatch(/verification \(continuous, destination main, \d+ s ago\): ok, 1 table\(s\) match/);
  }, 200_000);
});
