import { ObjectSelection, type TaskConfig } from '@ferry/config';
import { FerryError, retry } from '@ferry/core';
import type { Logger } from '@ferry/observability';
import { openClient } from '@ferry/pg';
import { applyDdl, type TableName } from '../schema/apply-ddl.js';
import type { DdlPlan, DdlSection } from '../schema/ddl-plan.js';
import { formatPlan } from '../schema/format-plan.js';
import { planDdl } from '../schema/plan-ddl.js';
import { readSourceSchema } from '../schema/read-source-schema.js';

/** The DDL plan of a task, read from the source catalogs (renames and column selection applied). */
export async function planTaskSchema(task: TaskConfig): Promise<DdlPlan> {
  const selection = new ObjectSelection(task.objects);
  const source = await openClient(task.source.url, { applicationName: 'ferry-schema', role: 'source' });
  try {
    return planDdl(await readSourceSchema(source, selection), selection);
  } finally {
    await source.end();
  }
}

export async function printSchemaPlan(task: TaskConfig): Promise<void> {
  process.stdout.write(`${formatPlan(await planTaskSchema(task))}\n`);
}

/**
 * Applies one section of the schema to every destination. `preexisting` holds, per
 * destination, the tables that were there before the task first ran (kept in the
 * task state so a restart does not mistake Ferry's own tables for conflicts).
 */
export async function applySchemaSection(
  task: TaskConfig,
  section: DdlSection,
  preexisting: Record<string, TableName[]>,
  log: Logger,
): Promise<void> {
  const plan = await planTaskSchema(task);
  for (const destination of task.destinations) {
    const client = await openClient(destination.url, { applicationName: 'ferry-schema', role: 'destination' });
    try {
      const apply = () =>
        applyDdl(client, plan, {
          section,
          conflictingTables: task.conflictingTables,
          preexistingTables: preexisting[destination.name] ?? 'detect',
        });
      // While changes stream, the sink applies each table's topic on its own, so a child row
      // may briefly arrive before its parent and a new foreign key finds it orphaned (23503).
      // The sink catches up within moments; applyDdl resumes at that statement.
      const result = task.phases.includes('incremental')
        ? await retry(apply, {
            maxElapsedMs: task.retry.otherMinutes * 60_000,
            initialDelayMs: 1_000,
            maxDelayMs: 10_000,
            shouldRetry: (error) => error instanceof FerryError && error.context.kind === 'foreign-key' && error.context.sqlstate === '23503',
            onRetry: ({ error }) => log.warn({ err: error, destination: destination.name }, 'a foreign key found rows the stream has not completed yet; trying again'),
          })
        : await apply();
      preexisting[destination.name] = result.preexistingTables;
      log.info({ phase: 'schema', section, destination: destination.name, applied: result.applied, skipped: result.skipped }, `schema ${section} applied`);
    } finally {
      await client.end();
    }
  }
}
