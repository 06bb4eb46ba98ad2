import { FerryError } from '@ferry/core';
import { isPgTrue } from '@ferry/pg';
import type pg from 'pg';
import type { TargetTable } from './statement-builder.js';

/**
 * Reads a destination table's columns and key from the catalogs. The key is the
 * primary key, else a unique index over NOT NULL columns; without one the table
 * is written like the source's keyless table (whole-row matching).
 */
export async function readTargetTable(client: pg.ClientBase, schema: string, table: string): Promise<TargetTable> {
  const rel = await client.query<{ oid: string }>(
    `SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`,
    [schema, table],
  );
  const oid = rel.rows[0]?.oid;
  if (!oid) {
    // Retried within retry.otherMinutes: a sink started beside `ferry coordinator` may be
    // ahead of the schema phase that creates the table.
    throw new FerryError('TABLE_MISSING', `destination table "${schema}"."${table}" does not exist`, {
      retriable: true,
      fix: 'run the schema phase first (ferry migrate or ferry coordinator), or create the table, or check objects.rename in the task file; the sink waits for it for retry.otherMinutes',
      context: { table: `${schema}.${table}` },
    });
  }
  const generatedColumn = (await client.query(`SELECT 1 FROM pg_attribute WHERE attrelid = 'pg_attribute'::regclass AND attname = 'attgenerated'`)).rowCount
    ? `a.attgenerated <> ''`
    : 'false';
  const columns = await client.query<{ name: string; type: string; generated: string; identity: string }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, ${generatedColumn} AS generated, a.attidentity::text AS identity
     FROM pg_attribute a WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [oid],
  );
  const keys = await client.query<{ columns: string }>(
    `SELECT json_agg(a.attname ORDER BY k.ord)::text AS columns, i.indisprimary
     FROM pg_index i
     CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE i.indrelid = $1 AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
     GROUP BY i.indexrelid, i.indisprimary
     HAVING bool_and(a.attnotnull)
     ORDER BY i.indisprimary DESC, count(*) ASC
     LIMIT 1`,
    [oid],
  );
  return {
    schema,
    table,
    types: new Map(columns.rows.map((c) => [c.name, c.type])),
    keyColumns: keys.rows[0] ? (JSON.parse(keys.rows[0].columns) as string[]) : [],
    generated: new Set(columns.rows.filter((c) => isPgTrue(String(c.generated))).map((c) => c.name)),
    hasIdentityAlways: columns.rows.some((c) => c.identity === 'a'),
  };
}
