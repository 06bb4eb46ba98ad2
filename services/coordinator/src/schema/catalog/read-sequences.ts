import type pg from 'pg';
import type { SequenceInfo } from '../schema-model.js';
import { queryJson } from './query-json.js';
import { withComment } from './read-schemas.js';

/** Sequence options as CREATE SEQUENCE takes them (pg_sequence, 10+), as SQL over alias `s`. */
export const SEQUENCE_OPTIONS_SQL = `
  pg_catalog.format_type(s.seqtypid, NULL) AS "dataType",
  s.seqstart::text AS start, s.seqincrement::text AS increment,
  s.seqmin::text AS min, s.seqmax::text AS max, s.seqcache::text AS cache, s.seqcycle AS cycle`;

interface SequenceRow extends Omit<SequenceInfo, 'id' | 'ownedBy' | 'comment'> {
  oid: number;
  comment: string | null;
  ownedBy: SequenceInfo['ownedBy'] | null;
}

export async function readSequences(client: pg.ClientBase, oids: readonly number[]): Promise<SequenceInfo[]> {
  const rows = await queryJson<SequenceRow>(
    client,
    `SELECT c.oid, n.nspname AS schema, c.relname AS name, ${SEQUENCE_OPTIONS_SQL},
            pg_catalog.obj_description(c.oid, 'pg_class') AS comment,
            (SELECT json_build_object('schema', tn.nspname, 'table', t.relname, 'column', a.attname)
               FROM pg_catalog.pg_depend d
               JOIN pg_catalog.pg_class t ON t.oid = d.refobjid
               JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
               JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
              WHERE d.classid = 'pg_class'::pg_catalog.regclass AND d.objid = c.oid AND d.deptype = 'a'
                AND d.refclassid = 'pg_class'::pg_catalog.regclass AND d.refobjsubid > 0
              LIMIT 1) AS "ownedBy"
       FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid
      WHERE c.oid = ANY($1::oid[])
      ORDER BY n.nspname, c.relname`,
    [oids],
  );
  return rows.map(({ oid, comment, ownedBy, ...sequence }) => {
    const info: SequenceInfo = withComment({ ...sequence, id: `pg_class:${oid}` }, comment);
    if (ownedBy) info.ownedBy = ownedBy;
    return info;
  });
}
