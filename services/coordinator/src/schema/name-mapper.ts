import { quoteIdent } from '@ferry/pg';
import { rewriteSqlNames, type NameReference, type NameRewrite, type NameRewriter } from './rewrite-sql-names.js';
import type { QualifiedName, SchemaModel, TableRef } from './schema-model.js';
import type { TableSelection } from './table-selection.js';

/**
 * Source names → destination names for one model and one task selection:
 * schemas (renames, name case), tables and views (renames, name case) and
 * columns (renames, name case). Other objects (types, functions, sequences,
 * indexes, constraints, triggers) keep their names and move with their schema.
 *
 * It also rewrites deparsed SQL text. What is renamed where:
 * - single-table expressions (defaults, generated columns, checks, index and
 *   partition-key expressions, index predicates): schemas, relations, and the
 *   table's own columns;
 * - trigger WHEN conditions: as above, through old.<column> / new.<column>;
 * - view bodies: schemas and relations; a renamed relation keeps its old name as
 *   alias so the view's qualified column references still resolve. Columns are
 *   not renamed inside views (the planner leaves out views that read a renamed
 *   column, with a warning);
 * - function headers, SQL-standard function bodies, rules, types: schemas and
 *   relations. Dollar-quoted function bodies (plpgsql, plain SQL) are never
 *   changed: a body that names a renamed object must be fixed by hand.
 */
export class NameMapper {
  private readonly schemas: Set<string>;
  private readonly relations = new Map<string, TableRef>();
  private readonly columnsByTable = new Map<string, Set<string>>();
  private readonly objectsBySchema = new Map<string, Set<string>>();

  constructor(
    model: SchemaModel,
    private readonly selection: TableSelection,
  ) {
    this.schemas = new Set(model.schemas.map((schema) => schema.name));
    for (const table of model.tables) {
      this.relations.set(key(table.schema, table.name), { schema: table.schema, table: table.name });
      this.columnsByTable.set(key(table.schema, table.name), new Set(table.columns.map((column) => column.name)));
    }
    for (const view of model.views) this.relations.set(key(view.schema, view.name), { schema: view.schema, table: view.name });
    const known: QualifiedName[] = [
      ...model.tables,
      ...model.views,
      ...model.sequences,
      ...model.types,
      ...model.routines,
      ...model.aggregates,
      ...model.extensionObjects,
    ];
    for (const object of known) {
      const names = this.objectsBySchema.get(object.schema) ?? new Set<string>();
      names.add(object.name);
      this.objectsBySchema.set(object.schema, names);
    }
  }

  /** The destination schema; schemas the plan does not create (pg_catalog, unselected ones) keep their name. */
  schema(name: string): string {
    return this.schemas.has(name) ? this.selection.destinationSchema(name) : name;
  }

  /** Destination of a table, partition, view or materialized view. */
  table(schema: string, name: string): QualifiedName {
    if (!this.relations.has(key(schema, name))) return { schema: this.schema(schema), name };
    const destination = this.selection.destinationTable(schema, name);
    return { schema: destination.schema, name: destination.table };
  }

  /** Destination of any other object: same name, destination schema. */
  object(name: QualifiedName): QualifiedName {
    return { schema: this.schema(name.schema), name: name.name };
  }

  column(table: TableRef, column: string): string {
    return this.relations.has(key(table.schema, table.table)) ? this.selection.destinationColumn(table.schema, table.table, column) : column;
  }

  /** `"schema"."table"` of the destination relation. */
  quotedTable(table: TableRef): string {
    const destination = this.table(table.schema, table.table);
    return `${quoteIdent(destination.schema)}.${quoteIdent(destination.name)}`;
  }

  /** `"schema"."name"` of another destination object. */
  quotedObject(name: QualifiedName): string {
    const destination = this.object(name);
    return `${quoteIdent(destination.schema)}.${quoteIdent(destination.name)}`;
  }

  isRelationRenamed(table: TableRef): boolean {
    const destination = this.table(table.schema, table.table);
    return destination.schema !== this.schema(table.schema) || destination.name !== table.table;
  }

  isColumnRenamed(table: TableRef, column: string): boolean {
    return this.column(table, column) !== column;
  }

  /** True when `schema.name` (a relation or another object of a carried schema) is called something else on the destination. */
  movesName(schema: string, name: string): boolean {
    return this.renamedQualified([schema, name], false) !== undefined;
  }

  /** An expression over one table's columns (default, check, index expression, partition key). */
  expression(sql: string, table: TableRef): string {
    return rewriteSqlNames(sql, this.rewriter({ columnsOf: table, oldNew: false, aliasRenamedRelations: false }));
  }

  /** A trigger's WHEN condition: columns appear as old.<column> and new.<column>. */
  triggerCondition(sql: string, table: TableRef): string {
    return rewriteSqlNames(sql, this.rewriter({ columnsOf: table, oldNew: true, aliasRenamedRelations: false }));
  }

  /** Function headers, rules, domain checks: schemas and relations only. */
  names(sql: string): string {
    return rewriteSqlNames(sql, this.rewriter({ oldNew: false, aliasRenamedRelations: false }));
  }

  /** A type name (format_type): a qualified name in it can only be a type. */
  type(sql: string): string {
    return rewriteSqlNames(sql, this.rewriter({ oldNew: false, aliasRenamedRelations: false, typeText: true }));
  }

  /** A view's SELECT: schemas and relations, a renamed relation aliased by its old name. */
  query(sql: string): string {
    return rewriteSqlNames(sql, this.rewriter({ oldNew: false, aliasRenamedRelations: true }));
  }

  private rewriter(mode: { columnsOf?: TableRef; oldNew: boolean; aliasRenamedRelations: boolean; typeText?: boolean }): NameRewriter {
    return (reference: NameReference): NameRewrite | undefined => {
      const { parts, context } = reference;
      switch (context) {
        case 'operator':
          return this.renamedSchemaOnly(parts);
        case 'function':
        case 'type':
        case 'literal':
          return parts.length === 2 ? this.renamedQualified(parts as [string, string], true) : undefined;
        case 'plain':
          if (parts.length === 1 && mode.columnsOf && !reference.keywordLike) return this.renamedColumn(mode.columnsOf, parts[0]!);
          if (parts.length !== 2) return undefined;
          if (mode.oldNew && mode.columnsOf && (parts[0] === 'old' || parts[0] === 'new')) {
            const column = this.renamedColumn(mode.columnsOf, parts[1]!);
            return column ? { parts: [parts[0], ...column.parts] } : undefined;
          }
          return this.renamedQualified(parts as [string, string], mode.typeText === true, mode.aliasRenamedRelations && !reference.followedByIdentifier);
        default:
          return undefined;
      }
    };
  }

  private renamedColumn(table: TableRef, column: string): NameRewrite | undefined {
    if (!this.columnsByTable.get(key(table.schema, table.table))?.has(column)) return undefined;
    const destination = this.column(table, column);
    return destination === column ? undefined : { parts: [destination] };
  }

  private renamedSchemaOnly(parts: string[]): NameRewrite | undefined {
    const [schema] = parts;
    if (schema === undefined || parts.length !== 1) return undefined;
    const destination = this.schema(schema);
    return destination === schema ? undefined : { parts: [destination] };
  }

  /**
   * `schema.name`: a relation gets its destination name; another object its
   * destination schema. In plain positions the pair might be `alias.column`, so
   * it is only touched when the schema really holds an object of that name.
   */
  private renamedQualified([schema, name]: [string, string], unambiguous: boolean, addAlias = false): NameRewrite | undefined {
    if (this.relations.has(key(schema, name))) {
      const destination = this.table(schema, name);
      if (destination.schema === schema && destination.name === name) return undefined;
      const rewrite: NameRewrite = { parts: [destination.schema, destination.name] };
      if (addAlias && destination.name !== name) rewrite.alias = name;
      return rewrite;
    }
    if (!unambiguous && !this.objectsBySchema.get(schema)?.has(name)) return undefined;
    const destinationSchema = this.schema(schema);
    return destinationSchema === schema ? undefined : { parts: [destinationSchema, name] };
  }
}

function key(schema: string, name: string): string {
  return `${schema}\u0000${name}`;
}
