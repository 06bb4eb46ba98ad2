import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { newClient, quoteIdent } from './sql.js';

export interface CopyPipeResult {
  ms: number;
  rows: number;
  /** Bytes of COPY text that went through: the data's size as PostgreSQL writes it. */
  bytes: number;
}

/**
 * The baseline: `COPY table TO STDOUT` on the source piped into `COPY table FROM STDIN`
 * on the destination, one table after another, each in one destination transaction.
 */
export async function copyPipe(sourceUrl: string, destUrl: string, tables: readonly string[]): Promise<CopyPipeResult> {
  const source = newClient(sourceUrl, 'ferry-bench-copy');
  const dest = newClient(destUrl, 'ferry-bench-copy');
  await source.connect();
  await dest.connect();
  const started = performance.now();
  let bytes = 0;
  let rows = 0;
  try {
    for (const table of tables) {
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          bytes += chunk.length;
          done(null, chunk);
        },
      });
      const into = dest.query(copyFrom(`COPY ${quoteIdent(table)} FROM STDIN`));
      await pipeline(source.query(copyTo(`COPY ${quoteIdent(table)} TO STDOUT`)), counter, into);
      rows += Number(into.rowCount);
    }
    return { ms: performance.now() - started, rows, bytes };
  } finally {
    await source.end();
    await dest.end();
  }
}
