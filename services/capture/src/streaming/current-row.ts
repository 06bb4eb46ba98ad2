import { openClient, quoteIdent, quoteQualified } from '@ferry/pg';
import type { CapturedTable } from '../captured-table.js';

/**
 * The named columns of the row with this key, read from the source now in text form, or
 * null when no row has the key. Its own short session: it is needed rarely (key-changing
 * updates that left TOAST values unchanged) and must not depend on a session that a source
 * restart may have broken.
 */
export async function readCurrentRow(
  sourceUrl: string,
  table: CapturedTable,
  key: Record<string, string>,
  columns: string[],
): Promise<Record<string, string | null> | null> {
  const client = await openClient(sourceUrl, { applicationName: 'ferry-capture', role: 'source' });
  try {
    const names = Object.keys(key);
    // Parameters take each key column's own type, so the lookup uses the key's index.
    const where = names.map((name, i) => `${quoteIdent(name)} = $${i + 1}`).join(' AND ');
    const { rows } = await client.query<Record<string, string | null>>(
      `SELECT ${columns.map(quoteIdent).join(', ')} FROM ${quoteQualified(table.id.schema, table.id.table)} WHERE ${where}`,
      names.map((name) => key[name]),
    );
    return rows[0] ?? null;
  } finally {
    await client.end().catch(() => undefined);
  }
}
