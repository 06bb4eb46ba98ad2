import type pg from 'pg';
import type { ColumnRef, RuleInfo, TableRef, ViewInfo } from '../schema-model.js';
import { queryJson } from './query-json.js';
import { withComment } from './read-schemas.js';

/** Columns of other relations that rewrite rule `r` reads (views: their _RETURN rule). */
const READS_COLUMNS = (rule: string, except: string) => `(
  SELECT coalesce(json_agg(DISTINCT jsonb_build_object('schema', rn.nspname, 'table', rc.relname, 'column', ra.attname)), '[]'::json)
    FROM pg_catalog.pg_depend d
    JOIN pg_catalog.pg_class rc ON rc.oid = d.refobjid
    JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
    JOIN pg_catalog.pg_attribute ra ON ra.attrelid = d.refobjid AND ra.attnum = d.refobjsubid
   WHERE d.classid = 'pg_rewrite'::pg_catalog.regclass AND d.objid = ${rule}
     AND d.refclassid = 'pg_class'::pg_catalog.regclass AND d.refobjsubid > 0 AND d.refobjid <> ${except})`;

interface ViewRow {
  oid: number;
  schema: string;
  name: string;
  materialized: boolean;
  definition: string;
  columns: Array<{ name: string; type: string }>;
  options: string[];
  populated: boolean;
  comment: string | null;
  columnComments: Array<{ column: string; comment: string }> | null;
  readsColumns: ColumnRef[];
}

export async function readViews(client: pg.ClientBase, oids: readonly number[]): Promise<ViewInfo[]> {
  if (oids.length === 0) return [];
  const rows = await queryJson<ViewRow>(
    client,
    `SELECT c.oid, n.nspname AS schema, c.relname AS name, c.relkind = 'm' AS materialized,
            pg_catalog.pg_get_viewdef(c.oid) AS definition, coalesce(c.reloptions, '{}') AS options,
            c.relispopulated AS populated, pg_catalog.obj_description(c.oid, 'pg_class') AS comment,
            (SELECT coalesce(json_agg(json_build_object('name', a.attname, 'type', pg_catalog.format_type(a.atttypid, a.atttypmod)) ORDER BY a.attnum), '[]'::json)
               FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
            (SELECT json_agg(json_build_object('column', a.attname, 'comment', pg_catalog.col_description(c.oid, a.attnum)) ORDER BY a.attnum)
               FROM pg_catalog.pg_attribute a
              WHERE a.attrelid = c.oid AND a.attnum > 0 AND pg_catalog.col_description(c.oid, a.attnum) IS NOT NULL) AS "columnComments",
            ${READS_COLUMNS("(SELECT r.oid FROM pg_catalog.pg_rewrite r WHERE r.ev_class = c.oid AND r.rulename = '_RETURN')", 'c.oid')} AS "readsColumns"
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid = ANY($1::oid[])
      ORDER BY n.nspname, c.relname`,
    [oids],
  );
  return rows.map((row) =>
    withComment(
      {
        id: `pg_class:${row.oid}`,
        schema: row.schema,
        name: row.name,
        materialized: row.materialized,
        definition: withoutSemicolon(row.definition),
        columns: row.columns,
        options: row.options,
        populated: row.populated,
        readsColumns: row.readsColumns,
        columnComments: row.columnComments ?? [],
      },
      row.comment,
    ),
  );
}

interface RuleRow {
  oid: number;
  name: string;
  schema: string;
  table: string;
  tableOid: number;
  definition: string;
  readsColumns: ColumnRef[];
}

/** Rules of the given relations, except the _RETURN rule that makes a view. */
export async function readRules(client: pg.ClientBase, relationOids: readonly number[]): Promise<RuleInfo[]> {
  if (relationOids.length === 0) return [];
  const rows = await queryJson<RuleRow>(
    client,
    `SELECT r.oid, r.rulename AS name, n.nspname AS schema, c.relname AS "table", c.oid AS "tableOid",
            pg_catalog.pg_get_ruledef(r.oid) AS definition, ${READS_COLUMNS('r.oid', '0')} AS "readsColumns"
       FROM pg_catalog.pg_rewrite r
       JOIN pg_catalog.pg_class c ON c.oid = r.ev_class
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE r.ev_class = ANY($1::oid[]) AND r.rulename <> '_RETURN'
      ORDER BY n.nspname, c.relname, r.rulename`,
    [relationOids],
  );
  return rows.map((row) => {
    const table: TableRef = { schema: row.schema, table: row.table };
    return { id: `pg_rewrite:${row.oid}`, name: row.name, table, tableId: `pg_class:${row.tableOid}`, definition: withoutSemicolon(row.definition), readsColumns: row.readsColumns };
  });
}

function withoutSemicolon(sql: string): string {
  return sql.trim().replace(/;$/, '');
}
