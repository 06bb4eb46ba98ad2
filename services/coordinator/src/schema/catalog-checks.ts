import { quoteIdent } from '@ferry/pg';
import type { CatalogCheck } from './ddl-plan.js';

/**
 * Destination catalog queries that say whether a statement's object already
 * exists, so a restarted schema phase skips it. Names travel as parameters;
 * `to_regclass` and friends take the quoted, qualified name as text.
 */

export function quotedName(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

export function schemaExists(schema: string): CatalogCheck {
  return { sql: 'SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1', params: [schema] };
}

export function extensionExists(name: string): CatalogCheck {
  return { sql: 'SELECT 1 FROM pg_catalog.pg_extension WHERE extname = $1', params: [name] };
}

export function relationExists(schema: string, name: string): CatalogCheck {
  return {
    sql: 'SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2',
    params: [schema, name],
  };
}

export function typeExists(schema: string, name: string): CatalogCheck {
  return {
    sql: 'SELECT 1 FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = $1 AND t.typname = $2',
    params: [schema, name],
  };
}

/** `signature` is a regprocedure text: "schema"."name"(type, type). */
export function routineExists(signature: string): CatalogCheck {
  return { sql: 'SELECT 1 WHERE pg_catalog.to_regprocedure($1) IS NOT NULL', params: [signature] };
}

export function operatorExists(schema: string, name: string, leftType: string | undefined, rightType: string | undefined): CatalogCheck {
  return {
    sql:
      'SELECT 1 FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace ' +
      "WHERE n.nspname = $1 AND o.oprname = $2 AND o.oprleft = coalesce(pg_catalog.to_regtype(nullif($3, '')), 0) " +
      "AND o.oprright = coalesce(pg_catalog.to_regtype(nullif($4, '')), 0)",
    params: [schema, name, leftType ?? '', rightType ?? ''],
  };
}

export function constraintExists(tableSchema: string, table: string, name: string): CatalogCheck {
  return {
    sql: 'SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = pg_catalog.to_regclass($1) AND conname = $2',
    params: [quotedName(tableSchema, table), name],
  };
}

export function triggerExists(tableSchema: string, table: string, name: string): CatalogCheck {
  return {
    sql: 'SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = pg_catalog.to_regclass($1) AND tgname = $2',
    params: [quotedName(tableSchema, table), name],
  };
}

export function triggerStateIs(tableSchema: string, table: string, name: string, state: string): CatalogCheck {
  return {
    sql: 'SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = pg_catalog.to_regclass($1) AND tgname = $2 AND tgenabled = $3',
    params: [quotedName(tableSchema, table), name, state],
  };
}

export function ruleExists(tableSchema: string, table: string, name: string): CatalogCheck {
  return {
    sql: 'SELECT 1 FROM pg_catalog.pg_rewrite WHERE ev_class = pg_catalog.to_regclass($1) AND rulename = $2',
    params: [quotedName(tableSchema, table), name],
  };
}

export function materializedViewPopulated(schema: string, name: string): CatalogCheck {
  return {
    sql: 'SELECT 1 FROM pg_catalog.pg_class WHERE oid = pg_catalog.to_regclass($1) AND relispopulated',
    params: [quotedName(schema, name)],
  };
}

export function sequenceOwnedBy(sequence: string, table: string, column: string): CatalogCheck {
  return {
    sql:
      "SELECT 1 FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid " +
      "WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = pg_catalog.to_regclass($1) " +
      "AND d.refobjid = pg_catalog.to_regclass($2) AND a.attname = $3 AND d.deptype = 'a'",
    params: [sequence, table, column],
  };
}

export type CommentTarget =
  | { kind: 'schema'; schema: string }
  | { kind: 'relation'; quotedName: string }
  | { kind: 'column'; quotedTable: string; column: string }
  | { kind: 'type'; quotedName: string }
  | { kind: 'routine'; signature: string };

/** True when the object already carries exactly this comment. */
export function commentIs(target: CommentTarget, comment: string): CatalogCheck {
  switch (target.kind) {
    case 'schema':
      return {
        sql: "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1 AND pg_catalog.obj_description(oid, 'pg_namespace') = $2",
        params: [target.schema, comment],
      };
    case 'relation':
      return {
        sql: "SELECT 1 WHERE pg_catalog.obj_description(pg_catalog.to_regclass($1), 'pg_class') = $2",
        params: [target.quotedName, comment],
      };
    case 'column':
      return {
        sql:
          'SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = pg_catalog.to_regclass($1) AND attname = $2 ' +
          'AND pg_catalog.col_description(attrelid, attnum) = $3',
        params: [target.quotedTable, target.column, comment],
      };
    case 'type':
      return {
        sql: "SELECT 1 WHERE pg_catalog.obj_description(pg_catalog.to_regtype($1), 'pg_type') = $2",
        params: [target.quotedName, comment],
      };
    case 'routine':
      return {
        sql: "SELECT 1 WHERE pg_catalog.obj_description(pg_catalog.to_regprocedure($1), 'pg_proc') = $2",
        params: [target.signature, comment],
      };
  }
}
