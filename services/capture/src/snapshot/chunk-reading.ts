import { chooseOrderedKey, copyOutBatches, keyRangeWhere, pageRangeWhere, planKeyRanges, planPageRanges, quoteIdentList, quoteQualified, type CopyRow } from '@ferry/pg';
import type pg from 'pg';
import type { CapturedTable } from '../captured-table.js';
import type { PlannedChunk, TableSnapshotState } from './snapshot-progress.js';

/**
 * Splits a table into chunks inside the snapshot transaction: key ranges when it
 * has an ordered key (a keyset walk, never a sort in Node), else heap page ranges.
 */
export async function planChunks(client: pg.ClientBase, table: CapturedTable, chunkRows: number, serverMajor: number): Promise<{ kind: TableSnapshotState['kind']; chunks: PlannedChunk[] }> {
  const key = chooseOrderedKey(table.catalogInfo);
  if (key) {
    const ranges = await planKeyRanges(client, table.id, key, chunkRows);
    return { kind: 'key', chunks: ranges.map((r, index) => ({ index, lower: r.lower ? [...r.lower] : null, upper: r.upper ? [...r.upper] : null })) };
  }
  const pages = await planPageRanges(client, table.id, chunkRows, serverMajor);
  return {
    kind: 'blocks',
    chunks: pages.map((p, index) => ({
      index,
      lower: p.startPage === null ? null : [String(p.startPage)],
      upper: p.endPage === null ? null : [String(p.endPage)],
    })),
  };
}

/** The SELECT of one chunk (bounds as parameters; copyOutBatches inlines them as literals). */
export function chunkSelect(table: CapturedTable, kind: TableSnapshotState['kind'], chunk: PlannedChunk): { sql: string; params: string[] } {
  const where =
    kind === 'key'
      ? keyRangeWhere(chooseOrderedKey(table.catalogInfo)!, { lower: chunk.lower, upper: chunk.upper })
      : pageRangeWhere({ startPage: chunk.lower ? Number(chunk.lower[0]) : null, endPage: chunk.upper ? Number(chunk.upper[0]) : null });
  // A row filter only narrows the snapshot here; the stream is filtered by the publication (15+) or the sink.
  const filter = table.rowFilter ? ` AND (${table.rowFilter})` : '';
  return {
    sql: `SELECT ${quoteIdentList(table.columnNames)} FROM ONLY ${quoteQualified(table.id)} WHERE ${where.sql}${filter}`,
    params: where.params,
  };
}

export function readChunkRows(client: pg.ClientBase, query: { sql: string; params: string[] }): AsyncGenerator<CopyRow[]> {
  return copyOutBatches(client, query.sql, query.params);
}
