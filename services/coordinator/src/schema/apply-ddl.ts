import type pg from 'pg';
import { FerryError } from '@ferry/core';
import { classifyPgError, quoteIdent } from '@ferry/pg';
import type { DdlPlan, DdlSection, DdlStatement } from './ddl-plan.js';

export interface TableName {
  schema: string;
  table: string;
}

export interface ApplyDdlOptions {
  section: DdlSection;
  /** A destination table that already existed: stop with an error, or leave it (and what hangs off it) as it is. */
  conflictingTables: 'error' | 'ignore';
  /**
   * Tables of the plan that existed on the destination before the task first
   * applied it: what findPreexistingTables returned then, kept in the task's
   * state. 'detect' asks now, which is right only the first time: on a restart
   * the tables this plan created would look like conflicts.
   */
  preexistingTables: readonly TableName[] | 'detect';
  /** Told about each statement as it is applied or skipped (progress, logs). */
  onStatement?: (result: StatementResult) => void;
}

export interface StatementResult {
  statement: DdlStatement;
  outcome: 'applied' | 'skipped';
  /** Why a statement was skipped: its object exists, or it belongs to a pre-existing table the task leaves alone. */
  reason?: 'exists' | 'preexisting-table';
}

export interface ApplyDdlResult {
  applied: number;
  skipped: number;
  statements: StatementResult[];
  preexistingTables: TableName[];
}

/**
 * Applies one section of a plan to the destination, in order.
 *
 * Each statement runs in its own transaction, after its existence check in the
 * same transaction: a failure leaves every earlier statement in place, and a
 * restart skips what exists and goes on from the failed statement. One
 * transaction per section would redo all of post-data (hours of index builds
 * on a big database) after one late failure, and hold every lock until the end.
 *
 * Session settings per transaction: search_path = pg_catalog (every name in the
 * plan is qualified), check_function_bodies = off (a function may name a table
 * created later, as pg_dump does), client_min_messages = warning.
 */
export async function applyDdl(client: pg.ClientBase, plan: DdlPlan, options: ApplyDdlOptions): Promise<ApplyDdlResult> {
  const preexisting = options.preexistingTables === 'detect' ? await findPreexistingTables(client, plan) : [...options.preexistingTables];
  const statements = plan.statements.filter((statement) => statement.section === options.section);
  if (options.conflictingTables === 'error' && preexisting.length > 0) throw conflictError(preexisting);
  const preexistingKeys = new Set(preexisting.map(tableKey));

  const result: ApplyDdlResult = { applied: 0, skipped: 0, statements: [], preexistingTables: preexisting };
  for (const statement of statements) {
    const record = (outcome: StatementResult) => {
      result.statements.push(outcome);
      if (outcome.outcome === 'applied') result.applied += 1;
      else result.skipped += 1;
      options.onStatement?.(outcome);
    };
    if (statement.table && preexistingKeys.has(tableKey(statement.table))) {
      record({ statement, outcome: 'skipped', reason: 'preexisting-table' });
      continue;
    }
    record(await applyStatement(client, statement));
  }
  return result;
}

/** Tables the plan creates that the destination already has. */
export async function findPreexistingTables(client: pg.ClientBase, plan: DdlPlan): Promise<TableName[]> {
  const tables = plan.statements.filter((statement) => statement.kind === 'table' || statement.kind === 'partition').map((statement) => statement.table!);
  if (tables.length === 0) return [];
  try {
    const found = await client.query<{ schema: string; table: string }>({
      text:
        'SELECT n.nspname AS schema, c.relname AS "table" FROM pg_catalog.pg_class c ' +
        'JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace ' +
        'JOIN unnest($1::text[], $2::text[]) AS t(schema, name) ON t.schema = n.nspname AND t.name = c.relname ' +
        'ORDER BY 1, 2',
      values: [tables.map((table) => table.schema), tables.map((table) => table.table)],
    });
    return found.rows.map((row) => ({ schema: row.schema, table: row.table }));
  } catch (error) {
    throw classifyPgError(error, { role: 'destination' });
  }
}

async function applyStatement(client: pg.ClientBase, statement: DdlStatement): Promise<StatementResult> {
  try {
    await client.query('BEGIN');
    await client.query('SET LOCAL search_path = pg_catalog; SET LOCAL check_function_bodies = off; SET LOCAL client_min_messages = warning');
    if (statement.existsQuery) {
      const found = await client.query({ text: statement.existsQuery.sql, values: statement.existsQuery.params });
      if ((found.rowCount ?? 0) > 0) {
        await client.query('COMMIT');
        return { statement, outcome: 'skipped', reason: 'exists' };
      }
    }
    await client.query(statement.sql);
    await client.query('COMMIT');
    return { statement, outcome: 'applied' };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw statementError(statement, error);
  }
}

function statementError(statement: DdlStatement, error: unknown): FerryError {
  const classified = classifyPgError(error, { role: 'destination' });
  const server = error as { message?: string; detail?: string; hint?: string; code?: string };
  const serverMessage = [server.message ?? String(error), server.detail, server.hint ? `hint: ${server.hint}` : undefined].filter(Boolean).join('; ');
  return new FerryError(
    'SCHEMA_APPLY_FAILED',
    `${statement.section} ${statement.kind} ${statement.objectName} failed on the destination: ${serverMessage}\nSQL: ${statement.sql}`,
    {
      cause: error,
      retriable: classified.retriable,
      context: { section: statement.section, kind: statement.kind, object: statement.objectName, sql: statement.sql, sqlstate: server.code },
      fix:
        classified.fix ??
        'fix the cause on the destination (or the object on the source) and run the schema phase again: it skips what already exists and resumes at this statement',
    },
  );
}

function conflictError(tables: readonly TableName[]): FerryError {
  const names = tables.map((table) => `${quoteIdent(table.schema)}.${quoteIdent(table.table)}`);
  return new FerryError(
    'CONFLICTING_TABLES',
    `the destination already has ${names.length === 1 ? 'table' : 'tables'} ${names.join(', ')}, and conflictingTables is error`,
    {
      context: { tables: names.join(', ') },
      fix: 'drop or rename the table on the destination, leave it out with objects.exclude or rename it with objects.rename, or set conflictingTables: ignore to keep it as it is',
    },
  );
}

function tableKey(table: TableName): string {
  return `${table.schema}\u0000${table.table}`;
}
