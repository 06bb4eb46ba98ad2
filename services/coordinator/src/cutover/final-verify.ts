import type { TaskConfig } from '@ferry/config';
import { FerryError } from '@ferry/core';
import { verifyTables } from '../verify/verify-tables.js';

export interface VerifiedDestination {
  destination: string;
  tables: number;
  rows: number;
}

/**
 * Step 5: with writes fenced and the destination drained, source and destination must be
 * equal, table by table (row counts and checksums). Any difference stops the cutover.
 */
export async function finalVerify(task: TaskConfig, destinationIndex: number): Promise<VerifiedDestination> {
  const destination = task.destinations[destinationIndex]!;
  const results = await verifyTables(task, destinationIndex);
  const different = results.filter((r) => !r.match);
  if (different.length > 0) {
    const list = different.slice(0, 5).map((r) => `${r.table} (${r.problem ?? 'different'})`).join(', ');
    throw new FerryError('CUTOVER_VERIFY_FAILED', `${different.length} table(s) differ on destination "${destination.name}" after draining: ${list}`, {
      fix: 'run ferry verify -c task.yaml --json for the details; a table written by something other than Ferry on the destination, or by a role the fence did not cover on the source, differs',
    });
  }
  return { destination: destination.name, tables: results.length, rows: results.reduce((sum, r) => sum + r.source.rows, 0) };
}
