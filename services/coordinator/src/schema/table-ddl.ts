import { InvariantError } from '@ferry/core';
import { quoteIdent, quoteLiteral } from '@ferry/pg';
import type { DdlPart } from './ddl-plan.js';
import type { NameMapper } from './name-mapper.js';
import type {
  CheckConstraint,
  ColumnInfo,
  ConstraintInfo,
  ExclusionConstraint,
  ForeignKeyConstraint,
  IndexInfo,
  IndexShape,
  KeyConstraint,
  QualifiedName,
  SequenceOptions,
  TableInfo,
  TableRef,
} from './schema-model.js';
import { deferrability, integer, operatorReference, qualified, withOptions } from './sql-fragments.js';

/**
 * DDL for tables and what hangs off them, built from catalog parts rather than
 * copied from pg_get_*def, so renamed tables and columns come out under their
 * destination names. Expressions go through the NameMapper.
 */

export function tableRef(table: { schema: string; name: string }): TableRef {
  return { schema: table.schema, table: table.name };
}

/** The column and constraint definitions of CREATE TABLE, named for comparing them one by one. */
export function tableParts(table: TableInfo, columns: readonly ColumnInfo[], constraints: readonly ConstraintInfo[], mapper: NameMapper): DdlPart[] {
  const ref = tableRef(table);
  return [
    ...columns.map((column): DdlPart => ({ kind: 'column', name: quoteIdent(mapper.column(ref, column.name)), sql: columnDefinition(column, ref, mapper) })),
    ...constraints.map((constraint): DdlPart => ({ kind: 'constraint', name: quoteIdent(constraint.name), sql: constraintClause(constraint, ref, mapper) })),
  ];
}

export function createTableSql(table: TableInfo, parts: readonly DdlPart[], mapper: NameMapper): string {
  const ref = tableRef(table);
  const lines = parts.map((part) => part.sql);
  const body = lines.length === 0 ? '()' : `(\n    ${lines.join(',\n    ')}\n)`;
  const partitionBy = table.partitionKey ? ` PARTITION BY ${mapper.expression(table.partitionKey, ref)}` : '';
  return `CREATE ${table.unlogged ? 'UNLOGGED ' : ''}TABLE IF NOT EXISTS ${mapper.quotedTable(ref)} ${body}${partitionBy}${withOptions(table.options)}`;
}

export interface PartitionColumnOptions {
  column: ColumnInfo;
  notNull: boolean;
  default?: string;
}

/** CREATE TABLE ... PARTITION OF: columns come from the parent; only the partition's own options and constraints are listed. */
/** What a partition lists itself: its own column options and constraints. */
export function partitionParts(
  table: TableInfo,
  columnOptions: readonly PartitionColumnOptions[],
  constraints: readonly ConstraintInfo[],
  mapper: NameMapper,
): DdlPart[] {
  const ref = tableRef(table);
  return [
    ...columnOptions.map(({ column, notNull, default: defaultExpression }) => {
      const name = quoteIdent(mapper.column(ref, column.name));
      const options = [defaultExpression !== undefined ? ` DEFAULT ${mapper.expression(defaultExpression, ref)}` : '', notNull ? ' NOT NULL' : ''].join('');
      return { kind: 'column', name, sql: `${name} WITH OPTIONS${options}` } satisfies DdlPart;
    }),
    ...constraints.map((constraint): DdlPart => ({ kind: 'constraint', name: quoteIdent(constraint.name), sql: constraintClause(constraint, ref, mapper) })),
  ];
}

export function createPartitionSql(table: TableInfo, parts: readonly DdlPart[], mapper: NameMapper): string {
  const ref = tableRef(table);
  const parent = table.partitionOf!;
  const lines = parts.map((part) => part.sql);
  const body = lines.length === 0 ? '' : ` (\n    ${lines.join(',\n    ')}\n)`;
  const partitionBy = table.partitionKey ? ` PARTITION BY ${mapper.expression(table.partitionKey, ref)}` : '';
  return (
    `CREATE ${table.unlogged ? 'UNLOGGED ' : ''}TABLE IF NOT EXISTS ${mapper.quotedTable(ref)} ` +
    `PARTITION OF ${mapper.quotedTable({ schema: parent.schema, table: parent.table })}${body} ${parent.bound}${partitionBy}${withOptions(table.options)}`
  );
}

export function columnDefinition(column: ColumnInfo, table: TableRef, mapper: NameMapper): string {
  let sql = `${quoteIdent(mapper.column(table, column.name))} ${mapper.type(column.type)}`;
  if (column.collation) sql += ` COLLATE ${qualified(column.collation)}`;
  if (column.generated) {
    sql += ` GENERATED ALWAYS AS (${mapper.expression(column.generated.expression, table)}) ${column.generated.storage === 'virtual' ? 'VIRTUAL' : 'STORED'}`;
  } else if (column.identity) {
    const { sequence } = column.identity;
    sql +=
      ` GENERATED ${column.identity.generation === 'always' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY ` +
      `(SEQUENCE NAME ${mapper.quotedObject(sequence)} ${sequenceOptions(sequence, false)})`;
  } else if (column.default !== undefined) {
    sql += ` DEFAULT ${mapper.expression(column.default, table)}`;
  }
  if (column.notNull) sql += ' NOT NULL';
  return sql;
}

/** START, INCREMENT, bounds, cache and cycle; `AS type` for CREATE SEQUENCE. */
export function sequenceOptions(options: SequenceOptions, withType: boolean): string {
  return [
    withType ? `AS ${sequenceType(options.dataType)}` : '',
    `INCREMENT BY ${integer(options.increment)}`,
    `MINVALUE ${integer(options.min)}`,
    `MAXVALUE ${integer(options.max)}`,
    `START WITH ${integer(options.start)}`,
    `CACHE ${integer(options.cache)}`,
    options.cycle ? 'CYCLE' : 'NO CYCLE',
  ]
    .filter((part) => part.length > 0)
    .join(' ');
}

/** A sequence is smallint, integer or bigint; anything else from the catalog is refused rather than spliced. */
function sequenceType(dataType: string): string {
  if (!['smallint', 'integer', 'bigint'].includes(dataType)) throw new InvariantError(`unexpected sequence type ${JSON.stringify(dataType)} in the catalog`);
  return dataType;
}

/** `CONSTRAINT "name" ...` as it stands inside CREATE TABLE or after ALTER TABLE ... ADD. */
export function constraintClause(constraint: ConstraintInfo, table: TableRef, mapper: NameMapper): string {
  const name = `CONSTRAINT ${quoteIdent(constraint.name)} `;
  switch (constraint.kind) {
    case 'primary-key':
    case 'unique':
      return name + keyConstraintBody(constraint, table, mapper);
    case 'check':
      return name + checkConstraintBody(constraint, table, mapper);
    case 'exclusion':
      return name + exclusionConstraintBody(constraint, table, mapper);
    case 'foreign-key':
      return name + foreignKeyBody(constraint, table, mapper);
  }
}

function keyConstraintBody(constraint: KeyConstraint, table: TableRef, mapper: NameMapper): string {
  const columns = (names: readonly string[]) => `(${names.map((column) => quoteIdent(mapper.column(table, column))).join(', ')})`;
  let sql = constraint.kind === 'primary-key' ? 'PRIMARY KEY ' : `UNIQUE ${constraint.nullsNotDistinct ? 'NULLS NOT DISTINCT ' : ''}`;
  sql += columns(constraint.columns);
  if (constraint.include.length > 0) sql += ` INCLUDE ${columns(constraint.include)}`;
  sql += withOptions(constraint.indexOptions);
  return sql + deferrability(constraint.deferrable, constraint.initiallyDeferred);
}

function checkConstraintBody(constraint: CheckConstraint, table: TableRef, mapper: NameMapper): string {
  const noInherit = constraint.noInherit ? ' NO INHERIT' : '';
  const notValid = constraint.validated ? '' : ' NOT VALID';
  return `CHECK (${mapper.expression(constraint.expression, table)})${noInherit}${notValid}`;
}

function exclusionConstraintBody(constraint: ExclusionConstraint, table: TableRef, mapper: NameMapper): string {
  const shape = constraint.index;
  let sql = `EXCLUDE USING ${quoteIdent(shape.method)} ${indexElementsSql(shape, table, mapper, constraint.operators)}`;
  if (shape.include.length > 0) sql += ` INCLUDE (${shape.include.map((column) => quoteIdent(mapper.column(table, column))).join(', ')})`;
  sql += withOptions(shape.options);
  if (shape.predicate) sql += ` WHERE (${mapper.expression(shape.predicate, table)})`;
  return sql + deferrability(constraint.deferrable, constraint.initiallyDeferred);
}

const FOREIGN_KEY_ACTIONS: Record<ForeignKeyConstraint['onDelete'], string> = {
  'no action': 'NO ACTION',
  restrict: 'RESTRICT',
  cascade: 'CASCADE',
  'set null': 'SET NULL',
  'set default': 'SET DEFAULT',
};

function foreignKeyBody(constraint: ForeignKeyConstraint, table: TableRef, mapper: NameMapper): string {
  const referenced = constraint.referencedTable;
  const own = (names: readonly string[]) => `(${names.map((column) => quoteIdent(mapper.column(table, column))).join(', ')})`;
  const theirs = `(${constraint.referencedColumns.map((column) => quoteIdent(mapper.column(referenced, column))).join(', ')})`;
  let sql = `FOREIGN KEY ${own(constraint.columns)} REFERENCES ${mapper.quotedTable(referenced)} ${theirs}`;
  if (constraint.match === 'full') sql += ' MATCH FULL';
  if (constraint.match === 'partial') sql += ' MATCH PARTIAL';
  if (constraint.onUpdate !== 'no action') sql += ` ON UPDATE ${FOREIGN_KEY_ACTIONS[constraint.onUpdate]}`;
  if (constraint.onDelete !== 'no action') {
    sql += ` ON DELETE ${FOREIGN_KEY_ACTIONS[constraint.onDelete]}`;
    if (constraint.onDeleteColumns.length > 0) sql += ` ${own(constraint.onDeleteColumns)}`;
  }
  sql += deferrability(constraint.deferrable, constraint.initiallyDeferred);
  return constraint.validated ? sql : `${sql} NOT VALID`;
}

/** `ALTER TABLE ... ADD CONSTRAINT ...` for constraints added after the data. */
export function addConstraintSql(constraint: ConstraintInfo, table: TableRef, mapper: NameMapper): string {
  return `ALTER TABLE ${mapper.quotedTable(table)} ADD ${constraintClause(constraint, table, mapper)}`;
}

/** `(elem, ...)` of an index or exclusion constraint; `operators` turns elements into `elem WITH op`. */
export function indexElementsSql(shape: IndexShape, table: TableRef, mapper: NameMapper, operators?: readonly QualifiedName[]): string {
  const elements = shape.elements.map((element, position) => {
    let sql = element.column !== undefined ? quoteIdent(mapper.column(table, element.column)) : `(${mapper.expression(element.expression ?? '', table)})`;
    if (element.collation) sql += ` COLLATE ${qualified(element.collation)}`;
    if (element.opclass) sql += ` ${mapper.quotedObject(element.opclass)}`;
    if (element.descending) sql += element.nullsFirst ? ' DESC' : ' DESC NULLS LAST';
    else if (element.nullsFirst) sql += ' NULLS FIRST';
    const operator = operators?.[position];
    if (operator) sql += ` WITH ${operatorReference(mapper.object(operator))}`;
    return sql;
  });
  return `(${elements.join(', ')})`;
}

export function createIndexSql(index: IndexInfo, mapper: NameMapper): string {
  const table = index.table;
  let sql = `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${quoteIdent(index.name)} ON ${mapper.quotedTable(table)} USING ${quoteIdent(index.method)} `;
  sql += indexElementsSql(index, table, mapper);
  if (index.include.length > 0) sql += ` INCLUDE (${index.include.map((column) => quoteIdent(mapper.column(table, column))).join(', ')})`;
  if (index.nullsNotDistinct) sql += ' NULLS NOT DISTINCT';
  sql += withOptions(index.options);
  if (index.predicate) sql += ` WHERE (${mapper.expression(index.predicate, table)})`;
  return sql;
}

/** `'text'` for COMMENT ON ... IS. */
export function commentLiteral(comment: string): string {
  return quoteLiteral(comment);
}
