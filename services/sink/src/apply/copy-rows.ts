import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { formatCopyRow, quoteIdentList, quoteQualified } from '@ferry/pg';
import copyStreams from 'pg-copy-streams';
import type pg from 'pg';
import type { TextValue } from './row-event.js';

/** Loads rows with one COPY ... FROM STDIN (text format): the fast path of snapshot chunks. */
export async function copyRows(client: pg.ClientBase, schema: string, table: string, columns: readonly string[], rows: readonly TextValue[][]): Promise<void> {
  if (rows.length === 0) return;
  const stream = client.query(copyStreams.from(`COPY ${quoteQualified(schema, table)} (${quoteIdentList(columns)}) FROM STDIN`));
  async function* lines() {
    let buffer = '';
    for (const row of rows) {
      buffer += formatCopyRow(row);
      if (buffer.length > 256 * 1024) {
        yield buffer;
        buffer = '';
      }
    }
    if (buffer) yield buffer;
  }
  await pipeline(Readable.from(lines()), stream);
}
