import type pg from 'pg';
import { ObjectSelection, taskSchema } from '@ferry/config';
import { FerryError } from '@ferry/core';
import { openClient } from '@ferry/pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DDL_KINDS,
  applyDdl,
  compareSchema,
  findPreexistingTables,
  formatDifferences,
  planDdl,
  readSourceSchema,
  selectEverything,
  type DdlPlan,
  type TableSelection,
} from '../../services/coordinator/src/schema/index.js';
import { createTempDatabase, type TempDatabase } from '../support/databases.js';
import { serviceUrlsFromEnv } from '../support/services.js';
import { SOURCE_FIXTURE_SQL } from './source-fixture.js';

// The schema phase against the real servers: a PostgreSQL 13 source with every
// object kind, migrated to PostgreSQL 17, then compared; and 17 → 17.
const urls = serviceUrlsFromEnv();
const databases: TempDatabase[] = [];
const clients: pg.Client[] = [];

async function database(serverUrl: string, prefix: string): Promise<{ db: TempDatabase; client: pg.Client }> {
  const db = await createTempDatabase(serverUrl, prefix);
  databases.push(db);
  const client = await openClient(db.url, { applicationName: 'ferry-test-schema', role: 'destination' });
  clients.push(client);
  return { db, client };
}

async function sourceDatabase(serverUrl: string): Promise<pg.Client> {
  const { client } = await database(serverUrl, 'schema_src');
  await client.query(SOURCE_FIXTURE_SQL);
  return client;
}

async function migrate(source: pg.Client, destination: pg.Client, selection: TableSelection): Promise<DdlPlan> {
  const plan = planDdl(await readSourceSchema(source, selection), selection);
  const pre = await applyDdl(destination, plan, { section: 'pre-data', conflictingTables: 'error', preexistingTables: 'detect' });
  await applyDdl(destination, plan, { section: 'post-data', conflictingTables: 'error', preexistingTables: pre.preexistingTables });
  return plan;
}

function selectionOf(objects: unknown): ObjectSelection {
  const task = taskSchema.parse({
    name: 'schema-test',
    source: { url: 'postgres://h/s' },
    destination: { url: 'postgres://h/d' },
    kafka: { brokers: ['h:1'] },
    schemaRegistry: { url: 'http://r' },
    objects,
  });
  return new ObjectSelection(task.objects);
}

afterAll(async () => {
  await Promise.allSettled(clients.map((client) => client.end()));
  await Promise.allSettled(databases.map((db) => db.drop()));
});

describe('schema migration PostgreSQL 13 → 17', () => {
  let source: pg.Client;
  beforeAll(async () => {
    source = await sourceDatabase(urls.sourcePgUrl);
  });

  it('reads from a PostgreSQL 13 source', async () => {
    const { rows } = await source.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`);
    expect(Number(rows[0]!.v)).toBeGreaterThanOrEqual(130000);
    expect(Number(rows[0]!.v)).toBeLessThan(140000);
  });

  it('carries every object kind, and the destination then matches the source', async () => {
    const { client: destination } = await database(urls.destPgUrl, 'schema_dst');
    const plan = await migrate(source, destination, selectEverything());

    expect(plan.warnings).toEqual([]);
    const kinds = new Set(plan.statements.map((statement) => statement.kind));
    expect(DDL_KINDS.filter((kind) => !kinds.has(kind))).toEqual([]);
    const differences = await compareSchema(source, destination, selectEverything());
    expect(formatDifferences(differences)).toBe('');
  });

  it('builds a destination that works: identity, defaults calling functions, generated columns, triggers, constraints', async () => {
    const { client: destination } = await database(urls.destPgUrl, 'schema_use');
    await migrate(source, destination, selectEverything());

    const customer = await destination.query(`INSERT INTO sales.customers (email, name) VALUES ('A@x.org', 'Ann') RETURNING id::text`);
    expect(customer.rows[0].id).toBe('10');
    const order = await destination.query(
      `INSERT INTO sales.orders (customer_id, quantity, unit_price, status) VALUES (10, 3, 2.5, NULL) RETURNING code, total::text, status, invoice_no::text`,
    );
    expect(order.rows[0]).toEqual({ code: 'C-1000', total: '7.50', status: 'new', invoice_no: '1005' });
    await expect(destination.query(`INSERT INTO sales.customers (email, name) VALUES ('a@X.org', 'Dup')`)).rejects.toThrow(/customers_email_key/);
    await expect(destination.query(`INSERT INTO sales.orders (customer_id, quantity) VALUES (10, 0)`)).rejects.toThrow(/orders_quantity_check/);
    await destination.query(`INSERT INTO sales.bookings (room, during) VALUES (1, '[2024-01-01,2024-01-02)')`);
    await expect(destination.query(`INSERT INTO sales.bookings (room, during) VALUES (1, '[2024-01-01 12:00,2024-01-03)')`)).rejects.toThrow(/no_double_booking/);
    await destination.query(`DELETE FROM sales.bookings`);
    const audit = await destination.query(`SELECT note FROM sales.audit_log`);
    expect(audit.rows).toEqual([{ note: 'deleted booking 1' }]);
    const partition = await destination.query(`INSERT INTO sales.events VALUES (1, '2030-05-01', '{}') RETURNING tableoid::regclass::text AS part`);
    expect(partition.rows[0].part).toBe('sales.events_other');
    const aggregate = await destination.query(`SELECT sales.concat_all(x) AS all, 1.2 OPERATOR(sales.~=) 1.9 AS near FROM unnest(ARRAY['a', 'b']) x`);
    expect(aggregate.rows[0]).toEqual({ all: 'a,b', near: 't' });
  });

  it('applies a second time as a no-op: every statement is found and skipped', async () => {
    const { client: destination } = await database(urls.destPgUrl, 'schema_again');
    const plan = await migrate(source, destination, selectEverything());
    for (const section of ['pre-data', 'post-data'] as const) {
      const again = await applyDdl(destination, plan, { section, conflictingTables: 'error', preexistingTables: [] });
      expect(again.applied).toBe(0);
      expect(again.statements.every((result) => result.reason === 'exists')).toBe(true);
    }
  });

  it('resumes after a failure at the statement that failed', async () => {
    const { client: destination } = await database(urls.destPgUrl, 'schema_resume');
    const plan = planDdl(await readSourceSchema(source, selectEverything()), selectEverything());
    // A function the plan creates already exists with another return type: its CREATE OR REPLACE fails.
    await destination.query(`CREATE SCHEMA sales; CREATE FUNCTION sales.next_code() RETURNS integer LANGUAGE sql AS 'SELECT 1'`);
    const failure = await applyDdl(destination, { ...plan, statements: plan.statements.map((s) => (s.kind === 'function' ? { ...s, existsQuery: undefined } : s)) }, {
      section: 'pre-data',
      conflictingTables: 'error',
      preexistingTables: [],
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(FerryError);
    expect((failure as FerryError).code).toBe('SCHEMA_APPLY_FAILED');
    expect((failure as FerryError).message).toMatch(/^pre-data function "sales"\."next_code"\(\) failed on the destination: cannot change return type of existing function/);
    expect((failure as FerryError).message).toContain('\nSQL: CREATE OR REPLACE FUNCTION sales.next_code()');

    await destination.query(`DROP FUNCTION sales.next_code()`);
    const resumed = await applyDdl(destination, plan, { section: 'pre-data', conflictingTables: 'error', preexistingTables: [] });
    const skipped = resumed.statements.filter((result) => result.outcome === 'skipped').map((result) => result.statement.objectName);
    expect(skipped).toContain('"sales"."customers"');
    expect(resumed.statements.find((result) => result.statement.objectName === '"sales"."next_code"()')?.outcome).toBe('applied');
  });

  it('stops on a conflicting table with conflictingTables: error, naming it; ignore leaves it alone', async () => {
    const { client: destination } = await database(urls.destPgUrl, 'schema_conflict');
    await destination.query(`CREATE SCHEMA sales; CREATE TABLE sales.audit_log (id bigserial PRIMARY KEY, note text, extra integer)`);
    const plan = planDdl(await readSourceSchema(source, selectEverything()), selectEverything());

    expect(await findPreexistingTables(destination, plan)).toEqual([{ schema: 'sales', table: 'audit_log' }]);
    const error = await applyDdl(destination, plan, { section: 'pre-data', conflictingTables: 'error', preexistingTables: 'detect' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FerryError);
    expect((error as FerryError).code).toBe('CONFLICTING_TABLES');
    expect((error as FerryError).message).toBe('the destination already has table "sales"."audit_log", and conflictingTables is error');
    const created = await destination.query(`SELECT count(*) AS n FROM pg_class WHERE relnamespace = 'sales'::regnamespace AND relkind = 'r'`);
    expect(created.rows[0].n).toBe('1'); // nothing was created before the check (clients read PostgreSQL's text)

    const pre = await applyDdl(destination, plan, { section: 'pre-data', conflictingTables: 'ignore', preexistingTables: 'detect' });
    await applyDdl(destination, plan, { section: 'post-data', conflictingTables: 'ignore', preexistingTables: pre.preexistingTables });
    const onAuditLog = pre.statements.filter((result) => result.statement.table?.table === 'audit_log');
    expect(onAuditLog.map((result) => `${result.statement.kind} ${result.reason}`)).toEqual(['table preexisting-table', 'sequence-owner preexisting-table']);
    const columns = await destination.query(`SELECT string_agg(attname, ',' ORDER BY attnum) AS c FROM pg_attribute WHERE attrelid = 'sales.audit_log'::regclass AND attnum > 0`);
    expect(columns.rows[0].c).toBe('id,note,extra');
    const differences = await compareSchema(source, destination, selectEverything());
    expect(differences.map((d) => `${d.difference} ${d.kind} ${d.objectName}`)).toEqual(['extra column "sales"."audit_log"."extra"']);
  });

  it('applies renames, column selection and lower-case names', async () => {
    const { client: destination } = await database(urls.destPgUrl, 'schema_rename');
    const selection = selectionOf({
      include: ['sales.*', 'Util Schema.*'],
      exclude: ['sales.departments', 'sales.employees'],
      columns: { 'sales.customers': ['id', 'email', 'name', 'referred_by', 'created_at'] },
      rename: { schemas: { sales: 'shop' }, tables: { 'sales.orders': 'order_v2' }, columns: { 'sales.orders': { quantity: 'Qty' } } },
      nameCase: 'lower',
    });
    const plan = await migrate(source, destination, selection);

    expect(plan.warnings).toEqual([
      'procedure "shop"."archive_orders"(date) keeps its body as written, and the body names objects the task renames or moves to another schema: fix the body on the destination',
      'function "shop"."next_code"() keeps its body as written, and the body names objects the task renames or moves to another schema: fix the body on the destination',
    ]);
    const tables = await destination.query(
      `SELECT n.nspname || '.' || c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND n.nspname IN ('shop', 'util schema', 'sales', 'Util Schema') ORDER BY 1`,
    );
    expect(tables.rows.map((row) => row.t)).toEqual([
      'shop.audit_log',
      'shop.bookings',
      'shop.customers',
      'shop.events',
      'shop.events_2024',
      'shop.events_2025',
      'shop.events_other',
      'shop.order_v2',
      'util schema.weird "table" ünïcode',
    ]);
    const columnsOf = async (table: string) =>
      (await destination.query(`SELECT string_agg(attname, ',' ORDER BY attnum) AS c FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0`, [table])).rows[0].c;
    expect(await columnsOf('shop.customers')).toBe('id,email,name,referred_by,created_at');
    expect(await columnsOf('shop.order_v2')).toBe('id,code,customer_id,qty,unit_price,total,invoice_no,status,note');
    expect(await columnsOf('"util schema"."weird ""table"" ünïcode"')).toBe('id,column with spaces,quote"d,ärger');

    // Expressions follow the renamed column: check, generated column, trigger condition; views keep working.
    const definitions = await destination.query(
      `SELECT pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE conrelid = 'shop.order_v2'::regclass AND conname = 'orders_quantity_check'
       UNION ALL SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef WHERE adrelid = 'shop.order_v2'::regclass AND adnum = 6
       UNION ALL SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'shop.order_v2'::regclass AND tgname = 'orders_touch'`,
    );
    expect(definitions.rows.map((row) => row.d)).toEqual([
      'CHECK ((qty > 0))',
      '((qty)::numeric * (unit_price)::numeric)',
      'CREATE TRIGGER orders_touch BEFORE INSERT OR UPDATE OF status ON shop.order_v2 FOR EACH ROW WHEN ((new.qty > 0)) EXECUTE FUNCTION shop.touch_order()',
    ]);
    await destination.query(`INSERT INTO shop.customers (id, email, name) OVERRIDING SYSTEM VALUE VALUES (1, 'a@x.org', 'Ann')`);
    await destination.query(`INSERT INTO shop.order_v2 (id, code, customer_id, qty, unit_price) VALUES (1, 'X', 1, 2, 3)`);
    const view = await destination.query(`SELECT code, status FROM shop.order_codes`);
    expect(view.rows).toEqual([{ code: 'X', status: 'new' }]);

    expect(formatDifferences(await compareSchema(source, destination, selection))).toBe('');
  });
});

describe('schema migration PostgreSQL 17 → 17', () => {
  it('reads a new major’s catalogs and matches, view and rule definitions included', async () => {
    const source = await sourceDatabase(urls.destPgUrl);
    const { client: destination } = await database(urls.destPgUrl, 'schema_dst17');
    const plan = await migrate(source, destination, selectEverything());
    expect(plan.warnings).toEqual([]);
    expect(plan.statements.length).toBeGreaterThan(50);
    expect(formatDifferences(await compareSchema(source, destination, selectEverything()))).toBe('');
    const second = await applyDdl(destination, plan, { section: 'pre-data', conflictingTables: 'error', preexistingTables: [] });
    expect(second.applied).toBe(0);
  });
});
