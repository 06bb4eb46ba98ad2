import { InvariantError } from '@ferry/core';
import { quoteIdent, quoteLiteral } from '@ferry/pg';
import type { NameMapper } from './name-mapper.js';
import type { AggregateInfo, OperatorInfo, QualifiedName, RoutineInfo, SequenceInfo, TriggerInfo, TypeInfo, ViewInfo } from './schema-model.js';
import { deferrability, integer, operatorReference, operatorSymbol, qualified, withOptions } from './sql-fragments.js';
import { sequenceOptions } from './table-ddl.js';

/** DDL for the objects that are not tables: types, sequences, routines, operators, views, triggers. */

export function createTypeSql(type: TypeInfo, mapper: NameMapper): string {
  const name = mapper.quotedObject(type);
  switch (type.kind) {
    case 'enum':
      return `CREATE TYPE ${name} AS ENUM (${type.labels.map(quoteLiteral).join(', ')})`;
    case 'composite': {
      const attributes = type.attributes.map(
        (attribute) => `${quoteIdent(attribute.name)} ${mapper.type(attribute.type)}${attribute.collation ? ` COLLATE ${qualified(attribute.collation)}` : ''}`,
      );
      return `CREATE TYPE ${name} AS (${attributes.join(', ')})`;
    }
    case 'range': {
      const options = [`SUBTYPE = ${mapper.type(type.subtype)}`];
      if (type.subtypeOpclass) options.push(`SUBTYPE_OPCLASS = ${mapper.quotedObject(type.subtypeOpclass)}`);
      if (type.collation) options.push(`COLLATION = ${qualified(type.collation)}`);
      if (type.canonical) options.push(`CANONICAL = ${mapper.quotedObject(type.canonical)}`);
      if (type.subtypeDiff) options.push(`SUBTYPE_DIFF = ${mapper.quotedObject(type.subtypeDiff)}`);
      if (type.multirangeName && type.multirangeName !== defaultMultirangeName(type.name)) options.push(`MULTIRANGE_TYPE_NAME = ${mapper.quotedObject({ schema: type.schema, name: type.multirangeName })}`);
      return `CREATE TYPE ${name} AS RANGE (${options.join(', ')})`;
    }
    case 'domain': {
      let sql = `CREATE DOMAIN ${name} AS ${mapper.type(type.baseType)}`;
      if (type.collation) sql += ` COLLATE ${qualified(type.collation)}`;
      if (type.default !== undefined) sql += ` DEFAULT ${mapper.names(type.default)}`;
      if (type.notNull) sql += ' NOT NULL';
      for (const check of type.checks) sql += ` CONSTRAINT ${quoteIdent(check.name)} ${mapper.names(check.definition)}`;
      return sql;
    }
  }
}

/** The multirange name PostgreSQL 14+ derives for a range: "range" becomes "multirange", else "_multirange" is appended. */
export function defaultMultirangeName(rangeName: string): string {
  const at = rangeName.indexOf('range');
  return at >= 0 ? `${rangeName.slice(0, at)}multi${rangeName.slice(at)}` : `${rangeName}_multirange`;
}

export function createSequenceSql(sequence: SequenceInfo, mapper: NameMapper): string {
  return `CREATE SEQUENCE IF NOT EXISTS ${mapper.quotedObject(sequence)} ${sequenceOptions(sequence, true)}`;
}

/** `"schema"."name"(type, type)`: identifies a function, procedure or aggregate (to_regprocedure, DROP, COMMENT). */
export function routineSignature(routine: QualifiedName & { argumentTypes: string[] }, mapper: NameMapper): string {
  return `${mapper.quotedObject(routine)}(${routine.argumentTypes.map((type) => mapper.type(type)).join(', ')})`;
}

/** pg_get_functiondef with the function's and its types' schemas mapped; the body itself is kept as written. */
export function createRoutineSql(routine: RoutineInfo, mapper: NameMapper): string {
  return mapper.names(routine.definition).trimEnd();
}

const FINAL_MODIFY = { 'read-only': 'READ_ONLY', shareable: 'SHAREABLE', 'read-write': 'READ_WRITE' } as const;

export function createAggregateSql(aggregate: AggregateInfo, mapper: NameMapper): string {
  const fn = (name: QualifiedName) => mapper.quotedObject(name);
  const options = [`SFUNC = ${fn(aggregate.transitionFunction)}`, `STYPE = ${mapper.type(aggregate.stateType)}`];
  if (aggregate.stateSpace > 0) options.push(`SSPACE = ${integer(aggregate.stateSpace)}`);
  if (aggregate.finalFunction) {
    options.push(`FINALFUNC = ${fn(aggregate.finalFunction)}`);
    if (aggregate.finalExtra) options.push('FINALFUNC_EXTRA');
    if (aggregate.finalModify) options.push(`FINALFUNC_MODIFY = ${FINAL_MODIFY[aggregate.finalModify]}`);
  }
  if (aggregate.combineFunction) options.push(`COMBINEFUNC = ${fn(aggregate.combineFunction)}`);
  if (aggregate.serialFunction) options.push(`SERIALFUNC = ${fn(aggregate.serialFunction)}`);
  if (aggregate.deserialFunction) options.push(`DESERIALFUNC = ${fn(aggregate.deserialFunction)}`);
  if (aggregate.initialCondition !== undefined) options.push(`INITCOND = ${quoteLiteral(aggregate.initialCondition)}`);
  if (aggregate.movingTransitionFunction) {
    options.push(`MSFUNC = ${fn(aggregate.movingTransitionFunction)}`);
    if (aggregate.movingInverseFunction) options.push(`MINVFUNC = ${fn(aggregate.movingInverseFunction)}`);
    if (aggregate.movingStateType) options.push(`MSTYPE = ${mapper.type(aggregate.movingStateType)}`);
    if (aggregate.movingStateSpace > 0) options.push(`MSSPACE = ${integer(aggregate.movingStateSpace)}`);
    if (aggregate.movingFinalFunction) {
      options.push(`MFINALFUNC = ${fn(aggregate.movingFinalFunction)}`);
      if (aggregate.movingFinalExtra) options.push('MFINALFUNC_EXTRA');
      if (aggregate.movingFinalModify) options.push(`MFINALFUNC_MODIFY = ${FINAL_MODIFY[aggregate.movingFinalModify]}`);
    }
    if (aggregate.movingInitialCondition !== undefined) options.push(`MINITCOND = ${quoteLiteral(aggregate.movingInitialCondition)}`);
  }
  if (aggregate.sortOperator) options.push(`SORTOP = ${operatorReference(mapper.object(aggregate.sortOperator))}`);
  if (aggregate.kind === 'hypothetical') options.push('HYPOTHETICAL');
  options.push(`PARALLEL = ${aggregate.parallel.toUpperCase()}`);
  const args = aggregate.identityArguments.trim() === '' ? '*' : mapper.names(aggregate.identityArguments);
  return `CREATE AGGREGATE ${mapper.quotedObject(aggregate)} (${args}) (\n    ${options.join(',\n    ')}\n)`;
}

export function createOperatorSql(operator: OperatorInfo, mapper: NameMapper): string {
  const options = [`FUNCTION = ${mapper.quotedObject(operator.function)}`];
  if (operator.leftType) options.push(`LEFTARG = ${mapper.type(operator.leftType)}`);
  if (operator.rightType) options.push(`RIGHTARG = ${mapper.type(operator.rightType)}`);
  if (operator.commutator) options.push(`COMMUTATOR = ${operatorReference(mapper.object(operator.commutator))}`);
  if (operator.negator) options.push(`NEGATOR = ${operatorReference(mapper.object(operator.negator))}`);
  if (operator.restrict) options.push(`RESTRICT = ${mapper.quotedObject(operator.restrict)}`);
  if (operator.join) options.push(`JOIN = ${mapper.quotedObject(operator.join)}`);
  if (operator.hashes) options.push('HASHES');
  if (operator.merges) options.push('MERGES');
  return `CREATE OPERATOR ${quoteIdent(mapper.schema(operator.schema))}.${operatorSymbol(operator.name)} (${options.join(', ')})`;
}

export function operatorDisplayName(operator: OperatorInfo, mapper: NameMapper): string {
  const left = operator.leftType ? mapper.type(operator.leftType) : 'NONE';
  const right = operator.rightType ? mapper.type(operator.rightType) : 'NONE';
  return `${quoteIdent(mapper.schema(operator.schema))}.${operatorSymbol(operator.name)}(${left}, ${right})`;
}

export function createViewSql(view: ViewInfo, mapper: NameMapper): string {
  const name = mapper.quotedTable({ schema: view.schema, table: view.name });
  const query = mapper.query(view.definition);
  if (view.materialized) return `CREATE MATERIALIZED VIEW IF NOT EXISTS ${name}${withOptions(view.options)} AS\n${query}\nWITH NO DATA`;
  return `CREATE VIEW ${name}${withOptions(view.options)} AS\n${query}`;
}

export function createTriggerSql(trigger: TriggerInfo, mapper: NameMapper): string {
  const table = trigger.table;
  const events = trigger.events.map((event) =>
    event === 'UPDATE' && trigger.updateColumns.length > 0
      ? `UPDATE OF ${trigger.updateColumns.map((column) => quoteIdent(mapper.column(table, column))).join(', ')}`
      : event,
  );
  let sql = `CREATE ${trigger.constraint ? 'CONSTRAINT ' : ''}TRIGGER ${quoteIdent(trigger.name)} ${trigger.timing} ${events.join(' OR ')} ON ${mapper.quotedTable(table)}`;
  if (trigger.constraint) {
    if (trigger.constraint.referencedTable) sql += ` FROM ${mapper.quotedTable(trigger.constraint.referencedTable)}`;
    sql += deferrability(trigger.constraint.deferrable, trigger.constraint.initiallyDeferred) || ' NOT DEFERRABLE';
  }
  if (trigger.oldTable !== undefined || trigger.newTable !== undefined) {
    sql += ' REFERENCING';
    if (trigger.oldTable !== undefined) sql += ` OLD TABLE AS ${quoteIdent(trigger.oldTable)}`;
    if (trigger.newTable !== undefined) sql += ` NEW TABLE AS ${quoteIdent(trigger.newTable)}`;
  }
  sql += trigger.forEachRow ? ' FOR EACH ROW' : ' FOR EACH STATEMENT';
  if (trigger.when !== undefined) sql += ` WHEN (${mapper.triggerCondition(trigger.when, table)})`;
  sql += ` EXECUTE FUNCTION ${mapper.quotedObject(trigger.function)}(${trigger.arguments.map(quoteLiteral).join(', ')})`;
  return sql;
}

const TRIGGER_STATE: Record<TriggerInfo['enabled'], string> = {
  O: 'ENABLE TRIGGER',
  D: 'DISABLE TRIGGER',
  R: 'ENABLE REPLICA TRIGGER',
  A: 'ENABLE ALWAYS TRIGGER',
};

/** Triggers are created enabled (O); other states need their own ALTER TABLE. */
export function triggerStateSql(trigger: TriggerInfo, mapper: NameMapper): string {
  return `ALTER TABLE ${mapper.quotedTable(trigger.table)} ${TRIGGER_STATE[trigger.enabled]} ${quoteIdent(trigger.name)}`;
}

/** pg_get_ruledef with schemas and relations mapped. */
export function createRuleSql(definition: string, mapper: NameMapper): string {
  const sql = mapper.names(definition).trim();
  if (!/^CREATE RULE /.test(sql)) throw new InvariantError(`unexpected rule definition from the catalog: ${sql.slice(0, 80)}`);
  return sql;
}
