import { quoteIdent, quoteQualified } from '@ferry/pg';
import type pg from 'pg';

export interface TableChecksum {
  rows: number;
  /** Sum of a 60-bit hash of every row's text: independent of row order, constant memory. */
  checksum: string;
}

/**
 * Row count and checksum of the given columns, computed inside the database so
 * only two numbers travel. Each row is hashed from its text form (the same on
 * every major, under Ferry's fixed session settings); the sum does not depend
 * on physical order, so source and destination compare without sorting.
 */
export async function tableChecksum(client: pg.ClientBase, schema: string, table: string, columns: readonly string[], where?: string): Promise<TableChecksum> {
  const row = columns.length === 0 ? 'ROW()' : `ROW(${columns.map(quoteIdent).join(', ')})`;
  const filter = where ? ` WHERE (${where})` : '';
  const { rows } = await client.query<{ rows: string; checksum: string | null }>(
    `SELECT count(*)::text AS rows,
            coalesce(sum(('x' || substr(md5(${row}::text), 1, 15))::bit(60)::bigint::numeric), 0)::text AS checksum
     FROM ONLY ${quoteQualified(schema, table)}${filter}`,
  );
  return { rows: Number(rows[0]!.rows), checksum: rows[0]!.checksum ?? '0' };
}
