import type pg from 'pg';
import type { Dependency } from '../schema-model.js';
import { FIRST_USER_OID, queryJson } from './query-json.js';

export interface CatalogDependency extends Dependency {
  /** Schema of the needed object (null for extensions and schemas). */
  toSchema: string | null;
  /** The relation the dependent object belongs to (a table's constraint, trigger, index, default, rule), if any. */
  fromRelation: string | null;
}

/**
 * Normal dependencies (pg_depend deptype 'n') of user objects, with both ends
 * mapped to the object a plan creates:
 * - an array type → its element type; a multirange → its range (14+);
 * - a table's or view's row type → the relation; a composite type's pg_class row → the type;
 * - a column default → its table (fromColumn names the column); a view's _RETURN rule → the view;
 * - an index behind a primary key, unique or exclusion constraint → the constraint;
 * - any member of an extension → the extension.
 */
export async function readDependencies(client: pg.ClientBase, serverVersion: number): Promise<CatalogDependency[]> {
  const multirangeJoin =
    serverVersion >= 140000
      ? `LEFT JOIN pg_catalog.pg_range mr ON o.cls = 'pg_type'::pg_catalog.regclass AND mr.rngmultitypid = o.oid`
      : `LEFT JOIN (SELECT NULL::oid AS rngtypid) mr ON false`;
  return queryJson<CatalogDependency>(
    client,
    `WITH deps AS (
       SELECT d.classid, d.objid, d.objsubid, d.refclassid, d.refobjid
         FROM pg_catalog.pg_depend d
        WHERE d.deptype = 'n' AND d.objid >= ${FIRST_USER_OID}
          AND d.classid IN ('pg_class'::pg_catalog.regclass, 'pg_type'::pg_catalog.regclass, 'pg_proc'::pg_catalog.regclass,
                            'pg_operator'::pg_catalog.regclass, 'pg_constraint'::pg_catalog.regclass, 'pg_trigger'::pg_catalog.regclass,
                            'pg_rewrite'::pg_catalog.regclass, 'pg_attrdef'::pg_catalog.regclass, 'pg_extension'::pg_catalog.regclass)
     ),
     objs AS (
       SELECT classid AS cls, objid AS oid FROM deps
       UNION
       SELECT refclassid, refobjid FROM deps
     ),
     step1 AS (
       SELECT o.cls, o.oid,
              CASE
                WHEN o.cls = 'pg_attrdef'::pg_catalog.regclass THEN 'pg_class'::pg_catalog.regclass::oid
                WHEN o.cls = 'pg_rewrite'::pg_catalog.regclass AND r.rulename = '_RETURN' THEN 'pg_class'::pg_catalog.regclass::oid
                WHEN o.cls = 'pg_class'::pg_catalog.regclass AND c.relkind = 'c' THEN 'pg_type'::pg_catalog.regclass::oid
                WHEN o.cls = 'pg_class'::pg_catalog.regclass AND bk.oid IS NOT NULL THEN 'pg_constraint'::pg_catalog.regclass::oid
                ELSE o.cls
              END AS cls1,
              CASE
                WHEN o.cls = 'pg_type'::pg_catalog.regclass
                  THEN coalesce(mr.rngtypid, CASE WHEN t.typlen = -1 AND t.typelem <> 0 THEN t.typelem END, o.oid)
                WHEN o.cls = 'pg_attrdef'::pg_catalog.regclass THEN ad.adrelid
                WHEN o.cls = 'pg_rewrite'::pg_catalog.regclass AND r.rulename = '_RETURN' THEN r.ev_class
                WHEN o.cls = 'pg_class'::pg_catalog.regclass AND c.relkind = 'c' THEN c.reltype
                WHEN o.cls = 'pg_class'::pg_catalog.regclass AND bk.oid IS NOT NULL THEN bk.oid
                ELSE o.oid
              END AS oid1
         FROM objs o
         LEFT JOIN pg_catalog.pg_type t ON o.cls = 'pg_type'::pg_catalog.regclass AND t.oid = o.oid
         ${multirangeJoin}
         LEFT JOIN pg_catalog.pg_attrdef ad ON o.cls = 'pg_attrdef'::pg_catalog.regclass AND ad.oid = o.oid
         LEFT JOIN pg_catalog.pg_rewrite r ON o.cls = 'pg_rewrite'::pg_catalog.regclass AND r.oid = o.oid
         LEFT JOIN pg_catalog.pg_class c ON o.cls = 'pg_class'::pg_catalog.regclass AND c.oid = o.oid
         LEFT JOIN pg_catalog.pg_index bi ON o.cls = 'pg_class'::pg_catalog.regclass AND bi.indexrelid = o.oid
         LEFT JOIN pg_catalog.pg_constraint bk ON bk.conindid = bi.indexrelid AND bk.conrelid = bi.indrelid AND bk.contype IN ('p', 'u', 'x')
     ),
     step2 AS (
       SELECT s.cls, s.oid,
              CASE WHEN rc.oid IS NOT NULL THEN 'pg_class'::pg_catalog.regclass::oid ELSE s.cls1 END AS cls2,
              CASE WHEN rc.oid IS NOT NULL THEN rc.oid ELSE s.oid1 END AS oid2
         FROM step1 s
         LEFT JOIN pg_catalog.pg_type t2 ON s.cls1 = 'pg_type'::pg_catalog.regclass AND t2.oid = s.oid1
         LEFT JOIN pg_catalog.pg_class rc ON rc.oid = t2.typrelid AND rc.relkind <> 'c'
     ),
     mapped AS (
       SELECT s.cls, s.oid, s.cls2, s.oid2,
              coalesce('pg_extension:' || ext.refobjid, s.cls2::pg_catalog.regclass::text || ':' || s.oid2) AS id
         FROM step2 s
         LEFT JOIN LATERAL (
           SELECT e.refobjid FROM pg_catalog.pg_depend e
            WHERE e.classid = s.cls2 AND e.objid = s.oid2 AND e.deptype = 'e' LIMIT 1
         ) ext ON true
     )
     SELECT DISTINCT
            f.id AS "from",
            CASE
              WHEN d.classid = 'pg_class'::pg_catalog.regclass AND d.objsubid > 0
                THEN (SELECT a.attname FROM pg_catalog.pg_attribute a WHERE a.attrelid = d.objid AND a.attnum = d.objsubid)
              WHEN d.classid = 'pg_attrdef'::pg_catalog.regclass
                THEN (SELECT a.attname FROM pg_catalog.pg_attrdef x JOIN pg_catalog.pg_attribute a ON a.attrelid = x.adrelid AND a.attnum = x.adnum WHERE x.oid = d.objid)
            END AS "fromColumn",
            'pg_class:' || CASE
              WHEN d.classid = 'pg_class'::pg_catalog.regclass
                THEN coalesce((SELECT x.indrelid FROM pg_catalog.pg_index x WHERE x.indexrelid = d.objid), d.objid)
              WHEN d.classid = 'pg_attrdef'::pg_catalog.regclass THEN (SELECT x.adrelid FROM pg_catalog.pg_attrdef x WHERE x.oid = d.objid)
              WHEN d.classid = 'pg_constraint'::pg_catalog.regclass THEN (SELECT nullif(x.conrelid, 0) FROM pg_catalog.pg_constraint x WHERE x.oid = d.objid)
              WHEN d.classid = 'pg_trigger'::pg_catalog.regclass THEN (SELECT x.tgrelid FROM pg_catalog.pg_trigger x WHERE x.oid = d.objid)
              WHEN d.classid = 'pg_rewrite'::pg_catalog.regclass THEN (SELECT x.ev_class FROM pg_catalog.pg_rewrite x WHERE x.oid = d.objid)
            END AS "fromRelation",
            t.id AS "to",
            CASE WHEN t.id LIKE 'pg_extension:%' THEN pg_catalog.pg_describe_object('pg_extension'::pg_catalog.regclass, substr(t.id, 14)::oid, 0)
                 ELSE pg_catalog.pg_describe_object(t.cls2, t.oid2, 0) END AS "toDescription",
            CASE WHEN t.id LIKE 'pg_extension:%' OR t.cls2 = 'pg_namespace'::pg_catalog.regclass THEN NULL
                 ELSE (pg_catalog.pg_identify_object_as_address(t.cls2, t.oid2, 0)).object_names[1] END AS "toSchema"
       FROM deps d
       JOIN mapped f ON f.cls = d.classid AND f.oid = d.objid
       JOIN mapped t ON t.cls = d.refclassid AND t.oid = d.refobjid
      WHERE f.id <> t.id
      ORDER BY 1, 4`,
  ).then((rows) => rows.map(withoutNulls));
}

function withoutNulls(row: CatalogDependency): CatalogDependency {
  const dependency: CatalogDependency = {
    from: row.from,
    to: row.to,
    toDescription: row.toDescription,
    toSchema: row.toSchema,
    fromRelation: row.fromRelation,
  };
  if (row.fromColumn !== null && row.fromColumn !== undefined) dependency.fromColumn = row.fromColumn;
  return dependency;
}
