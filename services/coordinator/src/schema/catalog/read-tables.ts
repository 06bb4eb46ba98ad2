import type pg from 'pg';
import type { ColumnInfo, ConstraintInfo, ForeignKeyAction, QualifiedName, SequenceOptions, TableInfo, TableRef } from '../schema-model.js';
import { toIndexShape, indexShapeSql, type IndexShapeRow } from './index-shape-sql.js';
import { collationUnlessDefault, operatorName } from './name-sql.js';
import { queryJson } from './query-json.js';
import { withComment } from './read-schemas.js';

/** Tables and partitioned tables (and partitions) with their columns and constraints. */
export async function readTables(client: pg.ClientBase, oids: readonly number[], serverVersion: number): Promise<TableInfo[]> {
  if (oids.length === 0) return [];
  const [tables, columns, constraints] = [
    await readTableRows(client, oids),
    await readColumnRows(client, oids, serverVersion),
    await readConstraintRows(client, oids, serverVersion),
  ];
  return tables.map((table) => {
    const info: TableInfo = withComment(
      {
        id: `pg_class:${table.oid}`,
        schema: table.schema,
        name: table.name,
        kind: table.relkind === 'p' ? 'partitioned' : 'table',
        unlogged: table.unlogged,
        options: table.options,
        columns: columns.filter((column) => column.tableOid === table.oid).map(toColumn),
        constraints: constraints.filter((constraint) => constraint.tableOid === table.oid).map(toConstraint),
      },
      table.comment,
    );
    if (table.partitionKey !== null) info.partitionKey = table.partitionKey;
    if (table.partitionOf) {
      const { schema, table: parent, parentOid, bound } = table.partitionOf;
      info.partitionOf = { schema, table: parent, parentId: `pg_class:${parentOid}`, bound };
    }
    return info;
  });
}

interface TableRow {
  oid: number;
  schema: string;
  name: string;
  relkind: 'r' | 'p';
  unlogged: boolean;
  options: string[];
  partitionKey: string | null;
  partitionOf: { schema: string; table: string; parentOid: number; bound: string } | null;
  comment: string | null;
}

function readTableRows(client: pg.ClientBase, oids: readonly number[]): Promise<TableRow[]> {
  return queryJson<TableRow>(
    client,
    `SELECT c.oid, n.nspname AS schema, c.relname AS name, c.relkind, c.relpersistence = 'u' AS unlogged,
            coalesce(c.reloptions, '{}') AS options,
            CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END AS "partitionKey",
            CASE WHEN c.relispartition THEN (
              SELECT json_build_object('schema', pn.nspname, 'table', p.relname, 'parentOid', p.oid,
                                       'bound', pg_catalog.pg_get_expr(c.relpartbound, c.oid))
                FROM pg_catalog.pg_inherits i
                JOIN pg_catalog.pg_class p ON p.oid = i.inhparent
                JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace
               WHERE i.inhrelid = c.oid) END AS "partitionOf",
            pg_catalog.obj_description(c.oid, 'pg_class') AS comment
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid = ANY($1::oid[])
      ORDER BY n.nspname, c.relname`,
    [oids],
  );
}

interface ColumnRow {
  tableOid: number;
  name: string;
  type: string;
  collation: QualifiedName | null;
  default: string | null;
  generatedExpression: string | null;
  generated: '' | 's' | 'v';
  notNull: boolean;
  identity: '' | 'a' | 'd';
  identitySequence: (QualifiedName & SequenceOptions) | null;
  expressionColumns: string[];
  isLocal: boolean;
  comment: string | null;
}

function readColumnRows(client: pg.ClientBase, oids: readonly number[], serverVersion: number): Promise<ColumnRow[]> {
  const generated = serverVersion >= 120000 ? 'a.attgenerated' : `''::"char"`;
  return queryJson<ColumnRow>(
    client,
    `SELECT a.attrelid AS "tableOid", a.attname AS name,
            pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
            ${collationUnlessDefault('a.attcollation', 'a.atttypid')} AS collation,
            CASE WHEN ${generated} = '' THEN pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) END AS "default",
            CASE WHEN ${generated} <> '' THEN pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) END AS "generatedExpression",
            ${generated} AS generated,
            a.attnotnull AS "notNull", a.attidentity AS identity, a.attislocal AS "isLocal",
            pg_catalog.col_description(a.attrelid, a.attnum) AS comment,
            CASE WHEN a.attidentity <> '' THEN (
              SELECT json_build_object('schema', sn.nspname, 'name', sc.relname,
                       'dataType', pg_catalog.format_type(s.seqtypid, NULL), 'start', s.seqstart::text,
                       'increment', s.seqincrement::text, 'min', s.seqmin::text, 'max', s.seqmax::text,
                       'cache', s.seqcache::text, 'cycle', s.seqcycle)
                FROM pg_catalog.pg_depend d
                JOIN pg_catalog.pg_sequence s ON s.seqrelid = d.objid
                JOIN pg_catalog.pg_class sc ON sc.oid = s.seqrelid
                JOIN pg_catalog.pg_namespace sn ON sn.oid = sc.relnamespace
               WHERE d.classid = 'pg_class'::pg_catalog.regclass AND d.refclassid = 'pg_class'::pg_catalog.regclass
                 AND d.refobjid = a.attrelid AND d.refobjsubid = a.attnum AND d.deptype = 'i'
               LIMIT 1) END AS "identitySequence",
            ARRAY(SELECT DISTINCT ra.attname
                    FROM pg_catalog.pg_depend d
                    JOIN pg_catalog.pg_attribute ra ON ra.attrelid = d.refobjid AND ra.attnum = d.refobjsubid
                   WHERE d.classid = 'pg_attrdef'::pg_catalog.regclass AND d.objid = ad.oid
                     AND d.refclassid = 'pg_class'::pg_catalog.regclass AND d.refobjid = a.attrelid
                     AND d.refobjsubid > 0 AND d.refobjsubid <> a.attnum) AS "expressionColumns"
       FROM pg_catalog.pg_attribute a
       LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
      WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attrelid, a.attnum`,
    [oids],
  );
}

function toColumn(row: ColumnRow): ColumnInfo {
  const column: ColumnInfo = withComment(
    { name: row.name, type: row.type, notNull: row.notNull, expressionColumns: row.expressionColumns, isLocal: row.isLocal },
    row.comment,
  );
  if (row.collation) column.collation = row.collation;
  if (row.default !== null) column.default = row.default;
  if (row.generated !== '' && row.generatedExpression !== null) {
    column.generated = { expression: row.generatedExpression, storage: row.generated === 'v' ? 'virtual' : 'stored' };
  }
  if (row.identity !== '' && row.identitySequence) {
    column.identity = { generation: row.identity === 'a' ? 'always' : 'by default', sequence: row.identitySequence };
  }
  return column;
}

interface ConstraintRow {
  oid: number;
  tableOid: number;
  name: string;
  contype: 'p' | 'u' | 'c' | 'x' | 'f';
  columns: string[];
  deferrable: boolean;
  initiallyDeferred: boolean;
  validated: boolean;
  inherited: boolean;
  definition: string;
  expression: string | null;
  noInherit: boolean;
  include: string[] | null;
  nullsNotDistinct: boolean | null;
  indexOptions: string[] | null;
  indexShape: IndexShapeRow | null;
  operators: QualifiedName[] | null;
  referencedTable: TableRef | null;
  referencedColumns: string[];
  onUpdate: string;
  onDelete: string;
  match: string;
  onDeleteColumns: string[] | null;
}

function readConstraintRows(client: pg.ClientBase, oids: readonly number[], serverVersion: number): Promise<ConstraintRow[]> {
  const keyCount = serverVersion >= 110000 ? 'i.indnkeyatts' : 'i.indnatts';
  // Only a partition's constraints come with its parent; a child of plain inheritance is created alone and keeps them.
  const inheritedFromParent = serverVersion >= 110000 ? 'OR co.conparentid <> 0' : '';
  const nullsNotDistinct = serverVersion >= 150000 ? '(SELECT i.indnullsnotdistinct FROM pg_catalog.pg_index i WHERE i.indexrelid = co.conindid)' : 'false';
  const columnNames = (attnums: string, relation: string) =>
    `ARRAY(SELECT a.attname FROM unnest(${attnums}) WITH ORDINALITY k(attnum, ord)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = ${relation} AND a.attnum = k.attnum ORDER BY k.ord)`;
  const onDeleteColumns = serverVersion >= 150000 ? columnNames('co.confdelsetcols', 'co.conrelid') : 'NULL::name[]';
  return queryJson<ConstraintRow>(
    client,
    `SELECT co.oid, co.conrelid AS "tableOid", co.conname AS name, co.contype,
            ${columnNames('co.conkey', 'co.conrelid')} AS columns,
            co.condeferrable AS deferrable, co.condeferred AS "initiallyDeferred", co.convalidated AS validated,
            ((NOT co.conislocal AND ct.relispartition) ${inheritedFromParent}) AS inherited,
            pg_catalog.pg_get_constraintdef(co.oid) AS definition,
            CASE WHEN co.contype = 'c' THEN pg_catalog.pg_get_expr(co.conbin, co.conrelid) END AS expression,
            co.connoinherit AS "noInherit",
            CASE WHEN co.contype IN ('p', 'u') THEN (
              SELECT ARRAY(SELECT ia.attname FROM generate_series(${keyCount} + 1, i.indnatts) k(n)
                             JOIN pg_catalog.pg_attribute ia ON ia.attrelid = i.indrelid AND ia.attnum = i.indkey[k.n - 1]
                            ORDER BY k.n)
                FROM pg_catalog.pg_index i WHERE i.indexrelid = co.conindid) END AS include,
            ${nullsNotDistinct} AS "nullsNotDistinct",
            (SELECT coalesce(ic.reloptions, '{}') FROM pg_catalog.pg_class ic WHERE ic.oid = co.conindid) AS "indexOptions",
            CASE WHEN co.contype = 'x' THEN (
              SELECT ${indexShapeSql('i', serverVersion)} FROM pg_catalog.pg_index i WHERE i.indexrelid = co.conindid) END AS "indexShape",
            CASE WHEN co.contype = 'x' THEN (
              SELECT json_agg(${operatorName('x.op')} ORDER BY x.ord) FROM unnest(co.conexclop) WITH ORDINALITY x(op, ord)) END AS operators,
            CASE WHEN co.contype = 'f' THEN json_build_object('schema', rn.nspname, 'table', r.relname) END AS "referencedTable",
            ${columnNames('co.confkey', 'co.confrelid')} AS "referencedColumns",
            co.confupdtype AS "onUpdate", co.confdeltype AS "onDelete", co.confmatchtype AS match,
            ${onDeleteColumns} AS "onDeleteColumns"
       FROM pg_catalog.pg_constraint co
       JOIN pg_catalog.pg_class ct ON ct.oid = co.conrelid
       LEFT JOIN pg_catalog.pg_class r ON r.oid = co.confrelid
       LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace
      WHERE co.conrelid = ANY($1::oid[]) AND co.contype IN ('p', 'u', 'c', 'x', 'f')
      ORDER BY co.conrelid, position(co.contype IN 'pucxf'), co.conname`,
    [oids],
  );
}

const FK_ACTIONS: Record<string, ForeignKeyAction> = { a: 'no action', r: 'restrict', c: 'cascade', n: 'set null', d: 'set default' };

function toConstraint(row: ConstraintRow): ConstraintInfo {
  const base = {
    id: `pg_constraint:${row.oid}`,
    name: row.name,
    columns: row.columns,
    deferrable: row.deferrable,
    initiallyDeferred: row.initiallyDeferred,
    validated: row.validated,
    inherited: row.inherited,
    definition: row.definition,
  };
  switch (row.contype) {
    case 'p':
    case 'u':
      return {
        ...base,
        kind: row.contype === 'p' ? 'primary-key' : 'unique',
        include: row.include ?? [],
        nullsNotDistinct: row.nullsNotDistinct ?? false,
        indexOptions: row.indexOptions ?? [],
      };
    case 'c':
      return { ...base, kind: 'check', expression: row.expression ?? '', noInherit: row.noInherit };
    case 'x':
      return { ...base, kind: 'exclusion', index: toIndexShape(row.indexShape!), operators: row.operators ?? [] };
    case 'f':
      return {
        ...base,
        kind: 'foreign-key',
        referencedTable: row.referencedTable!,
        referencedColumns: row.referencedColumns,
        onUpdate: FK_ACTIONS[row.onUpdate] ?? 'no action',
        onDelete: FK_ACTIONS[row.onDelete] ?? 'no action',
        onDeleteColumns: row.onDeleteColumns ?? [],
        match: row.match === 'f' ? 'full' : row.match === 'p' ? 'partial' : 'simple',
      };
  }
}
