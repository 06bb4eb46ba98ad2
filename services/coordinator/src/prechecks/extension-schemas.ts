import type pg from 'pg';
import { quoteIdent } from '@ferry/pg';
import { listNames } from './name-list.js';
import { selectedTables } from './source-inventory.js';
import type { CheckResult, Precheck } from './types.js';

const ID = 'extension-schemas';

interface PlacedExtension {
  name: string;
  schema: string;
}

/**
 * An extension's types and functions are named through its schema: the schema phase creates
 * the extension in the destination schema its source schema maps to, and the tables refer to
 * its types there. An extension the destination already has in another schema (installed by
 * hand, or by another task writing this destination under another schema rename: many-to-one)
 * is not moved by CREATE EXTENSION IF NOT EXISTS, and the tables could not be created.
 */
export const extensionSchemas: Precheck = {
  id: ID,
  title: 'schemas of extensions already on the destination',
  appliesTo: ['schema'],
  async run(ctx) {
    const selectedSchemas = new Set((await selectedTables(ctx)).map((t) => t.schema));
    const source = (await placedExtensions(await ctx.source())).filter((e) => selectedSchemas.has(e.schema) && e.name !== 'plpgsql');
    const results: CheckResult[] = [];
    for (const destination of ctx.task.destinations) {
      const installed = new Map((await placedExtensions(await ctx.destination(destination))).map((e) => [e.name, e.schema]));
      const misplaced = source.flatMap((e) => {
        const wanted = ctx.selection.destinationSchema(e.schema);
        const found = installed.get(e.name);
        return found !== undefined && found !== wanted ? [{ ...e, wanted, found }] : [];
      });
      if (misplaced.length === 0) {
        results.push({ id: ID, status: 'pass', message: `no extension of the selected schemas sits in another schema on destination "${destination.name}"` });
        continue;
      }
      results.push({
        id: ID,
        status: 'error',
        message:
          `on destination "${destination.name}" ${listNames(misplaced.map((m) => `${m.name} is installed in schema ${m.found}, but this task's tables would use it from ${m.wanted} (source schema ${m.schema})`))}` +
          ' (with several sources renamed into one destination, the first task to create an extension decides its schema)',
        fix:
          `map the source schema onto ${misplaced.map((m) => m.found).join(', ')} (objects.rename.schemas), or move the extension on the destination: ` +
          misplaced.map((m) => `ALTER EXTENSION ${quoteIdent(m.name)} SET SCHEMA ${quoteIdent(m.wanted)};`).join(' ') +
          ' For many-to-one, install shared extensions in a schema no task renames (e.g. extensions) on the sources',
        objects: misplaced.map((m) => m.name),
      });
    }
    return results;
  },
};

async function placedExtensions(client: pg.Client): Promise<PlacedExtension[]> {
  const { rows } = await client.query<PlacedExtension>(
    `SELECT e.extname AS name, n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace ORDER BY 1`,
  );
  return rows;
}
