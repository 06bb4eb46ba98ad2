import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '../support/databases.js';
import { query, releaseTask, runFerry, startFerry, stopAll, tableDigest, waitFor, writeTask, type RunningService, type TestTask } from '../support/pipeline.js';
import { serviceUrlsFromEnv } from '../support/services.js';

// objects.transform end to end: masked and computed columns and dropped rows, in the
// snapshot and in the stream, including updates that move rows in and out of the drop
// condition and updates that leave a large (TOASTed) value unchanged.
const urls = serviceUrlsFromEnv();

const TABLES = `
CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL, name text, deleted boolean NOT NULL DEFAULT false, bio text);
ALTER TABLE users ALTER COLUMN bio SET STORAGE EXTERNAL;
INSERT INTO users SELECT g, 'user' || g || '@example.org', 'name ' || g, g % 10 = 0, CASE WHEN g % 50 = 1 THEN repeat('bio ' || g || ' ', 3000) END
  FROM generate_series(1, 2000) g;
CREATE TABLE events (kind text, payload text);
INSERT INTO events SELECT CASE WHEN g % 4 = 0 THEN 'secret' ELSE 'plain' END, 'payload ' || g FROM generate_series(1, 200) g;
CREATE TABLE notes (id int PRIMARY KEY, body text);
INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(1, 100) g;
`;

const TRANSFORM = `objects:
  transform:
    public.users:
      columns: { email: "md5(email)", name: "upper(name) || ' #' || id" }
      dropWhere: "deleted"
    public.events:
      columns: { payload: "upper(payload)" }
      dropWhere: "kind = 'secret'"
`;

/** The keyless table, transformed. */
const EXPECTED_EVENTS = `(SELECT kind, upper(payload) AS payload FROM events WHERE kind <> 'secret')`;

/** What the destination must hold: the source rows, transformed, without the dropped ones. */
const EXPECTED = `(SELECT id, md5(email) AS email, upper(name) || ' #' || id AS name, deleted, bio FROM users WHERE NOT deleted)`;

/** The precheck report wraps long lines for the terminal. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ');
}

describe('transforms', () => {
  let source: TempDatabase;
  let dest: TempDatabase;
  let task: TestTask;
  let migrate: RunningService | undefined;

  beforeAll(async () => {
    source = await createTempDatabase(urls.sourcePgUrl, 'tf_src');
    dest = await createTempDatabase(urls.destPgUrl, 'tf_dst');
    await query(source.url, TABLES);
    task = writeTask(urls, source.url, dest.url, `${TRANSFORM}snapshot: { chunkRows: 500 }`);
  });

  afterAll(async () => {
    if (migrate) await stopAll([migrate]);
    if (task) await releaseTask(task);
    await source?.drop();
    await dest?.drop();
  });

  it('rejects an invalid expression in the precheck, before anything runs', async () => {
    const bad = writeTask(urls, source.url, dest.url, `objects:
  transform:
    public.users: { columns: { email: "md5(emial)" } }
`);
    const { code, output: raw } = await runFerry(['precheck', '-c', bad.file]);
    const output = oneLine(raw);
    expect(code).toBe(1);
    expect(output).toContain('objects.transform for public.users is not valid on the source');
    expect(output).toContain('column "emial" does not exist');
    const notBoolean = writeTask(urls, source.url, dest.url, `objects:
  transform:
    public.users: { dropWhere: "name" }
`);
    const second = await runFerry(['precheck', '-c', notBoolean.file]);
    expect(second.code).toBe(1);
    expect(oneLine(second.output)).toContain('objects.transform for public.users is not valid on the source: argument of WHERE must be type boolean');
    // A cast that only fails on real rows is caught on the source's first rows.
    const badCast = writeTask(urls, source.url, dest.url, `objects:
  transform:
    public.users: { columns: { name: "email" }, dropWhere: "id::text::int > 0 AND (email::int > 0)" }
`);
    const third = await runFerry(['precheck', '-c', badCast.file]);
    expect(third.code).toBe(1);
    expect(oneLine(third.output)).toContain(`objects.transform for public.users is not valid on the source's first 1000 rows: invalid input syntax for type integer: "user1@example.org"`);
    // Nothing was created on the source: the precheck only plans and reads.
    expect(await query(source.url, `SELECT 1 FROM pg_replication_slots WHERE database = current_database()`)).toEqual([]);
  }, 120_000);

  it('a masked column arrives masked, in the snapshot and in the stream', async () => {
    const { code, output } = await runFerry(['precheck', '-c', task.file]);
    expect(oneLine(output)).toContain('the transforms of 2 tables are valid on the source and every destination');
    expect(code).toBe(0);

    migrate = startFerry(task, 'migrate');
    await waitFor('the snapshot to arrive', async () => {
      const rows = await query<{ n: string }>(dest.url, 'SELECT (SELECT count(*) FROM users)::text AS n UNION ALL SELECT (SELECT count(*) FROM events)::text').catch(() => []);
      return rows[0]?.n === '1800' && rows[1]?.n === '150';
    }, 180_000, 1000);
    expect(await tableDigest(dest.url, 'events', 'kind, payload')).toEqual(await tableDigest(source.url, EXPECTED_EVENTS, 'kind, payload'));
    expect(await tableDigest(dest.url, 'users', 'id')).toEqual(await tableDigest(source.url, EXPECTED, 'id'));
    const [masked] = await query<{ email: string }>(dest.url, 'SELECT email FROM users WHERE id = 7');
    const [md5] = await query<{ h: string }>(source.url, `SELECT md5('user7@example.org') AS h`);
    expect(masked!.email).toBe(md5!.h);
    expect(masked!.email).not.toContain('@');

    // Streaming: inserts, updates of masked columns, rows moving into and out of dropWhere,
    // and updates that leave the TOASTed bio unchanged (its value comes from the old row).
    await query(source.url, `INSERT INTO users VALUES (5001, 'new@example.org', 'fresh', false, NULL), (5002, 'gone@example.org', 'hidden', true, NULL)`);
    await query(source.url, `UPDATE users SET email = 'changed' || id || '@example.org' WHERE id BETWEEN 2 AND 40`);
    await query(source.url, `UPDATE users SET deleted = true WHERE id IN (3, 51, 101)`); // 51 and 101 carry a large bio
    await query(source.url, `UPDATE users SET deleted = false WHERE id IN (10, 20, 151)`); // 151: bio TOASTed and unchanged
    await query(source.url, `UPDATE users SET name = 'renamed' WHERE id IN (201, 251)`); // bio unchanged, row kept
    await query(source.url, `DELETE FROM users WHERE id IN (4, 30)`); // 30 was dropped already
    await query(source.url, `UPDATE notes SET body = 'changed' WHERE id = 1`);
    // Without a key, rows are found by their (transformed) old value.
    await query(source.url, `UPDATE events SET kind = 'secret' WHERE payload IN ('payload 1', 'payload 2')`);
    await query(source.url, `UPDATE events SET kind = 'plain' WHERE payload IN ('payload 4', 'payload 8')`);
    await query(source.url, `UPDATE events SET payload = payload || ' edited' WHERE payload IN ('payload 3', 'payload 12')`);
    await query(source.url, `DELETE FROM events WHERE payload IN ('payload 5', 'payload 16')`);
    await query(source.url, `INSERT INTO events VALUES ('plain', 'late'), ('secret', 'late secret')`);
    await waitFor('the changes to arrive', async () => {
      const rows = await query<{ n: string }>(dest.url, `SELECT count(*)::text AS n FROM users WHERE id = 5001 OR (id = 151 AND bio IS NOT NULL) OR (id = 251 AND name LIKE 'RENAMED%')`);
      return rows[0]?.n === '3';
    }, 120_000, 500);
    await waitFor('the destination to equal the transformed source', async () => {
      const [got, want] = await Promise.all([tableDigest(dest.url, 'users', 'id'), tableDigest(source.url, EXPECTED, 'id')]);
      return got.digest === want.digest && got.count === want.count;
    }, 60_000, 1000);
    await waitFor('the keyless table to equal its transformed source', async () => {
      const [got, want] = await Promise.all([tableDigest(dest.url, 'events', 'kind, payload'), tableDigest(source.url, EXPECTED_EVENTS, 'kind, payload')]);
      return got.digest === want.digest && got.count === want.count;
    }, 60_000, 1000);
    const [moved] = await query<{ bio_length: number; name: string }>(dest.url, 'SELECT length(bio) AS bio_length, name FROM users WHERE id = 151');
    expect(moved!.bio_length).toBeGreaterThan(20_000);
    expect(moved!.name).toBe('NAME 151 #151');
    expect(await query(dest.url, 'SELECT id FROM users WHERE id IN (3, 51, 101, 5002) ORDER BY id')).toEqual([]);
    // An untransformed table is copied as it is.
    expect(await tableDigest(dest.url, 'notes', 'id')).toEqual(await tableDigest(source.url, 'notes', 'id'));
    // Capture made every update carry the whole old row.
    expect(await query(source.url, `SELECT relreplident FROM pg_class WHERE oid = 'users'::regclass`)).toEqual([{ relreplident: 'f' }]);
  }, 400_000);
});
