import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError, TableId } from '@ferry/core';
import { copyIn, copyOut, copyOutBatches, queryTextRows, type CopyRow } from '@ferry/pg';
import { createTempDatabase, type TempDatabase } from '../support/databases.js';
import { pgServers, withFerryClient } from './servers.js';

const NASTY: CopyRow[] = [
  ['1', 'plain'],
  ['2', null],
  ['3', ''],
  ['4', 'tab\there'],
  ['5', 'new\nline\r\nand CR'],
  ['6', 'back\\slash \\N \\\\'],
  ['7', '\\N'],
  ['8', "quote ' and \" and $1"],
  ['9', 'unicode é ✓ 日本語 😀 👩‍👩‍👧'],
  ['10', '\b\f\v control'],
  ['11', ' spaces '],
];

// Every type whose text form matters; COPY must give exactly what a query gives.
const TYPED_SELECT = `
SELECT g,
       (g * 1.5)::numeric(20,5), 'NaN'::numeric, 12345678901234567890123.000001::numeric,
       '-0'::float8, 'Infinity'::float8, (1.0 / 3)::float8, 0.1::float4,
       '2024-02-29 23:59:59.999999+05'::timestamptz, 'infinity'::timestamptz, '0044-03-15 BC'::date,
       '24:00:00'::time, '1 year 2 mons -3 days 04:05:06.000007'::interval,
       '\\x00ff10'::bytea, ARRAY['a', NULL, 'b"c', 'd\\e', '']::text[], ARRAY[[1,2],[3,4]]::int[],
       '{"k": [1, "t\\tv"]}'::jsonb, '{"k":   1}'::json, B'10101'::bit(5), '192.168.0.1/24'::inet,
       '[1,5)'::int4range, 'a & b'::tsquery, uuid_in(md5(g::text)::cstring), (g, 'x y')::record::text
  FROM generate_series(1, 20) g`;

describe.each(pgServers())('COPY on the %s server', (_label, serverUrl, role) => {
  let db: TempDatabase;
  beforeAll(async () => {
    db = await createTempDatabase(serverUrl, 'pg_copy');
    await withFerryClient(db.url, role, async (client) => {
      await client.query('CREATE TABLE nasty (id int PRIMARY KEY, v text)');
      await client.query('CREATE TABLE target (id int PRIMARY KEY, v text)');
      await client.query('CREATE TABLE "Big Target" (id int PRIMARY KEY, "Payload" text)');
      for (const [id, v] of NASTY) await client.query('INSERT INTO nasty VALUES ($1, $2)', [id, v]);
    });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('reads nasty text values exactly', async () => {
    await withFerryClient(db.url, role, async (client) => {
      const rows: CopyRow[] = [];
      for await (const row of copyOut(client, 'SELECT id, v FROM nasty ORDER BY id')) rows.push(row);
      expect(rows).toEqual(NASTY);
    });
  });

  it('gives the same text as a normal query for every type', async () => {
    await withFerryClient(db.url, role, async (client) => {
      const viaQuery = await queryTextRows(client, TYPED_SELECT);
      const viaCopy: CopyRow[] = [];
      for await (const batch of copyOutBatches(client, TYPED_SELECT)) viaCopy.push(...batch);
      expect(viaCopy).toEqual(viaQuery);
      expect(viaCopy[0]!.slice(1, 9)).toEqual(['1.50000', 'NaN', '12345678901234567890123.000001', '-0', 'Infinity', '0.3333333333333333', '0.1', '2024-02-29 18:59:59.999999+00']);
    });
  });

  it('inlines parameters safely', async () => {
    await withFerryClient(db.url, role, async (client) => {
      const hostile = "x'; DROP TABLE nasty; --";
      const rows: CopyRow[] = [];
      const sql = 'SELECT id, v FROM nasty WHERE v = $1::text OR v = $2::text OR v = $3::text OR id = $4::int ORDER BY id';
      for await (const row of copyOut(client, sql, [hostile, 'back\\slash \\N \\\\', "quote ' and \" and $1", 7])) rows.push(row);
      expect(rows).toEqual([NASTY[5], NASTY[6], NASTY[7]]);
      expect((await queryTextRows(client, 'SELECT count(*) FROM nasty'))[0]).toEqual([String(NASTY.length)]);
    });
  });

  it('writes nasty values with copyIn and reads them back unchanged', async () => {
    await withFerryClient(db.url, role, async (client) => {
      const count = await copyIn(client, new TableId('public', 'target'), ['id', 'v'], NASTY);
      expect(count).toBe(NASTY.length);
      expect(await queryTextRows(client, 'SELECT id, v FROM target ORDER BY id')).toEqual(NASTY);
    });
  });

  it('streams a large copyIn from an async source with quoted names', async () => {
    await withFerryClient(db.url, role, async (client) => {
      async function* rows() {
        for (let i = 1; i <= 200_000; i++) yield [String(i), i % 10 === 0 ? null : `payload ${i} \t ✓`];
      }
      const count = await copyIn(client, new TableId('public', 'Big Target'), ['id', 'Payload'], rows());
      expect(count).toBe(200_000);
      const summary = await queryTextRows(
        client,
        `SELECT count(*), count("Payload"), max(id), min("Payload") FROM "Big Target"`,
      );
      expect(summary).toEqual([['200000', '180000', '200000', 'payload 1 \t ✓']]);
    });
  });

  it('aborts a copyIn whose source fails: nothing written, client still usable', async () => {
    await withFerryClient(db.url, role, async (client) => {
      await client.query('TRUNCATE target');
      const broke = new Error('source broke');
      async function* failing() {
        for (let i = 1; i <= 50_000; i++) yield [String(i), 'v'];
        throw broke;
      }
      await expect(copyIn(client, new TableId('public', 'target'), ['id', 'v'], failing())).rejects.toBe(broke);
      expect(await queryTextRows(client, 'SELECT count(*) FROM target')).toEqual([['0']]);
    });
  });

  it('rejects rows of the wrong width and reports server-side data errors', async () => {
    await withFerryClient(db.url, role, async (client) => {
      const table = new TableId('public', 'target');
      await expect(copyIn(client, table, ['id', 'v'], [['1', 'a'], ['2']])).rejects.toThrow(/row 2 has 1 value\(s\) for 2 column/);
      const error = await copyIn(client, table, ['id', 'v'], [['not a number', 'a']]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DataError);
      expect((error as DataError).context).toMatchObject({ sqlstate: '22P02', table: 'public.target' });
      expect(await queryTextRows(client, 'SELECT 1')).toEqual([['1']]);
    });
  });

  it('stops early without breaking the connection or the transaction', async () => {
    await withFerryClient(db.url, role, async (client) => {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      let seen = 0;
      for await (const _row of copyOut(client, 'SELECT g, repeat($1::text, 100) FROM generate_series(1, 300000) g', ['x'])) {
        if (++seen === 10) break;
      }
      expect(seen).toBe(10);
      expect(await queryTextRows(client, `SELECT 2, current_setting('transaction_isolation')`)).toEqual([['2', 'repeatable read']]);
      await client.query('COMMIT');
    });
  });

  it('reports an error in the middle of a COPY and stays usable', async () => {
    await withFerryClient(db.url, role, async (client) => {
      let seen = 0;
      const failing = (async () => {
        for await (const batch of copyOutBatches(client, 'SELECT 1 / (g - 60000) FROM generate_series(1, 100000) g')) seen += batch.length;
      })();
      const error = await failing.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DataError);
      expect((error as DataError).context.sqlstate).toBe('22012');
      expect(seen).toBeLessThan(60000);
      expect(await queryTextRows(client, 'SELECT 3')).toEqual([['3']]);
    });
  });
});
