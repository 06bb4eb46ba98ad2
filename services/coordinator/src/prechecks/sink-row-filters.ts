import { count } from './name-list.js';
import { findTable } from './selection.js';
import { qualifiedName, sourceTables } from './source-inventory.js';
import { columnTypes, destinationProblem } from './transforms.js';
import { majorOf } from './version-support.js';
import { sourceVersion } from './versions.js';
import type { CheckResult, Precheck } from './types.js';

const ID = 'sink-row-filters';

/**
 * Before PostgreSQL 15 a publication cannot filter rows, so the sink applies objects.where
 * to the stream on the destination (services/sink transforms.ts): each condition must be
 * valid there, over the columns the task keeps, before the stream needs it.
 */
export const sinkRowFilters: Precheck = {
  id: ID,
  title: 'row filters the sink applies to changes (objects.where, sources before PostgreSQL 15)',
  appliesTo: ['incremental'],
  async run(ctx) {
    const filters = Object.entries(ctx.task.objects.where);
    if (filters.length === 0) return [{ id: ID, status: 'pass', message: 'the task filters no rows' }];
    const major = majorOf(await sourceVersion(ctx));
    if (major >= 15) return [{ id: ID, status: 'pass', message: `the source (PostgreSQL ${major}) filters changes in its publication` }];
    const all = (await sourceTables(ctx)).filter((t) => t.kind !== 'f');
    const source = await ctx.source();
    const results: CheckResult[] = [];
    let checked = 0;
    for (const [key, condition] of filters) {
      const table = findTable(all, key);
      // An unknown or unselected table is the selection check's to report.
      if (!table || !ctx.selection.includesTable(table.schema, table.table)) continue;
      const name = qualifiedName(table);
      const selected = ctx.selection.selectColumns(table.schema, table.table, table.columns);
      const types = await columnTypes(source, table.schema, table.table);
      for (const destination of ctx.task.destinations) {
        const client = await ctx.destination(destination);
        const problem = await destinationProblem(client, ctx.selection, table, { columns: {}, dropWhere: `NOT COALESCE((${condition}), false)` }, types, selected);
        if (!problem) continue;
        results.push({
          id: ID,
          status: 'error',
          message:
            `objects.where for ${name} cannot be evaluated on destination "${destination.name}": ${problem}. ` +
            `The source is PostgreSQL ${major}, whose publications cannot filter rows, so the sink applies the filter to every change there`,
          fix: `write objects.where["${name}"] with columns objects.columns keeps (source names) and functions the destination has too`,
          objects: [name],
        });
      }
      checked += 1;
    }
    if (results.length > 0) return results;
    return [
      {
        id: ID,
        status: 'pass',
        message:
          `the row filters of ${count(checked, 'table')} are valid on every destination, where the sink applies them to changes (PostgreSQL ${major} publications cannot filter); ` +
          `capture sets REPLICA IDENTITY FULL on ${checked === 1 ? 'that table' : 'those tables'} so every update carries the values a filter reads`,
      },
    ];
  },
};
