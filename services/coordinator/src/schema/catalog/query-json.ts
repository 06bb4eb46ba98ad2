import type pg from 'pg';
import { InvariantError } from '@ferry/core';
import { queryTextRows } from '@ferry/pg';

/**
 * Runs a catalog query and returns its rows as parsed JSON objects. The server
 * builds the JSON (json_agg), so the result does not depend on the type parsers
 * of the client the caller handed us; bigints the query must cast to text.
 */
export async function queryJson<T>(client: pg.ClientBase, sql: string, params: readonly unknown[] = []): Promise<T[]> {
  const rows = await queryTextRows(client, `SELECT coalesce(json_agg(q), '[]'::json)::text FROM (${sql}) q`, params);
  const text = rows[0]?.[0];
  if (typeof text !== 'string') throw new InvariantError('a catalog query returned no JSON');
  return JSON.parse(text) as T[];
}

/** The first oid after initdb's objects: user objects have oids from here on. */
export const FIRST_USER_OID = 16384;

/** Schemas never read: PostgreSQL's own and Ferry's (ferry is never copied). */
export const SYSTEM_SCHEMA_FILTER = (alias: string) =>
  `${alias}.nspname NOT IN ('pg_catalog', 'information_schema', 'ferry') AND ${alias}.nspname !~ '^pg_(toast|temp_|toast_temp_)'`;

/** SQL that is true when the object (catalog, oid) belongs to an extension. */
export const EXTENSION_MEMBER = (catalog: string, oid: string) =>
  `EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = '${catalog}'::pg_catalog.regclass AND e.objid = ${oid} AND e.deptype = 'e')`;
