import type pg from 'pg';
import type { ExtensionInfo, QualifiedName, SchemaInfo } from '../schema-model.js';
import { SYSTEM_SCHEMA_FILTER, queryJson } from './query-json.js';

export async function readSchemas(client: pg.ClientBase, names: readonly string[]): Promise<SchemaInfo[]> {
  const rows = await queryJson<{ oid: number; name: string; comment: string | null }>(
    client,
    `SELECT n.oid, n.nspname AS name, pg_catalog.obj_description(n.oid, 'pg_namespace') AS comment
       FROM pg_catalog.pg_namespace n
      WHERE n.nspname = ANY($1::text[]) AND ${SYSTEM_SCHEMA_FILTER('n')}
      ORDER BY n.nspname`,
    [names],
  );
  return rows.map((row) => withComment({ id: `pg_namespace:${row.oid}`, name: row.name }, row.comment));
}

/** Every extension but plpgsql, which every database has. */
export async function readExtensions(client: pg.ClientBase): Promise<ExtensionInfo[]> {
  const rows = await queryJson<{ oid: number; name: string; version: string; schema: string }>(
    client,
    `SELECT e.oid, e.extname AS name, e.extversion AS version, n.nspname AS schema
       FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
      WHERE e.extname <> 'plpgsql'
      ORDER BY e.extname`,
  );
  return rows.map((row) => ({ id: `pg_extension:${row.oid}`, name: row.name, version: row.version, schema: row.schema }));
}

/** Names of types, functions and relations extensions own: deparsed SQL may mention them. */
export async function readExtensionObjects(client: pg.ClientBase): Promise<QualifiedName[]> {
  return queryJson<QualifiedName>(
    client,
    `SELECT DISTINCT n.nspname AS schema, o.name
       FROM pg_catalog.pg_depend d
       JOIN LATERAL (
         SELECT t.typnamespace AS nsp, t.typname::text AS name FROM pg_catalog.pg_type t
          WHERE d.classid = 'pg_type'::pg_catalog.regclass AND t.oid = d.objid
         UNION ALL
         SELECT p.pronamespace, p.proname::text FROM pg_catalog.pg_proc p
          WHERE d.classid = 'pg_proc'::pg_catalog.regclass AND p.oid = d.objid
         UNION ALL
         SELECT c.relnamespace, c.relname::text FROM pg_catalog.pg_class c
          WHERE d.classid = 'pg_class'::pg_catalog.regclass AND c.oid = d.objid
       ) o ON true
       JOIN pg_catalog.pg_namespace n ON n.oid = o.nsp
      WHERE d.deptype = 'e' AND ${SYSTEM_SCHEMA_FILTER('n')}
      ORDER BY 1, 2`,
  );
}

/** Sets `comment` only when there is one, so objects compare equal whatever their source. */
export function withComment<T extends object>(object: T, comment: string | null | undefined): T & { comment?: string } {
  return comment === null || comment === undefined ? object : { ...object, comment };
}
