import type pg from 'pg';
import { quoteIdent } from '@ferry/pg';
import type { IndexInfo } from '../schema-model.js';
import { indexShapeSql, toIndexShape, type IndexShapeRow } from './index-shape-sql.js';
import { queryJson } from './query-json.js';
import { withComment } from './read-schemas.js';

interface IndexRow {
  oid: number;
  schema: string;
  name: string;
  tableOid: number;
  tableSchema: string;
  tableName: string;
  unique: boolean;
  nullsNotDistinct: boolean;
  valid: boolean;
  shape: IndexShapeRow;
  columns: string[];
  comment: string | null;
}

export interface IndexRead {
  indexes: IndexInfo[];
  notes: string[];
}

/**
 * Secondary indexes of the given tables and materialized views: not those behind
 * a primary key, unique or exclusion constraint (the constraint creates them),
 * not a partition's index attached to its parent's (the parent's creates it).
 */
export async function readIndexes(client: pg.ClientBase, relationOids: readonly number[], serverVersion: number): Promise<IndexRead> {
  if (relationOids.length === 0) return { indexes: [], notes: [] };
  const attached = serverVersion >= 110000 ? 'AND NOT ic.relispartition' : '';
  const nullsNotDistinct = serverVersion >= 150000 ? 'i.indnullsnotdistinct' : 'false';
  const rows = await queryJson<IndexRow>(
    client,
    `SELECT ic.oid, n.nspname AS schema, ic.relname AS name, i.indrelid AS "tableOid",
            tn.nspname AS "tableSchema", t.relname AS "tableName",
            i.indisunique AS "unique", ${nullsNotDistinct} AS "nullsNotDistinct", i.indisvalid AS valid,
            ${indexShapeSql('i', serverVersion)} AS shape,
            ARRAY(SELECT DISTINCT a.attname FROM pg_catalog.pg_depend d
                    JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                   WHERE d.classid = 'pg_class'::pg_catalog.regclass AND d.objid = i.indexrelid
                     AND d.refclassid = 'pg_class'::pg_catalog.regclass AND d.refobjid = i.indrelid AND d.refobjsubid > 0) AS columns,
            pg_catalog.obj_description(ic.oid, 'pg_class') AS comment
       FROM pg_catalog.pg_index i
       JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
       JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace
       JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
       JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
      WHERE i.indrelid = ANY($1::oid[]) ${attached}
        AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint co
                         WHERE co.conindid = i.indexrelid AND co.conrelid = i.indrelid AND co.contype IN ('p', 'u', 'x'))
      ORDER BY tn.nspname, t.relname, ic.relname`,
    [relationOids],
  );
  const notes: string[] = [];
  const indexes: IndexInfo[] = [];
  for (const row of rows) {
    if (!row.valid) {
      notes.push(`index ${quoteIdent(row.schema)}.${quoteIdent(row.name)} is not migrated: it is invalid on the source (a failed CREATE INDEX CONCURRENTLY); rebuild it there first`);
      continue;
    }
    indexes.push(
      withComment(
        {
          ...toIndexShape(row.shape),
          id: `pg_class:${row.oid}`,
          schema: row.schema,
          name: row.name,
          table: { schema: row.tableSchema, table: row.tableName },
          tableId: `pg_class:${row.tableOid}`,
          unique: row.unique,
          nullsNotDistinct: row.nullsNotDistinct,
          columns: row.columns,
        },
        row.comment,
      ),
    );
  }
  return { indexes, notes };
}
