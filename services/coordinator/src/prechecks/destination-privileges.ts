import type pg from 'pg';
import type { ResolvedDestination } from '@ferry/config';
import { quoteIdent, quoteQualified } from '@ferry/pg';
import { destinationRelations } from './destination-tables.js';
import { count, listNames } from './name-list.js';
import { currentRole } from './source-inventory.js';
import { majorOf } from './version-support.js';
import { serverVersion } from './versions.js';
import type { CheckResult, Precheck, PrecheckContext } from './types.js';

const ID = 'destination-privileges';

/**
 * What each destination role must be allowed to do: create schemas (and Ferry's
 * own state) in the database, write the tables that already exist, and set
 * session_replication_role = replica, which the sink uses while applying so that
 * foreign keys and triggers do not fire a second time for rows the source already
 * checked (and so that tables can be loaded in any order).
 */
export const destinationPrivileges: Precheck = {
  id: ID,
  title: 'privileges of the destination roles',
  appliesTo: ['schema', 'full', 'incremental'],
  async run(ctx) {
    const results: CheckResult[] = [];
    for (const destination of ctx.task.destinations) results.push(...(await checkDestination(ctx, destination)));
    return results;
  },
};

async function checkDestination(ctx: PrecheckContext, destination: ResolvedDestination): Promise<CheckResult[]> {
  const client = await ctx.destination(destination);
  const role = await currentRole(client);
  const user = quoteIdent(role.name);
  const where = `destination "${destination.name}"`;
  if (role.superuser) {
    return [{ id: ID, status: 'pass', message: `the role "${role.name}" on ${where} is a superuser: it may do everything Ferry needs` }];
  }
  const results: CheckResult[] = [];
  const { rows } = await client.query<{ database: string; can_create: boolean }>(
    `SELECT current_database() AS database, has_database_privilege(current_database(), 'CREATE') AS can_create`,
  );
  const db = rows[0]!;
  if (!db.can_create) {
    results.push({
      id: ID,
      status: 'error',
      message: `the role "${role.name}" on ${where} lacks CREATE on database "${db.database}": Ferry creates the schemas it migrates and its own state there`,
      fix: `GRANT CREATE ON DATABASE ${quoteIdent(db.database)} TO ${user};`,
      objects: [db.database],
    });
  }

  const applies = ctx.phases.includes('full') || ctx.phases.includes('incremental');
  if (applies) {
    const major = majorOf(await serverVersion(client));
    const canSet = major >= 15 ? await hasParameterPrivilege(client) : false;
    if (!canSet) {
      results.push({
        id: ID,
        status: 'error',
        message:
          `the role "${role.name}" on ${where} may not set session_replication_role: the sink applies rows with ` +
          `session_replication_role = replica so that foreign keys and triggers do not fire again for data the source already checked` +
          (major < 15 ? ` (before PostgreSQL 15 only a superuser may set it; ${where} runs ${major})` : ''),
        fix:
          major >= 15
            ? `as a superuser on ${where}: GRANT SET ON PARAMETER session_replication_role TO ${user};`
            : `ALTER ROLE ${user} SUPERUSER; (run as a superuser on ${where}), or use a destination on PostgreSQL 15+ and GRANT SET ON PARAMETER session_replication_role TO ${user};`,
        objects: ['session_replication_role'],
      });
    }

    // Tables that exist already (kept with conflictingTables: ignore, or made outside Ferry) get written as they are.
    const { existing } = await destinationRelations(ctx, destination);
    const unwritable = existing.filter((r) => ['r', 'p'].includes(r.kind) && !(r.canInsert && r.canUpdate && r.canDelete && r.canTruncate));
    if (unwritable.length > 0) {
      const names = unwritable.map((r) => `${r.schema}.${r.table}`);
      results.push({
        id: ID,
        status: 'error',
        message: `the role "${role.name}" on ${where} cannot write ${count(unwritable.length, 'existing table')} (needs INSERT, UPDATE, DELETE and TRUNCATE): ${listNames(names)}`,
        fix: `GRANT INSERT, UPDATE, DELETE, TRUNCATE ON ${unwritable.map((r) => quoteQualified(r.schema, r.table)).join(', ')} TO ${user};`,
        objects: names,
      });
    }
  }
  if (results.length === 0) {
    results.push({
      id: ID,
      status: 'pass',
      message: `the role "${role.name}" on ${where} may create schemas in "${db.database}"${applies ? ', set session_replication_role and write the existing tables' : ''}`,
    });
  }
  return results;
}

async function hasParameterPrivilege(client: pg.Client): Promise<boolean> {
  const { rows } = await client.query<{ ok: boolean }>(`SELECT has_parameter_privilege('session_replication_role', 'SET') AS ok`);
  return rows[0]!.ok;
}
