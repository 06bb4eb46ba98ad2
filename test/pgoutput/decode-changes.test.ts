import { Lsn } from '@ferry/core';
import {
  PgoutputDecoder,
  RelationCache,
  ReplicationConnection,
  UNCHANGED_TOAST,
  pgMicrosToEpochMs,
  type PgoutputMessage,
  type ReplicationEvent,
} from '@ferry/pgoutput';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '../support/databases.js';
import { uniqueName } from '../support/names.js';
import { serviceUrlsFromEnv } from '../support/services.js';
import { only, readUntil, tags, withSession, writeTransaction, type WrittenTransaction } from './helpers.js';

// Every change kind through a real walsender, with exact text values, in commit order.
const urls = serviceUrlsFromEnv();

const BIG = 'x'.repeat(10_000);
const ITEM_COLUMNS = ['id', 'ts', 'n', 'f', 'f_sum', 'b', 'd', 'iv', 'm', 'big', 'note'];
const ITEM_VALUES = [
  '1',
  '2024-02-29 23:59:59.123456+00',
  'NaN',
  '-0',
  '0.30000000000000004',
  '\\xdeadbeef',
  '2024-02-29',
  '1 year 2 mons 3 days 04:05:06.789',
  'happy',
  BIG,
  '\uFEFFhéllo 🐘',
];

describe.each([
  ['source (PostgreSQL 13)', urls.sourcePgUrl],
  ['destination (PostgreSQL 17)', urls.destPgUrl],
])('pgoutput changes from the %s', (_label, serverUrl) => {
  let db: TempDatabase;
  let major: number;
  const slotName = uniqueName('pgo_changes');
  const peekSlot = uniqueName('pgo_peek');
  const origin = uniqueName('pgo_origin');
  const written: WrittenTransaction[] = [];
  let events: ReplicationEvent[] = [];
  let consistentPoint: Lsn;
  let emptyTransactions = 0;

  beforeAll(async () => {
    db = await createTempDatabase(serverUrl, 'pgo_changes');
    major = await withSession(db.url, async (client) => {
      // The writer sessions and a bare walsender would print values in these styles.
      for (const setting of [
        `timezone = 'Pacific/Pago_Pago'`,
        `datestyle = 'SQL, DMY'`,
        `intervalstyle = 'sql_standard'`,
        `bytea_output = 'escape'`,
        `extra_float_digits = 0`,
      ]) {
        await client.query(`ALTER DATABASE "${db.name}" SET ${setting}`);
      }
      await client.query(`
        CREATE TYPE mood AS ENUM ('sad', 'happy');
        CREATE TABLE items (id int PRIMARY KEY, ts timestamptz, n numeric, f float8, f_sum float8, b bytea,
          d date, iv interval, m mood, big text, note text);
        ALTER TABLE items ALTER COLUMN big SET STORAGE EXTERNAL;
        CREATE TABLE audit (id int PRIMARY KEY, v text);
        ALTER TABLE audit REPLICA IDENTITY FULL;
        CREATE TABLE unpublished (id int PRIMARY KEY);
        CREATE PUBLICATION pub FOR TABLE items, audit;`);
      const { rows } = await client.query(`SELECT current_setting('server_version_num')::int / 10000 AS major`);
      return rows[0].major as number;
    });

    const conn = await ReplicationConnection.connect(db.url);
    try {
      consistentPoint = (await conn.createSlot(slotName, { exportSnapshot: false })).consistentPoint;
      await conn.createSlot(peekSlot, { exportSnapshot: false });
    } finally {
      await conn.close();
    }

    await withSession(db.url, async (writer) => {
      const tx = (statements: string[]) => writeTransaction(writer, statements).then((t) => written.push(t));
      await tx([
        `INSERT INTO items VALUES (1, '2024-03-01 12:59:59.123456+13', 'NaN', '-0', 0.1::float8 + 0.2::float8,
           '\\xdeadbeef', '2024-02-29', '1 year 2 mons 3 days 04:05:06.789', 'happy', repeat('x', 10000), E'\\uFEFFhéllo 🐘')`,
        `INSERT INTO audit VALUES (1, 'a')`,
        `INSERT INTO unpublished VALUES (1)`,
      ]);
      await tx([`UPDATE items SET note = 'changed' WHERE id = 1`]);
      await tx([`UPDATE audit SET v = 'b' WHERE id = 1`]);
      await tx([`UPDATE items SET id = 2 WHERE id = 1`]);
      await tx([`DELETE FROM items WHERE id = 2`, `DELETE FROM audit WHERE id = 1`]);
      await tx([`INSERT INTO audit VALUES (5, 'kept')`, `TRUNCATE items, audit RESTART IDENTITY CASCADE`]);
      await writer.query(`SELECT pg_replication_origin_create($1)`, [origin]);
      await writer.query(`SELECT pg_replication_origin_session_setup($1)`, [origin]);
      await tx([`SELECT pg_replication_origin_xact_setup('0/ABCDEF', now())`, `INSERT INTO audit VALUES (6, 'from elsewhere')`]);
      await writer.query(`SELECT pg_replication_origin_session_reset()`);
      if (major >= 14) {
        await tx([`SELECT pg_logical_emit_message(true, 'ferry', 'inside')`, `INSERT INTO audit VALUES (7, 'with message')`]);
        await writer.query(`SELECT pg_logical_emit_message(false, 'ferry', 'outside')`);
      }
    });

    const conn2 = await ReplicationConnection.connect(db.url);
    try {
      const stream = conn2.startReplication({ slotName, publications: ['pub'] });
      const lastXid = written.at(-1)!.xid;
      const all = await readUntil(stream, (seen) => {
        const lastBegin = seen.findIndex((e) => e.message.tag === 'begin' && e.message.xid === lastXid);
        const committed = lastBegin >= 0 && seen.slice(lastBegin).some((e) => e.message.tag === 'commit');
        return major >= 14 ? committed && seen.some((e) => e.message.tag === 'message' && !e.message.transactional) : committed;
      });
      // Before 15, pgoutput also sends transactions with no published change (here: creating
      // the replication origin): Begin directly followed by Commit. Leave those out.
      events = all.filter((e, i) => {
        const next = all[i + 1]?.message.tag;
        const previous = all[i - 1]?.message.tag;
        return !(e.message.tag === 'begin' && next === 'commit') && !(e.message.tag === 'commit' && previous === 'begin');
      });
      emptyTransactions = (all.length - events.length) / 2;
      await stream.close();
    } finally {
      await conn2.close();
    }
  });

  afterAll(async () => {
    // Origins belong to the whole server: drop ours (only after decoding, which looks it up).
    if (db) await withSession(db.url, (client) => client.query(`SELECT pg_replication_origin_drop($1)`, [origin])).catch(() => undefined);
    await db?.drop();
  });

  it('delivers transactions in commit order with their xids, LSNs and commit times', () => {
    const begins = only(events, 'begin');
    const commits = only(events, 'commit');
    expect(begins.map((b) => b.xid)).toEqual(written.map((t) => t.xid));
    expect(commits).toHaveLength(written.length);
    commits.forEach((commit, i) => {
      const tx = written[i]!;
      expect(begins[i]!.finalLsn).toEqual(commit.commitLsn);
      expect(begins[i]!.commitTime).toBe(commit.commitTime);
      expect(commit.commitLsn.isAfter(tx.lsnBefore)).toBe(true);
      expect(commit.endLsn.isAfter(commit.commitLsn)).toBe(true);
      expect(commit.endLsn.compare(tx.lsnAfter)).toBeLessThanOrEqual(0);
      expect(commit.commitTime >= tx.microsBefore && commit.commitTime <= tx.microsAfter).toBe(true);
      expect(Math.abs(pgMicrosToEpochMs(commit.commitTime) - Date.now())).toBeLessThan(120_000);
      expect(commit.commitLsn.isAfter(consistentPoint)).toBe(true);
      if (i > 0) expect(commit.commitLsn.isAfter(commits[i - 1]!.endLsn)).toBe(true);
    });
    // A Commit's WAL position is its end LSN: the one to confirm.
    for (const event of events) {
      if (event.message.tag === 'commit') expect(event.lsn).toEqual(event.message.endLsn);
    }
  });

  it('sends empty transactions only before PostgreSQL 15', () => {
    expect(emptyTransactions).toBe(major < 15 ? 1 : 0);
  });

  it('decodes each change kind in order, each after the Relation it refers to', () => {
    const perTransaction: string[][] = [];
    const described = new Set<number>();
    for (const event of events) {
      const m = event.message;
      if (m.tag === 'begin') perTransaction.push([]);
      else if (m.tag === 'relation') described.add(m.relationId);
      else if (m.tag !== 'commit' && m.tag !== 'message' && m.tag !== 'type') perTransaction.at(-1)!.push(m.tag);
      if (m.tag === 'insert' || m.tag === 'update' || m.tag === 'delete') expect(described.has(m.relationId)).toBe(true);
    }
    expect(perTransaction).toEqual([
      ['insert', 'insert'],
      ['update'],
      ['update'],
      ['update'],
      ['delete', 'delete'],
      ['insert', 'truncate'],
      ['origin', 'insert'],
      ...(major >= 14 ? [['insert']] : []),
    ]);
    // The enum's Type message comes before the first Relation that uses it.
    expect(tags(events).slice(0, 3)).toEqual(['begin', 'type', 'relation']);
  });

  it('prints values in the fixed text forms, never parsed', () => {
    const relations = new RelationCache();
    for (const relation of only(events, 'relation')) relations.remember(relation);
    const [items, audit] = only(events, 'relation');
    expect(items).toMatchObject({ schema: 'public', table: 'items', replicaIdentity: 'default', xid: null });
    expect(items!.columns.map((c) => [c.name, c.isKey])).toEqual(ITEM_COLUMNS.map((name) => [name, name === 'id']));
    expect(items!.columns.find((c) => c.name === 'm')!.typeOid).toBe(only(events, 'type')[0]!.typeOid);
    expect(only(events, 'type')[0]).toMatchObject({ schema: 'public', name: 'mood' });
    expect(audit).toMatchObject({ table: 'audit', replicaIdentity: 'full' });
    expect(audit!.columns.every((c) => c.isKey)).toBe(true);

    const inserts = only(events, 'insert');
    expect(inserts[0]!.newTuple).toEqual(ITEM_VALUES);
    expect(relations.rowChange(inserts[0]!).after).toEqual(Object.fromEntries(ITEM_COLUMNS.map((c, i) => [c, ITEM_VALUES[i]])));
  });

  it('marks the unchanged TOAST column and carries old rows as the identity says', () => {
    const relations = new RelationCache();
    for (const relation of only(events, 'relation')) relations.remember(relation);
    const [noteUpdate, auditUpdate, keyUpdate] = only(events, 'update');

    const note = relations.rowChange(noteUpdate!);
    expect(note.before).toBeNull();
    expect(note.after!.big).toBe(UNCHANGED_TOAST);
    expect(note.after!.note).toBe('changed');
    expect(note.unchangedToast).toEqual(['big']);

    expect(auditUpdate!.oldTuple).toEqual({ identity: 'full', values: ['1', 'a'] });
    expect(auditUpdate!.newTuple).toEqual(['1', 'b']);

    const key = relations.rowChange(keyUpdate!);
    expect(key.beforeIdentity).toBe('key');
    expect(key.before).toEqual({ id: '1' });
    expect(key.after!.id).toBe('2');

    const [itemDelete, auditDelete] = only(events, 'delete');
    expect(itemDelete!.oldTuple).toEqual({ identity: 'key', values: ['2', ...Array(ITEM_COLUMNS.length - 1).fill(null)] });
    expect(auditDelete!.oldTuple).toEqual({ identity: 'full', values: ['1', 'b'] });
  });

  it('decodes TRUNCATE with its flags, origins and logical messages', () => {
    const [items, audit] = only(events, 'relation');
    expect(only(events, 'truncate')).toEqual([
      { tag: 'truncate', xid: null, cascade: true, restartIdentity: true, relationIds: [items!.relationId, audit!.relationId] },
    ]);
    expect(only(events, 'origin')).toEqual([{ tag: 'origin', originLsn: Lsn.parse('0/ABCDEF'), originName: origin }]);
    const messages = only(events, 'message');
    if (major < 14) {
      expect(messages).toEqual([]);
      return;
    }
    expect(messages.map((m) => [m.transactional, m.prefix, Buffer.from(m.content).toString(), m.xid])).toEqual([
      [true, 'ferry', 'inside', null],
      [false, 'ferry', 'outside', null],
    ]);
    // The transactional message sits inside its transaction, before the insert.
    const last = tags(events).lastIndexOf('begin');
    expect(tags(events).slice(last, last + 4)).toEqual(['begin', 'message', 'insert', 'commit']);
  });

  it('prints what the session says: without our settings pgoutput follows the database defaults', async () => {
    // The SQL interface decodes in an ordinary session, which has the Samoa/SQL/escape defaults.
    const payloads = await withSession(db.url, async (client: pg.Client) => {
      const { rows } = await client.query(
        `SELECT encode(data, 'hex') AS hex FROM pg_logical_slot_peek_binary_changes($1, NULL, NULL,
           'proto_version', '1', 'publication_names', 'pub')`,
        [peekSlot],
      );
      return rows.map((r) => Buffer.from(r.hex, 'hex'));
    });
    const decoder = new PgoutputDecoder();
    const insert = payloads.map((p) => decoder.decode(p)).find((m): m is Extract<PgoutputMessage, { tag: 'insert' }> => m.tag === 'insert');
    expect(insert!.newTuple.slice(1, 8)).toEqual([
      '29/02/2024 12:59:59.123456 SST',
      'NaN',
      '-0',
      '0.3',
      '\\336\\255\\276\\357',
      '29/02/2024',
      '+1-2 +3 +4:05:06.789',
    ]);
  });
});
