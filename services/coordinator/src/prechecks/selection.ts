import type pg from 'pg';
import { patternToRegExp, type ObjectSelection, type TaskConfig } from '@ferry/config';
import { quoteIdent, quoteIdentList, quoteQualified } from '@ferry/pg';
import { count, listNames } from './name-list.js';
import { streamsChanges } from './phases.js';
import { keyColumns, qualifiedName, sourceTables, type SourceTable } from './source-inventory.js';
import { majorOf } from './version-support.js';
import { sourceVersion } from './versions.js';
import type { CheckResult, Precheck } from './types.js';

const ID = 'selection';
/** PostgreSQL keeps only the first 63 bytes of a name (NAMEDATALEN - 1). */
const MAX_IDENTIFIER_BYTES = 63;

type Objects = TaskConfig['objects'];

export const selection: Precheck = {
  id: ID,
  title: 'object selection, renames and row filters',
  appliesTo: ['schema', 'full', 'incremental'],
  async run(ctx) {
    const all = (await sourceTables(ctx)).filter((t) => t.kind !== 'f');
    const problems = staticSelectionResults(ctx.task.objects, ctx.selection, all);
    // On 15+ capture puts the row filter into the publication (services/capture source-setup).
    const filtersInPublication = streamsChanges(ctx.phases) && majorOf(await sourceVersion(ctx)) >= 15;
    problems.push(...(await rowFilterResults(await ctx.source(), ctx.selection, all, filtersInPublication)));
    if (problems.length > 0) return problems;
    const selected = all.filter((t) => ctx.selection.includesTable(t.schema, t.table));
    return [{ id: ID, status: 'pass', message: `the selection names ${count(selected.length, 'table')}; its columns, renames and row filters are consistent` }];
  },
};

/** Finds the table a per-table key means: "schema.table", or "table" for public (as ObjectSelection reads them). */
export function findTable(tables: readonly SourceTable[], key: string): SourceTable | undefined {
  return tables.find((t) => `${t.schema}.${t.table}` === key) ?? tables.find((t) => t.schema === 'public' && t.table === key);
}

/** Pure: everything about the selection that needs only the source's table list. */
export function staticSelectionResults(objects: Objects, sel: ObjectSelection, all: readonly SourceTable[]): CheckResult[] {
  const results: CheckResult[] = [];
  const selected = all.filter((t) => sel.includesTable(t.schema, t.table));
  const error = (message: string, fix: string, objs: string[]) => results.push({ id: ID, status: 'error', message, fix, objects: objs });
  const warning = (message: string, fix: string, objs: string[]) => results.push({ id: ID, status: 'warning', message, fix, objects: objs });

  if (selected.length === 0) {
    error(`objects.include selects no table of the source database (include: ${objects.include.join(', ')})`, 'correct objects.include and objects.exclude', []);
  }
  const unmatched = objects.include.filter((p) => !all.some((t) => patternToRegExp(p).test(`${t.schema}.${t.table}`)));
  if (unmatched.length > 0 && selected.length > 0) {
    warning(
      `objects.include pattern${unmatched.length === 1 ? '' : 's'} ${listNames(unmatched)} match${unmatched.length === 1 ? 'es' : ''} no table of the source database`,
      'correct the pattern (schema.table, * matches any run of characters; a bare name means public) or remove it',
      unmatched,
    );
  }

  // Per-table settings naming a table that is not there, or not selected.
  const perTable: Array<[string, Record<string, unknown>]> = [
    ['objects.columns', objects.columns],
    ['objects.where', objects.where],
    ['objects.operations', objects.operations],
    ['objects.rename.tables', objects.rename.tables],
    ['objects.rename.columns', objects.rename.columns],
  ];
  for (const [setting, map] of perTable) {
    for (const key of Object.keys(map)) {
      const table = findTable(all, key);
      if (!table) {
        error(`${setting} names "${key}", which is not a table of the source database`, `correct the name in ${setting} (schema.table)`, [key]);
      } else if (!sel.includesTable(table.schema, table.table)) {
        warning(`${setting} names ${qualifiedName(table)}, which objects.include/exclude do not select, so it has no effect`, `select the table in objects.include, or remove it from ${setting}`, [qualifiedName(table)]);
      }
    }
  }

  for (const t of selected) {
    const name = qualifiedName(t);
    const unknown = sel.unknownColumns(t.schema, t.table, t.columns);
    if (unknown.length > 0) {
      error(`objects.columns for ${name} names column${unknown.length === 1 ? '' : 's'} it does not have: ${unknown.join(', ')}`, `use columns of ${name}: ${t.columns.join(', ')}`, [name]);
    }
    const chosen = new Set(sel.selectColumns(t.schema, t.table, t.columns));
    const missingKey = keyColumns(t).filter((k) => !chosen.has(k));
    if (missingKey.length > 0) {
      error(
        `objects.columns for ${name} leaves out key column${missingKey.length === 1 ? '' : 's'} ${missingKey.join(', ')}: rows could not be matched for updates and deletes`,
        `add ${missingKey.join(', ')} to objects.columns["${name}"]`,
        [name],
      );
    }
    const renames = (objects.rename.columns[name] ?? (t.schema === 'public' ? objects.rename.columns[t.table] : undefined)) ?? {};
    const badRenames = Object.keys(renames).filter((c) => !t.columns.includes(c));
    if (badRenames.length > 0) {
      error(`objects.rename.columns for ${name} renames column${badRenames.length === 1 ? '' : 's'} it does not have: ${badRenames.join(', ')}`, `use columns of ${name}: ${t.columns.join(', ')}`, [name]);
    }
    const destColumns = new Map<string, string[]>();
    for (const c of chosen) {
      const d = sel.destinationColumn(t.schema, t.table, c);
      destColumns.set(d, [...(destColumns.get(d) ?? []), c]);
    }
    for (const [d, sources] of destColumns) {
      if (sources.length > 1) {
        error(`columns ${sources.join(', ')} of ${name} would all be called "${d}" in the destination`, `change objects.rename.columns or objects.nameCase so each column keeps its own name`, [name]);
      }
      if (Buffer.byteLength(d) > MAX_IDENTIFIER_BYTES) {
        error(`the destination name of column ${name}.${sources[0]} ("${d}") is longer than ${MAX_IDENTIFIER_BYTES} bytes; PostgreSQL would cut it`, 'rename it to a shorter name in objects.rename.columns', [name]);
      }
    }
  }

  // Renames and name case must not fold two source tables onto one destination table.
  const targets = new Map<string, SourceTable[]>();
  for (const t of selected) {
    let dest: { schema: string; table: string };
    try {
      dest = sel.destinationTable(t.schema, t.table);
    } catch (cause) {
      error(`objects.rename.tables for ${qualifiedName(t)} is not a valid name: ${(cause as Error).message}`, 'write the new name as schema.table or table; quote parts with dots in double quotes', [qualifiedName(t)]);
      continue;
    }
    for (const part of [dest.schema, dest.table]) {
      if (Buffer.byteLength(part) > MAX_IDENTIFIER_BYTES) {
        error(`the destination name "${part}" for ${qualifiedName(t)} is longer than ${MAX_IDENTIFIER_BYTES} bytes; PostgreSQL would cut it`, 'choose a shorter name in objects.rename', [qualifiedName(t)]);
      }
    }
    const key = JSON.stringify([dest.schema, dest.table]);
    targets.set(key, [...(targets.get(key) ?? []), t]);
  }
  for (const [key, sources] of targets) {
    if (sources.length > 1) {
      const [schema, table] = JSON.parse(key) as [string, string];
      error(
        `${listNames(sources.map(qualifiedName))} would all become ${schema}.${table} in the destination`,
        'change objects.rename (tables or schemas) or objects.nameCase so every table keeps its own destination name',
        sources.map(qualifiedName),
      );
    }
  }
  return results;
}

/**
 * Checks each objects.where condition against its table with EXPLAIN, which
 * plans the query without running it. The condition is SQL from the task file;
 * it only ever runs here as EXPLAIN, on the source, as one statement (extended
 * protocol), inside a READ ONLY transaction that is rolled back.
 */
async function rowFilterResults(
  client: pg.Client,
  sel: ObjectSelection,
  all: readonly SourceTable[],
  filtersInPublication: boolean,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const t of all) {
    if (!sel.includesTable(t.schema, t.table)) continue;
    const condition = sel.rowFilter(t.schema, t.table);
    if (condition === undefined) continue;
    const name = qualifiedName(t);
    const problem = await explainProblem(client, `SELECT 1 FROM ${quoteQualified(t.schema, t.table)} WHERE (${condition})`);
    if (problem) {
      results.push({
        id: ID,
        status: 'error',
        message: `objects.where for ${name} is not a valid condition for that table: ${problem}`,
        fix: `correct objects.where["${name}"]; it must be what follows WHERE in SELECT ... FROM ${name} WHERE <condition>`,
        objects: [name],
      });
      continue;
    }
    // Published updates and deletes need every column of a publication's row filter to be in the replica identity.
    const key = keyColumns(t);
    if (filtersInPublication && t.replicaIdentity !== 'f' && key.length > 0) {
      const alias = quoteIdent(t.table);
      const keyOnly = await explainProblem(client, `SELECT 1 FROM (SELECT ${quoteIdentList(key)} FROM ${quoteQualified(t.schema, t.table)}) AS ${alias} WHERE (${condition})`);
      if (keyOnly) {
        results.push({
          id: ID,
          status: 'error',
          message:
            `objects.where for ${name} uses columns outside its key (${key.join(', ')}). On PostgreSQL 15+ the filter goes into the publication, ` +
            `and the source then rejects UPDATE and DELETE on ${name} (publication row filters may use only replica identity columns)`,
          fix: `filter on ${key.join(', ')} only, or ALTER TABLE ${quoteQualified(t.schema, t.table)} REPLICA IDENTITY FULL;`,
          objects: [name],
        });
      }
    }
  }
  return results;
}

/** The server's complaint about a query, or undefined when EXPLAIN accepts it. */
export async function explainProblem(client: pg.Client, query: string): Promise<string | undefined> {
  await client.query('BEGIN READ ONLY');
  try {
    // queryMode 'extended' (not in @types/pg) sends Parse/Bind: one statement only, so a ";" cannot start another.
    await client.query({ text: `EXPLAIN ${query}`, queryMode: 'extended' } as pg.QueryConfig);
    return undefined;
  } catch (error) {
    const e = error as { message?: string; code?: string };
    return `${e.message ?? String(error)}${e.code ? ` (${e.code})` : ''}`;
  } finally {
    await client.query('ROLLBACK');
  }
}
