import { FerryError } from '@ferry/core';
import type pg from 'pg';

/** Whose sessions in the source database end: the fenced roles', or everyone's but Ferry's. */
export type SessionFilter = { roles: readonly string[] } | { allButFerry: true };

/**
 * Ends sessions in the current database and waits until they are gone. A backend told to
 * stop may still be finishing a COMMIT: the cutover marker must come after it in the WAL,
 * so the marker is written only once every terminated session has exited.
 */
export async function terminateSessions(client: pg.ClientBase, filter: SessionFilter, timeoutMs = 15_000): Promise<number> {
  const { rows } =
    'roles' in filter
      ? await client.query<{ pid: string }>(
          `SELECT pid::text FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND usename = ANY($1::text[])`,
          [filter.roles],
        )
      : // Ferry's own sessions (capture's heartbeat, this cutover) name themselves ferry-*; walsenders are not client backends.
        await client.query<{ pid: string }>(
          `SELECT pid::text FROM pg_stat_activity
           WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
             AND coalesce(application_name, '') NOT LIKE 'ferry-%'`,
        );
  const pids = rows.map((r) => Number(r.pid));
  if (pids.length === 0) return 0;
  await client.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [pids]);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = await client.query<{ n: string }>('SELECT count(*)::text AS n FROM pg_stat_activity WHERE pid = ANY($1::int[])', [pids]);
    if (Number(left.rows[0]!.n) === 0) return pids.length;
    if (Date.now() > deadline) {
      throw new FerryError('CUTOVER_SESSIONS_LEFT', `${left.rows[0]!.n} terminated session(s) on the source did not exit within ${timeoutMs / 1000} s`, {
        fix: 'look at pg_stat_activity on the source for sessions stuck in a long statement; end them, then run the cutover again',
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
