import type pg from 'pg';
import type { CheckResult, Precheck } from './types.js';

const ID = 'database-names';

/** What tells two databases apart: the cluster (system id, start time, port) and the database oid. */
export interface DatabaseIdentity {
  name: string;
  systemId: string | null;
  startedAt: string;
  port: string;
  oid: string;
}

export const databaseNames: Precheck = {
  id: ID,
  title: 'database names, and source and destination being different databases',
  appliesTo: ['schema', 'full', 'incremental'],
  async run(ctx) {
    const source = { label: 'the source', identity: await databaseIdentity(await ctx.source()) };
    const destinations = [];
    for (const d of ctx.task.destinations) {
      destinations.push({ label: `destination "${d.name}"`, identity: await databaseIdentity(await ctx.destination(d)) });
    }
    return databaseNameResults(source, destinations);
  },
};

interface Labelled {
  label: string;
  identity: DatabaseIdentity;
}

/** Pure: same-database errors, then a pass that notes names needing quotes. */
export function databaseNameResults(source: Labelled, destinations: readonly Labelled[]): CheckResult[] {
  const results: CheckResult[] = [];
  const all = [source, ...destinations];
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      const a = all[i]!;
      const b = all[j]!;
      if (sameDatabase(a.identity, b.identity)) {
        results.push({
          id: ID,
          status: 'error',
          message: `${a.label} and ${b.label} are the same database ("${a.identity.name}" on the same server): Ferry would write into the tables it reads`,
          fix: `point ${b.label === 'the source' ? 'source.url' : 'the destination URL'} at another database or server`,
          objects: [a.identity.name],
        });
      }
    }
  }
  if (results.length > 0) return results;
  const quoted = all.filter((x) => needsQuoting(x.identity.name)).map((x) => `"${x.identity.name}"`);
  const names = all.map((x) => `${x.label} uses database "${x.identity.name}"`).join(', ');
  results.push({
    id: ID,
    status: 'pass',
    message:
      quoted.length > 0
        ? `${names}; ${quoted.join(', ')} need${quoted.length === 1 ? 's' : ''} double quotes in SQL (capitals, hyphens or spaces), which Ferry writes for every name, so this is supported`
        : names,
  });
  return results;
}

export function sameDatabase(a: DatabaseIdentity, b: DatabaseIdentity): boolean {
  const sameCluster = a.startedAt === b.startedAt && a.port === b.port && (a.systemId === null || b.systemId === null || a.systemId === b.systemId);
  return sameCluster && a.oid === b.oid;
}

/** True when a name must be written in double quotes to keep its spelling. */
export function needsQuoting(name: string): boolean {
  return !/^[a-z_][a-z0-9_$]*$/.test(name);
}

export async function databaseIdentity(client: pg.Client): Promise<DatabaseIdentity> {
  const { rows } = await client.query<Omit<DatabaseIdentity, 'systemId'>>(
    `SELECT current_database() AS name, pg_postmaster_start_time()::text AS "startedAt", current_setting('port') AS port,
            (SELECT oid FROM pg_database WHERE datname = current_database())::text AS oid`,
  );
  let systemId: string | null = null;
  try {
    const sys = await client.query<{ id: string }>(`SELECT system_identifier::text AS id FROM pg_control_system()`);
    systemId = sys.rows[0]?.id ?? null;
  } catch {
    // Some servers restrict pg_control_system(); start time, port and oid still tell servers apart.
  }
  return { ...rows[0]!, systemId };
}
