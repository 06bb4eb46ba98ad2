import type { Logger } from '@ferry/observability';
import { quoteIdent } from '@ferry/pg';
import type pg from 'pg';

/** Schema of Ferry's objects on the source (see source-setup.ts). */
const S = quoteIdent('ferry');

/**
 * Every DDL command the event trigger records lands in this table. The table is in each
 * DDL-capturing task's publication, so a command's row travels through the slot inside the
 * command's own transaction, in commit order with the data changes around it.
 */
export const DDL_LOG_TABLE = 'ddl_log';

/** Commands whose effect on tables is captured. TRUNCATE is not DDL here: pgoutput carries it. */
const CAPTURED_TAGS = ['CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO', 'ALTER TABLE', 'DROP TABLE', 'CREATE INDEX', 'ALTER INDEX', 'DROP INDEX'];
const TAG_LIST = CAPTURED_TAGS.map((t) => `'${t}'`).join(', ');

/**
 * The source-side objects of DDL capture. Created once per database and shared by every task
 * that captures DDL there; each task registers its publication and selection in
 * ferry.ddl_capture so the trigger can add new tables of its schemas to its publication.
 *
 * Descriptions are deparsed with search_path = pg_catalog, so every name in them is
 * schema-qualified and means the same thing on any server.
 */
const INSTALL_SQL = `
CREATE SCHEMA IF NOT EXISTS ${S};
CREATE TABLE IF NOT EXISTS ${S}.ddl_capture (
  publication text PRIMARY KEY,
  task text NOT NULL,
  include_patterns text[] NOT NULL,
  exclude_patterns text[] NOT NULL,
  -- table oid → its topics: a renamed table stays on the topics it had, across restarts too.
  topics jsonb NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT now());
ALTER TABLE ${S}.ddl_capture ADD COLUMN IF NOT EXISTS topics jsonb NOT NULL DEFAULT '{}';

CREATE TABLE IF NOT EXISTS ${S}.${DDL_LOG_TABLE} (
  id bigserial PRIMARY KEY,
  tag text NOT NULL,
  statement text,
  tables jsonb NOT NULL,
  dropped jsonb NOT NULL,
  error text,
  created_at timestamptz NOT NULL DEFAULT now());

-- The last name the trigger saw for each table: a rename's row names the table's previous name,
-- read in WAL order, so a capture replaying after a restart still knows what was renamed.
CREATE TABLE IF NOT EXISTS ${S}.ddl_names (
  oid oid PRIMARY KEY,
  schema_name text NOT NULL,
  table_name text NOT NULL);
-- Its column names by attnum: a RENAME COLUMN keeps the attnum, so the log row can name the old column.
ALTER TABLE ${S}.ddl_names ADD COLUMN IF NOT EXISTS columns jsonb;

CREATE OR REPLACE FUNCTION ${S}.column_names(rel oid) RETURNS jsonb LANGUAGE sql STABLE SET search_path = pg_catalog AS $fn$
  SELECT coalesce(jsonb_object_agg(a.attnum::text, a.attname::text), '{}') FROM pg_attribute a WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped
$fn$;

INSERT INTO ${S}.ddl_names
  SELECT c.oid, n.nspname, c.relname, ${S}.column_names(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p') AND c.relpersistence = 'p' AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'ferry') AND n.nspname NOT LIKE 'pg_toast%'
  ON CONFLICT (oid) DO UPDATE SET columns = EXCLUDED.columns WHERE ${S}.ddl_names.columns IS NULL;

CREATE OR REPLACE FUNCTION ${S}.base_type(t oid) RETURNS oid LANGUAGE sql STABLE SET search_path = pg_catalog AS $fn$
  WITH RECURSIVE chain(oid, base, kind) AS (
    SELECT oid, typbasetype, typtype FROM pg_type WHERE oid = t
    UNION ALL
    SELECT p.oid, p.typbasetype, p.typtype FROM pg_type p JOIN chain c ON p.oid = c.base WHERE c.kind = 'd')
  SELECT oid FROM chain WHERE kind <> 'd' LIMIT 1
$fn$;

-- The value rows that existed before ADD COLUMN ... DEFAULT <non-volatile expression> have
-- (PostgreSQL's fast default, pg_attribute.attmissingval), as text: computed once on the
-- source (now() at the ALTER), so the destination must take it rather than compute its own.
CREATE OR REPLACE FUNCTION ${S}.missing_value(rel oid, col int2) RETURNS text LANGUAGE plpgsql STABLE SET search_path = pg_catalog AS $fn$
DECLARE
  stored text;
  typ text;
  result text;
BEGIN
  -- Fast defaults exist from PostgreSQL 11 (plpgsql parses the query below only when it runs).
  -- An array column's value is left out (its stored form nests arrays): the column takes the default as before.
  IF current_setting('server_version_num')::int < 110000 THEN RETURN NULL; END IF;
  SELECT a.attmissingval::text, format_type(a.atttypid, a.atttypmod) INTO stored, typ
    FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
   WHERE a.attrelid = rel AND a.attnum = col AND a.atthasmissing AND t.typcategory <> 'A';
  IF stored IS NULL THEN RETURN NULL; END IF;
  EXECUTE format('SELECT ($1::%s[])[1]::text', typ) INTO result USING stored;
  RETURN result;
END
$fn$;

-- Columns a command added whose existing rows PostgreSQL filled one by one (a volatile default
-- such as random() or clock_timestamp(), serial, identity): the table was rewritten without
-- WAL records logical decoding reads, so the values cannot reach the destination.
CREATE OR REPLACE FUNCTION ${S}.filled_per_row(rel oid, previous jsonb) RETURNS jsonb LANGUAGE plpgsql STABLE SET search_path = pg_catalog AS $fn$
DECLARE
  found jsonb;
  has_rows boolean;
BEGIN
  -- Unknown before: nothing to compare with. Before 11 (no fast defaults) the query below cannot tell.
  IF previous IS NULL OR current_setting('server_version_num')::int < 110000 THEN RETURN '[]'; END IF;
  SELECT coalesce(jsonb_agg(a.attname::text ORDER BY a.attnum), '[]') INTO found FROM pg_attribute a
   WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped AND NOT previous ? a.attnum::text
     AND NOT a.atthasmissing AND (a.atthasdef OR a.attidentity <> '') AND a.attgenerated = '';
  IF jsonb_array_length(found) = 0 THEN RETURN found; END IF;
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM ONLY %s)', rel::regclass) INTO has_rows;
  RETURN CASE WHEN has_rows THEN found ELSE '[]' END;
END
$fn$;

CREATE OR REPLACE FUNCTION ${S}.describe_table(rel oid) RETURNS jsonb LANGUAGE sql STABLE SET search_path = pg_catalog AS $fn$
  SELECT jsonb_build_object(
    'oid', c.oid::bigint, 'schema', n.nspname::text, 'name', c.relname::text, 'kind', c.relkind::text,
    'replicaIdentity', c.relreplident::text,
    'columns', coalesce((
      SELECT jsonb_agg(jsonb_build_object(
        'attnum', a.attnum, 'name', a.attname::text, 'type', format_type(a.atttypid, a.atttypmod),
        'typeOid', a.atttypid::bigint, 'baseTypeOid', coalesce(${S}.base_type(a.atttypid), a.atttypid)::bigint,
        'notNull', a.attnotnull, 'default', pg_get_expr(d.adbin, d.adrelid), 'generated', a.attgenerated <> '',
        'identity', a.attidentity::text,
        'missing', ${S}.missing_value(c.oid, a.attnum)) ORDER BY a.attnum)
      FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '[]'),
    'constraints', coalesce((
      SELECT jsonb_agg(jsonb_build_object('name', k.conname::text, 'type', k.contype::text, 'definition', pg_get_constraintdef(k.oid)) ORDER BY k.conname)
      FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype IN ('p', 'u', 'c', 'f', 'x')), '[]'),
    'indexes', coalesce((
      SELECT jsonb_agg(jsonb_build_object(
        'name', ic.relname::text, 'definition', pg_get_indexdef(i.indexrelid), 'primary', i.indisprimary,
        'unique', i.indisunique, 'replicaIdentity', i.indisreplident,
        'constraint', EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = c.oid),
        'keyColumns', CASE WHEN i.indisunique AND i.indimmediate AND i.indpred IS NULL AND i.indexprs IS NULL THEN (
          SELECT jsonb_agg(a.attname::text ORDER BY k.ord) FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum) END,
        'keyNotNull', NOT EXISTS (SELECT 1 FROM unnest(i.indkey::int2[]) k(attnum) JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum WHERE NOT a.attnotnull))
        ORDER BY ic.relname)
      FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = c.oid AND i.indisvalid), '[]'))
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = rel
$fn$;

-- sql_drop runs just before ddl_command_end of the same command: remember what it dropped.
CREATE OR REPLACE FUNCTION ${S}.ddl_dropped() RETURNS event_trigger LANGUAGE plpgsql SET search_path = pg_catalog AS $fn$
DECLARE
  found jsonb;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM ${S}.ddl_capture) THEN RETURN; END IF;
  SELECT coalesce(jsonb_agg(jsonb_build_object('type', object_type, 'address', to_jsonb(address_names), 'oid', objid::bigint)), '[]')
    INTO found FROM pg_event_trigger_dropped_objects()
   WHERE object_type IN ('table', 'table column', 'table constraint', 'index') AND NOT is_temporary AND coalesce(schema_name, '') <> 'ferry';
  PERFORM set_config('ferry.ddl_dropped', (coalesce(nullif(current_setting('ferry.ddl_dropped', true), ''), '[]')::jsonb || found)::text, true);
END
$fn$;

CREATE OR REPLACE FUNCTION ${S}.ddl_command_end() RETURNS event_trigger LANGUAGE plpgsql SET search_path = pg_catalog AS $fn$
DECLARE
  dropped jsonb := coalesce(nullif(current_setting('ferry.ddl_dropped', true), ''), '[]')::jsonb;
  rels oid[];
  created oid[];
  target record;
  task record;
  selected boolean;
BEGIN
  PERFORM set_config('ferry.ddl_dropped', '', true);
  -- Our own ALTERs below fire this trigger again; the outer call records the result.
  IF current_setting('ferry.ddl_nested', true) = 'on' OR NOT EXISTS (SELECT 1 FROM ${S}.ddl_capture) THEN RETURN; END IF;
  BEGIN
    SELECT coalesce(array_agg(DISTINCT t.oid), '{}'), coalesce(array_agg(DISTINCT t.oid) FILTER (WHERE s.created), '{}') INTO rels, created
      FROM (SELECT coalesce(i.indrelid, c.oid) AS rel, e.command_tag IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO') AND e.object_type = 'table' AS created
              FROM pg_event_trigger_ddl_commands() e
              JOIN pg_class c ON e.classid = 'pg_class'::regclass AND c.oid = e.objid
              LEFT JOIN pg_index i ON i.indexrelid = c.oid
             WHERE NOT e.in_extension AND c.relkind IN ('r', 'p', 'i', 'I')) s
      JOIN pg_class t ON t.oid = s.rel
      JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE t.relkind IN ('r', 'p') AND t.relpersistence = 'p' AND n.nspname <> 'ferry';
    IF cardinality(rels) = 0 AND jsonb_array_length(dropped) = 0 THEN RETURN; END IF;
    -- A new table of a selected schema joins every task selecting it, and gets the replica
    -- identity capture needs (FULL without a usable key), before any of its rows are written.
    FOR target IN SELECT c.oid, n.nspname::text AS schema, c.relname::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE c.oid = ANY (created) AND c.relkind = 'r' LOOP
      PERFORM set_config('ferry.ddl_nested', 'on', true);
      selected := false;
      FOR task IN SELECT d.publication, p.oid AS pub FROM ${S}.ddl_capture d JOIN pg_publication p ON p.pubname = d.publication
                   WHERE NOT p.puballtables AND target.schema || '.' || target.name ~ ANY (d.include_patterns)
                     AND NOT target.schema || '.' || target.name ~ ANY (d.exclude_patterns) LOOP
        selected := true;
        IF NOT EXISTS (SELECT 1 FROM pg_publication_rel r WHERE r.prpubid = task.pub AND r.prrelid = target.oid) THEN
          EXECUTE format('ALTER PUBLICATION %I ADD TABLE %I.%I', task.publication, target.schema, target.name);
        END IF;
      END LOOP;
      IF selected AND (SELECT relreplident FROM pg_class WHERE oid = target.oid) <> 'f'
         AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = target.oid AND i.indisunique AND i.indimmediate AND i.indpred IS NULL AND i.indexprs IS NULL
                            AND NOT EXISTS (SELECT 1 FROM unnest(i.indkey::int2[]) k(attnum) JOIN pg_attribute a ON a.attrelid = target.oid AND a.attnum = k.attnum WHERE NOT a.attnotnull)) THEN
        EXECUTE format('ALTER TABLE %I.%I REPLICA IDENTITY FULL', target.schema, target.name);
      END IF;
      PERFORM set_config('ferry.ddl_nested', 'off', true);
    END LOOP;
    INSERT INTO ${S}.${DDL_LOG_TABLE} (tag, statement, tables, dropped)
    VALUES (tg_tag, current_query(),
            (SELECT coalesce(jsonb_agg(${S}.describe_table(r) || jsonb_build_object(
                      'created', r = ANY (created),
                      'previous', (SELECT jsonb_build_object('schema', d.schema_name, 'name', d.table_name) FROM ${S}.ddl_names d WHERE d.oid = r),
                      'previousColumns', (SELECT d.columns FROM ${S}.ddl_names d WHERE d.oid = r),
                      'filledPerRow', CASE WHEN r = ANY (created) THEN '[]' ELSE ${S}.filled_per_row(r, (SELECT d.columns FROM ${S}.ddl_names d WHERE d.oid = r)) END)), '[]')
               FROM unnest(rels) r),
            dropped);
    INSERT INTO ${S}.ddl_names
      SELECT c.oid, n.nspname, c.relname, ${S}.column_names(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = ANY (rels)
      ON CONFLICT (oid) DO UPDATE SET schema_name = EXCLUDED.schema_name, table_name = EXCLUDED.table_name, columns = EXCLUDED.columns;
    DELETE FROM ${S}.ddl_names WHERE oid IN (SELECT (d->>'oid')::oid FROM jsonb_array_elements(dropped) d WHERE d->>'type' = 'table');
  EXCEPTION WHEN OTHERS THEN
    -- Never break the application's DDL; capture stops at this row with the reason instead.
    PERFORM set_config('ferry.ddl_nested', 'off', true);
    INSERT INTO ${S}.${DDL_LOG_TABLE} (tag, statement, tables, dropped, error) VALUES (tg_tag, current_query(), '[]', dropped, SQLERRM);
  END;
END
$fn$;
`;

const TRIGGERS = [
  { name: 'ferry_ddl_command_end', event: 'ddl_command_end', fn: 'ddl_command_end', tags: TAG_LIST },
  { name: 'ferry_ddl_sql_drop', event: 'sql_drop', fn: 'ddl_dropped', tags: `'ALTER TABLE', 'DROP TABLE', 'DROP INDEX'` },
];

export interface DdlCaptureRegistration {
  task: string;
  publication: string;
  /** POSIX regular expressions over "schema.table" (ObjectSelection's patterns). */
  include: string[];
  exclude: string[];
}

/**
 * Installs (or updates) the event triggers and registers this task. Returns false, after a
 * clear warning, when the session may not create event triggers (that takes a superuser):
 * the task then runs without DDL capture.
 */
export async function installDdlCapture(client: pg.ClientBase, registration: DdlCaptureRegistration, log: Logger): Promise<boolean> {
  const allowed = await client.query<{ ok: string }>(`SELECT rolsuper::text AS ok FROM pg_roles WHERE rolname = current_user`);
  const ok = allowed.rows[0]?.ok;
  if (ok !== 't' && ok !== 'true') {
    log.warn(
      { task: registration.task },
      'DDL capture is off: creating event triggers needs a superuser on the source. Schema changes during sync will not reach the destination; ' +
        'connect capture as a superuser, or set ddl.capture: false to silence this',
    );
    return false;
  }
  await client.query('BEGIN');
  try {
    // Two captures starting at once must not race on CREATE OR REPLACE.
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('ferry.ddl_capture'))`);
    await client.query(INSTALL_SQL);
    for (const trigger of TRIGGERS) {
      const exists = await client.query('SELECT 1 FROM pg_event_trigger WHERE evtname = $1', [trigger.name]);
      if (exists.rowCount === 0) {
        await client.query(
          `CREATE EVENT TRIGGER ${quoteIdent(trigger.name)} ON ${trigger.event} WHEN TAG IN (${trigger.tags}) EXECUTE PROCEDURE ${S}.${quoteIdent(trigger.fn)}()`,
        );
      }
    }
    await client.query(
      `INSERT INTO ${S}.ddl_capture (publication, task, include_patterns, exclude_patterns) VALUES ($1, $2, $3, $4)
       ON CONFLICT (publication) DO UPDATE SET task = EXCLUDED.task, include_patterns = EXCLUDED.include_patterns,
         exclude_patterns = EXCLUDED.exclude_patterns, updated_at = now()`,
      [registration.publication, registration.task, registration.include, registration.exclude],
    );
    await client.query('COMMIT');
    return true;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * Unregisters the task (its publication). When no task captures DDL any more, the triggers
 * and the log go too: nothing Ferry made is left behind.
 */
export async function removeDdlCapture(client: pg.ClientBase, publication: string): Promise<void> {
  const exists = await client.query(`SELECT to_regclass('ferry.ddl_capture') AS t`);
  if (!exists.rows[0]?.t) return;
  await client.query(`DELETE FROM ${S}.ddl_capture WHERE publication = $1`, [publication]);
  const left = await client.query(`SELECT 1 FROM ${S}.ddl_capture LIMIT 1`);
  if ((left.rowCount ?? 0) > 0) return;
  for (const trigger of TRIGGERS) await client.query(`DROP EVENT TRIGGER IF EXISTS ${quoteIdent(trigger.name)}`);
  await client.query(`DROP TABLE IF EXISTS ${S}.${DDL_LOG_TABLE}, ${S}.ddl_capture, ${S}.ddl_names`);
  await client.query(`DROP FUNCTION IF EXISTS ${S}.ddl_command_end(), ${S}.ddl_dropped(), ${S}.describe_table(oid), ${S}.base_type(oid), ${S}.column_names(oid), ${S}.missing_value(oid, int2), ${S}.filled_per_row(oid, jsonb)`);
}

export interface TableTopics {
  topic: string;
  snapshotTopic: string;
}

/** The topics this task's tables were first published on, by table oid. */
export async function readTableTopics(client: pg.ClientBase, publication: string): Promise<Map<number, TableTopics>> {
  const { rows } = await client.query<{ topics: string }>(`SELECT topics::text AS topics FROM ${S}.ddl_capture WHERE publication = $1`, [publication]);
  const stored = JSON.parse(rows[0]?.topics ?? '{}') as Record<string, TableTopics>;
  return new Map(Object.entries(stored).map(([oid, topics]) => [Number(oid), topics]));
}

export async function rememberTableTopics(client: pg.ClientBase, publication: string, entries: ReadonlyMap<number, TableTopics>): Promise<void> {
  if (entries.size === 0) return;
  await client.query(`UPDATE ${S}.ddl_capture SET topics = topics || $2::jsonb, updated_at = now() WHERE publication = $1`, [
    publication,
    JSON.stringify(Object.fromEntries(entries)),
  ]);
}
