import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { TableId } from '@ferry/core';
import {
  chooseOrderedKey,
  copyOut,
  findKeyBoundaries,
  keyRangeWhere,
  keyRangesFromBoundaries,
  listTables,
  pageRangeWhere,
  pageRanges,
  planKeyRanges,
  planPageRanges,
  queryTextRows,
  quoteIdentList,
  quoteQualified,
  serverVersion,
  type KeyColumn,
  type SqlFragment,
} from '@ferry/pg';
import { createTempDatabase, type TempDatabase } from '../support/databases.js';
import { pgServers, withFerryClient } from './servers.js';

// Text keys chosen so that ICU order differs from byte order, and so that the
// boundaries inlined into COPY carry quotes, backslashes and tabs.
const NAMES = ['a', 'B', 'b', 'ä', 'Z', 'é', 'e', "o'brien", 'back\\slash', 'tab\there', '日本', ''];

const SETUP = `
CREATE TABLE int_keyed (id int PRIMARY KEY, v text);
INSERT INTO int_keyed SELECT g * 3 - 5000, 'v' || g FROM generate_series(1, 10007) g;
CREATE TABLE composite_keyed (name text COLLATE "en-x-icu" NOT NULL, n int NOT NULL, PRIMARY KEY (name, n));
INSERT INTO composite_keyed SELECT name, n FROM unnest($1::text[]) name, generate_series(1, 250) n;
CREATE TABLE keyless (seq int, payload text);
INSERT INTO keyless SELECT g, repeat('x', 50) FROM generate_series(1, 20000) g;
INSERT INTO keyless SELECT g, repeat('x', 50) FROM generate_series(1, 100) g; -- duplicates: no key at all
CREATE TABLE empty_keyed (id int PRIMARY KEY);
CREATE TABLE tiny_keyed (id int PRIMARY KEY);
INSERT INTO tiny_keyed SELECT generate_series(1, 5);
ANALYZE;
`;

type Reader = 'copy' | 'query';

/** Every row of every chunk, read through COPY (parameters inlined) or a normal query (bound). */
async function readChunks(client: pg.ClientBase, table: TableId, columns: string[], wheres: SqlFragment[], reader: Reader) {
  const perChunk: string[][][] = [];
  for (const where of wheres) {
    const sql = `SELECT ${quoteIdentList(columns)} FROM ${quoteQualified(table)} WHERE ${where.sql}`;
    const rows: string[][] = [];
    if (reader === 'copy') {
      for await (const row of copyOut(client, sql, where.params)) rows.push(row as string[]);
    } else {
      for (const row of await queryTextRows(client, sql, where.params)) rows.push(row as string[]);
    }
    perChunk.push(rows);
  }
  return perChunk;
}

async function allRows(client: pg.ClientBase, table: TableId, columns: string[]): Promise<string[][]> {
  return (await queryTextRows(client, `SELECT ${quoteIdentList(columns)} FROM ${quoteQualified(table)}`)) as string[][];
}

function sortedKeys(rows: string[][]): string[] {
  return rows.map((row) => JSON.stringify(row)).sort();
}

describe.each(pgServers())('ordered key ranges on the %s server', (_label, serverUrl, role) => {
  let db: TempDatabase;
  beforeAll(async () => {
    db = await createTempDatabase(serverUrl, 'pg_ranges');
    await withFerryClient(db.url, role, async (client) => {
      for (const statement of SETUP.split(';\n').filter((s) => s.trim())) {
        await client.query(statement, statement.includes('$1') ? [NAMES] : []);
      }
    });
  });
  afterAll(async () => {
    await db?.drop();
  });

  async function keyOf(client: pg.ClientBase, table: TableId): Promise<KeyColumn[]> {
    const [info] = (await listTables(client)).filter((t) => t.id.equals(table));
    return chooseOrderedKey(info!)!;
  }

  it.each([
    ['int key, many chunks', 'int_keyed', 1000, 10, 11],
    ['int key, chunk = table', 'int_keyed', 10007, 1, 2],
    ['int key, one short chunk', 'int_keyed', 20000, 0, 1],
    ['composite (text COLLATE icu, int) key', 'composite_keyed', 97, 30, 31],
    ['empty table', 'empty_keyed', 10, 0, 1],
    ['fewer rows than one chunk', 'tiny_keyed', 1000, 0, 1],
  ] as const)('%s: chunks cover every row exactly once', async (_name, tableName, chunkRows, boundaryCount, chunkCount) => {
    const table = new TableId('public', tableName);
    await withFerryClient(db.url, role, async (client) => {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      const key = await keyOf(client, table);
      const boundaries = await findKeyBoundaries(client, table, key, chunkRows);
      expect(boundaries).toHaveLength(boundaryCount);
      const ranges = keyRangesFromBoundaries(boundaries);
      expect(ranges).toHaveLength(chunkCount);
      const columns = key.map((k) => k.name);
      const expected = await allRows(client, table, columns);
      for (const reader of ['copy', 'query'] as const) {
        const chunks = await readChunks(client, table, columns, ranges.map((r) => keyRangeWhere(key, r)), reader);
        // Every chunk but the last holds exactly chunkRows rows; together they are the table, once.
        for (const chunk of chunks.slice(0, -1)) expect(chunk).toHaveLength(chunkRows);
        expect(chunks.at(-1)!.length).toBeLessThanOrEqual(chunkRows);
        expect(sortedKeys(chunks.flat())).toEqual(sortedKeys(expected));
      }
      await client.query('COMMIT');
    });
  });

  it('walks the composite key in ICU order, not byte order', async () => {
    const table = new TableId('public', 'composite_keyed');
    await withFerryClient(db.url, role, async (client) => {
      const key = await keyOf(client, table);
      expect(key).toEqual([
        { name: 'name', type: 'text' },
        { name: 'n', type: 'integer' },
      ]);
      const boundaries = await findKeyBoundaries(client, table, key, 250);
      // 250 rows per name: each boundary is the last row of one name, in collation order.
      expect(boundaries.map((b) => b[1])).toEqual(Array(NAMES.length).fill('250'));
      const icuOrder = (
        await queryTextRows(client, `SELECT DISTINCT name FROM composite_keyed ORDER BY name`)
      ).map((row) => row[0]);
      expect(boundaries.map((b) => b[0])).toEqual(icuOrder);
      expect(icuOrder).not.toEqual([...NAMES].sort());
    });
  });

  it('keeps to the snapshot while others write', async () => {
    const table = new TableId('public', 'int_keyed');
    await withFerryClient(db.url, role, async (client) => {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      const key = await keyOf(client, table);
      const expected = await allRows(client, table, ['id']);
      const ranges = await planKeyRanges(client, table, key, 3000);
      await withFerryClient(db.url, role, async (writer) => {
        await writer.query('INSERT INTO int_keyed SELECT g * 3 - 4999, $1 FROM generate_series(1, 5000) g', ['new']);
        await writer.query('DELETE FROM int_keyed WHERE id % 7 = 0');
      });
      const chunks = await readChunks(client, table, ['id'], ranges.map((r) => keyRangeWhere(key, r)), 'copy');
      expect(sortedKeys(chunks.flat())).toEqual(sortedKeys(expected));
      await client.query('COMMIT');
    });
  });

  it('covers a keyless table by page ranges, including pages added after planning', async () => {
    const table = new TableId('public', 'keyless');
    await withFerryClient(db.url, role, async (client) => {
      const { major } = await serverVersion(client);
      const planned = await planPageRanges(client, table, 2000, major);
      if (major >= 14) expect(planned.length).toBeGreaterThan(5);
      else expect(planned).toEqual([{ startPage: null, endPage: null }]);

      // The ctid SQL itself is right on every major, even where it is slow: test it with many ranges.
      const pageCount = Number((await queryTextRows(client, `SELECT pg_relation_size('keyless') / 8192`))[0]![0]);
      const manual = pageRanges(pageCount, 3);
      expect(manual.length).toBeGreaterThan(10);
      await client.query("INSERT INTO keyless SELECT g, 'late' FROM generate_series(20001, 25000) g");
      const expected = await allRows(client, table, ['seq', 'payload']);
      for (const ranges of [planned, manual]) {
        for (const reader of ['copy', 'query'] as const) {
          const chunks = await readChunks(client, table, ['seq', 'payload'], ranges.map((r) => pageRangeWhere(r)), reader);
          expect(sortedKeys(chunks.flat())).toEqual(sortedKeys(expected));
        }
      }
    });
  });

  it('uses a TID range scan on 14+', async () => {
    await withFerryClient(db.url, role, async (client) => {
      const { major } = await serverVersion(client);
      const where = pageRangeWhere({ startPage: 2, endPage: 5 });
      const plan = (await queryTextRows(client, `EXPLAIN SELECT * FROM keyless WHERE ${where.sql}`, where.params))
        .map((row) => row[0])
        .join('\n');
      expect(plan).toContain(major >= 14 ? 'Tid Range Scan' : 'Seq Scan');
    });
  });
});
