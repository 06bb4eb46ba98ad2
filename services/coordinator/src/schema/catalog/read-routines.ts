import type pg from 'pg';
import { quoteIdent } from '@ferry/pg';
import type { AggregateInfo, OperatorInfo, QualifiedName, RoutineInfo } from '../schema-model.js';
import { operatorName, procName } from './name-sql.js';
import { EXTENSION_MEMBER, queryJson } from './query-json.js';
import { withComment } from './read-schemas.js';

export interface RoutineRead {
  routines: RoutineInfo[];
  notes: string[];
}

/** prokind (11+), or its older spelling. */
function prokind(serverVersion: number): string {
  return serverVersion >= 110000 ? 'p.prokind' : `CASE WHEN p.proisagg THEN 'a' WHEN p.proiswindow THEN 'w' ELSE 'f' END`;
}

/** Objects PostgreSQL made along with another (range constructors, ...): they come back with it. */
const NOT_INTERNAL = `NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                                   WHERE d.classid = 'pg_proc'::pg_catalog.regclass AND d.objid = p.oid AND d.deptype = 'i')`;

const ARGUMENT_TYPES = `ARRAY(SELECT pg_catalog.format_type(t.oid, NULL) FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY t(oid, ord) ORDER BY t.ord)`;

/** Functions and procedures of the given schemas; C and internal ones are noted, not carried. */
export async function readRoutines(client: pg.ClientBase, schemas: readonly string[], serverVersion: number): Promise<RoutineRead> {
  const rows = await queryJson<{
    oid: number;
    schema: string;
    name: string;
    kind: string;
    language: string;
    argumentTypes: string[];
    identityArguments: string;
    definition: string | null;
    comment: string | null;
  }>(
    client,
    `SELECT p.oid, n.nspname AS schema, p.proname AS name, ${prokind(serverVersion)} AS kind, l.lanname AS language,
            ${ARGUMENT_TYPES} AS "argumentTypes",
            pg_catalog.pg_get_function_identity_arguments(p.oid) AS "identityArguments",
            CASE WHEN l.lanname NOT IN ('c', 'internal') THEN pg_catalog.pg_get_functiondef(p.oid) END AS definition,
            pg_catalog.obj_description(p.oid, 'pg_proc') AS comment
       FROM pg_catalog.pg_proc p
       JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
       JOIN pg_catalog.pg_language l ON l.oid = p.prolang
      WHERE n.nspname = ANY($1::text[]) AND ${prokind(serverVersion)} IN ('f', 'p', 'w')
        AND NOT ${EXTENSION_MEMBER('pg_proc', 'p.oid')} AND ${NOT_INTERNAL}
      ORDER BY n.nspname, p.proname, 6`,
    [schemas],
  );
  const notes: string[] = [];
  const routines: RoutineInfo[] = [];
  for (const row of rows) {
    const name = `${quoteIdent(row.schema)}.${quoteIdent(row.name)}(${row.identityArguments})`;
    if (row.definition === null || row.kind === 'w') {
      notes.push(`function ${name} is not migrated: it is written in ${row.language === 'internal' ? 'internal code' : row.language.toUpperCase()}; install it on the destination yourself`);
      continue;
    }
    routines.push(
      withComment(
        {
          id: `pg_proc:${row.oid}`,
          schema: row.schema,
          name: row.name,
          kind: row.kind === 'p' ? 'procedure' : 'function',
          language: row.language,
          argumentTypes: row.argumentTypes,
          identityArguments: row.identityArguments,
          definition: row.definition,
        },
        row.comment,
      ),
    );
  }
  return { routines, notes };
}

const FINAL_MODIFY = { r: 'read-only', s: 'shareable', w: 'read-write' } as const;
const PARALLEL = { s: 'safe', r: 'restricted', u: 'unsafe' } as const;

interface AggregateRow {
  oid: number;
  schema: string;
  name: string;
  argumentTypes: string[];
  identityArguments: string;
  aggkind: 'n' | 'o' | 'h';
  transitionFunction: QualifiedName;
  stateType: string;
  stateSpace: number;
  finalFunction: QualifiedName | null;
  finalExtra: boolean;
  finalModify: 'r' | 's' | 'w' | null;
  combineFunction: QualifiedName | null;
  serialFunction: QualifiedName | null;
  deserialFunction: QualifiedName | null;
  initialCondition: string | null;
  movingTransitionFunction: QualifiedName | null;
  movingInverseFunction: QualifiedName | null;
  movingStateType: string | null;
  movingStateSpace: number;
  movingFinalFunction: QualifiedName | null;
  movingFinalExtra: boolean;
  movingFinalModify: 'r' | 's' | 'w' | null;
  movingInitialCondition: string | null;
  sortOperator: QualifiedName | null;
  parallel: 's' | 'r' | 'u';
  comment: string | null;
}

export async function readAggregates(client: pg.ClientBase, schemas: readonly string[], serverVersion: number): Promise<AggregateInfo[]> {
  const modify = (column: string) => (serverVersion >= 110000 ? column : 'NULL::"char"');
  const rows = await queryJson<AggregateRow>(
    client,
    `SELECT p.oid, n.nspname AS schema, p.proname AS name, ${ARGUMENT_TYPES} AS "argumentTypes",
            pg_catalog.pg_get_function_identity_arguments(p.oid) AS "identityArguments",
            a.aggkind,
            ${procName('a.aggtransfn')} AS "transitionFunction",
            pg_catalog.format_type(a.aggtranstype, NULL) AS "stateType", a.aggtransspace AS "stateSpace",
            ${procName('a.aggfinalfn')} AS "finalFunction", a.aggfinalextra AS "finalExtra",
            ${modify('a.aggfinalmodify')} AS "finalModify",
            ${procName('a.aggcombinefn')} AS "combineFunction",
            ${procName('a.aggserialfn')} AS "serialFunction",
            ${procName('a.aggdeserialfn')} AS "deserialFunction",
            a.agginitval AS "initialCondition",
            ${procName('a.aggmtransfn')} AS "movingTransitionFunction",
            ${procName('a.aggminvtransfn')} AS "movingInverseFunction",
            CASE WHEN a.aggmtranstype <> 0 THEN pg_catalog.format_type(a.aggmtranstype, NULL) END AS "movingStateType",
            a.aggmtransspace AS "movingStateSpace",
            ${procName('a.aggmfinalfn')} AS "movingFinalFunction", a.aggmfinalextra AS "movingFinalExtra",
            ${modify('a.aggmfinalmodify')} AS "movingFinalModify",
            a.aggminitval AS "movingInitialCondition",
            ${operatorName('a.aggsortop')} AS "sortOperator",
            p.proparallel AS parallel,
            pg_catalog.obj_description(p.oid, 'pg_proc') AS comment
       FROM pg_catalog.pg_aggregate a
       JOIN pg_catalog.pg_proc p ON p.oid = a.aggfnoid
       JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = ANY($1::text[]) AND NOT ${EXTENSION_MEMBER('pg_proc', 'p.oid')}
      ORDER BY n.nspname, p.proname, 4`,
    [schemas],
  );
  return rows.map((row) => {
    const aggregate: AggregateInfo = withComment(
      {
        id: `pg_proc:${row.oid}`,
        schema: row.schema,
        name: row.name,
        argumentTypes: row.argumentTypes,
        identityArguments: row.identityArguments,
        kind: row.aggkind === 'o' ? 'ordered-set' : row.aggkind === 'h' ? 'hypothetical' : 'normal',
        transitionFunction: row.transitionFunction,
        stateType: row.stateType,
        stateSpace: row.stateSpace,
        finalExtra: row.finalExtra,
        movingStateSpace: row.movingStateSpace,
        movingFinalExtra: row.movingFinalExtra,
        parallel: PARALLEL[row.parallel],
      },
      row.comment,
    );
    if (row.finalFunction) aggregate.finalFunction = row.finalFunction;
    if (row.finalModify) aggregate.finalModify = FINAL_MODIFY[row.finalModify];
    if (row.combineFunction) aggregate.combineFunction = row.combineFunction;
    if (row.serialFunction) aggregate.serialFunction = row.serialFunction;
    if (row.deserialFunction) aggregate.deserialFunction = row.deserialFunction;
    if (row.initialCondition !== null) aggregate.initialCondition = row.initialCondition;
    if (row.movingTransitionFunction) aggregate.movingTransitionFunction = row.movingTransitionFunction;
    if (row.movingInverseFunction) aggregate.movingInverseFunction = row.movingInverseFunction;
    if (row.movingStateType !== null) aggregate.movingStateType = row.movingStateType;
    if (row.movingFinalFunction) aggregate.movingFinalFunction = row.movingFinalFunction;
    if (row.movingFinalModify) aggregate.movingFinalModify = FINAL_MODIFY[row.movingFinalModify];
    if (row.movingInitialCondition !== null) aggregate.movingInitialCondition = row.movingInitialCondition;
    if (row.sortOperator) aggregate.sortOperator = row.sortOperator;
    return aggregate;
  });
}

interface OperatorRow {
  oid: number;
  schema: string;
  name: string;
  leftType: string | null;
  rightType: string | null;
  function: QualifiedName;
  commutator: QualifiedName | null;
  negator: QualifiedName | null;
  restrict: QualifiedName | null;
  join: QualifiedName | null;
  hashes: boolean;
  merges: boolean;
}

export async function readOperators(client: pg.ClientBase, schemas: readonly string[]): Promise<OperatorInfo[]> {
  const rows = await queryJson<OperatorRow>(
    client,
    `SELECT o.oid, n.nspname AS schema, o.oprname AS name,
            CASE WHEN o.oprleft <> 0 THEN pg_catalog.format_type(o.oprleft, NULL) END AS "leftType",
            CASE WHEN o.oprright <> 0 THEN pg_catalog.format_type(o.oprright, NULL) END AS "rightType",
            ${procName('o.oprcode')} AS function,
            ${operatorName('o.oprcom')} AS commutator,
            ${operatorName('o.oprnegate')} AS negator,
            ${procName('o.oprrest')} AS restrict,
            ${procName('o.oprjoin')} AS "join",
            o.oprcanhash AS hashes, o.oprcanmerge AS merges
       FROM pg_catalog.pg_operator o
       JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace
      WHERE n.nspname = ANY($1::text[]) AND NOT ${EXTENSION_MEMBER('pg_operator', 'o.oid')}
      ORDER BY n.nspname, o.oprname, 4, 5`,
    [schemas],
  );
  return rows.map((row) => {
    const operator: OperatorInfo = { id: `pg_operator:${row.oid}`, schema: row.schema, name: row.name, function: row.function, hashes: row.hashes, merges: row.merges };
    if (row.leftType !== null) operator.leftType = row.leftType;
    if (row.rightType !== null) operator.rightType = row.rightType;
    if (row.commutator) operator.commutator = row.commutator;
    if (row.negator) operator.negator = row.negator;
    if (row.restrict) operator.restrict = row.restrict;
    if (row.join) operator.join = row.join;
    return operator;
  });
}
