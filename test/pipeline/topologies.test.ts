import { afterAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '../support/databases.js';
import { query, releaseTask, runFerry, setSourceOptions, startFerry, stopAll, tableDigest, waitFor, writeTask, type RunningService, type TestTask } from '../support/pipeline.js';
import { serviceUrlsFromEnv } from '../support/services.js';

// Topologies beyond one-to-one (fan-out has its own suite): many-to-one, where two sources
// are kept apart in one destination by schema renames, and cascade A → B → C, where B's
// capture forwards the changes Ferry's sink applied to B.
const urls = serviceUrlsFromEnv();

const TABLES = `
CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL, price numeric(10,2));
CREATE TABLE tags (item_id int NOT NULL, tag text NOT NULL, PRIMARY KEY (item_id, tag));
`;

/** Shared extensions live in a schema no task renames, so every task finds them where its tables expect them. */
const WITH_EXTENSION = `
CREATE SCHEMA extensions;
CREATE EXTENSION hstore WITH SCHEMA extensions;
CREATE TABLE attrs (id int PRIMARY KEY, a extensions.hstore);
INSERT INTO attrs SELECT g, extensions.hstore('k', g::text) FROM generate_series(1, 20) g;
`;

function fill(site: string, rows: number): string {
  return `INSERT INTO items (name, price) SELECT '${site} ' || g, g * 1.5 FROM generate_series(1, ${rows}) g;
INSERT INTO tags SELECT g, 't' || (g % 3) FROM generate_series(1, ${rows}) g;`;
}

/** Inserts, updates and deletes on a source while the tasks run. */
async function writeChanges(url: string, site: string): Promise<void> {
  await query(url, `INSERT INTO items (name, price) VALUES ('${site} live 1', 1), ('${site} live 2', 2)`);
  await query(url, `UPDATE items SET price = price * 2 WHERE id % 7 = 0`);
  await query(url, `DELETE FROM items WHERE id % 11 = 0`);
  await query(url, `DELETE FROM tags WHERE item_id % 5 = 0`);
  await query(url, `INSERT INTO tags VALUES (1, 'live'), (2, 'live')`);
}

async function sameTables(fromUrl: string, fromSchema: string, toUrl: string, toSchema: string): Promise<boolean> {
  for (const [table, order] of [['items', 'id'], ['tags', 'item_id, tag'], ['attrs', 'id']] as const) {
    const [a, b] = await Promise.all([
      tableDigest(fromUrl, `${fromSchema}.${table}`, order),
      tableDigest(toUrl, `${toSchema}.${table}`, order).catch(() => ({ count: -1, digest: '' })),
    ]);
    if (a.count !== b.count || a.digest !== b.digest) return false;
  }
  return true;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ');
}

describe('topologies', () => {
  const databases: TempDatabase[] = [];
  const tasks: TestTask[] = [];
  const services: RunningService[] = [];

  afterAll(async () => {
    await stopAll(services);
    for (const task of tasks) await releaseTask(task);
    for (const db of databases) await db.drop();
  });

  it('many-to-one: two sources into one destination, kept apart by schema renames, end as exact copies', async () => {
    const [north, south, dest] = await Promise.all([
      createTempDatabase(urls.sourcePgUrl, 'm1_north'),
      createTempDatabase(urls.sourcePgUrl, 'm1_south'),
      createTempDatabase(urls.destPgUrl, 'm1_dst'),
    ]);
    databases.push(north, south, dest);
    await query(north.url, TABLES + WITH_EXTENSION + fill('north', 800));
    await query(south.url, TABLES + WITH_EXTENSION + fill('south', 600));
    const northTask = writeTask(urls, north.url, dest.url, 'objects: { rename: { schemas: { public: north } } }');
    const southTask = writeTask(urls, south.url, dest.url, 'objects: { rename: { schemas: { public: south } } }');
    tasks.push(northTask, southTask);

    // The first task creates the shared extension; the second finds it in place.
    services.push(startFerry(northTask, 'migrate'));
    await waitFor('the first schema', async () => (await query(dest.url, `SELECT to_regclass('north.attrs') AS r`))[0]?.r !== null, 120_000, 1000);
    services.push(startFerry(southTask, 'migrate'));
    await waitFor('both copies', async () => (await sameTables(north.url, 'public', dest.url, 'north')) && (await sameTables(south.url, 'public', dest.url, 'south')), 240_000, 2000);
    await Promise.all([writeChanges(north.url, 'north'), writeChanges(south.url, 'south')]);
    await waitFor('both streams', async () => (await sameTables(north.url, 'public', dest.url, 'north')) && (await sameTables(south.url, 'public', dest.url, 'south')), 120_000, 1000);

    // Each task keeps its own bookkeeping and origins on the shared destination.
    const origins = await query<{ roname: string }>(dest.url, `SELECT roname FROM pg_replication_origin WHERE roname LIKE 'ferry\\_%' ORDER BY 1`);
    for (const task of [northTask, southTask]) {
      expect(origins.some((o) => o.roname.startsWith(`ferry_${task.name.replace(/-/g, '_')}_`))).toBe(true);
    }
    const claims = await query<{ task: string; n: string }>(dest.url, `SELECT task, count(*)::text AS n FROM ferry.task_tables GROUP BY task ORDER BY task`);
    expect(claims).toEqual([northTask.name, southTask.name].sort().map((task) => ({ task, n: '3' })));

    // A third task mapping onto tables another task writes is stopped by the precheck, naming the other task.
    const clash = writeTask(urls, south.url, dest.url, 'objects: { rename: { schemas: { public: north } } }');
    const { code, output } = await runFerry(['precheck', '-c', clash.file]);
    expect(code).toBe(1);
    expect(oneLine(output)).toContain(`3 tables of destination "main" are written by another task too: north.attrs (from public.attrs here, and from public.attrs by task "${northTask.name}"), north.items`);

    // An extension the destination already has elsewhere than where this task's tables would look for it.
    const west = await createTempDatabase(urls.sourcePgUrl, 'm1_west');
    databases.push(west);
    await query(west.url, `CREATE EXTENSION hstore; CREATE TABLE attrs (id int PRIMARY KEY, a hstore);`);
    const misplaced = writeTask(urls, west.url, dest.url, 'objects: { rename: { schemas: { public: west } } }');
    const checked = await runFerry(['precheck', '-c', misplaced.file]);
    expect(checked.code).toBe(1);
    expect(oneLine(checked.output)).toContain('hstore is installed in schema extensions, but this task\'s tables would use it from west (source schema public)');
  }, 480_000);

  it('cascade A → B → C: B forwards the changes Ferry applied to it, and C ends as an exact copy of A', async () => {
    const [a, b, c] = await Promise.all([
      createTempDatabase(urls.sourcePgUrl, 'cas_a'),
      createTempDatabase(urls.destPgUrl, 'cas_b'),
      createTempDatabase(urls.destPgUrl, 'cas_c'),
    ]);
    databases.push(a, b, c);
    await query(a.url, TABLES + WITH_EXTENSION + fill('a', 700));
    const first = writeTask(urls, a.url, b.url);
    const second = writeTask(urls, b.url, c.url);
    // B is a destination of the first task and the source of the second one.
    setSourceOptions(second, 'forwardReplicated: true');
    tasks.push(first, second);

    services.push(startFerry(first, 'migrate'));
    await waitFor('A copied to B', () => sameTables(a.url, 'public', b.url, 'public'), 240_000, 2000);
    services.push(startFerry(second, 'migrate'));
    await waitFor('B copied to C', () => sameTables(b.url, 'public', c.url, 'public'), 240_000, 2000);

    // Changes written on A reach C only through B's capture of what the first task's sink applied.
    await writeChanges(a.url, 'a');
    await query(a.url, `UPDATE items SET name = name || ' (cascaded)' WHERE id <= 50`);
    await waitFor('A, B and C equal', async () => (await sameTables(a.url, 'public', b.url, 'public')) && (await sameTables(a.url, 'public', c.url, 'public')), 180_000, 1000);
    const [cascaded] = await query<{ n: string }>(c.url, `SELECT count(*)::text AS n FROM items WHERE name LIKE '% (cascaded)'`);
    expect(Number(cascaded!.n)).toBeGreaterThan(40);
  }, 600_000);
});
