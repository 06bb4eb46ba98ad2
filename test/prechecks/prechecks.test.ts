import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveTask, taskSchema, type TaskConfig, type TaskInput } from '@ferry/config';
import {
  formatPrecheckJson,
  formatPrecheckReport,
  runPrechecks,
  type CheckResult,
  type PrecheckOutcome,
} from '../../services/coordinator/src/prechecks/index.js';
import { createTempDatabase, type TempDatabase } from '../support/databases.js';
import { uniqueName } from '../support/names.js';
import { serviceUrlsFromEnv } from '../support/services.js';

// `ferry precheck` against the real servers: SOURCE_PG_URL runs PostgreSQL 13, DEST_PG_URL 17.
const urls = serviceUrlsFromEnv();

function task(sourceUrl: string, destUrl: string, overrides: Partial<TaskInput> = {}): TaskConfig {
  return resolveTask(
    taskSchema.parse({
      name: uniqueName('pc').replace(/_/g, '-').slice(0, 40),
      source: { url: sourceUrl },
      destination: { url: destUrl },
      kafka: { brokers: urls.kafkaBrokers },
      schemaRegistry: { url: urls.schemaRegistryUrl },
      ...overrides,
    }),
  );
}

function withUrl(url: string, change: { user?: string; password?: string; port?: number }): string {
  const u = new URL(url);
  if (change.user !== undefined) u.username = change.user;
  if (change.password !== undefined) u.password = change.password;
  if (change.port !== undefined) u.port = String(change.port);
  return u.toString();
}

async function sql(url: string, ...statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}

function of(outcome: PrecheckOutcome, id: string): CheckResult[] {
  return outcome.results.filter((r) => r.id === id);
}

function errors(outcome: PrecheckOutcome): CheckResult[] {
  return outcome.results.filter((r) => r.status === 'error');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('ferry precheck against real servers', () => {
  let src: TempDatabase;
  let dst: TempDatabase;
  const roles: Array<{ serverUrl: string; dbUrl: string; name: string }> = [];

  /** A login role with a password, dropped (with its grants) after the suite. */
  async function createRole(serverUrl: string, dbUrl: string, attributes: string): Promise<string> {
    const name = uniqueName('pc_role');
    const password = `pw-${uniqueName('x')}`;
    await sql(serverUrl, `CREATE ROLE "${name}" LOGIN PASSWORD '${password}' ${attributes}`);
    roles.push({ serverUrl, dbUrl, name });
    return withUrl(dbUrl, { user: name, password });
  }

  beforeAll(async () => {
    src = await createTempDatabase(urls.sourcePgUrl, 'pc_src');
    dst = await createTempDatabase(urls.destPgUrl, 'pc_dst');
    await sql(
      src.url,
      'CREATE TABLE items (id int PRIMARY KEY, name text, code text NOT NULL)',
      'CREATE EXTENSION IF NOT EXISTS citext',
      'CREATE TABLE tags (id int PRIMARY KEY, label citext)',
    );
  });

  afterAll(async () => {
    for (const role of roles) {
      // Grants (including on parameters, a shared object) go with DROP OWNED; then the role itself.
      await sql(role.dbUrl, `DROP OWNED BY "${role.name}"`).catch(() => undefined);
    }
    await src?.drop();
    await dst?.drop();
    for (const role of roles) await sql(role.serverUrl, `DROP ROLE IF EXISTS "${role.name}"`).catch(() => undefined);
  });

  it('passes a clean setup (13 → 17) and closes its sessions', async () => {
    const t = task(src.url, dst.url);
    const outcome = await runPrechecks(t);
    expect(errors(outcome)).toEqual([]);
    expect(outcome.ok).toBe(true);
    const ids = new Set(outcome.results.map((r) => r.id));
    for (const id of [
      'source-connect',
      'destination-connect',
      'versions',
      'database-names',
      'source-wal-level',
      'source-replication-capacity',
      'source-privileges',
      'destination-privileges',
      'selection',
      'tables-without-key',
      'conflicting-tables',
      'extensions',
      'unsupported-objects',
      'long-transactions',
      'destination-space',
    ]) {
      expect(ids, id).toContain(id);
    }
    expect(of(outcome, 'versions').map((r) => r.message)).toEqual([
      expect.stringMatching(/^the source runs PostgreSQL 13\./),
      expect.stringMatching(/^source PostgreSQL 13\.\S+ → destination "main" PostgreSQL 17\.\S+ \(upgrade by 4 major versions\)$/),
    ]);
    expect(of(outcome, 'extensions')[0]!.message).toContain('citext');
    expect(of(outcome, 'destination-space')[0]!.message).toMatch(/the 2 selected tables take .* on the source/);

    const report = formatPrecheckReport(outcome.results);
    expect(report).toMatch(/the task can start$/);
    const sessions = new pg.Client({ connectionString: urls.sourcePgUrl });
    await sessions.connect();
    try {
      const { rows } = await sessions.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'ferry-precheck' AND datname = $1`, [src.name]);
      expect(rows[0].n).toBe(0);
    } finally {
      await sessions.end();
    }
  });

  it('names a wrong password without ever printing it, and skips the checks that need that server', async () => {
    // Roles with distinctive passwords, so "not in the output" means something.
    const sourceRoleUrl = await createRole(urls.sourcePgUrl, src.url, 'REPLICATION');
    const destRoleUrl = await createRole(urls.destPgUrl, dst.url, '');
    const wrong = 'Wr0ng-Passw0rd-zzq';
    const outcome = await runPrechecks(task(withUrl(sourceRoleUrl, { password: wrong }), destRoleUrl));
    const [connect] = of(outcome, 'source-connect');
    const user = new URL(sourceRoleUrl).username;
    expect(connect).toMatchObject({ status: 'error', objects: [`postgres://${user}@127.0.0.1:${new URL(src.url).port}/${src.name}`] });
    expect(connect!.message).toContain(`the password for user "${user}" was rejected (28P01)`);
    expect(connect!.fix).toContain('correct the password in source.url');
    expect(of(outcome, 'source-wal-level')[0]!.message).toBe('wal_level on the source: not checked: the source database could not be reached');
    expect(of(outcome, 'destination-connect')[0]!.status).toBe('pass');
    expect(outcome.ok).toBe(false);
    const everything = formatPrecheckReport(outcome.results) + formatPrecheckJson(outcome.results);
    for (const secret of [wrong, new URL(sourceRoleUrl).password, new URL(destRoleUrl).password]) {
      expect(everything).not.toContain(secret);
    }
  });

  it('explains an unreachable port', async () => {
    const port = await freePort();
    const outcome = await runPrechecks(task(src.url, withUrl(dst.url, { port })));
    const [connect] = of(outcome, 'destination-connect');
    expect(connect!.status).toBe('error');
    expect(connect!.message).toContain(`nothing accepts connections on 127.0.0.1:${port} (ECONNREFUSED)`);
    expect(connect!.fix).toContain('start PostgreSQL on 127.0.0.1');
    expect(of(outcome, 'source-connect')[0]!.status).toBe('pass');
  });

  it('reports a role without REPLICATION that neither reads nor owns the tables, and its table without a key', async () => {
    await sql(src.url, 'CREATE TABLE nokey (a int, b text)');
    try {
      const limitedUrl = await createRole(urls.sourcePgUrl, src.url, 'NOREPLICATION');
      const role = new URL(limitedUrl).username;
      await sql(src.url, `GRANT SELECT ON items TO "${role}"`);
      const outcome = await runPrechecks(task(limitedUrl, dst.url));
      const privileges = of(outcome, 'source-privileges');
      expect(privileges.map((r) => r.status)).toEqual(['error', 'error', 'error', 'error']);
      expect(privileges[0]!.message).toContain(`"${role}" has neither SUPERUSER nor REPLICATION`);
      expect(privileges[0]!.fix).toMatch(new RegExp(`^ALTER ROLE "${role}" REPLICATION;`));
      expect(privileges[1]!.message).toBe(`the source role "${role}" cannot read 2 selected tables: public.nokey, public.tags`);
      expect(privileges[1]!.fix).toBe(`GRANT SELECT ON "public"."nokey", "public"."tags" TO "${role}";`);
      expect(privileges[2]!.message).toContain(`lacks CREATE on database "${src.name}"`);
      expect(privileges[3]!.message).toContain('does not own 3 selected tables');

      const [noKey] = of(outcome, 'tables-without-key');
      expect(noKey).toMatchObject({ status: 'error', objects: ['public.nokey'] });
      expect(noKey!.fix).toBe('as the owner, run ALTER TABLE "public"."nokey" REPLICA IDENTITY FULL; or add a primary key');
    } finally {
      await sql(src.url, 'DROP TABLE nokey');
    }
  });

  it('warns for a table without a key that Ferry may alter, and rejects identities the source would refuse updates under', async () => {
    await sql(
      src.url,
      'CREATE TABLE nokey2 (a int, b text)',
      'CREATE TABLE uniq (code text NOT NULL UNIQUE, v int)',
      'CREATE TABLE nothing_identity (id int PRIMARY KEY)',
      'ALTER TABLE nothing_identity REPLICA IDENTITY NOTHING',
    );
    try {
      const outcome = await runPrechecks(task(src.url, dst.url));
      const results = of(outcome, 'tables-without-key');
      expect(results.map((r) => [r.status, r.objects])).toEqual([
        ['warning', ['public.nokey2']],
        ['error', ['public.uniq']],
        ['error', ['public.nothing_identity']],
      ]);
      expect(results[1]!.fix).toBe('ALTER TABLE "public"."uniq" REPLICA IDENTITY USING INDEX "uniq_code_key";');
      // Full-only: a missing key is only a warning, and identities do not matter.
      const fullOnly = await runPrechecks(task(src.url, dst.url, { phases: ['schema', 'full'] }));
      expect(of(fullOnly, 'tables-without-key').map((r) => [r.status, r.objects])).toEqual([['warning', ['public.nokey2']]]);
    } finally {
      await sql(src.url, 'DROP TABLE nokey2, uniq, nothing_identity');
    }
  });

  it('names a conflicting destination table, as an error or (ignore) a warning', async () => {
    await sql(dst.url, 'CREATE TABLE items (id int PRIMARY KEY)');
    try {
      const outcome = await runPrechecks(task(src.url, dst.url));
      expect(of(outcome, 'conflicting-tables')).toEqual([
        expect.objectContaining({ status: 'error', message: '1 table already exists in destination "main": public.items', objects: ['public.items'] }),
      ]);
      const ignored = await runPrechecks(task(src.url, dst.url, { conflictingTables: 'ignore' }));
      expect(of(ignored, 'conflicting-tables').map((r) => r.status)).toEqual(['warning']);
      // Renamed away, it no longer conflicts.
      const renamed = await runPrechecks(task(src.url, dst.url, { objects: { rename: { tables: { 'public.items': 'items_v2' } } } }));
      expect(of(renamed, 'conflicting-tables').map((r) => r.status)).toEqual(['pass']);
    } finally {
      await sql(dst.url, 'DROP TABLE items');
    }
  });

  it('rejects an invalid where condition, and one that tries to run a second statement', async () => {
    const outcome = await runPrechecks(
      task(src.url, dst.url, { objects: { where: { 'public.items': 'no_such_column > 1', 'public.tags': 'true; DROP TABLE tags' } } }),
    );
    const results = of(outcome, 'selection');
    expect(results.map((r) => r.status)).toEqual(['error', 'error']);
    expect(results[0]!.message).toBe('objects.where for public.items is not a valid condition for that table: column "no_such_column" does not exist (42703)');
    expect(results[1]!.message).toContain('objects.where for public.tags is not a valid condition for that table');
    await sql(src.url, 'SELECT 1 FROM tags'); // still there
  });

  it('rejects a downgrade (17 → 13)', async () => {
    const newer = await createTempDatabase(urls.destPgUrl, 'pc_dn_src');
    const older = await createTempDatabase(urls.sourcePgUrl, 'pc_dn_dst');
    try {
      await sql(newer.url, 'CREATE TABLE t (id int PRIMARY KEY)');
      const outcome = await runPrechecks(task(newer.url, older.url));
      const [, direction] = of(outcome, 'versions');
      expect(direction).toMatchObject({ status: 'error', fix: 'migrate to a destination running PostgreSQL 17 or newer' });
      expect(direction!.message).toMatch(/^source PostgreSQL 17\.\S+ → destination "main" PostgreSQL 13\.\S+ is a downgrade/);
    } finally {
      await newer.drop();
      await older.drop();
    }
  });

  it('rejects the same database as source and destination', async () => {
    const outcome = await runPrechecks(task(src.url, src.url.replace('127.0.0.1', 'localhost')));
    expect(of(outcome, 'database-names')).toEqual([
      expect.objectContaining({ status: 'error', message: expect.stringContaining(`are the same database ("${src.name}" on the same server)`) }),
    ]);
  });

  it('recognises an earlier run\'s slot as resumable and another plugin\'s slot as foreign', async () => {
    const t = task(src.url, dst.url);
    await sql(src.url, `SELECT pg_create_logical_replication_slot('${t.source.slot}', 'pgoutput')`);
    try {
      const outcome = await runPrechecks(t);
      const [, slot] = of(outcome, 'source-replication-capacity');
      expect(slot).toMatchObject({ status: 'warning', objects: [t.source.slot] });
      expect(slot!.message).toContain('ferry migrate resumes from it');
    } finally {
      await sql(src.url, `SELECT pg_drop_replication_slot('${t.source.slot}')`);
    }
    await sql(src.url, `SELECT pg_create_logical_replication_slot('${t.source.slot}', 'test_decoding')`);
    try {
      const outcome = await runPrechecks(t);
      expect(of(outcome, 'source-replication-capacity').map((r) => r.status)).toEqual(['pass', 'error']);
    } finally {
      await sql(src.url, `SELECT pg_drop_replication_slot('${t.source.slot}')`);
    }
  });

  it('warns about unlogged tables under incremental; PostgreSQL indeed refuses them in a publication', async () => {
    await sql(src.url, 'CREATE UNLOGGED TABLE scratch (id int PRIMARY KEY)');
    try {
      const outcome = await runPrechecks(task(src.url, dst.url));
      expect(of(outcome, 'unsupported-objects')).toEqual([expect.objectContaining({ status: 'warning', objects: ['public.scratch'] })]);
      await expect(sql(src.url, 'CREATE PUBLICATION pc_unlogged FOR TABLE scratch')).rejects.toThrow('table "scratch" cannot be replicated');
    } finally {
      await sql(src.url, 'DROP TABLE scratch');
    }
  });

  it('requires SET on session_replication_role from a destination role that is not a superuser (PostgreSQL 15+)', async () => {
    const destRoleUrl = await createRole(urls.destPgUrl, dst.url, '');
    const role = new URL(destRoleUrl).username;
    await sql(dst.url, `GRANT CREATE ON DATABASE "${dst.name}" TO "${role}"`);
    const before = await runPrechecks(task(src.url, destRoleUrl));
    expect(of(before, 'destination-privileges')).toEqual([
      expect.objectContaining({
        status: 'error',
        fix: `as a superuser on destination "main": GRANT SET ON PARAMETER session_replication_role TO "${role}";`,
      }),
    ]);
    await sql(dst.url, `GRANT SET ON PARAMETER session_replication_role TO "${role}"`);
    const after = await runPrechecks(task(src.url, destRoleUrl));
    expect(of(after, 'destination-privileges').map((r) => r.status)).toEqual(['pass']);
  });
});
