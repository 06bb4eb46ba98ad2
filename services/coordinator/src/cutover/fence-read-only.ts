import { PermissionError } from '@ferry/core';
import { quoteIdent, quoteLiteral } from '@ferry/pg';
import type pg from 'pg';
import type { FenceRecord } from './cutover-record.js';
import { terminateSessions } from './terminate-sessions.js';

type ReadOnlyFence = Extract<FenceRecord, { kind: 'read-only' }>;

/** Checks that Ferry may alter the database and end sessions; reads the setting to restore later. */
export async function planReadOnlyFence(client: pg.ClientBase): Promise<ReadOnlyFence> {
  const { rows } = await client.query<{ db: string; allowed: string; previous: string | null }>(
    `SELECT d.datname AS db,
            (r.rolsuper OR (pg_has_role(current_user, d.datdba, 'MEMBER') AND pg_has_role(current_user, 'pg_signal_backend', 'MEMBER')))::text AS allowed,
            (SELECT substr(cfg, length('default_transaction_read_only=') + 1)
               FROM pg_db_role_setting s, unnest(s.setconfig) AS cfg
              WHERE s.setdatabase = d.oid AND s.setrole = 0 AND cfg LIKE 'default\\_transaction\\_read\\_only=%') AS previous
     FROM pg_database d, pg_roles r WHERE d.datname = current_database() AND r.rolname = current_user`,
  );
  const row = rows[0]!;
  if (row.allowed !== 'true' && row.allowed !== 't') {
    throw new PermissionError(`the role Ferry connects as cannot make database "${row.db}" read-only and end its sessions`, {
      fix: 'connect as a superuser, or as the database owner with pg_signal_backend granted; or use --fence roles:... instead',
    });
  }
  return { kind: 'read-only', database: row.db, previous: row.previous };
}

/**
 * New sessions default to read-only transactions; every other session except Ferry's own
 * ends. A soft fence: a session may still turn read-only off for itself (Ferry's do), so
 * prefer --fence roles where applications have their own roles.
 */
export async function applyReadOnlyFence(client: pg.ClientBase, fence: ReadOnlyFence): Promise<number> {
  await client.query(`ALTER DATABASE ${quoteIdent(fence.database)} SET default_transaction_read_only = on`);
  return terminateSessions(client, { allButFerry: true });
}

export async function liftReadOnlyFence(client: pg.ClientBase, fence: ReadOnlyFence): Promise<void> {
  await client.query(undoReadOnlyFenceSql(fence));
}

export function undoReadOnlyFenceSql(fence: ReadOnlyFence): string {
  return fence.previous === null
    ? `ALTER DATABASE ${quoteIdent(fence.database)} RESET default_transaction_read_only;`
    : `ALTER DATABASE ${quoteIdent(fence.database)} SET default_transaction_read_only = ${quoteLiteral(fence.previous)};`;
}
