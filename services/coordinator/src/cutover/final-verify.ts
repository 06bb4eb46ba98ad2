import type { TaskConfig } from '@ferry/config';
import { FerryError } from '@ferry/core';
import { formatRowDifference } from '../verify/format-verification.js';
import type { VerificationSummary } from '../verify/verification-summary.js';
import { verifyDestination } from '../verify/verify-destination.js';

export interface VerifiedDestination {
  destination: string;
  tables: number;
  rows: number;
}

/**
 * Step 5: with writes fenced and the destination drained, source and destination must be
 * equal, table by table (row counts and checksums by key range, differing rows named). Any
 * difference stops the cutover. Nothing is in flight, so nothing is re-checked; schema and
 * sequences are not part of this step (sequences were synced in step 4).
 */
/** The whole result rides along, for the task state (status and the console show it). */
export async function finalVerify(task: TaskConfig, destinationIndex: number): Promise<VerifiedDestination & { summary: VerificationSummary }> {
  const destination = task.destinations[destinationIndex]!;
  const summary = await verifyDestination(task, { trigger: 'cutover', destinationIndex, recheck: false, schema: false, sequences: 'off' });
  const different = summary.tables.filter((t) => !t.ok);
  if (different.length > 0) {
    const list = different
      .slice(0, 5)
      .map((t) => `${t.table} (${t.differences[0] ? `${t.differenceCount} row(s), e.g. ${formatRowDifference(t.differences[0])}` : (t.problem ?? 'different')})`)
      .join(', ');
    throw new FerryError('CUTOVER_VERIFY_FAILED', `${different.length} table(s) differ on destination "${destination.name}" after draining: ${list}`, {
      fix: 'run ferry verify -c task.yaml --json for the details; a table written by something other than Ferry on the destination, or by a role the fence did not cover on the source, differs',
    });
  }
  return { destination: destination.name, tables: summary.tables.length, rows: summary.tables.reduce((sum, t) => sum + t.sourceRows, 0), summary };
}
