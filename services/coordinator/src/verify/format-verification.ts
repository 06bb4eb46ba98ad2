import type { RowDifference, TableVerificationSummary, VerificationSummary } from './verification-summary.js';

/** Differing rows listed per table in the terminal (the JSON holds up to verify.maxDifferences). */
const ROWS_SHOWN = 5;

/** `id=42`, `(a=1, b=x)`; NULL for a null. */
export function formatKey(key: RowDifference['key']): string {
  const parts = Object.entries(key).map(([column, value]) => `${column}=${value ?? 'NULL'}`);
  return parts.length === 1 ? parts[0]! : `(${parts.join(', ')})`;
}

export function formatRowDifference(difference: RowDifference): string {
  if (difference.kind === 'missing') return `${formatKey(difference.key)} missing on the destination`;
  if (difference.kind === 'extra') return `${formatKey(difference.key)} extra on the destination (not on the source)`;
  const columns = difference.columns.length > 0 ? `: ${difference.columns.join(', ')}` : '';
  return `${formatKey(difference.key)} different${columns}`;
}

/** One line about a table's result: `ok`, or what differs. */
export function tableResult(table: TableVerificationSummary): string {
  if (table.ok) return table.method === 'whole-table' ? 'ok (whole table)' : 'ok';
  if (table.differenceCount > 0) return `DIFF: ${table.differenceCount} row(s) differ`;
  return `DIFF: ${table.problem ?? 'different'}`;
}

/** The terminal report of `ferry verify`: a table per destination table, then schema and sequences, then the verdict. */
export function formatVerification(summary: VerificationSummary): string {
  const lines: string[] = [`destination ${summary.destination}`];
  const width = Math.max(5, ...summary.tables.map((t) => t.table.length));
  lines.push(`${'table'.padEnd(width)}  ${'source rows'.padStart(12)}  ${'dest rows'.padStart(12)}  result`);
  for (const table of summary.tables) {
    const destinationRows = table.destinationRows === null ? '-' : String(table.destinationRows);
    lines.push(`${table.table.padEnd(width)}  ${String(table.sourceRows).padStart(12)}  ${destinationRows.padStart(12)}  ${tableResult(table)}`);
    if (table.table !== table.destinationTable) lines.push(`    as ${table.destinationTable} on the destination`);
    for (const difference of table.differences.slice(0, ROWS_SHOWN)) lines.push(`    ${formatRowDifference(difference)}`);
    const unnamed = table.differenceCount - Math.min(ROWS_SHOWN, table.differences.length);
    if (unnamed > 0) lines.push(`    ... and ${unnamed} more`);
    if (table.differenceCount > 0 && table.problem) lines.push(`    ${table.problem}`);
    if (table.note) lines.push(`    note: ${table.note}`);
  }
  if (summary.schema) {
    if (summary.schema.ok) lines.push('schema: equal');
    else {
      lines.push(`schema: ${summary.schema.differenceCount} difference(s)`);
      for (const d of summary.schema.differences.slice(0, 10)) lines.push(`    ${d.difference === 'missing' ? 'missing on the destination' : d.difference === 'extra' ? 'only on the destination' : 'different'}: ${d.kind} ${d.objectName}`);
    }
  }
  if (summary.sequences) {
    const { mode, items } = summary.sequences;
    const behind = items.filter((item) => item.status !== 'ok');
    const label = mode === 'info' && behind.length > 0 ? 'sequences (information: synced at cutover)' : 'sequences';
    lines.push(`${label}: ${items.length - behind.length} of ${items.length} level with the source`);
    for (const item of behind.slice(0, 10)) {
      lines.push(
        item.status === 'missing'
          ? `    ${item.sequence}: missing on the destination (as ${item.destinationSequence})`
          : `    ${item.sequence}: behind, next ${item.destinationNext} on the destination, ${item.sourceNext} on the source`,
      );
    }
  }
  const differing = summary.tables.filter((t) => !t.ok).length;
  lines.push(differing === 0 ? 'all tables match' : `${differing} table(s) differ`);
  if (summary.schema && !summary.schema.ok) lines.push('the schema differs');
  if (summary.sequences && !summary.sequences.ok) lines.push('sequences are behind the source');
  return lines.join('\n');
}

/** Two or three lines for `ferry status`: the latest verification, how old it is, and what differed first. */
export function formatVerificationBrief(summary: VerificationSummary, now = Date.now()): string {
  const ageSeconds = Math.max(0, Math.round((now - Date.parse(summary.at)) / 1000));
  const head = `verification (${summary.trigger}, destination ${summary.destination}, ${ageSeconds} s ago): `;
  const differing = summary.tables.filter((t) => !t.ok);
  if (summary.ok) return `${head}ok, ${summary.tables.length} table(s) match`;
  const parts: string[] = [];
  if (differing.length > 0) parts.push(`${differing.length} of ${summary.tables.length} table(s) differ`);
  if (summary.schema && !summary.schema.ok) parts.push(`${summary.schema.differenceCount} schema difference(s)`);
  if (summary.sequences && !summary.sequences.ok) parts.push('sequences behind');
  const lines = [`${head}DIFFERENT: ${parts.join(', ')}`];
  for (const table of differing.slice(0, 3)) {
    const first = table.differences[0];
    lines.push(`  ${table.table}: ${tableResult(table)}${first ? `, e.g. ${formatRowDifference(first)}` : ''}`);
  }
  return lines.join('\n');
}
