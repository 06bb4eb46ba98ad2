/**
 * The output of plan-ddl.ts: destination DDL in the order it must run.
 *
 * pre-data runs before the full copy (everything the copy and the sink need:
 * tables with their keys, checks, defaults, identity and generated columns);
 * post-data runs after it (secondary indexes, foreign keys, exclusion
 * constraints, triggers, materialized views), so the bulk load neither
 * maintains indexes row by row nor fires triggers or checks references.
 */
export type DdlSection = 'pre-data' | 'post-data';

export const DDL_SECTIONS: readonly DdlSection[] = ['pre-data', 'post-data'];

/** Statement kinds in their default order; dependencies may move a statement later. */
export const DDL_KINDS = [
  'schema',
  'extension',
  'type',
  'sequence',
  'table',
  'partition',
  'function',
  'procedure',
  'aggregate',
  'operator',
  'view',
  'rule',
  'materialized-view',
  'index',
  'check-constraint',
  'exclusion-constraint',
  'foreign-key',
  'trigger',
  'trigger-state',
  'refresh-materialized-view',
  'comment',
  'sequence-owner',
] as const;

export type DdlKind = (typeof DDL_KINDS)[number];

/** A catalog query on the destination; a row back means the statement's object is already there. */
export interface CatalogCheck {
  sql: string;
  params: string[];
}

export interface DdlStatement {
  section: DdlSection;
  kind: DdlKind;
  /** The destination object, quoted as in SQL, e.g. `"app"."orders"` or `"orders_pkey" on "app"."orders"`. */
  objectName: string;
  sql: string;
  /** Run first: when it returns a row the statement is skipped (restarts redo nothing). */
  existsQuery?: CatalogCheck;
  /** The destination table the statement creates or changes (conflict handling). */
  table?: { schema: string; table: string };
  /** For tables and partitions: the column and constraint definitions inside the statement, one by one. */
  parts?: DdlPart[];
}

export interface DdlPart {
  kind: 'column' | 'constraint';
  /** The column or constraint name, quoted. */
  name: string;
  sql: string;
}

export interface DdlPlan {
  statements: DdlStatement[];
  /** Objects left out and renames that could not be carried into SQL text, one sentence each. */
  warnings: string[];
}
