/**
 * The schema phase: read the source catalogs (PostgreSQL 10-18), plan the
 * destination DDL under the task's names, apply it section by section
 * (resumable), and compare the two sides.
 *
 * Not carried (create them on the destination if you need them): ownership and
 * privileges, row-level security and policies, publications, event triggers,
 * statistics objects, collations, text search configurations, foreign tables
 * and servers, tablespaces, column storage/compression/statistics settings,
 * comments on constraints, triggers and rules, and sequence values (those are
 * synced at cutover). Extensions are created at the destination's default
 * version. Inside SQL text, see NameMapper for what is renamed.
 */
export { readSourceSchema } from './read-source-schema.js';
export { planDdl } from './plan-ddl.js';
export { formatPlan } from './format-plan.js';
export {
  applyDdl,
  findPreexistingTables,
  type ApplyDdlOptions,
  type ApplyDdlResult,
  type StatementResult,
  type TableName,
} from './apply-ddl.js';
export { compareSchema, compareSchemas, destinationSchemas, formatDifferences, type SchemaDifference } from './compare-schema.js';
export { selectEverything, type TableSelection } from './table-selection.js';
export { NameMapper } from './name-mapper.js';
export {
  DDL_KINDS,
  DDL_SECTIONS,
  type CatalogCheck,
  type DdlKind,
  type DdlPart,
  type DdlPlan,
  type DdlSection,
  type DdlStatement,
} from './ddl-plan.js';
export type * from './schema-model.js';
