import { describe, expect, it } from 'vitest';
import { NameMapper } from './name-mapper.js';
import type { TableSelection } from './table-selection.js';
import { column, emptyModel, schemaInfo, table } from './testing/model-builder.js';

/** sales → shop, sales.orders → order_v2, orders.quantity → qty. */
const selection: TableSelection = {
  includesTable: () => true,
  selectColumns: (_s, _t, columns) => [...columns],
  destinationSchema: (schema) => (schema === 'sales' ? 'shop' : schema),
  destinationTable: (schema, name) => ({ schema: schema === 'sales' ? 'shop' : schema, table: name === 'orders' ? 'order_v2' : name }),
  destinationColumn: (_s, t, c) => (t === 'orders' && c === 'quantity' ? 'qty' : t === 'orders' ? c.toUpperCase() : c),
};

const model = emptyModel({
  schemas: [schemaInfo('sales'), schemaInfo('public')],
  tables: [
    table('sales', 'orders', [column('id', 'integer'), column('quantity', 'integer'), column('true', 'boolean'), column('flag', 'boolean')]),
    table('sales', 'customers', [column('id', 'integer')]),
  ],
  types: [{ id: 'pg_type:30001', kind: 'enum', schema: 'sales', name: 'mood', labels: [] }],
  extensionObjects: [{ schema: 'public', name: 'citext' }],
});
const mapper = new NameMapper(model, selection);
const orders = { schema: 'sales', table: 'orders' };

describe('NameMapper names', () => {
  it('maps schemas it carries and leaves others', () => {
    expect(mapper.schema('sales')).toBe('shop');
    expect(mapper.schema('pg_catalog')).toBe('pg_catalog');
    expect(mapper.schema('elsewhere')).toBe('elsewhere');
  });

  it('maps tables, columns and other objects', () => {
    expect(mapper.table('sales', 'orders')).toEqual({ schema: 'shop', name: 'order_v2' });
    expect(mapper.quotedTable(orders)).toBe('"shop"."order_v2"');
    expect(mapper.object({ schema: 'sales', name: 'mood' })).toEqual({ schema: 'shop', name: 'mood' });
    expect(mapper.column(orders, 'quantity')).toBe('qty');
    expect(mapper.isRelationRenamed(orders)).toBe(true);
    expect(mapper.isRelationRenamed({ schema: 'sales', table: 'customers' })).toBe(false);
  });
});

describe('NameMapper SQL text', () => {
  it('renames the table’s own columns in an expression, not functions, keywords or non-columns', () => {
    expect(mapper.expression('((quantity > 0) AND quantity(id) AND true AND "true" AND flag)', orders)).toBe(
      '(("qty" > 0) AND quantity("ID") AND true AND "TRUE" AND "FLAG")',
    );
  });

  it('moves qualified types, functions, sequences and operators with their schema', () => {
    expect(mapper.expression(`nextval('sales.orders_id_seq'::regclass)`, orders)).toBe(`nextval('"shop"."orders_id_seq"'::regclass)`);
    expect(mapper.expression(`'ok'::sales.mood`, orders)).toBe(`'ok'::"shop"."mood"`);
    expect(mapper.expression('sales.next_code()', orders)).toBe('"shop"."next_code"()');
    expect(mapper.expression('a OPERATOR(sales.~=) b', orders)).toBe('a OPERATOR("shop".~=) b');
  });

  it('renames a qualified pair in plain position only when the schema holds that object', () => {
    expect(mapper.names('x sales.mood')).toBe('x "shop"."mood"');
    expect(mapper.names('sales.amount')).toBe('sales.amount'); // an alias "sales" and its column
  });

  it('renames trigger conditions through old. and new.', () => {
    expect(mapper.triggerCondition('(new.quantity > old.quantity)', orders)).toBe('("new"."qty" > "old"."qty")');
    expect(mapper.triggerCondition('(new.flag AND new.other)', orders)).toBe('("new"."FLAG" AND new.other)');
  });

  it('keeps the old relation name as alias in a view, so qualified columns still resolve', () => {
    expect(mapper.query('SELECT orders.flag FROM sales.orders WHERE (orders.flag)')).toBe(
      'SELECT orders.flag FROM "shop"."order_v2" "orders" WHERE (orders.flag)',
    );
    expect(mapper.query('SELECT o.id FROM sales.orders o')).toBe('SELECT o.id FROM "shop"."order_v2" o');
    expect(mapper.query('SELECT c.id FROM sales.customers c')).toBe('SELECT c.id FROM "shop"."customers" c');
  });

  it('never touches dollar-quoted bodies', () => {
    const sql = 'CREATE FUNCTION sales.f() RETURNS sales.mood AS $$ SELECT 1 FROM sales.orders $$';
    expect(mapper.names(sql)).toBe('CREATE FUNCTION "shop"."f"() RETURNS "shop"."mood" AS $$ SELECT 1 FROM sales.orders $$');
  });

  it('says which qualified names move', () => {
    expect(mapper.movesName('sales', 'orders')).toBe(true);
    expect(mapper.movesName('public', 'citext')).toBe(false);
  });
});
