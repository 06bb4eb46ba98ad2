import { describe, expect, it } from 'vitest';
import { planDdl } from './plan-ddl.js';
import type { IndexInfo, SchemaModel, SequenceInfo, ViewInfo } from './schema-model.js';
import { selectEverything, type TableSelection } from './table-selection.js';
import { check, column, emptyModel, foreignKey, oid, primaryKey, schemaInfo, table } from './testing/model-builder.js';

const sequenceOptions = { dataType: 'integer', start: '1', increment: '1', min: '1', max: '2147483647', cache: '1', cycle: false };

function view(schema: string, name: string, definition: string, extra: Partial<ViewInfo> = {}): ViewInfo {
  return { id: oid('pg_class'), schema, name, materialized: false, definition, columns: [], options: [], populated: true, readsColumns: [], columnComments: [], ...extra };
}

function index(name: string, owner: { id: string; schema: string; name: string }, columns: string[], extra: Partial<IndexInfo> = {}): IndexInfo {
  return {
    id: oid('pg_class'),
    schema: owner.schema,
    name,
    table: { schema: owner.schema, table: owner.name },
    tableId: owner.id,
    unique: false,
    nullsNotDistinct: false,
    method: 'btree',
    elements: columns.map((c) => ({ column: c, descending: false, nullsFirst: false })),
    include: [],
    options: [],
    columns,
    ...extra,
  };
}

/** A small shop: customers, orders (serial id, default calling a function), a view over a view, a matview. */
function shop(): SchemaModel {
  const sales = schemaInfo('sales');
  const customers = table('sales', 'customers', [column('id', 'bigint', { notNull: true }), column('Name', 'text')], {
    constraints: [primaryKey('customers_pkey', ['id'])],
    comment: "Who's buying",
  });
  const orders = table(
    'sales',
    'orders',
    [
      column('id', 'integer', { notNull: true, default: "nextval('sales.orders_id_seq'::regclass)" }),
      column('code', 'text', { default: 'sales.next_code()' }),
      column('customer_id', 'bigint'),
      column('quantity', 'integer'),
      column('double', 'integer', { generated: { expression: '(quantity * 2)', storage: 'stored' }, expressionColumns: ['quantity'] }),
    ],
  );
  orders.constraints = [
    primaryKey('orders_pkey', ['id']),
    check('orders_quantity_check', '(quantity > 0)', ['quantity']),
    foreignKey('orders_customer_fk', ['customer_id'], { schema: 'sales', table: 'customers' }, ['id']),
  ];
  const sequence: SequenceInfo = { id: oid('pg_class'), schema: 'sales', name: 'orders_id_seq', ...sequenceOptions, ownedBy: { schema: 'sales', table: 'orders', column: 'id' } };
  const nextCode = { id: oid('pg_proc'), schema: 'sales', name: 'next_code', kind: 'function' as const, language: 'sql', argumentTypes: [], identityArguments: '', definition: 'CREATE OR REPLACE FUNCTION sales.next_code()\n RETURNS text\n LANGUAGE sql\nAS $function$ SELECT $$x$$ $function$\n' };
  // listed before the view it reads, to show the order comes from dependencies
  const bigOrders = view('sales', 'big_orders', 'SELECT t.customer_id FROM sales.order_totals t');
  const totals = view('sales', 'order_totals', ' SELECT orders.customer_id, sum(orders.quantity) AS sum FROM sales.orders GROUP BY orders.customer_id', {
    readsColumns: [
      { schema: 'sales', table: 'orders', column: 'customer_id' },
      { schema: 'sales', table: 'orders', column: 'quantity' },
    ],
  });
  const summary = view('sales', 'summary', 'SELECT customer_id FROM sales.big_orders', { materialized: true });
  const overSummary = view('sales', 'over_summary', 'SELECT customer_id FROM sales.summary');
  return emptyModel({
    schemas: [sales],
    sequences: [sequence],
    tables: [orders, customers],
    routines: [nextCode],
    views: [bigOrders, totals, summary, overSummary],
    indexes: [index('orders_customer_idx', orders, ['customer_id']), index('summary_idx', summary, ['customer_id'])],
    dependencies: [
      { from: orders.id, fromColumn: 'id', to: sequence.id, toDescription: 'sequence sales.orders_id_seq' },
      { from: orders.id, fromColumn: 'code', to: nextCode.id, toDescription: 'function sales.next_code()' },
      { from: orders.constraints[2]!.id, to: customers.constraints[0]!.id, toDescription: 'constraint customers_pkey' },
      { from: bigOrders.id, to: totals.id, toDescription: 'view sales.order_totals' },
      { from: totals.id, to: orders.id, toDescription: 'table sales.orders' },
      { from: summary.id, to: bigOrders.id, toDescription: 'view sales.big_orders' },
      { from: overSummary.id, to: summary.id, toDescription: 'materialized view sales.summary' },
    ],
  });
}

const kindsAndNames = (model: SchemaModel, selection: TableSelection = selectEverything()) =>
  planDdl(model, selection).statements.map((s) => `${s.section} ${s.kind} ${s.objectName}`);

describe('planDdl order', () => {
  it('orders by section and kind, moving objects after what they need', () => {
    expect(kindsAndNames(shop())).toEqual([
      'pre-data schema "sales"',
      'pre-data sequence "sales"."orders_id_seq"',
      'pre-data table "sales"."customers"',
      'pre-data function "sales"."next_code"()',
      'pre-data table "sales"."orders"',
      'pre-data view "sales"."order_totals"',
      'pre-data view "sales"."big_orders"',
      'pre-data comment on table "sales"."customers"',
      'pre-data sequence-owner "sales"."orders_id_seq"',
      'post-data materialized-view "sales"."summary"',
      'post-data view "sales"."over_summary"',
      'post-data index "sales"."orders_customer_idx"',
      'post-data index "sales"."summary_idx"',
      'post-data foreign-key "orders_customer_fk" on "sales"."orders"',
      'post-data refresh-materialized-view "sales"."summary"',
    ]);
  });

  it('creates partitions after their parent', () => {
    const parent = table('s', 'events', [column('at', 'date')], { kind: 'partitioned', partitionKey: 'RANGE (at)' });
    const partition = table('s', 'events_2024', [column('at', 'date', { isLocal: false })], {
      partitionOf: { schema: 's', table: 'events', parentId: parent.id, bound: "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')" },
    });
    const plan = planDdl(emptyModel({ schemas: [schemaInfo('s')], tables: [partition, parent] }), selectEverything());
    expect(plan.statements.map((s) => s.sql)).toEqual([
      'CREATE SCHEMA IF NOT EXISTS "s"',
      'CREATE TABLE IF NOT EXISTS "s"."events" (\n    "at" date\n) PARTITION BY RANGE (at)',
      `CREATE TABLE IF NOT EXISTS "s"."events_2024" PARTITION OF "s"."events" FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')`,
    ]);
  });
});

describe('planDdl SQL', () => {
  it('writes a table with quoted names, defaults, generated column and inline keys and checks', () => {
    const orders = planDdl(shop(), selectEverything()).statements.find((s) => s.kind === 'table' && s.objectName === '"sales"."orders"')!;
    expect(orders.sql).toBe(
      [
        'CREATE TABLE IF NOT EXISTS "sales"."orders" (',
        `    "id" integer DEFAULT nextval('sales.orders_id_seq'::regclass) NOT NULL,`,
        '    "code" text DEFAULT sales.next_code(),',
        '    "customer_id" bigint,',
        '    "quantity" integer,',
        '    "double" integer GENERATED ALWAYS AS ((quantity * 2)) STORED,',
        '    CONSTRAINT "orders_pkey" PRIMARY KEY ("id"),',
        '    CONSTRAINT "orders_quantity_check" CHECK ((quantity > 0))',
        ')',
      ].join('\n'),
    );
    expect(orders.existsQuery?.params).toEqual(['sales', 'orders']);
    expect(orders.table).toEqual({ schema: 'sales', table: 'orders' });
    expect(orders.parts?.map((p) => `${p.kind} ${p.name}`)).toEqual([
      'column "id"',
      'column "code"',
      'column "customer_id"',
      'column "quantity"',
      'column "double"',
      'constraint "orders_pkey"',
      'constraint "orders_quantity_check"',
    ]);
  });

  it('quotes comments as literals', () => {
    const comment = planDdl(shop(), selectEverything()).statements.find((s) => s.kind === 'comment')!;
    expect(comment.sql).toBe(`COMMENT ON TABLE "sales"."customers" IS 'Who''s buying'`);
  });
});

describe('planDdl with renames and column selection', () => {
  const renames: TableSelection = {
    includesTable: () => true,
    selectColumns: (_s, t, columns) => (t === 'customers' ? columns.filter((c) => c !== 'Name') : [...columns]),
    destinationSchema: (schema) => (schema === 'sales' ? 'shop' : schema),
    destinationTable: (schema, name) => ({ schema: schema === 'sales' ? 'shop' : schema, table: name === 'orders' ? 'order_v2' : name.toLowerCase() }),
    destinationColumn: (_s, t, c) => (t === 'orders' && c === 'quantity' ? 'qty' : c.toLowerCase()),
  };

  it('writes tables, keys, indexes and foreign keys under destination names', () => {
    const sql = planDdl(shop(), renames).statements.map((s) => s.sql);
    expect(sql).toContain(
      [
        'CREATE TABLE IF NOT EXISTS "shop"."order_v2" (',
        `    "id" integer DEFAULT nextval('"shop"."orders_id_seq"'::regclass) NOT NULL,`,
        '    "code" text DEFAULT "shop"."next_code"(),',
        '    "customer_id" bigint,',
        '    "qty" integer,',
        '    "double" integer GENERATED ALWAYS AS (("qty" * 2)) STORED,',
        '    CONSTRAINT "orders_pkey" PRIMARY KEY ("id"),',
        '    CONSTRAINT "orders_quantity_check" CHECK (("qty" > 0))',
        ')',
      ].join('\n'),
    );
    expect(sql).toContain('CREATE TABLE IF NOT EXISTS "shop"."customers" (\n    "id" bigint NOT NULL,\n    CONSTRAINT "customers_pkey" PRIMARY KEY ("id")\n)');
    expect(sql).toContain('ALTER TABLE "shop"."order_v2" ADD CONSTRAINT "orders_customer_fk" FOREIGN KEY ("customer_id") REFERENCES "shop"."customers" ("id")');
    expect(sql).toContain('CREATE INDEX IF NOT EXISTS "orders_customer_idx" ON "shop"."order_v2" USING "btree" ("customer_id")');
    expect(sql).toContain('ALTER SEQUENCE "shop"."orders_id_seq" OWNED BY "shop"."order_v2"."id"');
  });

  it('leaves out views that read a renamed column, and what depends on them, with warnings', () => {
    const plan = planDdl(shop(), renames);
    expect(plan.statements.some((s) => s.kind === 'view')).toBe(false);
    expect(plan.warnings).toEqual([
      'view "shop"."order_totals" is not migrated: it reads "sales"."orders"."quantity", which is renamed (column names inside view and rule definitions are not rewritten)',
      'view "shop"."big_orders" is not migrated: it needs view sales.order_totals, which is not migrated',
      'materialized-view "shop"."summary" is not migrated: it needs view "shop"."big_orders", which is not migrated',
      'refresh-materialized-view "shop"."summary" is not migrated: it needs materialized-view "shop"."summary", which is not migrated',
      'view "shop"."over_summary" is not migrated: it needs materialized-view "shop"."summary", which is not migrated',
      'index "shop"."summary_idx" is not migrated: it needs materialized-view "shop"."summary", which is not migrated',
    ]);
  });

  it('leaves out constraints, indexes and generated columns that use a left-out column', () => {
    const model = shop();
    const orders = model.tables.find((t) => t.name === 'orders')!;
    model.indexes.push(index('orders_quantity_idx', orders, ['quantity']));
    const onlySome: TableSelection = { ...selectEverything(), selectColumns: (_s, t, columns) => (t === 'orders' ? ['id', 'code', 'customer_id', 'double'] : [...columns]) };
    const plan = planDdl(model, onlySome);
    expect(plan.warnings).toEqual([
      'generated column "sales"."orders"."double" is not migrated: it uses column "quantity", which the task leaves out',
      'check constraint "orders_quantity_check" on "sales"."orders" is not migrated: it uses column "quantity", which the task leaves out',
      'view "sales"."order_totals" is not migrated: it reads "sales"."orders"."quantity", which the task leaves out',
      'index "orders_quantity_idx" on "sales"."orders" is not migrated: it uses column "quantity", which the task leaves out',
      'view "sales"."big_orders" is not migrated: it needs view sales.order_totals, which is not migrated',
      'materialized-view "sales"."summary" is not migrated: it needs view "sales"."big_orders", which is not migrated',
      'refresh-materialized-view "sales"."summary" is not migrated: it needs materialized-view "sales"."summary", which is not migrated',
      'view "sales"."over_summary" is not migrated: it needs materialized-view "sales"."summary", which is not migrated',
      'index "sales"."summary_idx" is not migrated: it needs materialized-view "sales"."summary", which is not migrated',
    ]);
    expect(plan.statements.find((s) => s.objectName === '"sales"."orders"')!.parts!.map((p) => p.name)).toEqual(['"id"', '"code"', '"customer_id"', '"orders_pkey"']);
  });

  it('leaves out a foreign key to a table that is not migrated', () => {
    const model = shop();
    model.tables = model.tables.filter((t) => t.name !== 'customers');
    const plan = planDdl(model, selectEverything());
    expect(plan.statements.some((s) => s.kind === 'foreign-key')).toBe(false);
    expect(plan.warnings).toContain('foreign-key "orders_customer_fk" on "sales"."orders" is not migrated: it needs constraint customers_pkey, which is not migrated');
  });

  it('ignores what a left-out column needs', () => {
    const model = shop();
    model.routines = [];
    const withoutCode: TableSelection = { ...selectEverything(), selectColumns: (_s, t, columns) => columns.filter((c) => !(t === 'orders' && c === 'code')) };
    const plan = planDdl(model, withoutCode);
    expect(plan.statements.some((s) => s.objectName === '"sales"."orders"')).toBe(true);
  });

  it('warns about function bodies that name moved objects', () => {
    const model = shop();
    model.routines[0]!.definition = "CREATE OR REPLACE FUNCTION sales.next_code()\n RETURNS text\n LANGUAGE sql\nAS $function$ SELECT nextval('sales.orders_id_seq')::text $function$\n";
    expect(planDdl(model, renames).warnings[0]).toBe(
      'function "shop"."next_code"() keeps its body as written, and the body names objects the task renames or moves to another schema: fix the body on the destination',
    );
  });
});
