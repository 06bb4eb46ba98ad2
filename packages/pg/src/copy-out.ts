import { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { DataError, type TableId } from '@ferry/core';
import { formatCopyRow, splitCopyText, type CopyRow } from './copy-text.js';
import { inlineParameters, type SqlValue } from './inline-parameters.js';
import { quoteIdentList, quoteQualified } from './quote.js';
import { classifyPgError } from './sqlstate.js';

/**
 * Bulk reads and writes in COPY TEXT format.
 *
 * Reading: `COPY (query) TO STDOUT`. COPY takes no bind parameters, so the
 * query's `$n` values are inlined as quoted literals (inline-parameters.ts says
 * why that is safe). We chose COPY over a server-side cursor (DECLARE + FETCH,
 * which would take real parameters) because it is the faster path for the
 * snapshot: the server streams rows without a round trip per batch and our text
 * parser beats pg's per-field row decoding. test/pg/copy-out.bench.ts, 1M
 * pgbench_accounts-like rows on the shared 2-core machine: COPY in batches
 * 0.6–2.2 s, cursor FETCH 10000 1.6–3.1 s, on PostgreSQL 13 and 17 alike.
 * Backpressure is real: pg-copy-streams stops reading the
 * socket while our consumer is busy, so a slow Kafka producer slows PostgreSQL's
 * COPY instead of filling memory.
 */

/** Rows of `query` in batches (one per network chunk); the hot path of the snapshot. */
export async function* copyOutBatches(
  client: pg.ClientBase,
  query: string,
  params: readonly SqlValue[] = [],
): AsyncGenerator<CopyRow[]> {
  const stream = client.query(copyTo(`COPY (${inlineParameters(query, params)}) TO STDOUT`));
  let done = false;
  try {
    // destroyOnReturn: false, so that stopping early can drain the stream (below).
    for await (const rows of splitCopyText(stream.iterator({ destroyOnReturn: false }))) yield rows;
    done = true;
  } catch (error) {
    throw classifyPgError(error);
  } finally {
    // Stopped early: a COPY cannot be stopped half-way without cancelling the
    // statement, which would also abort the snapshot's transaction. Read the rest
    // and drop it; chunk-sized queries keep that short.
    if (!done) await drain(stream);
  }
}

/** Rows of `query`, one at a time (see copyOutBatches). */
export async function* copyOut(client: pg.ClientBase, query: string, params: readonly SqlValue[] = []): AsyncGenerator<CopyRow> {
  for await (const rows of copyOutBatches(client, query, params)) yield* rows;
}

async function drain(stream: Readable): Promise<void> {
  if (stream.destroyed || stream.readableEnded) return;
  stream.resume();
  // A failure here means the connection is gone; the caller already has an error.
  await finished(stream).catch(() => undefined);
}

/**
 * `COPY table (columns) FROM STDIN` from rows of text values. Rows are formatted
 * into ~64 KiB writes; when the socket is full we wait for it (pipeline), so
 * memory stays flat. If `rows` throws, the COPY is aborted with CopyFail (nothing
 * is written) and the error is rethrown; the client stays usable. Returns the
 * number of rows PostgreSQL stored.
 */
export async function copyIn(
  client: pg.ClientBase,
  table: TableId,
  columns: readonly string[],
  rows: AsyncIterable<readonly (string | null)[]> | Iterable<readonly (string | null)[]>,
): Promise<number> {
  const sql = `COPY ${quoteQualified(table)} (${quoteIdentList(columns)}) FROM STDIN`;
  const stream = client.query(copyFrom(sql));
  const source = { error: undefined as unknown };
  try {
    await pipeline(Readable.from(copyTextBatches(rows, columns.length, table, source)), stream);
  } catch (error) {
    // The rows' own failure goes back unchanged; only PostgreSQL's is classified.
    if (source.error !== undefined && error === source.error) throw error;
    throw classifyPgError(error, { context: { table: table.key } });
  }
  return stream.rowCount;
}

const WRITE_BYTES = 64 * 1024;

async function* copyTextBatches(
  rows: AsyncIterable<readonly (string | null)[]> | Iterable<readonly (string | null)[]>,
  columnCount: number,
  table: TableId,
  source: { error: unknown },
): AsyncGenerator<string> {
  let batch = '';
  let rowNumber = 0;
  try {
    for await (const row of rows) {
      rowNumber++;
      if (row.length !== columnCount) {
        throw new DataError(`row ${rowNumber} has ${row.length} value(s) for ${columnCount} column(s)`, {
          context: { table: table.key },
        });
      }
      batch += formatCopyRow(row);
      if (batch.length >= WRITE_BYTES) {
        yield batch;
        batch = '';
      }
    }
  } catch (error) {
    source.error = error;
    throw error;
  }
  if (batch.length > 0) yield batch;
}
