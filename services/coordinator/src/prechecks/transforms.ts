import type pg from 'pg';
import type { ObjectSelection } from '@ferry/config';
import { quoteIdent, quoteQualified } from '@ferry/pg';
import { count } from './name-list.js';
import { explainProblem, findTable } from './selection.js';
import { keyColumns, qualifiedName, sourceTables, type SourceTable } from './source-inventory.js';
import type { CheckResult, Precheck, PrecheckContext } from './types.js';

const ID = 'transforms';

/**
 * objects.transform: every expression and drop condition must be valid SQL over its table
 * before anything runs, not fail in the sink mid-stream. Each is planned with EXPLAIN on
 * the source, where the names are the source's own, then evaluated (read-only) on the
 * source's first rows, which catches what fails row by row (casts); and planned on each
 * destination, where the sink evaluates it: against the destination table when it exists,
 * else against a row of the source's column types.
 */
export const transforms: Precheck = {
  id: ID,
  title: 'computed, masked and dropped rows (objects.transform)',
  appliesTo: ['full', 'incremental'],
  async run(ctx) {
    const entries = Object.entries(ctx.task.objects.transform);
    if (entries.length === 0) return [{ id: ID, status: 'pass', message: 'the task transforms no table' }];
    const all = (await sourceTables(ctx)).filter((t) => t.kind !== 'f');
    const results: CheckResult[] = [];
    const error = (message: string, fix: string, objects: string[]) => results.push({ id: ID, status: 'error', message, fix, objects });
    let checked = 0;
    for (const [key, transform] of entries) {
      const table = findTable(all, key);
      if (!table) {
        error(`objects.transform names "${key}", which is not a table of the source database`, 'correct the name in objects.transform (schema.table)', [key]);
        continue;
      }
      const name = qualifiedName(table);
      if (!ctx.selection.includesTable(table.schema, table.table)) {
        results.push({ id: ID, status: 'warning', message: `objects.transform names ${name}, which objects.include/exclude do not select, so it has no effect`, fix: 'select the table, or remove its transform', objects: [name] });
        continue;
      }
      const selected = ctx.selection.selectColumns(table.schema, table.table, table.columns);
      const keys = keyColumns(table);
      for (const column of Object.keys(transform.columns)) {
        if (!table.columns.includes(column)) {
          error(`objects.transform for ${name} sets column "${column}", which the table does not have`, `use columns of ${name}: ${table.columns.join(', ')}`, [name]);
        } else if (!selected.includes(column)) {
          error(`objects.transform for ${name} sets column "${column}", which objects.columns leaves out`, `add ${column} to objects.columns["${name}"], or remove its transform`, [name]);
        } else if (keys.includes(column)) {
          error(`objects.transform for ${name} sets key column "${column}": rows could no longer be found by key`, 'transform only columns outside the key', [name]);
        }
      }
      if (results.some((r) => r.status === 'error' && r.objects?.includes(name))) continue;
      const problem = await firstProblem(ctx, table, transform, selected);
      if (problem) {
        error(
          `objects.transform for ${name} is not valid on ${problem.where}: ${problem.message}`,
          `correct objects.transform["${name}"]: a column's expression is what may follow SELECT in SELECT <expression> FROM ${name}, using source column names; dropWhere is what may follow WHERE`,
          [name],
        );
        continue;
      }
      checked += 1;
    }
    if (results.some((r) => r.status === 'error')) return results;
    results.push({
      id: ID,
      status: 'pass',
      message: `the transforms of ${count(checked, 'table')} are valid on the source and every destination; capture sets REPLICA IDENTITY FULL on transformed tables, so updates carry whole rows`,
    });
    return results;
  },
};

export type Transform = { columns: Record<string, string>; dropWhere?: string | undefined };

/** The first server that rejects one of the table's expressions, or undefined. */
async function firstProblem(
  ctx: PrecheckContext,
  table: SourceTable,
  transform: Transform,
  selected: readonly string[],
): Promise<{ where: string; message: string } | undefined> {
  const source = await ctx.source();
  const types = await columnTypes(source, table.schema, table.table);
  const from = quoteQualified(table.schema, table.table);
  const problem = await explainProblem(source, transformQuery(transform, types, from));
  if (problem) return { where: 'the source', message: problem };
  // Planning does not catch what fails row by row (a cast of text to a number): try the first rows too.
  const sample = `(SELECT * FROM ${from} LIMIT ${SAMPLE_ROWS}) AS ${quoteIdent(table.table)}`;
  const failed = await sampleProblem(source, sampleQuery(transform, types, sample));
  if (failed) return { where: `the source's first ${SAMPLE_ROWS} rows`, message: failed };
  for (const destination of ctx.task.destinations) {
    const client = await ctx.destination(destination);
    const problem = await destinationProblem(client, ctx.selection, table, transform, types, selected);
    if (problem) return { where: `destination "${destination.name}"`, message: problem };
  }
  return undefined;
}

/**
 * On a destination the sink evaluates the expressions over a row cast to the destination's
 * column types, named as in the source. Before the schema phase has created the table,
 * a row of the source's types stands in; a type the schema phase has yet to create cannot
 * be checked there (42704) and is left to the source's check.
 */
export async function destinationProblem(
  client: pg.Client,
  selection: ObjectSelection,
  table: SourceTable,
  transform: Transform,
  sourceTypes: ReadonlyMap<string, string>,
  selected: readonly string[],
): Promise<string | undefined> {
  const dest = selection.destinationTable(table.schema, table.table);
  const destTypes = await columnTypes(client, dest.schema, dest.table);
  const row = selected.map((column) => {
    const destColumn = selection.destinationColumn(table.schema, table.table, column);
    const destType = destTypes.get(destColumn);
    return destType
      ? `${quoteIdent(destColumn)}::${destType} AS ${quoteIdent(column)}`
      : `NULL::${sourceTypes.get(column) ?? 'text'} AS ${quoteIdent(column)}`;
  });
  const inner = destTypes.size > 0 ? `${row.join(', ')} FROM ${quoteQualified(dest.schema, dest.table)}` : row.join(', ');
  const types = new Map(selected.map((c) => [c, destTypes.get(selection.destinationColumn(table.schema, table.table, c)) ?? sourceTypes.get(c) ?? 'text']));
  const problem = await explainProblem(client, transformQuery(transform, types, `(SELECT ${inner}) AS ${quoteIdent(table.table)}`));
  if (problem?.endsWith('(42704)') && destTypes.size === 0) return undefined;
  return problem;
}

/** Rows of each table the precheck evaluates the expressions on. */
const SAMPLE_ROWS = 1000;

/** What the sink evaluates for every row: each expression cast to its column's type, and the drop condition. */
export function sampleQuery(transform: Transform, types: ReadonlyMap<string, string>, from: string): string {
  const selects = Object.entries(transform.columns).map(([column, expression]) => `((${expression})::${types.get(column) ?? 'text'})::text`);
  if (transform.dropWhere !== undefined) selects.push(`CASE WHEN (${transform.dropWhere}) THEN 1 END`);
  return `SELECT ${selects.length > 0 ? selects.join(', ') : '1'} FROM ${from}`;
}

/**
 * Runs a query built from the task file's expressions on the source, in a READ ONLY
 * transaction that is rolled back, as one statement (extended protocol: a ";" cannot start
 * another). Returns the server's complaint, or undefined.
 */
async function sampleProblem(client: pg.Client, query: string): Promise<string | undefined> {
  await client.query('BEGIN READ ONLY');
  try {
    await client.query({ text: query, queryMode: 'extended' } as pg.QueryConfig);
    return undefined;
  } catch (error) {
    const e = error as { message?: string; code?: string };
    return `${e.message ?? String(error)}${e.code ? ` (${e.code})` : ''}`;
  } finally {
    await client.query('ROLLBACK');
  }
}

/** `SELECT (<expr>)::<column type>, ... FROM <from> WHERE (<dropWhere>)`: what the sink computes, planned only. */
export function transformQuery(transform: Transform, types: ReadonlyMap<string, string>, from: string): string {
  const selects = Object.entries(transform.columns).map(([column, expression]) => `((${expression})::${types.get(column) ?? 'text'})::text`);
  const where = transform.dropWhere === undefined ? '' : ` WHERE (${transform.dropWhere})`;
  return `SELECT ${selects.length > 0 ? selects.join(', ') : '1'} FROM ${from}${where}`;
}

/** Column → type as format_type prints it (casts use it), for a table; empty when it does not exist. */
export async function columnTypes(client: pg.Client, schema: string, table: string): Promise<Map<string, string>> {
  const { rows } = await client.query<{ name: string; type: string }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped`,
    [schema, table],
  );
  return new Map(rows.map((r) => [r.name, r.type]));
}
