import { PermissionError } from '@ferry/core';
import { isPgTrue, quoteIdent } from '@ferry/pg';
import type pg from 'pg';
import { refused } from './check-ready.js';
import type { FenceRecord } from './cutover-record.js';
import { terminateSessions } from './terminate-sessions.js';

type RolesFence = Extract<FenceRecord, { kind: 'roles' }>;

/**
 * Checks everything before anything changes: every role exists, none is the role Ferry
 * connects as, and Ferry may take LOGIN away and end sessions. Returns what will change.
 */
export async function planRolesFence(client: pg.ClientBase, roles: readonly string[]): Promise<RolesFence> {
  const found = await client.query<{ rolname: string; can_login: string }>(
    'SELECT rolname, rolcanlogin::text AS can_login FROM pg_roles WHERE rolname = ANY($1::text[])',
    [roles],
  );
  const byName = new Map(found.rows.map((r) => [r.rolname, isPgTrue(r.can_login)]));
  const missing = roles.filter((r) => !byName.has(r));
  if (missing.length > 0) {
    throw refused(
      `cannot fence ${missing.length === 1 ? 'role' : 'roles'} ${missing.map((r) => `"${r}"`).join(', ')}: no such role on the source; nothing was changed`,
      'check the names after --fence roles: (role names are case-sensitive); the source lists its roles with SELECT rolname FROM pg_roles',
    );
  }
  const me = await client.query<{ session_user: string; current_user: string; super: string; createrole: string; signal: string }>(
    `SELECT session_user::text AS session_user, current_user::text AS current_user, r.rolsuper::text AS super, r.rolcreaterole::text AS createrole,
            pg_has_role(current_user, 'pg_signal_backend', 'MEMBER')::text AS signal
     FROM pg_roles r WHERE r.rolname = current_user`,
  );
  const self = me.rows[0]!;
  const own = roles.filter((r) => r === self.session_user || r === self.current_user);
  if (own.length > 0) {
    throw refused(`cannot fence role "${own[0]}": Ferry itself connects to the source as that role`, 'fence the application roles only, or give Ferry its own role');
  }
  if (!isPgTrue(self.super) && !(isPgTrue(self.createrole) && isPgTrue(self.signal))) {
    throw new PermissionError(`the role Ferry connects as ("${self.current_user}") cannot take LOGIN away from roles and end their sessions`, {
      fix: `connect as a superuser, or: ALTER ROLE ${quoteIdent(self.current_user)} CREATEROLE; GRANT pg_signal_backend TO ${quoteIdent(self.current_user)}`,
    });
  }
  return { kind: 'roles', roles: roles.map((name) => ({ name, couldLogin: byName.get(name)! })) };
}

/** The roles lose LOGIN (no new sessions), then their sessions end. Returns how many ended. */
export async function applyRolesFence(client: pg.ClientBase, fence: RolesFence): Promise<number> {
  for (const role of fence.roles) {
    if (role.couldLogin) await client.query(`ALTER ROLE ${quoteIdent(role.name)} NOLOGIN`);
  }
  return terminateSessions(client, { roles: fence.roles.map((r) => r.name) });
}

/** Gives LOGIN back to the roles that had it; a role dropped meanwhile is left alone. */
export async function liftRolesFence(client: pg.ClientBase, fence: RolesFence): Promise<void> {
  for (const role of fence.roles) {
    if (!role.couldLogin) continue;
    const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role.name]);
    if (exists.rowCount) await client.query(`ALTER ROLE ${quoteIdent(role.name)} LOGIN`);
  }
}

export function undoRolesFenceSql(fence: RolesFence): string[] {
  return fence.roles.filter((r) => r.couldLogin).map((r) => `ALTER ROLE ${quoteIdent(r.name)} LOGIN;`);
}
