import { quoteIdent } from '@ferry/pg';
import * as checks from './catalog-checks.js';
import type { DdlPlan } from './ddl-plan.js';
import { NameMapper } from './name-mapper.js';
import {
  createAggregateSql,
  createOperatorSql,
  createRoutineSql,
  createRuleSql,
  createSequenceSql,
  createTriggerSql,
  createTypeSql,
  createViewSql,
  operatorDisplayName,
  routineSignature,
  triggerStateSql,
} from './object-ddl.js';
import { orderingId, type Draft } from './plan-drafts.js';
import { resolvePlanOrder } from './resolve-plan-order.js';
import { parseQualifiedName, tokenizeSql } from './rewrite-sql-names.js';
import type { ColumnInfo, ConstraintInfo, ObjectId, SchemaModel, TableInfo, TableRef } from './schema-model.js';
import {
  addConstraintSql,
  commentLiteral,
  createIndexSql,
  createPartitionSql,
  createTableSql,
  partitionParts,
  tableParts,
  tableRef,
  type PartitionColumnOptions,
} from './table-ddl.js';
import type { TableSelection } from './table-selection.js';

/**
 * The destination DDL for a source schema model, in run order: pre-data
 * (schemas, extensions, types, sequences, tables with keys/checks/defaults,
 * partitions, functions, procedures, aggregates, operators, views, rules,
 * comments, OWNED BY) and post-data (materialized views, secondary indexes,
 * NOT VALID checks, exclusion constraints, foreign keys, triggers, REFRESH).
 *
 * Pure. Names follow the task's selection (renames, column selection, name
 * case); see NameMapper for what is renamed inside SQL text. Objects that cannot
 * be carried (they use a column the task leaves out, read a renamed column, or
 * need an object that is not migrated) are left out with a warning.
 */
export function planDdl(model: SchemaModel, selection: TableSelection): DdlPlan {
  const mapper = new NameMapper(model, selection);
  const warnings = [...model.notes];
  const builder = new DraftBuilder(model, selection, mapper, warnings);
  const drafts = builder.build();
  const statements = resolvePlanOrder(drafts, model.dependencies, warnings);
  return { statements, warnings };
}

class DraftBuilder {
  private readonly drafts: Draft[] = [];
  private readonly schemaIds = new Map<string, ObjectId>();
  private readonly tablesById = new Map<ObjectId, TableInfo>();
  private readonly tablesByName = new Map<string, TableInfo>();
  private readonly selectedColumns = new Map<ObjectId, Set<string>>();

  constructor(
    private readonly model: SchemaModel,
    private readonly selection: TableSelection,
    private readonly mapper: NameMapper,
    private readonly warnings: string[],
  ) {
    for (const schema of model.schemas) this.schemaIds.set(schema.name, schema.id);
    for (const table of model.tables) {
      this.tablesById.set(table.id, table);
      this.tablesByName.set(nameKey(table.schema, table.name), table);
    }
  }

  build(): Draft[] {
    this.model.schemas.forEach((schema) => this.schema(schema));
    this.model.extensions.forEach((extension) => this.extension(extension));
    this.model.types.forEach((type) => this.type(type));
    this.model.sequences.forEach((sequence) => this.sequence(sequence));
    this.model.tables.forEach((table) => this.table(table));
    this.model.routines.forEach((routine) => this.routine(routine));
    this.model.aggregates.forEach((aggregate) => this.aggregate(aggregate));
    this.model.operators.forEach((operator) => this.operator(operator));
    this.model.views.forEach((view) => this.view(view));
    this.model.rules.forEach((rule) => this.rule(rule));
    this.model.indexes.forEach((index) => this.index(index));
    this.model.triggers.forEach((trigger) => this.trigger(trigger));
    return this.drafts;
  }

  private add(draft: Draft): void {
    this.drafts.push(draft);
  }

  private inSchema(schema: string): ObjectId[] {
    const id = this.schemaIds.get(schema);
    return id === undefined ? [] : [id];
  }

  private comment(target: checks.CommentTarget, on: string, objectName: string, comment: string | undefined, requires: ObjectId[]): void {
    if (comment === undefined) return;
    this.add({
      section: 'pre-data',
      kind: 'comment',
      objectName: `on ${on.toLowerCase()} ${objectName}`,
      sql: `COMMENT ON ${on} ${objectName} IS ${commentLiteral(comment)}`,
      existsQuery: checks.commentIs(target, comment),
      provides: [],
      requires,
    });
  }

  private schema(schema: SchemaModel['schemas'][number]): void {
    const name = this.mapper.schema(schema.name);
    const existing = this.drafts.find((draft) => draft.kind === 'schema' && draft.objectName === quoteIdent(name));
    if (existing) {
      existing.provides.push(schema.id); // two source schemas renamed into one
    } else {
      this.add({
        section: 'pre-data',
        kind: 'schema',
        objectName: quoteIdent(name),
        sql: `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(name)}`,
        existsQuery: checks.schemaExists(name),
        provides: [schema.id],
        requires: [],
      });
    }
    this.comment({ kind: 'schema', schema: name }, 'SCHEMA', quoteIdent(name), schema.comment, [schema.id]);
  }

  private extension(extension: SchemaModel['extensions'][number]): void {
    const schema = this.mapper.schema(extension.schema);
    this.add({
      section: 'pre-data',
      kind: 'extension',
      objectName: quoteIdent(extension.name),
      // No VERSION: the destination installs its own default version of the extension.
      sql: `CREATE EXTENSION IF NOT EXISTS ${quoteIdent(extension.name)} WITH SCHEMA ${quoteIdent(schema)}`,
      existsQuery: checks.extensionExists(extension.name),
      provides: [extension.id],
      requires: this.inSchema(extension.schema),
    });
  }

  private type(type: SchemaModel['types'][number]): void {
    const name = this.mapper.object(type);
    const quoted = checks.quotedName(name.schema, name.name);
    this.add({
      section: 'pre-data',
      kind: 'type',
      objectName: quoted,
      sql: createTypeSql(type, this.mapper),
      existsQuery: checks.typeExists(name.schema, name.name),
      provides: [type.id, ...(type.kind === 'domain' ? type.checks.map((check) => check.id) : [])],
      requires: this.inSchema(type.schema),
    });
    this.comment({ kind: 'type', quotedName: quoted }, type.kind === 'domain' ? 'DOMAIN' : 'TYPE', quoted, type.comment, [type.id]);
  }

  private sequence(sequence: SchemaModel['sequences'][number]): void {
    const name = this.mapper.object(sequence);
    const quoted = checks.quotedName(name.schema, name.name);
    this.add({
      section: 'pre-data',
      kind: 'sequence',
      objectName: quoted,
      sql: createSequenceSql(sequence, this.mapper),
      existsQuery: checks.relationExists(name.schema, name.name),
      provides: [sequence.id],
      requires: this.inSchema(sequence.schema),
    });
    this.comment({ kind: 'relation', quotedName: quoted }, 'SEQUENCE', quoted, sequence.comment, [sequence.id]);

    const owner = sequence.ownedBy;
    if (!owner) return;
    const table = this.tablesByName.get(nameKey(owner.schema, owner.table));
    if (!table || !this.columnsOf(table).has(owner.column)) return;
    const ownerRef = { schema: owner.schema, table: owner.table };
    const quotedTable = this.mapper.quotedTable(ownerRef);
    const column = this.mapper.column(ownerRef, owner.column);
    this.add({
      section: 'pre-data',
      kind: 'sequence-owner',
      objectName: quoted,
      sql: `ALTER SEQUENCE ${quoted} OWNED BY ${quotedTable}.${quoteIdent(column)}`,
      existsQuery: checks.sequenceOwnedBy(quoted, quotedTable, column),
      table: this.destinationTable(ownerRef),
      provides: [],
      requires: [sequence.id, table.id],
    });
  }

  /** The columns the task carries; a partition carries what its root table carries. */
  private columnsOf(table: TableInfo): Set<string> {
    const cached = this.selectedColumns.get(table.id);
    if (cached) return cached;
    const parent = table.partitionOf && this.tablesById.get(table.partitionOf.parentId);
    const all = table.columns.map((column) => column.name);
    const chosen = parent ? new Set([...this.columnsOf(parent)].filter((name) => all.includes(name))) : new Set(this.selection.selectColumns(table.schema, table.name, all));
    this.selectedColumns.set(table.id, chosen);
    return chosen;
  }

  private destinationTable(table: TableRef): { schema: string; table: string } {
    const name = this.mapper.table(table.schema, table.table);
    return { schema: name.schema, table: name.name };
  }

  /** Columns of `table` that `used` needs but the task leaves out. */
  private missingColumns(table: TableInfo, used: readonly string[]): string[] {
    const carried = this.columnsOf(table);
    return used.filter((column) => !carried.has(column));
  }

  private leftOut(what: string, missing: readonly string[]): void {
    this.warnings.push(`${what} is not migrated: it uses ${missing.length === 1 ? 'column' : 'columns'} ${missing.map(quoteIdent).join(', ')}, which the task leaves out`);
  }

  private table(table: TableInfo): void {
    const ref = tableRef(table);
    const quoted = this.mapper.quotedTable(ref);
    const destination = this.destinationTable(ref);
    const carried = this.columnsOf(table);

    const columns = table.columns.filter((column) => {
      if (!carried.has(column.name)) return false;
      const missing = this.missingColumns(table, column.expressionColumns);
      if (missing.length === 0) return true;
      this.leftOut(`generated column ${quoted}.${quoteIdent(this.mapper.column(ref, column.name))}`, missing);
      return false;
    });
    const builtColumns = new Map([[table.id, new Set(columns.map((column) => column.name))]]);

    const inline: ConstraintInfo[] = [];
    for (const constraint of table.constraints) {
      if (constraint.inherited) continue;
      const label = `${constraintLabel(constraint)} ${quoteIdent(constraint.name)} on ${quoted}`;
      const missing = this.missingColumns(table, constraint.columns);
      if (missing.length > 0) {
        this.leftOut(label, missing);
        continue;
      }
      const isInline = (constraint.kind === 'primary-key' || constraint.kind === 'unique' || constraint.kind === 'check') && constraint.validated;
      if (isInline) {
        inline.push(constraint);
        continue;
      }
      this.add({
        section: 'post-data',
        kind: constraint.kind === 'foreign-key' ? 'foreign-key' : constraint.kind === 'exclusion' ? 'exclusion-constraint' : 'check-constraint',
        objectName: `${quoteIdent(constraint.name)} on ${quoted}`,
        sql: addConstraintSql(constraint, ref, this.mapper),
        existsQuery: checks.constraintExists(destination.schema, destination.table, constraint.name),
        table: destination,
        provides: [constraint.id],
        requires: [table.id],
      });
    }

    if (table.partitionOf) {
      const parent = this.tablesById.get(table.partitionOf.parentId);
      const parts = partitionParts(table, parent ? partitionColumnOptions(columns, parent) : [], inline, this.mapper);
      this.add({
        section: 'pre-data',
        kind: 'partition',
        objectName: quoted,
        sql: createPartitionSql(table, parts, this.mapper),
        parts,
        existsQuery: checks.relationExists(destination.schema, destination.table),
        table: destination,
        provides: [table.id, ...inline.map((constraint) => constraint.id)],
        requires: [table.partitionOf.parentId, ...this.inSchema(table.schema)],
        builtColumns,
      });
    } else {
      const parts = tableParts(table, columns, inline, this.mapper);
      this.add({
        section: 'pre-data',
        kind: 'table',
        objectName: quoted,
        sql: createTableSql(table, parts, this.mapper),
        parts,
        existsQuery: checks.relationExists(destination.schema, destination.table),
        table: destination,
        provides: [table.id, ...inline.map((constraint) => constraint.id)],
        requires: this.inSchema(table.schema),
        builtColumns,
      });
    }

    this.comment({ kind: 'relation', quotedName: quoted }, 'TABLE', quoted, table.comment, [table.id]);
    for (const column of columns) {
      const name = this.mapper.column(ref, column.name);
      this.comment({ kind: 'column', quotedTable: quoted, column: name }, 'COLUMN', `${quoted}.${quoteIdent(name)}`, column.comment, [table.id]);
    }
  }

  private routine(routine: SchemaModel['routines'][number]): void {
    const signature = routineSignature(routine, this.mapper);
    this.add({
      section: 'pre-data',
      kind: routine.kind,
      objectName: signature,
      sql: createRoutineSql(routine, this.mapper),
      existsQuery: checks.routineExists(signature),
      provides: [routine.id],
      requires: this.inSchema(routine.schema),
    });
    if (bodyNamesMovedObjects(routine.definition, this.mapper)) {
      this.warnings.push(
        `${routine.kind} ${signature} keeps its body as written, and the body names objects the task renames or moves to another schema: fix the body on the destination`,
      );
    }
    const on = routine.kind === 'procedure' ? 'PROCEDURE' : 'FUNCTION';
    this.comment({ kind: 'routine', signature }, on, signature, routine.comment, [routine.id]);
  }

  private aggregate(aggregate: SchemaModel['aggregates'][number]): void {
    const signature = routineSignature(aggregate, this.mapper);
    this.add({
      section: 'pre-data',
      kind: 'aggregate',
      objectName: signature,
      sql: createAggregateSql(aggregate, this.mapper),
      existsQuery: checks.routineExists(signature),
      provides: [aggregate.id],
      requires: this.inSchema(aggregate.schema),
    });
    const args = aggregate.identityArguments.trim() === '' ? '*' : this.mapper.names(aggregate.identityArguments);
    this.comment({ kind: 'routine', signature }, 'AGGREGATE', `${this.mapper.quotedObject(aggregate)}(${args})`, aggregate.comment, [aggregate.id]);
  }

  private operator(operator: SchemaModel['operators'][number]): void {
    const schema = this.mapper.schema(operator.schema);
    this.add({
      section: 'pre-data',
      kind: 'operator',
      objectName: operatorDisplayName(operator, this.mapper),
      sql: createOperatorSql(operator, this.mapper),
      existsQuery: checks.operatorExists(
        schema,
        operator.name,
        operator.leftType && this.mapper.type(operator.leftType),
        operator.rightType && this.mapper.type(operator.rightType),
      ),
      provides: [operator.id],
      requires: this.inSchema(operator.schema),
    });
  }

  /** Views and rules keep column names as written: one reading a left-out or renamed column cannot be carried. */
  private unreadableColumns(reads: ReadonlyArray<{ schema: string; table: string; column: string }>): string[] {
    const problems: string[] = [];
    for (const read of reads) {
      const table = this.tablesByName.get(nameKey(read.schema, read.table));
      if (!table) continue; // a view or an object outside the task: dependencies decide
      const name = `${checks.quotedName(read.schema, read.table)}.${quoteIdent(read.column)}`;
      if (!this.columnsOf(table).has(read.column)) problems.push(`${name}, which the task leaves out`);
      else if (this.mapper.isColumnRenamed(read, read.column)) problems.push(`${name}, which is renamed (column names inside view and rule definitions are not rewritten)`);
    }
    return [...new Set(problems)];
  }

  private view(view: SchemaModel['views'][number]): void {
    const ref = { schema: view.schema, table: view.name };
    const quoted = this.mapper.quotedTable(ref);
    const kind = view.materialized ? 'materialized-view' : 'view';
    const problems = this.unreadableColumns(view.readsColumns);
    if (problems.length > 0) {
      this.warnings.push(`${kind} ${quoted} is not migrated: it reads ${problems.join('; ')}`);
      return;
    }
    const destination = this.destinationTable(ref);
    this.add({
      section: view.materialized ? 'post-data' : 'pre-data',
      kind,
      objectName: quoted,
      sql: createViewSql(view, this.mapper),
      existsQuery: checks.relationExists(destination.schema, destination.table),
      provides: [view.id],
      requires: this.inSchema(view.schema),
    });
    if (view.materialized && view.populated) {
      const materialized = new Set(this.model.views.filter((other) => other.materialized).map((other) => other.id));
      const readsMatviews = this.model.dependencies
        .filter((dependency) => dependency.from === view.id && materialized.has(dependency.to))
        .map((dependency) => orderingId('refresh', dependency.to));
      this.add({
        section: 'post-data',
        kind: 'refresh-materialized-view',
        objectName: quoted,
        sql: `REFRESH MATERIALIZED VIEW ${quoted}`,
        existsQuery: checks.materializedViewPopulated(destination.schema, destination.table),
        provides: [orderingId('refresh', view.id)],
        requires: [view.id, ...readsMatviews],
      });
    }
    const on = view.materialized ? 'MATERIALIZED VIEW' : 'VIEW';
    this.comment({ kind: 'relation', quotedName: quoted }, on, quoted, view.comment, [view.id]);
    for (const { column, comment } of view.columnComments) {
      this.comment({ kind: 'column', quotedTable: quoted, column }, 'COLUMN', `${quoted}.${quoteIdent(column)}`, comment, [view.id]);
    }
  }

  private rule(rule: SchemaModel['rules'][number]): void {
    const quotedTable = this.mapper.quotedTable(rule.table);
    const problems = this.unreadableColumns(rule.readsColumns);
    if (problems.length > 0) {
      this.warnings.push(`rule ${quoteIdent(rule.name)} on ${quotedTable} is not migrated: it reads ${problems.join('; ')}`);
      return;
    }
    const destination = this.destinationTable(rule.table);
    this.add({
      section: 'pre-data',
      kind: 'rule',
      objectName: `${quoteIdent(rule.name)} on ${quotedTable}`,
      sql: createRuleSql(rule.definition, this.mapper),
      existsQuery: checks.ruleExists(destination.schema, destination.table, rule.name),
      table: this.tablesById.has(rule.tableId) ? destination : undefined,
      provides: [rule.id],
      requires: [rule.tableId],
    });
  }

  private index(index: SchemaModel['indexes'][number]): void {
    const quotedTable = this.mapper.quotedTable(index.table);
    const destination = this.destinationTable(index.table);
    const table = this.tablesById.get(index.tableId);
    const quoted = checks.quotedName(destination.schema, index.name);
    const missing = table ? this.missingColumns(table, index.columns) : [];
    if (missing.length > 0) {
      this.leftOut(`index ${quoteIdent(index.name)} on ${quotedTable}`, missing);
      return;
    }
    this.add({
      section: 'post-data',
      kind: 'index',
      objectName: quoted,
      sql: createIndexSql(index, this.mapper),
      existsQuery: checks.relationExists(destination.schema, index.name),
      table: table ? destination : undefined,
      provides: [index.id],
      requires: [index.tableId],
    });
    this.comment({ kind: 'relation', quotedName: quoted }, 'INDEX', quoted, index.comment, [index.id]);
  }

  private trigger(trigger: SchemaModel['triggers'][number]): void {
    const quotedTable = this.mapper.quotedTable(trigger.table);
    const destination = this.destinationTable(trigger.table);
    const table = this.tablesById.get(trigger.tableId);
    const label = `${quoteIdent(trigger.name)} on ${quotedTable}`;
    const missing = table ? this.missingColumns(table, trigger.columns) : [];
    if (missing.length > 0) {
      this.leftOut(`trigger ${label}`, missing);
      return;
    }
    const onTable = table ? destination : undefined;
    this.add({
      section: 'post-data',
      kind: 'trigger',
      objectName: label,
      sql: createTriggerSql(trigger, this.mapper),
      existsQuery: checks.triggerExists(destination.schema, destination.table, trigger.name),
      table: onTable,
      provides: [trigger.id],
      requires: [trigger.tableId],
    });
    if (trigger.enabled !== 'O') {
      this.add({
        section: 'post-data',
        kind: 'trigger-state',
        objectName: label,
        sql: triggerStateSql(trigger, this.mapper),
        existsQuery: checks.triggerStateIs(destination.schema, destination.table, trigger.name, trigger.enabled),
        table: onTable,
        provides: [],
        requires: [trigger.id],
      });
    }
  }
}

/**
 * True when a dollar-quoted function body mentions a schema or relation that
 * gets another name: as SQL (`sales.orders`) or as a name in a string
 * (`nextval('sales.invoice_seq')`).
 */
function bodyNamesMovedObjects(definition: string, mapper: NameMapper): boolean {
  return tokenizeSql(definition)
    .filter((token) => token.kind === 'dollar')
    .some((token) => {
      const tag = /^\$[^$]*\$/.exec(token.text)?.[0] ?? '$$';
      const body = token.text.slice(tag.length, token.text.length - tag.length);
      if (mapper.names(body) !== body) return true;
      return tokenizeSql(body).some((inner) => {
        if (inner.kind !== 'string' || !inner.text.startsWith("'")) return false;
        const parts = parseQualifiedName(inner.text.slice(1, -1).replaceAll("''", "'"));
        return parts?.length === 2 && mapper.movesName(parts[0]!, parts[1]!);
      });
    });
}

function nameKey(schema: string, name: string): string {
  return `${schema}\u0000${name}`;
}

function constraintLabel(constraint: ConstraintInfo): string {
  switch (constraint.kind) {
    case 'primary-key':
      return 'primary key';
    case 'unique':
      return 'unique constraint';
    case 'check':
      return 'check constraint';
    case 'exclusion':
      return 'exclusion constraint';
    case 'foreign-key':
      return 'foreign key';
  }
}

/** What a partition sets on its own: NOT NULL or a default its parent does not have. */
function partitionColumnOptions(columns: readonly ColumnInfo[], parent: TableInfo): PartitionColumnOptions[] {
  const options: PartitionColumnOptions[] = [];
  for (const column of columns) {
    const inherited = parent.columns.find((candidate) => candidate.name === column.name);
    if (!inherited) continue;
    const notNull = column.notNull && !inherited.notNull;
    const ownDefault = column.default !== undefined && column.default !== inherited.default && !column.identity && !column.generated ? column.default : undefined;
    if (notNull || ownDefault !== undefined) options.push(ownDefault === undefined ? { column, notNull } : { column, notNull, default: ownDefault });
  }
  return options;
}
