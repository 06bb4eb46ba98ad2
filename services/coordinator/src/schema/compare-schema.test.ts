import { describe, expect, it } from 'vitest';
import { canonicalSql, compareSchemas, formatDifferences, withoutInModes } from './compare-schema.js';
import type { SchemaModel } from './schema-model.js';
import { selectEverything, type TableSelection } from './table-selection.js';
import { check, column, emptyModel, primaryKey, schemaInfo, table } from './testing/model-builder.js';

function orders(schema: string, name: string, quantityColumn: string, version = 130000): SchemaModel {
  const orders = table(schema, name, [column('id', 'integer', { notNull: true }), column(quantityColumn, 'integer')], {
    constraints: [primaryKey('orders_pkey', ['id']), check('orders_quantity_check', `(${quantityColumn} > 0)`, [quantityColumn])],
  });
  const view = {
    id: 'pg_class:40001',
    schema,
    name: 'v',
    materialized: false,
    definition: version >= 160000 ? `SELECT id FROM ${schema}.${name}` : `SELECT ${name}.id FROM ${schema}.${name}`,
    columns: [{ name: 'id', type: 'integer' }],
    options: [],
    populated: true,
    readsColumns: [{ schema, table: name, column: 'id' }],
    columnComments: [],
  };
  return emptyModel({ serverVersion: version, schemas: [schemaInfo(schema)], tables: [orders], views: [view] });
}

const rename: TableSelection = {
  ...selectEverything(),
  destinationSchema: (schema) => (schema === 'sales' ? 'shop' : schema),
  destinationTable: (schema, name) => ({ schema: schema === 'sales' ? 'shop' : schema, table: name === 'orders' ? 'order_v2' : name }),
  destinationColumn: (_s, _t, c) => (c === 'quantity' ? 'qty' : c),
};

describe('compareSchemas', () => {
  it('finds no difference between a source and its migrated copy under new names, across majors', () => {
    const source = orders('sales', 'orders', 'quantity', 130000);
    const destination = orders('shop', 'order_v2', 'qty', 170000);
    // a view that reads the renamed column is not planned, so neither side has it to compare
    source.views[0]!.readsColumns = [];
    expect(compareSchemas(source, destination, rename)).toEqual([]);
  });

  it('reports missing, extra and different columns and constraints, not the table as a whole', () => {
    const source = orders('sales', 'orders', 'quantity');
    const destination = orders('sales', 'orders', 'quantity');
    destination.tables[0]!.columns[1]!.type = 'bigint';
    destination.tables[0]!.columns.push(column('extra', 'text'));
    destination.tables[0]!.constraints.pop();
    expect(compareSchemas(source, destination, selectEverything())).toEqual([
      { difference: 'different', kind: 'column', objectName: '"sales"."orders"."quantity"', source: '"quantity" "integer"', destination: '"quantity" "bigint"' },
      {
        difference: 'missing',
        kind: 'constraint',
        objectName: '"orders_quantity_check" on "sales"."orders"',
        source: 'CONSTRAINT "orders_quantity_check" CHECK (("quantity" > 0))',
      },
      { difference: 'extra', kind: 'column', objectName: '"sales"."orders"."extra"', destination: '"extra" "text"' },
    ]);
  });

  it('reports a table whose column order differs as a whole', () => {
    const source = orders('sales', 'orders', 'quantity');
    const destination = orders('sales', 'orders', 'quantity');
    destination.tables[0]!.columns.reverse();
    expect(compareSchemas(source, destination, selectEverything()).map((d) => `${d.difference} ${d.kind} ${d.objectName}`)).toEqual([
      'different table "sales"."orders"',
    ]);
  });

  it('compares view definitions within one major, columns across majors', () => {
    const source = orders('sales', 'orders', 'quantity', 170000);
    const destination = orders('sales', 'orders', 'quantity', 170000);
    destination.views[0]!.definition = 'SELECT id FROM sales.orders WHERE false';
    expect(compareSchemas(source, destination, selectEverything()).map((d) => `${d.difference} ${d.kind} ${d.objectName}`)).toEqual(['different view "sales"."v"']);
    destination.serverVersion = 180000;
    expect(compareSchemas(source, destination, selectEverything())).toEqual([]);
    destination.views[0]!.columns = [{ name: 'id', type: 'bigint' }];
    expect(compareSchemas(source, destination, selectEverything()).map((d) => `${d.difference} ${d.kind} ${d.objectName}`)).toEqual(['different view "sales"."v"']);
  });

  it('formats differences for a terminal', () => {
    expect(
      formatDifferences([
        { difference: 'missing', kind: 'index', objectName: '"s"."i"', source: 'CREATE INDEX ...' },
        { difference: 'different', kind: 'column', objectName: '"s"."t"."c"', source: '"c" "integer"', destination: '"c" "bigint"' },
      ]),
    ).toBe(
      'missing on the destination: index "s"."i"\n  source: CREATE INDEX ...\n' +
        'different: column "s"."t"."c"\n  source:      "c" "integer"\n  destination: "c" "bigint"',
    );
  });
});

describe('canonicalSql', () => {
  it('quotes every name alike and collapses whitespace, keeping keywords and literals', () => {
    expect(canonicalSql(`CREATE  VIEW sales."Orders"\n AS SELECT a FROM sales.orders WHERE b = 'x  y'`)).toBe(
      `CREATE VIEW "sales"."Orders" AS SELECT "a" FROM "sales"."orders" WHERE "b" = 'x  y'`,
    );
    expect(canonicalSql(`nextval('"shop"."seq"'::regclass)`)).toBe(canonicalSql(`nextval('shop.seq'::regclass)`));
  });
});

describe('withoutInModes', () => {
  it('drops the default IN mode from the header only', () => {
    expect(withoutInModes('CREATE PROCEDURE p(IN a integer, IN b text, INOUT c int) AS $$ SELECT x IN (1) $$')).toBe(
      'CREATE PROCEDURE p(a integer, b text, INOUT c int) AS $$ SELECT x IN (1) $$',
    );
  });
});
