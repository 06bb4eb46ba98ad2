import { quoteIdent, quoteLiteral } from '@ferry/pg';
import { count, listNames } from './name-list.js';
import type { CheckResult, Precheck } from './types.js';

const ID = 'long-transactions';
/** Older than this, a transaction is worth naming before a slot is created. */
export const LONG_TRANSACTION_SECONDS = 5 * 60;

export interface SessionRow {
  pid: number;
  usename: string | null;
  datname: string | null;
  state: string | null;
  has_xid: boolean;
  age_seconds: number;
}

export interface PreparedRow {
  gid: string;
  owner: string;
  database: string;
  age_seconds: number;
}

/**
 * Creating a logical slot waits until every transaction that holds a transaction
 * id at that moment has ended (in any database of the cluster), and prepared
 * transactions end only when someone commits or rolls them back. A transaction
 * that has been open for minutes makes `ferry migrate` wait for it.
 */
export const longTransactions: Precheck = {
  id: ID,
  title: 'long-running transactions on the source',
  appliesTo: ['full', 'incremental'],
  async run(ctx) {
    const client = await ctx.source();
    const { rows: sessions } = await client.query<SessionRow>(
      `SELECT pid, usename::text, datname::text, state, backend_xid IS NOT NULL AS has_xid,
              floor(extract(epoch FROM now() - xact_start))::int AS age_seconds
         FROM pg_stat_activity
        WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
          AND xact_start < now() - make_interval(secs => $1)
        ORDER BY xact_start`,
      [LONG_TRANSACTION_SECONDS],
    );
    const { rows: prepared } = await client.query<PreparedRow>(
      `SELECT gid, owner::text, database::text, floor(extract(epoch FROM now() - prepared))::int AS age_seconds
         FROM pg_prepared_xacts WHERE prepared < now() - make_interval(secs => $1) ORDER BY prepared`,
      [LONG_TRANSACTION_SECONDS],
    );
    // Without pg_read_all_stats, other roles' sessions show no xact_start: say so rather than pass silently.
    const { rows: hiddenRows } = await client.query<{ hidden: number; role: string }>(
      `SELECT count(*)::int AS hidden, current_user::text AS role FROM pg_stat_activity
        WHERE backend_type = 'client backend' AND query = '<insufficient privilege>'`,
    );
    const visibility = hiddenRows[0]!;
    return longTransactionResults(sessions, prepared, visibility);
  },
};

/** Pure: the findings for the sessions and prepared transactions found. */
export function longTransactionResults(
  sessions: readonly SessionRow[],
  prepared: readonly PreparedRow[],
  visibility: { hidden: number; role: string },
): CheckResult[] {
  const { hidden, role } = visibility;
  const results: CheckResult[] = [];
  const minutes = LONG_TRANSACTION_SECONDS / 60;
  if (sessions.length > 0) {
    const described = sessions.map(
      (s) =>
        `pid ${s.pid} (user ${s.usename ?? '?'}, database ${s.datname ?? '?'}, ${s.state ?? 'state unknown'}, open ${formatAge(s.age_seconds)}` +
        `${s.has_xid ? ', has written' : ', read-only so far'})`,
    );
    results.push({
      id: ID,
      status: 'warning',
      message:
        `${count(sessions.length, 'transaction')} on the source ${sessions.length === 1 ? 'has' : 'have'} been open longer than ${minutes} minutes: ${listNames(described, 10)}. ` +
        `Creating the replication slot waits until those that have written end`,
      fix: `ask their owners to commit or roll back, or end them: ${sessions
        .slice(0, 10)
        .map((s) => `SELECT pg_terminate_backend(${s.pid});`)
        .join(' ')}`,
      objects: sessions.map((s) => `pid ${s.pid}`),
    });
  }
  if (prepared.length > 0) {
    results.push({
      id: ID,
      status: 'warning',
      message:
        `${count(prepared.length, 'prepared transaction')} on the source ${prepared.length === 1 ? 'is' : 'are'} older than ${minutes} minutes: ` +
        `${listNames(prepared.map((p) => `${p.gid} (owner ${p.owner}, database ${p.database}, prepared ${formatAge(p.age_seconds)} ago)`), 10)}. ` +
        `They never end by themselves, and creating the replication slot waits for them`,
      fix: `have the transaction manager finish them, or by hand in their database: ${prepared
        .slice(0, 10)
        .map((p) => `ROLLBACK PREPARED ${quoteLiteral(p.gid)};`)
        .join(' ')} (or COMMIT PREPARED)`,
      objects: prepared.map((p) => p.gid),
    });
  }
  if (hidden > 0) {
    results.push({
      id: ID,
      status: 'warning',
      message: `${count(hidden, 'session')} of other roles ${hidden === 1 ? 'is' : 'are'} hidden from the source role "${role}", so their transactions could not be checked`,
      fix: `GRANT pg_read_all_stats TO ${quoteIdent(role)};`,
    });
  }
  if (results.length === 0) {
    results.push({ id: ID, status: 'pass', message: `no transaction or prepared transaction on the source is older than ${minutes} minutes` });
  }
  return results;
}

/** 45 → "45s", 432 → "7m 12s", 7380 → "2h 03m", 277200 → "3d 5h". */
export function formatAge(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}
