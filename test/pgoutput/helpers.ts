import { Lsn } from '@ferry/core';
import type { PgoutputMessage, ReplicationEvent, ReplicationStream } from '@ferry/pgoutput';
import pg from 'pg';

/** Runs `fn` with a plain (non-replication) session, then ends it. */
export async function withSession<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** What one writer transaction looked like from the server: its xid and where it sat in WAL and time. */
export interface WrittenTransaction {
  xid: number;
  lsnBefore: Lsn;
  lsnAfter: Lsn;
  /** Microseconds since 2000-01-01 (server clock) before BEGIN and after COMMIT. */
  microsBefore: bigint;
  microsAfter: bigint;
}

const SERVER_POSITION = `SELECT pg_current_wal_lsn()::text AS lsn,
  ((extract(epoch FROM clock_timestamp()) - 946684800) * 1000000)::int8::text AS micros`;

/** Runs `statements` in one transaction on `client` and records its xid and WAL/time bounds. */
export async function writeTransaction(client: pg.Client, statements: string[]): Promise<WrittenTransaction> {
  const before = (await client.query(SERVER_POSITION)).rows[0];
  await client.query('BEGIN');
  const { rows } = await client.query(`SELECT (txid_current() % 4294967296)::int8::text AS xid`);
  for (const statement of statements) await client.query(statement);
  await client.query('COMMIT');
  const after = (await client.query(SERVER_POSITION)).rows[0];
  return {
    xid: Number(rows[0].xid),
    lsnBefore: Lsn.parse(before.lsn),
    lsnAfter: Lsn.parse(after.lsn),
    microsBefore: BigInt(before.micros),
    microsAfter: BigInt(after.micros),
  };
}

/**
 * Reads events until `done(events)` says so; closes the stream and fails after `timeoutMs`
 * so a missing message never hangs the suite.
 */
export async function readUntil(
  stream: ReplicationStream,
  done: (events: ReplicationEvent[]) => boolean,
  timeoutMs = 30_000,
): Promise<ReplicationEvent[]> {
  const events: ReplicationEvent[] = [];
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void stream.close().catch(() => undefined);
  }, timeoutMs);
  try {
    for await (const event of stream) {
      events.push(event);
      if (done(events)) return events;
    }
  } finally {
    clearTimeout(timer);
  }
  throw new Error(
    `${timedOut ? 'timed out' : 'stream ended'} after ${events.length} events: ${events.map((e) => e.message.tag).join(' ')}`,
  );
}

/** Counts finished transactions (commits, stream commits and stream aborts). */
export function transactionEnds(count: number): (events: ReplicationEvent[]) => boolean {
  return (events) => events.filter((e) => ['commit', 'stream-commit', 'stream-abort'].includes(e.message.tag)).length >= count;
}

export function tags(events: ReplicationEvent[]): string[] {
  return events.map((e) => e.message.tag);
}

export function only<T extends PgoutputMessage['tag']>(
  events: ReplicationEvent[],
  tag: T,
): Extract<PgoutputMessage, { tag: T }>[] {
  return events.map((e) => e.message).filter((m): m is Extract<PgoutputMessage, { tag: T }> => m.tag === tag);
}

/** The slot's confirmed_flush_lsn and whether a walsender holds it. */
export async function slotState(url: string, slotName: string): Promise<{ confirmedFlush: Lsn; active: boolean }> {
  return withSession(url, async (client) => {
    const { rows } = await client.query(
      `SELECT confirmed_flush_lsn::text AS confirmed, active FROM pg_replication_slots WHERE slot_name = $1`,
      [slotName],
    );
    if (rows.length === 0) throw new Error(`slot ${slotName} does not exist`);
    return { confirmedFlush: Lsn.parse(rows[0].confirmed), active: rows[0].active };
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}`);
}
