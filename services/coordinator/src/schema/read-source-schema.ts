import type pg from 'pg';
import { classifyPgError, quoteIdent, serverVersion } from '@ferry/pg';
import { listRelations } from './catalog/list-relations.js';
import { readDependencies } from './catalog/read-dependencies.js';
import { readIndexes } from './catalog/read-indexes.js';
import { readAggregates, readOperators, readRoutines } from './catalog/read-routines.js';
import { readExtensionObjects, readExtensions, readSchemas } from './catalog/read-schemas.js';
import { readSequences } from './catalog/read-sequences.js';
import { readTables } from './catalog/read-tables.js';
import { readTriggers } from './catalog/read-triggers.js';
import { readTypes } from './catalog/read-types.js';
import { readRules, readViews } from './catalog/read-views.js';
import { selectObjects } from './catalog/select-objects.js';
import { modelObjectIds, type SchemaModel } from './schema-model.js';
import type { TableSelection } from './table-selection.js';

/**
 * Reads the objects a task carries from a database's catalogs (PostgreSQL 10
 * to 18) into a SchemaModel: see select-objects.ts for what is chosen. The
 * `ferry` schema and extension members are never read (CREATE EXTENSION
 * brings the latter).
 *
 * Runs in its own REPEATABLE READ READ ONLY transaction on `client`, so every
 * query sees the same catalog, with search_path = pg_catalog so deparsed SQL
 * qualifies every user name with its schema.
 */
export async function readSourceSchema(client: pg.ClientBase, selection: TableSelection): Promise<SchemaModel> {
  await run(client, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    await run(client, 'SET LOCAL search_path = pg_catalog');
    const model = await readInTransaction(client, selection);
    await run(client, 'COMMIT');
    return model;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw classifyPgError(error);
  }
}

async function readInTransaction(client: pg.ClientBase, selection: TableSelection): Promise<SchemaModel> {
  const version = (await serverVersion(client)).num;
  const relations = await listRelations(client);
  const dependencies = await readDependencies(client, version);
  const extensions = await readExtensions(client);
  const chosen = selectObjects(relations, dependencies, selection, extensions.map((extension) => extension.schema));

  const oids = (...kinds: string[]) => chosen.relations.filter((relation) => kinds.includes(relation.kind)).map((relation) => relation.oid);
  const schemaNames = [...chosen.schemas];
  const tableOids = oids('table', 'partitioned');
  const relationOids = oids('table', 'partitioned', 'view', 'materialized-view');

  const indexRead = await readIndexes(client, oids('table', 'partitioned', 'materialized-view'), version);
  const routineRead = await readRoutines(client, schemaNames, version);
  const model: SchemaModel = {
    serverVersion: version,
    schemas: await readSchemas(client, schemaNames),
    extensions,
    types: await readTypes(client, schemaNames, version),
    sequences: await readSequences(client, oids('sequence')),
    tables: await readTables(client, tableOids, version),
    indexes: indexRead.indexes,
    views: await readViews(client, oids('view', 'materialized-view')),
    routines: routineRead.routines,
    aggregates: await readAggregates(client, schemaNames, version),
    operators: await readOperators(client, schemaNames),
    triggers: await readTriggers(client, relationOids, version),
    rules: await readRules(client, relationOids),
    extensionObjects: await readExtensionObjects(client),
    dependencies: [],
    notes: [
      ...chosen.relations
        .filter((relation) => relation.kind === 'foreign-table')
        .map((relation) => `foreign table ${quoteIdent(relation.schema)}.${quoteIdent(relation.name)} is not migrated: create its server, user mapping and table on the destination`),
      ...indexRead.notes,
      ...routineRead.notes,
    ],
  };
  const ids = modelObjectIds(model);
  model.dependencies = dependencies
    .filter((dependency) => ids.has(dependency.from))
    .map(({ toSchema: _schema, fromRelation: _relation, ...dependency }) => dependency);
  return model;
}

async function run(client: pg.ClientBase, sql: string): Promise<void> {
  try {
    await client.query(sql);
  } catch (error) {
    throw classifyPgError(error);
  }
}
