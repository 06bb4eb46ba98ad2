import type pg from 'pg';
import type { ObjectId } from '../schema-model.js';
import { EXTENSION_MEMBER, SYSTEM_SCHEMA_FILTER, queryJson } from './query-json.js';

export type RelationKind = 'table' | 'partitioned' | 'view' | 'materialized-view' | 'sequence' | 'foreign-table';

export interface RelationEntry {
  id: ObjectId;
  oid: number;
  schema: string;
  name: string;
  kind: RelationKind;
  /** The parent of a partition. */
  parentId?: ObjectId;
}

/**
 * Every user relation a task could select: tables, partitioned tables,
 * partitions, views, materialized views, sequences and foreign tables (only
 * noted: they are not carried), without extension members
 * and identity sequences (those come with their column).
 */
export async function listRelations(client: pg.ClientBase): Promise<RelationEntry[]> {
  const rows = await queryJson<{ oid: number; schema: string; name: string; relkind: string; parentOid: number | null }>(
    client,
    `SELECT c.oid, n.nspname AS schema, c.relname AS name, c.relkind,
            (SELECT i.inhparent FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid AND c.relispartition) AS "parentOid"
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
        AND ${SYSTEM_SCHEMA_FILTER('n')}
        AND NOT ${EXTENSION_MEMBER('pg_class', 'c.oid')}
        AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                         WHERE d.classid = 'pg_class'::pg_catalog.regclass AND d.objid = c.oid AND d.deptype = 'i'))
      ORDER BY n.nspname, c.relname`,
  );
  return rows.map((row) => {
    const entry: RelationEntry = { id: `pg_class:${row.oid}`, oid: row.oid, schema: row.schema, name: row.name, kind: RELKINDS[row.relkind]! };
    if (row.parentOid !== null) entry.parentId = `pg_class:${row.parentOid}`;
    return entry;
  });
}

const RELKINDS: Record<string, RelationKind> = {
  r: 'table',
  p: 'partitioned',
  v: 'view',
  m: 'materialized-view',
  S: 'sequence',
  f: 'foreign-table',
};
