/**
 * SQL expressions that turn a catalog oid into {"schema", "name"} JSON (or
 * null for 0), so readers get names they can quote themselves.
 */
export const procName = (oid: string) =>
  `(SELECT json_build_object('schema', pn.nspname, 'name', pp.proname) FROM pg_catalog.pg_proc pp
     JOIN pg_catalog.pg_namespace pn ON pn.oid = pp.pronamespace WHERE pp.oid = ${oid} AND ${oid} <> 0)`;

export const collationName = (oid: string) =>
  `(SELECT json_build_object('schema', cn.nspname, 'name', co.collname) FROM pg_catalog.pg_collation co
     JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = ${oid} AND ${oid} <> 0)`;

export const operatorName = (oid: string) =>
  `(SELECT json_build_object('schema', onn.nspname, 'name', op.oprname) FROM pg_catalog.pg_operator op
     JOIN pg_catalog.pg_namespace onn ON onn.oid = op.oprnamespace WHERE op.oid = ${oid} AND ${oid} <> 0)`;

/** The operator class, unless it is the default one (then CREATE picks it anyway). */
export const nonDefaultOpclassName = (oid: string) =>
  `(SELECT json_build_object('schema', ocn.nspname, 'name', oc.opcname) FROM pg_catalog.pg_opclass oc
     JOIN pg_catalog.pg_namespace ocn ON ocn.oid = oc.opcnamespace WHERE oc.oid = ${oid} AND NOT oc.opcdefault)`;

/** The collation when it is not the one the type brings. */
export const collationUnlessDefault = (collation: string, type: string) =>
  `CASE WHEN ${collation} <> 0 AND ${collation} <> coalesce((SELECT tc.typcollation FROM pg_catalog.pg_type tc WHERE tc.oid = ${type}), 0)
        THEN ${collationName(collation)} END`;
