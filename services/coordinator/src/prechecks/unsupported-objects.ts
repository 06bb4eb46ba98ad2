import { destinationExtensions } from './extension-inventory.js';
import { count, listNames } from './name-list.js';
import { streamsChanges } from './phases.js';
import { FERRY_SCHEMA, qualifiedName, selectedTables, sourceTables, type SourceTable } from './source-inventory.js';
import type { CheckResult, Precheck, PrecheckContext } from './types.js';

const ID = 'unsupported-objects';

interface ExtensionColumn {
  schema: string;
  table: string;
  column: string;
  type: string;
  extension: string;
}

/**
 * Objects Ferry does not migrate, each named so nobody finds out after cutover:
 * C functions outside extensions (their shared library is not copied), unlogged
 * tables (never written to the WAL, so logical decoding cannot see their changes,
 * and PostgreSQL refuses them in a publication), large objects, foreign tables,
 * event triggers, and columns whose type comes from an extension the destination lacks.
 */
export const unsupportedObjects: Precheck = {
  id: ID,
  title: 'objects Ferry does not migrate',
  appliesTo: ['schema', 'full', 'incremental'],
  async run(ctx) {
    const client = await ctx.source();
    const results: CheckResult[] = [];
    const selected = await selectedTables(ctx);
    const schemas = [...new Set(selected.map((t) => t.schema))];

    const { rows: cFunctions } = await client.query<{ name: string }>(
      `SELECT p.oid::regprocedure::text AS name
         FROM pg_proc p
         JOIN pg_language l ON l.oid = p.prolang
         JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE l.lanname = 'c' AND n.nspname = ANY($1::text[])
          AND NOT EXISTS (SELECT 1 FROM pg_depend d
                           WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
        ORDER BY 1`,
      [schemas],
    );
    if (cFunctions.length > 0) {
      const names = cFunctions.map((f) => f.name);
      results.push({
        id: ID,
        status: 'warning',
        message: `${count(names.length, 'C-language function')} not belonging to an extension will not be migrated (their shared libraries live on the source server): ${listNames(names)}`,
        fix: 'install the libraries on the destination server and create the functions there yourself, or package them as an extension',
        objects: names,
      });
    }

    const unlogged = selected.filter((t) => t.unlogged).map(qualifiedName);
    if (unlogged.length > 0 && streamsChanges(ctx.phases)) {
      results.push({
        id: ID,
        status: 'warning',
        message:
          `${count(unlogged.length, 'unlogged table')} in the selection: ${listNames(unlogged)}. Their rows are copied, but their changes are never written to the WAL, ` +
          `so incremental sync cannot carry them (PostgreSQL also refuses unlogged tables in a publication)`,
        fix: `make them logged if their changes matter (ALTER TABLE <table> SET LOGGED;), or exclude them in objects.exclude`,
        objects: unlogged,
      });
    }

    const foreign = (await sourceTables(ctx)).filter((t) => t.kind === 'f' && ctx.selection.includesTable(t.schema, t.table)).map(qualifiedName);
    if (foreign.length > 0) {
      results.push({
        id: ID,
        status: 'warning',
        message: `${count(foreign.length, 'foreign table')} match the selection and will not be migrated (their data lives on another server): ${listNames(foreign)}`,
        fix: 'create the foreign server, user mapping and foreign tables on the destination yourself, or exclude them in objects.exclude',
        objects: foreign,
      });
    }

    const { rows: largeObjects } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_largeobject_metadata`);
    const loCount = largeObjects[0]!.n;
    if (loCount > 0) {
      results.push({
        id: ID,
        status: 'warning',
        message: `the source database holds ${count(loCount, 'large object')} (pg_largeobject); Ferry does not migrate large objects, and columns holding their oids will point at nothing`,
        fix: 'move the large objects yourself (pg_dump --large-objects / lo_export and lo_import), or store the data in bytea columns',
        objects: ['pg_largeobject'],
      });
    }

    // Ferry's own DDL capture trigger is excluded: it is recreated, not migrated.
    const { rows: eventTriggers } = await client.query<{ name: string }>(
      `SELECT e.evtname AS name FROM pg_event_trigger e
        WHERE e.evtname NOT LIKE $1
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_event_trigger'::regclass AND d.objid = e.oid AND d.deptype = 'e')
        ORDER BY 1`,
      [`${FERRY_SCHEMA}\\_%`],
    );
    if (eventTriggers.length > 0) {
      const names = eventTriggers.map((e) => e.name);
      results.push({
        id: ID,
        status: 'warning',
        message: `${count(names.length, 'event trigger')} will not be migrated: ${listNames(names)}`,
        fix: 'create them on the destination after cutover (they need a superuser there)',
        objects: names,
      });
    }

    results.push(...(await extensionTypeColumns(ctx, selected)));
    if (results.length === 0) {
      results.push({ id: ID, status: 'pass', message: 'no C functions, unlogged or foreign tables, large objects or event triggers that Ferry would leave behind' });
    }
    return results;
  },
};

/** Columns of selected tables typed by an extension (directly, as an array, or through a domain) that a destination lacks. */
async function extensionTypeColumns(ctx: PrecheckContext, selected: readonly SourceTable[]): Promise<CheckResult[]> {
  const client = await ctx.source();
  const { rows } = await client.query<ExtensionColumn>(
    `SELECT n.nspname AS schema, c.relname AS table, a.attname AS column,
            format_type(a.atttypid, a.atttypmod) AS type, e.extname AS extension
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_type t ON t.oid = a.atttypid
       JOIN pg_depend d ON d.classid = 'pg_type'::regclass AND d.deptype = 'e' AND d.refclassid = 'pg_extension'::regclass
                       AND d.objid IN (t.oid, NULLIF(t.typelem, 0), NULLIF(t.typbasetype, 0))
       JOIN pg_extension e ON e.oid = d.refobjid
      WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND n.nspname = ANY($1::text[])
      ORDER BY 1, 2, a.attnum`,
    [[...new Set(selected.map((t) => t.schema))]],
  );
  const wanted = new Set(selected.map(qualifiedName));
  const columns = rows.filter(
    (r) => wanted.has(`${r.schema}.${r.table}`) && ctx.selection.selectColumns(r.schema, r.table, [r.column]).length > 0,
  );
  if (columns.length === 0) return [];
  const results: CheckResult[] = [];
  for (const destination of ctx.task.destinations) {
    const available = new Set((await destinationExtensions(ctx, destination)).map((e) => e.name));
    const lacking = columns.filter((c) => !available.has(c.extension));
    if (lacking.length === 0) continue;
    const names = lacking.map((c) => `${c.schema}.${c.table}.${c.column} (${c.type}, extension ${c.extension})`);
    results.push({
      id: ID,
      status: 'error',
      message: `${count(lacking.length, 'selected column')} use${lacking.length === 1 ? 's' : ''} a type from an extension destination "${destination.name}" does not have (see the extensions check): ${listNames(names)}`,
      fix: `install ${listNames([...new Set(lacking.map((c) => c.extension))])} on destination "${destination.name}", or leave those columns out with objects.columns`,
      objects: lacking.map((c) => `${c.schema}.${c.table}.${c.column}`),
    });
  }
  return results;
}
