import { keyId } from './range-diff.js';
import type { TableCheck } from './table-check.js';
import type { RowDifference, TableVerificationSummary } from './verification-summary.js';

/** A table's comparison as it goes into the summary: the first `maxDifferences` rows named, all counted. Pure. */
export function summarizeTable(check: TableCheck, maxDifferences: number): TableVerificationSummary {
  const { plan } = check;
  const wholeTable = plan.keyNames.length === 0;
  const differences: RowDifference[] = check.differences.slice(0, maxDifferences).map((d) => ({
    key: Object.fromEntries(plan.keyNames.map((name, i) => [name, d.key[i] ?? null])),
    kind: d.kind,
    columns: d.kind === 'different' ? (check.columns.get(keyId(d.key)) ?? []) : [],
  }));
  const differenceCount = check.differences.length + check.overflow;
  const ok = check.problem === null && !check.wholeTableDiffers && differenceCount === 0;
  let problem = check.problem;
  if (problem === null && check.wholeTableDiffers) {
    problem =
      check.sourceRows !== check.destinationRows
        ? `row counts differ: ${check.sourceRows} on the source, ${check.destinationRows} on the destination`
        : 'same row count, different contents';
  }
  return {
    table: plan.table,
    destinationTable: plan.destinationTable,
    ok,
    sourceRows: check.sourceRows,
    destinationRows: check.destinationRows,
    problem,
    differences,
    differenceCount,
    method: wholeTable ? 'whole-table' : 'ranges',
    note: noteFor(check, ok, wholeTable),
  };
}

function noteFor(check: TableCheck, ok: boolean, wholeTable: boolean): string | null {
  const notes: string[] = [];
  if (wholeTable && check.plan.destination) notes.push('no primary or unique key: compared as a whole (count and checksum), differing rows cannot be named');
  if (check.settled > 0) notes.push(`${check.settled} row(s) differed while in flight and matched on a re-check`);
  if (!ok && check.recheckNote) notes.push(check.recheckNote);
  if (check.overflow > 0) notes.push(`more than ${check.differences.length} differing rows: only those were re-checked and can be named`);
  return notes.length > 0 ? notes.join('; ') : null;
}
