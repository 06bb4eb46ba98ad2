import { ObjectSelection, type TaskConfig } from '@ferry/config';
import { listTables, openClient } from '@ferry/pg';
import { tableChecksum, type TableChecksum } from './table-checksum.js';

export interface TableVerification {
  table: string;
  destinationTable: string;
  source: TableChecksum;
  destination: TableChecksum | null;
  match: boolean;
  problem: string | null;
}

/**
 * Compares every selected table of the source with its destination copy: row
 * count and checksum over the carried columns, in the destination's names.
 */
export async function verifyTables(task: TaskConfig, destinationIndex = 0): Promise<TableVerification[]> {
  const selection = new ObjectSelection(task.objects);
  const destinationConfig = task.destinations[destinationIndex]!;
  const source = await openClient(task.source.url, { applicationName: 'ferry-verify', role: 'source' });
  const destination = await openClient(destinationConfig.url, { applicationName: 'ferry-verify', role: 'destination' });
  try {
    // Both sides read a stable picture of themselves while the check runs.
    await source.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await destination.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const tables = (await listTables(source)).filter((t) => t.kind === 'table' && t.extension === null && selection.includesTable(t.schema, t.name));
    const results: TableVerification[] = [];
    for (const t of tables) {
      const columns = selection.selectColumns(t.schema, t.name, t.columns.filter((c) => c.generated === null).map((c) => c.name));
      const target = selection.destinationTable(t.schema, t.name);
      const destColumns = columns.map((c) => selection.destinationColumn(t.schema, t.name, c));
      const where = selection.rowFilter(t.schema, t.name);
      const sourceSum = await tableChecksum(source, t.schema, t.name, columns, where);
      let destSum: TableChecksum | null = null;
      let problem: string | null = null;
      try {
        await destination.query('SAVEPOINT verify_table');
        destSum = await tableChecksum(destination, target.schema, target.table, destColumns);
        await destination.query('RELEASE SAVEPOINT verify_table');
      } catch (error) {
        await destination.query('ROLLBACK TO SAVEPOINT verify_table');
        problem = (error as Error).message;
      }
      const match = destSum !== null && destSum.rows === sourceSum.rows && destSum.checksum === sourceSum.checksum;
      if (!match && problem === null && destSum) {
        problem = destSum.rows !== sourceSum.rows ? `row counts differ: ${sourceSum.rows} vs ${destSum.rows}` : 'same row count, different contents';
      }
      results.push({ table: t.id.key, destinationTable: `${target.schema}.${target.table}`, source: sourceSum, destination: destSum, match, problem });
    }
    return results;
  } finally {
    await Promise.allSettled([source.query('ROLLBACK'), destination.query('ROLLBACK')]);
    await Promise.allSettled([source.end(), destination.end()]);
  }
}
