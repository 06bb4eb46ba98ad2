import { ObjectSelection, type TaskConfig } from '@ferry/config';
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
      const result = await applyDdl(client, plan, {
        section,
        conflictingTables: task.conflictingTables,
        preexistingTables: preexisting[destination.name] ?? 'detect',
      });
      preexisting[destination.name] = result.preexistingTables;
      log.info({ phase: 'schema', section, destination: destination.name, applied: result.applied, skipped: result.skipped }, `schema ${section} applied`);
    } finally {
      await client.end();
    }
  }
}
