import type pg from 'pg';
import type { QualifiedName, TypeInfo } from '../schema-model.js';
import { collationUnlessDefault, nonDefaultOpclassName, procName } from './name-sql.js';
import { EXTENSION_MEMBER, queryJson } from './query-json.js';
import { withComment } from './read-schemas.js';

interface TypeRow {
  oid: number;
  schema: string;
  name: string;
  typtype: 'e' | 'c' | 'r' | 'd';
  comment: string | null;
  labels: string[] | null;
  attributes: Array<{ name: string; type: string; collation: QualifiedName | null }> | null;
  subtype: string | null;
  subtypeOpclass: QualifiedName | null;
  rangeCollation: QualifiedName | null;
  canonical: QualifiedName | null;
  subtypeDiff: QualifiedName | null;
  multirangeName: string | null;
  baseType: string | null;
  domainCollation: QualifiedName | null;
  domainDefault: string | null;
  notNull: boolean;
  checks: Array<{ oid: number; name: string; definition: string }> | null;
}

/** Enum, composite, range and domain types of the given schemas (not extension members). */
export async function readTypes(client: pg.ClientBase, schemas: readonly string[], serverVersion: number): Promise<TypeInfo[]> {
  const multirange =
    serverVersion >= 140000 ? `(SELECT mt.typname FROM pg_catalog.pg_type mt WHERE mt.oid = rg.rngmultitypid)` : 'NULL::name';
  const rows = await queryJson<TypeRow>(
    client,
    `SELECT t.oid, n.nspname AS schema, t.typname AS name, t.typtype,
            pg_catalog.obj_description(t.oid, 'pg_type') AS comment,
            CASE WHEN t.typtype = 'e' THEN ARRAY(SELECT e.enumlabel FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) END AS labels,
            CASE WHEN t.typtype = 'c' THEN (
              SELECT json_agg(json_build_object(
                       'name', a.attname,
                       'type', pg_catalog.format_type(a.atttypid, a.atttypmod),
                       'collation', ${collationUnlessDefault('a.attcollation', 'a.atttypid')}) ORDER BY a.attnum)
                FROM pg_catalog.pg_attribute a
               WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) END AS attributes,
            pg_catalog.format_type(rg.rngsubtype, NULL) AS subtype,
            ${nonDefaultOpclassName('rg.rngsubopc')} AS "subtypeOpclass",
            ${collationUnlessDefault('coalesce(rg.rngcollation, 0)', 'rg.rngsubtype')} AS "rangeCollation",
            ${procName('rg.rngcanonical')} AS canonical,
            ${procName('rg.rngsubdiff')} AS "subtypeDiff",
            ${multirange} AS "multirangeName",
            CASE WHEN t.typtype = 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod) END AS "baseType",
            CASE WHEN t.typtype = 'd' THEN ${collationUnlessDefault('t.typcollation', 't.typbasetype')} END AS "domainCollation",
            pg_catalog.pg_get_expr(t.typdefaultbin, 0) AS "domainDefault",
            t.typnotnull AS "notNull",
            (SELECT json_agg(json_build_object('oid', co.oid, 'name', co.conname, 'definition', pg_catalog.pg_get_constraintdef(co.oid)) ORDER BY co.conname)
               FROM pg_catalog.pg_constraint co WHERE co.contypid = t.oid AND co.contype = 'c') AS checks
       FROM pg_catalog.pg_type t
       JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
       LEFT JOIN pg_catalog.pg_range rg ON rg.rngtypid = t.oid
      WHERE n.nspname = ANY($1::text[])
        AND (t.typtype IN ('e', 'r', 'd')
             OR (t.typtype = 'c' AND (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c'))
        AND NOT ${EXTENSION_MEMBER('pg_type', 't.oid')}
      ORDER BY n.nspname, t.typname`,
    [schemas],
  );
  return rows.map(toType);
}

function toType(row: TypeRow): TypeInfo {
  const base = withComment({ id: `pg_type:${row.oid}`, schema: row.schema, name: row.name }, row.comment);
  switch (row.typtype) {
    case 'e':
      return { ...base, kind: 'enum', labels: row.labels ?? [] };
    case 'c':
      return {
        ...base,
        kind: 'composite',
        attributes: (row.attributes ?? []).map((a) => (a.collation ? { name: a.name, type: a.type, collation: a.collation } : { name: a.name, type: a.type })),
      };
    case 'r': {
      const range: TypeInfo = { ...base, kind: 'range', subtype: row.subtype ?? '' };
      if (row.subtypeOpclass) range.subtypeOpclass = row.subtypeOpclass;
      if (row.rangeCollation) range.collation = row.rangeCollation;
      if (row.canonical) range.canonical = row.canonical;
      if (row.subtypeDiff) range.subtypeDiff = row.subtypeDiff;
      if (row.multirangeName) range.multirangeName = row.multirangeName;
      return range;
    }
    case 'd': {
      const domain: TypeInfo = {
        ...base,
        kind: 'domain',
        baseType: row.baseType ?? '',
        notNull: row.notNull,
        checks: (row.checks ?? []).map((check) => ({ id: `pg_constraint:${check.oid}`, name: check.name, definition: check.definition })),
      };
      if (row.domainCollation) domain.collation = row.domainCollation;
      if (row.domainDefault !== null) domain.default = row.domainDefault;
      return domain;
    }
  }
}
