import { quoteIdent, quoteQualified } from '@ferry/pg';
import { count, listNames } from './name-list.js';
import { usesReplication } from './phases.js';
import { currentRole, qualifiedName, selectedTables, type SourceTable } from './source-inventory.js';
import type { CheckResult, Precheck } from './types.js';

const ID = 'source-privileges';

interface PublicationRow {
  owned_by_us: boolean;
  owner: string;
}

/**
 * What the source role must be allowed to do: read every selected table (the
 * copy), open a replication connection and create a slot (REPLICATION), create
 * Ferry's schema and the publication (CREATE on the database), and put each table
 * in the publication, which PostgreSQL allows only to the table's owner.
 */
export const sourcePrivileges: Precheck = {
  id: ID,
  title: 'privileges of the source role',
  appliesTo: ['full', 'incremental'],
  async run(ctx) {
    const client = await ctx.source();
    const role = await currentRole(client);
    const user = quoteIdent(role.name);
    const tables = await selectedTables(ctx);
    const results: CheckResult[] = [];

    if (role.superuser) {
      return [{ id: ID, status: 'pass', message: `the source role "${role.name}" is a superuser: it may do everything Ferry needs` }];
    }

    if (usesReplication(ctx.phases) && !role.replication) {
      results.push({
        id: ID,
        status: 'error',
        message: `the source role "${role.name}" has neither SUPERUSER nor REPLICATION: Ferry cannot open a replication connection or create the slot that the copy and incremental sync read from`,
        fix: `ALTER ROLE ${user} REPLICATION; (on a managed service, grant its replication role instead, e.g. GRANT rds_replication TO ${user};)`,
        objects: [role.name],
      });
    }

    const unreadable = tables.filter((t) => !canRead(t, ctx.selection.selectColumns(t.schema, t.table, t.columns)));
    if (unreadable.length > 0) {
      const names = unreadable.map(qualifiedName);
      const schemas = [...new Set(unreadable.filter((t) => !t.schemaUsage).map((t) => t.schema))];
      const grants = [
        ...schemas.map((s) => `GRANT USAGE ON SCHEMA ${quoteIdent(s)} TO ${user};`),
        `GRANT SELECT ON ${unreadable.map((t) => quoteQualified(t.schema, t.table)).join(', ')} TO ${user};`,
      ];
      results.push({
        id: ID,
        status: 'error',
        message: `the source role "${role.name}" cannot read ${count(unreadable.length, 'selected table')}: ${listNames(names)}`,
        fix: grants.join(' '),
        objects: names,
      });
    }

    const { rows: dbRows } = await client.query<{ database: string; can_create: boolean }>(
      `SELECT current_database() AS database, has_database_privilege(current_database(), 'CREATE') AS can_create`,
    );
    const db = dbRows[0]!;
    if (!db.can_create) {
      results.push({
        id: ID,
        status: 'error',
        message: `the source role "${role.name}" lacks CREATE on database "${db.database}": Ferry creates its schema "ferry" (heartbeat table) and the publication there`,
        fix: `GRANT CREATE ON DATABASE ${quoteIdent(db.database)} TO ${user};`,
        objects: [db.database],
      });
    }

    const { rows: pubRows } = await client.query<PublicationRow>(
      `SELECT pg_has_role(pubowner, 'USAGE') AS owned_by_us, pg_get_userbyid(pubowner) AS owner FROM pg_publication WHERE pubname = $1`,
      [ctx.task.source.publication],
    );
    const publication = pubRows[0];
    if (publication && !publication.owned_by_us) {
      results.push({
        id: ID,
        status: 'error',
        message: `the publication "${ctx.task.source.publication}" exists and belongs to "${publication.owner}": the source role "${role.name}" cannot change its table list`,
        fix: `ALTER PUBLICATION ${quoteIdent(ctx.task.source.publication)} OWNER TO ${user}; or set source.publication to another name`,
        objects: [ctx.task.source.publication],
      });
    }

    const notOwned = tables.filter((t) => !t.ownedByUs);
    if (notOwned.length > 0) {
      const owners = [...new Set(notOwned.map((t) => t.owner))].sort();
      results.push({
        id: ID,
        status: 'error',
        message:
          `the source role "${role.name}" does not own ${count(notOwned.length, 'selected table')} (${listNames(notOwned.map(qualifiedName))}); ` +
          `PostgreSQL lets only a table's owner (or a superuser) add it to a publication`,
        fix:
          `make the role a member of the owning role${owners.length === 1 ? '' : 's'}: ` +
          owners.map((o) => `GRANT ${quoteIdent(o)} TO ${user};`).join(' ') +
          ' (or connect as a superuser)',
        objects: notOwned.map(qualifiedName),
      });
    }

    if (results.length === 0) {
      results.push({
        id: ID,
        status: 'pass',
        message:
          `the source role "${role.name}" has REPLICATION, reads and owns every selected table (${tables.length}), ` +
          `and may create the publication in "${db.database}"`,
      });
    }
    return results;
  },
};

/** SELECT on the table, or on each column the task reads (a column-level grant is enough for COPY of those columns). */
function canRead(t: SourceTable, columns: readonly string[]): boolean {
  if (!t.schemaUsage) return false;
  if (t.canSelect) return true;
  const granted = new Set(t.selectableColumns);
  return columns.length > 0 && columns.every((c) => granted.has(c));
}
