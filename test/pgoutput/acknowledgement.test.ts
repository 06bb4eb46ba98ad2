import { ConnectionError, FerryError, InvariantError, Lsn } from '@ferry/core';
import { ReplicationConnection, type CommitMessage } from '@ferry/pgoutput';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '../support/databases.js';
import { uniqueName } from '../support/names.js';
import { serviceUrlsFromEnv } from '../support/services.js';
import { eventually, only, readUntil, slotState, transactionEnds, withSession } from './helpers.js';

// Acknowledgement is explicit: the slot moves only to what confirm() was given.
const urls = serviceUrlsFromEnv();

describe.each([
  ['source (PostgreSQL 13)', urls.sourcePgUrl],
  ['destination (PostgreSQL 17)', urls.destPgUrl],
])('acknowledgement on the %s', (_label, serverUrl) => {
  let db: TempDatabase;

  beforeAll(async () => {
    db = await createTempDatabase(serverUrl, 'pgo_ack');
    await withSession(db.url, (client) =>
      client.query(`CREATE TABLE items (id int PRIMARY KEY); CREATE PUBLICATION pub FOR TABLE items`),
    );
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('keeps confirmed_flush_lsn at the confirmed position through keepalives, and resumes there', async () => {
    const slotName = uniqueName('pgo_ack');
    // wal_sender_timeout=2s makes the server ask for a reply after 1 s of silence; our own
    // timer is slow, so the replies seen here answer the server's keepalives.
    const conn = await ReplicationConnection.connect(db.url, { settings: { wal_sender_timeout: '2s' } });
    try {
      const { consistentPoint } = await conn.createSlot(slotName, { exportSnapshot: false });
      await withSession(db.url, async (client) => {
        await client.query(`INSERT INTO items VALUES (1)`);
        await client.query(`INSERT INTO items VALUES (2)`);
      });

      const stream = conn.startReplication({ slotName, publications: ['pub'], statusIntervalMs: 60_000 });
      const events = await readUntil(stream, transactionEnds(2));
      const [first, second] = only(events, 'commit') as [CommitMessage, CommitMessage];

      // Keep reading in the background so keepalives are answered.
      const background = readUntil(stream, () => false, 60_000).catch(() => undefined);
      await eventually(async () => stream.stats.repliesRequested >= 2, 'two keepalives asking for a reply');
      expect((await slotState(db.url, slotName)).confirmedFlush).toEqual(consistentPoint);
      expect(stream.receivedLsn.compare(second.endLsn)).toBeGreaterThanOrEqual(0);

      expect(() => stream.confirm(Lsn.fromBigInt(stream.receivedLsn.value + 1n))).toThrow(InvariantError);
      stream.confirm(first.endLsn);
      stream.confirm(consistentPoint); // backwards: ignored
      expect(stream.confirmedLsn).toEqual(first.endLsn);
      await eventually(
        async () => (await slotState(db.url, slotName)).confirmedFlush.equals(first.endLsn),
        'the slot to reach the first commit',
      );
      // What the server shows for us: written = received, flushed = confirmed.
      const reported = await withSession(db.url, async (client) => {
        const { rows } = await client.query(
          `SELECT write_lsn::text, flush_lsn::text FROM pg_stat_replication WHERE pid =
             (SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1)`,
          [slotName],
        );
        return { write: Lsn.parse(rows[0].write_lsn), flush: Lsn.parse(rows[0].flush_lsn) };
      });
      expect(reported.flush).toEqual(first.endLsn);
      expect(reported.write.compare(second.endLsn)).toBeGreaterThanOrEqual(0);

      const answered = stream.stats.repliesRequested;
      await eventually(async () => stream.stats.repliesRequested >= answered + 2, 'two more keepalives');
      expect((await slotState(db.url, slotName)).confirmedFlush).toEqual(first.endLsn);

      await stream.close();
      await background;
      expect((await slotState(db.url, slotName)).active).toBe(false);
      // The connection runs commands again after a clean close, but streams only once.
      expect((await conn.identifySystem()).dbName).toBe(db.name);
      expect(() => conn.startReplication({ slotName, publications: ['pub'] })).toThrow(InvariantError);

      // Reconnect: the unconfirmed second transaction comes again, the first does not.
      const again = await ReplicationConnection.connect(db.url);
      try {
        const resumed = again.startReplication({ slotName, publications: ['pub'] });
        const redelivered = await readUntil(resumed, transactionEnds(1));
        expect(redelivered.map((e) => e.message.tag)).toEqual(['begin', 'relation', 'insert', 'commit']);
        expect(only(redelivered, 'insert')[0]!.newTuple).toEqual(['2']);
        expect(only(redelivered, 'commit')[0]).toEqual(second);
        await resumed.close();
      } finally {
        await again.close();
      }
      expect((await slotState(db.url, slotName)).confirmedFlush).toEqual(first.endLsn);
      // The other connections' walsenders may still be letting go of the slot.
      await conn.dropSlot(slotName, { wait: true });
    } finally {
      await conn.close();
    }
  });

  it('sends status on its own timer and moves the slot only when confirmed', async () => {
    const slotName = uniqueName('pgo_timer');
    const conn = await ReplicationConnection.connect(db.url);
    try {
      await conn.createSlot(slotName, { exportSnapshot: false });
      await withSession(db.url, (client) => client.query(`INSERT INTO items VALUES (10)`));
      const stream = conn.startReplication({ slotName, publications: ['pub'], statusIntervalMs: 200 });
      const events = await readUntil(stream, transactionEnds(1));
      const commit = only(events, 'commit')[0]!;
      const sent = stream.stats.statusUpdatesSent;
      stream.confirm(commit.endLsn);
      await eventually(async () => (await slotState(db.url, slotName)).confirmedFlush.equals(commit.endLsn), 'the timer');
      expect(stream.stats.statusUpdatesSent).toBeGreaterThan(sent);
      await stream.close();
      await conn.dropSlot(slotName);
    } finally {
      await conn.close();
    }
  });

  it('confirms keepalive positions only while the consumer says it is idle', async () => {
    const slotName = uniqueName('pgo_idle');
    const conn = await ReplicationConnection.connect(db.url, { settings: { wal_sender_timeout: '2s' } });
    try {
      const { consistentPoint } = await conn.createSlot(slotName, { exportSnapshot: false });
      await withSession(db.url, (client) => client.query(`CREATE TABLE IF NOT EXISTS unpublished (id int)`));
      let idle = false;
      // Our own status timer is slow, so the server pings every second (wal_sender_timeout/2).
      const stream = conn.startReplication({ slotName, publications: ['pub'], statusIntervalMs: 60_000, isIdle: () => idle });
      const background = readUntil(stream, () => false, 60_000).catch(() => undefined);
      // WAL that carries nothing for this publication: only keepalives reach the client.
      await withSession(db.url, (client) => client.query(`INSERT INTO unpublished VALUES (1)`));
      const written = await withSession(db.url, async (client) => Lsn.parse((await client.query(`SELECT pg_current_wal_lsn()::text AS l`)).rows[0].l));
      await eventually(async () => stream.receivedLsn.compare(written) >= 0, 'keepalives past the unpublished write');
      // Busy consumer: nothing moves, though keepalives come and are answered.
      const asked = stream.stats.repliesRequested;
      await eventually(async () => stream.stats.repliesRequested >= asked + 2, 'two keepalives asking for a reply');
      expect((await slotState(db.url, slotName)).confirmedFlush).toEqual(consistentPoint);
      expect(stream.confirmedLsn).toBeNull();

      idle = true;
      await eventually(async () => (await slotState(db.url, slotName)).confirmedFlush.compare(written) >= 0, 'the slot to pass the unpublished write');
      expect(stream.confirmedLsn!.compare(stream.receivedLsn)).toBeLessThanOrEqual(0);
      await stream.close();
      await background;
      await conn.dropSlot(slotName);
    } finally {
      await conn.close();
    }
  });

  it('reports a missing slot and a slot in use with the right error policy', async () => {
    const conn = await ReplicationConnection.connect(db.url);
    const missing = conn.startReplication({ slotName: uniqueName('pgo_missing'), publications: ['pub'] });
    const error = await readUntil(missing, () => true, 10_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FerryError);
    expect((error as FerryError).code).toBe('REPLICATION_FAILED');
    expect((error as FerryError).context.sqlstate).toBe('42704');
    await missing.close();
    await conn.close();

    const slotName = uniqueName('pgo_busy');
    const owner = await ReplicationConnection.connect(db.url);
    const intruder = await ReplicationConnection.connect(db.url);
    try {
      await owner.createSlot(slotName, { exportSnapshot: false });
      const running = owner.startReplication({ slotName, publications: ['pub'] });
      await eventually(async () => (await slotState(db.url, slotName)).active, 'the slot to be active');
      const second = intruder.startReplication({ slotName, publications: ['pub'] });
      const busy = await readUntil(second, () => true, 10_000).catch((e: unknown) => e);
      expect(busy).toBeInstanceOf(ConnectionError);
      expect((busy as ConnectionError).retriable).toBe(true);
      expect((busy as ConnectionError).context.sqlstate).toBe('55006');
      await second.close();
      await running.close();
      await owner.dropSlot(slotName, { wait: true });
    } finally {
      await owner.close();
      await intruder.close();
    }
  });
});
