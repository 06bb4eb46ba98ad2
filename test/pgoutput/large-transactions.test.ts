import { Lsn } from '@ferry/core';
import { ReplicationConnection, type ReplicationEvent } from '@ferry/pgoutput';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '../support/databases.js';
import { uniqueName } from '../support/names.js';
import { serviceUrlsFromEnv } from '../support/services.js';
import { only, readUntil, sleep, tags, transactionEnds, withSession, writeTransaction } from './helpers.js';

// Large transactions: streamed in blocks where the server can (14+), and backpressure.
const urls = serviceUrlsFromEnv();
const ROWS = 5_000;

describe.each([
  ['source (PostgreSQL 13)', urls.sourcePgUrl],
  ['destination (PostgreSQL 17)', urls.destPgUrl],
])('large transactions on the %s', (_label, serverUrl) => {
  let db: TempDatabase;
  let major: number;

  beforeAll(async () => {
    db = await createTempDatabase(serverUrl, 'pgo_large');
    major = await withSession(db.url, async (client) => {
      await client.query(`CREATE TABLE items (id int PRIMARY KEY, pad text); CREATE PUBLICATION pub FOR TABLE items`);
      const { rows } = await client.query(`SELECT current_setting('server_version_num')::int / 10000 AS major`);
      return rows[0].major as number;
    });
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('streams an in-progress transaction in blocks past logical_decoding_work_mem (14+), whole otherwise', async () => {
    const slotName = uniqueName('pgo_stream');
    // The limit is the decoding walsender's setting: it must be set on the replication session.
    const conn = await ReplicationConnection.connect(db.url, { settings: { logical_decoding_work_mem: '64kB' } });
    try {
      await conn.createSlot(slotName, { exportSnapshot: false });
      const { committed, aborted } = await withSession(db.url, async (writer) => ({
        committed: await writeTransaction(writer, [
          `INSERT INTO items SELECT g, repeat('p', 50) FROM generate_series(1, ${ROWS}) g`,
        ]),
        aborted: await writer
          .query('BEGIN')
          .then(() => writer.query(`SELECT (txid_current() % 4294967296)::int8::text AS xid`))
          .then(async ({ rows }) => {
            await writer.query(`INSERT INTO items SELECT g, 'gone' FROM generate_series(${ROWS + 1}, ${2 * ROWS}) g`);
            await writer.query('ROLLBACK');
            return Number(rows[0].xid);
          }),
      }));
      await withSession(db.url, (writer) => writer.query(`INSERT INTO items VALUES (0, 'after')`));

      const stream = conn.startReplication({ slotName, publications: ['pub'] });
      // 14+: stream commit, stream abort, then the small one; 13: the big one and the small one.
      const events = await readUntil(stream, transactionEnds(major < 14 ? 2 : 3));
      await stream.close();

      const inserted = only(events, 'insert');
      if (major < 14) {
        // No streaming before 14: the committed transaction arrives whole, the aborted one never.
        expect(tags(events.slice(0, 2))).toEqual(['begin', 'relation']);
        expect(inserted.filter((m) => m.xid === null)).toHaveLength(ROWS + 1);
        expect(only(events, 'commit')).toHaveLength(2);
        expect(only(events, 'stream-start')).toHaveLength(0);
        return;
      }
      const forCommitted = (e: ReplicationEvent): boolean => 'xid' in e.message && e.message.xid === committed.xid;
      const starts = only(events, 'stream-start').filter((m) => m.xid === committed.xid);
      expect(starts.length).toBeGreaterThanOrEqual(2);
      expect(starts.map((m) => m.firstSegment)).toEqual([true, ...Array(starts.length - 1).fill(false)]);
      expect(inserted.filter((m) => m.xid === committed.xid)).toHaveLength(ROWS);
      expect(inserted[0]!.newTuple).toEqual(['1', 'p'.repeat(50)]);
      // Blocks nest: start, changes of that xid only, stop.
      let open: number | null = null;
      for (const event of events) {
        const m = event.message;
        if (m.tag === 'stream-start') open = m.xid;
        else if (m.tag === 'stream-stop') open = null;
        else if (open !== null) expect((m as { xid: number | null }).xid).toBe(open);
      }
      const commit = only(events, 'stream-commit')[0]!;
      expect(commit.xid).toBe(committed.xid);
      expect(commit.commitLsn.isAfter(committed.lsnBefore)).toBe(true);
      expect(commit.endLsn.compare(committed.lsnAfter)).toBeLessThanOrEqual(0);
      expect(events.find((e) => e.message.tag === 'stream-commit')!.lsn).toEqual(commit.endLsn);
      expect(events.filter(forCommitted).length).toBeGreaterThan(ROWS);

      const abort = only(events, 'stream-abort')[0]!;
      expect(abort).toEqual({ tag: 'stream-abort', xid: aborted, subXid: aborted, abortLsn: null, abortTime: null });
      // The small transaction after them is an ordinary one.
      expect(only(events, 'insert').at(-1)!.newTuple).toEqual(['0', 'after']);
      await conn.dropSlot(slotName);
    } finally {
      await conn.close();
    }
  });

  it('stops reading the socket while the consumer is slow', async () => {
    const slotName = uniqueName('pgo_slow');
    const rows = 200_000;
    const conn = await ReplicationConnection.connect(db.url);
    try {
      await conn.createSlot(slotName, { exportSnapshot: false });
      const big = await withSession(db.url, (writer) =>
        writeTransaction(writer, [`INSERT INTO items SELECT g, repeat('s', 100) FROM generate_series(${3 * ROWS}, ${3 * ROWS + rows - 1}) g`]),
      );
      const stream = conn.startReplication({ slotName, publications: ['pub'], bufferedFrames: 64 });
      const iterator = stream[Symbol.asyncIterator]();
      await iterator.next();
      // Stall: nothing is consumed for a while.
      await sleep(3_000);
      const buffered = stream.bufferedFrames;
      const sent = await withSession(db.url, async (client) => {
        const { rows: r } = await client.query(
          `SELECT sent_lsn::text FROM pg_stat_replication WHERE pid = (SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1)`,
          [slotName],
        );
        return Lsn.parse(r[0].sent_lsn);
      });
      // Bounded: our buffer limit plus at most one socket read's worth of frames.
      expect(buffered).toBeGreaterThan(0);
      expect(buffered).toBeLessThan(64 + 2_000);
      // And the server is held back: it has not sent the whole transaction.
      expect(sent.isBefore(big.lsnAfter)).toBe(true);

      // Before 15 pgoutput also sends empty transactions (e.g. an ANALYZE in this database):
      // read on to the end of the one that carries the rows.
      let inserts = 0;
      for (;;) {
        const next = await iterator.next();
        if (next.done) break;
        const { tag } = next.value.message;
        if (tag === 'insert') inserts++;
        if ((tag === 'commit' || tag === 'stream-commit') && inserts > 0) break;
      }
      expect(inserts).toBe(rows);
      await stream.close();
      await conn.dropSlot(slotName);
    } finally {
      await conn.close();
    }
  });
});
