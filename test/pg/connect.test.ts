import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { ConfigError, ConnectionError, PermissionError } from '@ferry/core';
import { createPool, openClient, redactUrl } from '@ferry/pg';
import { createTempDatabase, type TempDatabase } from '../support/databases.js';
import { uniqueName } from '../support/names.js';
import { pgServers, withFerryClient } from './servers.js';

describe.each(pgServers())('connect on the %s server', (_label, serverUrl, role) => {
  let db: TempDatabase;
  beforeAll(async () => {
    db = await createTempDatabase(serverUrl, 'pg_connect');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('fixes the session settings for every connection', async () => {
    await withFerryClient(db.url, role, async (client) => {
      const { rows } = await client.query<string[]>({
        text: `SELECT current_setting('DateStyle'), current_setting('TimeZone'), current_setting('IntervalStyle'),
                      current_setting('extra_float_digits'), current_setting('bytea_output'),
                      current_setting('client_encoding'), current_setting('standard_conforming_strings'),
                      current_setting('application_name')`,
        rowMode: 'array',
      });
      expect(rows[0]).toEqual(['ISO, MDY', 'UTC', 'postgres', '3', 'hex', 'UTF8', 'on', 'ferry-test-pg']);
    });
  });

  it('holds even when the role and database defaults say otherwise', async () => {
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE "${db.name}" SET TimeZone = 'Pacific/Pago_Pago'`);
      await admin.query(`ALTER DATABASE "${db.name}" SET DateStyle = 'SQL, DMY'`);
      await admin.query(`ALTER DATABASE "${db.name}" SET extra_float_digits = 0`);
    } finally {
      await admin.end();
    }
    await withFerryClient(db.url, role, async (client) => {
      const { rows } = await client.query(
        `SELECT '2024-03-05 06:07:08.123456+00'::timestamptz AS ts, 0.1::float8 + 0.2 AS f,
                '01/02/2024'::date AS d, current_setting('DateStyle') AS style`,
      );
      expect(rows[0]).toEqual({ ts: '2024-03-05 06:07:08.123456+00', f: '0.30000000000000004', d: '2024-01-02', style: 'ISO, MDY' });
    });
  });

  it('returns exact text instead of parsed values', async () => {
    await withFerryClient(db.url, role, async (client) => {
      const { rows } = await client.query(
        `SELECT 9007199254740993::int8 AS big, 12345678901234567890.123456789::numeric AS num,
                '2024-01-01 12:00:00.123456+02'::timestamptz AS tstz, '2024-01-01'::date AS d,
                ARRAY[1, NULL, 3]::int[] AS arr, '\\xdeadbeef'::bytea AS bin, true AS bool,
                '{"a": 1}'::jsonb AS j, 'NaN'::numeric AS nan, '-0'::float8 AS negzero,
                '1 year 2 mons 3 days 04:05:06.789'::interval AS iv, NULL::text AS nothing`,
      );
      expect(rows[0]).toEqual({
        big: '9007199254740993',
        num: '12345678901234567890.123456789',
        tstz: '2024-01-01 10:00:00.123456+00',
        d: '2024-01-01',
        arr: '{1,NULL,3}',
        bin: '\\xdeadbeef',
        bool: 't',
        j: '{"a": 1}',
        nan: 'NaN',
        negzero: '-0',
        iv: '1 year 2 mons 3 days 04:05:06.789',
        nothing: null,
      });
    });
  });

  it('pools connections with the same settings', async () => {
    const pool = createPool(db.url, { applicationName: 'ferry-test-pool', role, max: 2 });
    try {
      const results = await Promise.all(
        [1, 2, 3, 4].map(() => pool.query(`SELECT current_setting('TimeZone') AS tz, 1::int8 AS one, current_setting('application_name') AS app`)),
      );
      for (const result of results) expect(result.rows[0]).toEqual({ tz: 'UTC', one: '1', app: 'ferry-test-pool' });
      const inside = await pool.withClient(async (client) => (await client.query(`SELECT current_setting('IntervalStyle') AS s`)).rows[0]);
      expect(inside).toEqual({ s: 'postgres' });
      await expect(pool.query('SELECT * FROM no_such_table')).rejects.toMatchObject({ code: 'PG_ERROR', context: { sqlstate: '42P01' } });
    } finally {
      await pool.end();
    }
  });

  it('reports a wrong password as a PermissionError without the password', async () => {
    const user = uniqueName('ferry_pw');
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      await admin.query(`CREATE ROLE "${user}" LOGIN PASSWORD 'right-password'`);
      const url = new URL(db.url);
      url.username = user;
      url.password = 'wrong-password-XYZ';
      const error = await openClient(url.toString(), { applicationName: 'x', role }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PermissionError);
      expect((error as PermissionError).context.sqlstate).toBe('28P01');
      expect((error as PermissionError).message).toContain(`${role} database postgres://${user}@`);
      expect((error as PermissionError).message).not.toContain('wrong-password-XYZ');
      expect((error as PermissionError).fix).toMatch(/password/);
    } finally {
      await admin.query(`DROP ROLE IF EXISTS "${user}"`);
      await admin.end();
    }
  });

  it('reports a missing database as a configuration error', async () => {
    const url = new URL(db.url);
    url.pathname = `/${uniqueName('missing')}`;
    const error = await openClient(url.toString(), { applicationName: 'x', role }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).context.sqlstate).toBe('3D000');
    expect((error as ConfigError).message).toContain(redactUrl(url.toString()));
    expect((error as ConfigError).message).not.toContain(`:${new URL(db.url).password}@`);
  });

  it('reports a closed port as a retriable ConnectionError', async () => {
    const url = new URL(db.url);
    url.port = '1'; // nothing listens on port 1
    url.password = 'Distinctive-Secret-42';
    const error = await openClient(url.toString(), { applicationName: 'x', role }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).retriable).toBe(true);
    expect((error as ConnectionError).message).not.toContain('Distinctive-Secret-42');
  });

  it('turns a terminated session into a ConnectionError and tells onError', async () => {
    const seen: Error[] = [];
    const client = await openClient(db.url, { applicationName: 'ferry-test-victim', role, onError: (e) => seen.push(e) });
    const pid = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as string;
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    await admin.query('SELECT pg_terminate_backend($1::int)', [pid]);
    await admin.end();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[0]).toBeInstanceOf(ConnectionError);
    await client.end().catch(() => undefined);
  });

  it('applies the statement timeout', async () => {
    const client = await openClient(db.url, { applicationName: 'x', role, statementTimeoutMs: 100 });
    try {
      await expect(client.query('SELECT pg_sleep(2)')).rejects.toMatchObject({ code: '57014' });
    } finally {
      await client.end();
    }
  });
});
