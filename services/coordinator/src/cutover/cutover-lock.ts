import type pg from 'pg';
import { refused } from './check-ready.js';

/**
 * One cutover (or abort) of a task at a time: a session-level advisory lock on the
 * source, held by the session that fences, and gone with it if the process dies.
 */
export async function holdCutoverLock(client: pg.ClientBase, task: string, waitMs = 0): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const { rows } = await client.query<{ ok: string }>('SELECT pg_try_advisory_lock(hashtext($1))::text AS ok', [`ferry.cutover.${task}`]);
    if (rows[0]!.ok === 'true') return;
    if (Date.now() >= deadline) {
      throw refused('another ferry cutover of this task is running now', 'let it finish, or stop it with Ctrl-C: it restores the source itself');
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
