import { describe, expect, it } from 'vitest';
import { NameMapper } from './name-mapper.js';
import {
  createAggregateSql,
  createOperatorSql,
  createTriggerSql,
  createTypeSql,
  defaultMultirangeName,
  routineSignature,
  triggerStateSql,
} from './object-ddl.js';
import type { AggregateInfo, TriggerInfo } from './schema-model.js';
import { selectEverything } from './table-selection.js';
import { column, emptyModel, schemaInfo, table } from './testing/model-builder.js';

const model = emptyModel({ schemas: [schemaInfo('s')], tables: [table('s', 't', [column('a', 'integer'), column('B', 'text')])] });
const mapper = new NameMapper(model, {
  ...selectEverything(),
  destinationSchema: (schema) => (schema === 's' ? 'd' : schema),
  destinationTable: (schema, name) => ({ schema: schema === 's' ? 'd' : schema, table: name }),
  destinationColumn: (_s, _t, c) => c.toLowerCase(),
});

describe('createTypeSql', () => {
  it('writes enums, composites, ranges and domains', () => {
    expect(createTypeSql({ id: 'pg_type:1', kind: 'enum', schema: 's', name: 'mood', labels: ['sad', "it's"] }, mapper)).toBe(
      `CREATE TYPE "d"."mood" AS ENUM ('sad', 'it''s')`,
    );
    expect(
      createTypeSql(
        { id: 'pg_type:2', kind: 'composite', schema: 's', name: 'pair', attributes: [{ name: 'X', type: 's.mood' }, { name: 'y', type: 'text', collation: { schema: 'pg_catalog', name: 'C' } }] },
        mapper,
      ),
    ).toBe('CREATE TYPE "d"."pair" AS ("X" "d"."mood", "y" text COLLATE "pg_catalog"."C")');
    expect(
      createTypeSql(
        { id: 'pg_type:3', kind: 'range', schema: 's', name: 'timerange', subtype: 'time without time zone', subtypeDiff: { schema: 's', name: 'diff' }, multirangeName: 'timemultirange' },
        mapper,
      ),
    ).toBe('CREATE TYPE "d"."timerange" AS RANGE (SUBTYPE = time without time zone, SUBTYPE_DIFF = "d"."diff")');
    expect(
      createTypeSql(
        {
          id: 'pg_type:4',
          kind: 'domain',
          schema: 's',
          name: 'amount',
          baseType: 'numeric(12,2)',
          default: '0',
          notNull: true,
          checks: [{ id: 'pg_constraint:5', name: 'positive', definition: 'CHECK ((VALUE >= (0)::numeric))' }],
        },
        mapper,
      ),
    ).toBe('CREATE DOMAIN "d"."amount" AS numeric(12,2) DEFAULT 0 NOT NULL CONSTRAINT "positive" CHECK ((VALUE >= (0)::numeric))');
  });

  it('names a multirange only when it is not the default name', () => {
    expect(defaultMultirangeName('timerange')).toBe('timemultirange');
    expect(defaultMultirangeName('span')).toBe('span_multirange');
  });
});

describe('createAggregateSql and createOperatorSql', () => {
  const aggregate: AggregateInfo = {
    id: 'pg_proc:9',
    schema: 's',
    name: 'concat_all',
    argumentTypes: ['text'],
    identityArguments: 'text',
    kind: 'normal',
    transitionFunction: { schema: 's', name: 'concat_state' },
    stateType: 'text',
    stateSpace: 0,
    finalExtra: false,
    initialCondition: '',
    movingStateSpace: 0,
    movingFinalExtra: false,
    sortOperator: { schema: 'pg_catalog', name: '>' },
    parallel: 'safe',
  };

  it('writes an aggregate from its parts', () => {
    expect(createAggregateSql(aggregate, mapper)).toBe(
      'CREATE AGGREGATE "d"."concat_all" (text) (\n    SFUNC = "d"."concat_state",\n    STYPE = text,\n    INITCOND = \'\',\n    SORTOP = OPERATOR("pg_catalog".>),\n    PARALLEL = SAFE\n)',
    );
    expect(createAggregateSql({ ...aggregate, identityArguments: '', argumentTypes: [] }, mapper)).toContain('"d"."concat_all" (*)');
    expect(routineSignature(aggregate, mapper)).toBe('"d"."concat_all"(text)');
  });

  it('writes an operator from its parts and refuses odd operator names', () => {
    const operator = {
      id: 'pg_operator:1',
      schema: 's',
      name: '~=',
      leftType: 'numeric',
      rightType: 'numeric',
      function: { schema: 's', name: 'roughly_equal' },
      commutator: { schema: 's', name: '~=' },
      hashes: false,
      merges: false,
    };
    expect(createOperatorSql(operator, mapper)).toBe(
      'CREATE OPERATOR "d".~= (FUNCTION = "d"."roughly_equal", LEFTARG = numeric, RIGHTARG = numeric, COMMUTATOR = OPERATOR("d".~=))',
    );
    expect(() => createOperatorSql({ ...operator, name: '=; DROP' }, mapper)).toThrow(/unexpected operator name/);
  });
});

describe('createTriggerSql', () => {
  const trigger: TriggerInfo = {
    id: 'pg_trigger:1',
    name: 'touch',
    table: { schema: 's', table: 't' },
    tableId: model.tables[0]!.id,
    timing: 'BEFORE',
    events: ['INSERT', 'UPDATE'],
    updateColumns: ['B'],
    forEachRow: true,
    when: '(new."B" IS NOT NULL)',
    function: { schema: 's', name: 'f' },
    arguments: ['x', "y'z"],
    enabled: 'A',
    columns: ['B'],
  };

  it('writes the trigger under destination names, with its condition and arguments', () => {
    expect(createTriggerSql(trigger, mapper)).toBe(
      `CREATE TRIGGER "touch" BEFORE INSERT OR UPDATE OF "b" ON "d"."t" FOR EACH ROW WHEN (("new"."b" IS NOT NULL)) EXECUTE FUNCTION "d"."f"('x', 'y''z')`,
    );
    expect(triggerStateSql(trigger, mapper)).toBe('ALTER TABLE "d"."t" ENABLE ALWAYS TRIGGER "touch"');
  });

  it('writes constraint triggers and transition tables', () => {
    const sql = createTriggerSql(
      {
        ...trigger,
        timing: 'AFTER',
        events: ['DELETE'],
        updateColumns: [],
        when: undefined,
        constraint: { deferrable: true, initiallyDeferred: true, referencedTable: { schema: 's', table: 't' } },
        oldTable: 'gone',
        arguments: [],
      } as TriggerInfo,
      mapper,
    );
    expect(sql).toBe(
      'CREATE CONSTRAINT TRIGGER "touch" AFTER DELETE ON "d"."t" FROM "d"."t" DEFERRABLE INITIALLY DEFERRED REFERENCING OLD TABLE AS "gone" FOR EACH ROW EXECUTE FUNCTION "d"."f"()',
    );
  });
});
