import type { ColumnDefinition, DdlEvent, TableDefinition } from '@ferry/avro';
import type { ObjectSelection } from '@ferry/config';
import { FerryError } from '@ferry/core';
import type { Logger } from '@ferry/observability';
import { isPgTrue, quoteIdent, quoteQualified, rewriteSqlNames, type NameReference, type NameRewrite } from '@ferry/pg';
import type pg from 'pg';
import { markSnapshotRows } from '../sink-state.js';

/**
 * Applies a captured schema change to the destination, inside the sink's apply transaction
 * (so it commits together with the partition offsets that passed it: a crash neither loses
 * nor repeats it). The event describes the source table after the change; the destination
 * table is reconciled with it, with the task's renames: created when it is new, renamed,
 * dropped; columns added, dropped, retyped, their defaults and NOT NULL set; constraints and
 * indexes added, dropped or replaced. Every step compares with the destination's catalog
 * first, so applying an event again changes nothing. Only what the source dropped is dropped:
 * destination-only columns, constraints and indexes are left alone.
 *
 * Definitions are deparsed on both sides with search_path = pg_catalog (every name
 * qualified), so source and destination texts compare equal when the objects are.
 */
export async function applyDdlEvent(
  client: pg.ClientBase,
  event: DdlEvent,
  context: { selection: ObjectSelection; group: string; log: Logger },
): Promise<void> {
  const saved = await client.query<{ path: string }>(`SELECT current_setting('search_path') AS path`);
  await client.query(`SELECT set_config('search_path', 'pg_catalog', true)`);
  try {
    await new DdlApplication(client, event, context.selection, context.group, context.log).run();
  } finally {
    await client.query(`SELECT set_config('search_path', $1, true)`, [saved.rows[0]?.path ?? '"$user", public']).catch(() => undefined);
  }
}

/**
 * A change event must wait for the table's snapshot, unless it creates or renames the table
 * (the new name has no snapshot of its own; the DDL marks it complete). Returns the source
 * table whose snapshot gates the event, or null.
 */
export function ddlSnapshotGate(event: DdlEvent): string | null {
  if (event.action === 'create') return null;
  if (event.action === 'rename' && event.previous) return `${event.previous.schema}.${event.previous.table}`;
  return `${event.schema}.${event.table}`;
}

interface DestinationTable {
  columns: Map<string, { type: string; notNull: boolean; default: string | null; generated: boolean; identity: string }>;
  constraints: Map<string, string>;
  indexes: Map<string, { definition: string; constraint: boolean }>;
}

class DdlApplication {
  private readonly dest: { schema: string; table: string };

  constructor(
    private readonly client: pg.ClientBase,
    private readonly event: DdlEvent,
    private readonly selection: ObjectSelection,
    private readonly group: string,
    private readonly log: Logger,
  ) {
    this.dest = selection.destinationTable(event.schema, event.table);
  }

  async run(): Promise<void> {
    const { event } = this;
    const sourceTable = `${event.schema}.${event.table}`;
    if (event.action === 'drop') {
      await this.execute(`DROP TABLE IF EXISTS ${quoteQualified(this.dest.schema, this.dest.table)}`);
      this.log.info({ table: sourceTable, destination: this.destName, ddlLogId: event.id }, 'schema change applied: table dropped');
      return;
    }
    const definition = event.definition;
    if (!definition) throw this.failure('the event carries no table definition', null);
    if (event.action === 'rename' && event.previous) await this.rename(event.previous);
    if (event.action === 'create' && !(await this.read())) await this.create(definition);
    if ((event.action === 'create' && !event.snapshotFollows) || event.action === 'rename') {
      // The table's changes from here on are not behind a snapshot.
      await markSnapshotRows(this.client, this.group, sourceTable, 0, true);
    }
    await this.reconcile(definition);
    this.log.info({ table: sourceTable, destination: this.destName, action: event.action, tag: event.tag, ddlLogId: event.id }, 'schema change applied');
  }

  private async rename(previous: { schema: string; table: string }): Promise<void> {
    const from = this.selection.destinationTable(previous.schema, previous.table);
    if ((await this.read()) || !(await this.read(from))) return; // done before, or nothing to rename
    if (from.schema !== this.dest.schema) {
      await this.execute(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(this.dest.schema)}`);
      await this.execute(`ALTER TABLE ${quoteQualified(from.schema, from.table)} SET SCHEMA ${quoteIdent(this.dest.schema)}`);
    }
    if (from.table !== this.dest.table) {
      await this.execute(`ALTER TABLE ${quoteQualified(this.dest.schema, from.table)} RENAME TO ${quoteIdent(this.dest.table)}`);
    }
  }

  private async create(definition: TableDefinition): Promise<void> {
    const columns = this.selectedColumns(definition).map((c) => this.columnSql(c));
    await this.execute(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(this.dest.schema)}`);
    await this.execute(`CREATE TABLE IF NOT EXISTS ${quoteQualified(this.dest.schema, this.dest.table)} (${columns.join(', ')})`);
  }

  private async reconcile(definition: TableDefinition): Promise<void> {
    const table = quoteQualified(this.dest.schema, this.dest.table);
    let have = await this.read();
    if (!have) throw this.failure(`destination table ${this.destName} does not exist`, null);
    // A renamed column keeps its values: rename it here too (done already when the new name exists).
    for (const rename of this.event.renamedColumns ?? []) {
      const from = this.column(rename.from);
      const to = this.column(rename.to);
      if (from !== to && have.columns.has(from) && !have.columns.has(to)) {
        await this.execute(`ALTER TABLE ${table} RENAME COLUMN ${quoteIdent(from)} TO ${quoteIdent(to)}`);
        have = (await this.read())!;
      }
    }
    // One drop may take others with it (a column its constraints and indexes): IF EXISTS.
    for (const dropped of this.event.dropped) {
      if (dropped.type === 'column') {
        const column = this.column(dropped.name);
        if (have.columns.has(column)) await this.execute(`ALTER TABLE ${table} DROP COLUMN IF EXISTS ${quoteIdent(column)}`);
      } else if (dropped.type === 'constraint' && have.constraints.has(dropped.name)) {
        await this.execute(`ALTER TABLE ${table} DROP CONSTRAINT IF EXISTS ${quoteIdent(dropped.name)}`);
      } else if (dropped.type === 'index' && have.indexes.get(dropped.name)?.constraint === false) {
        await this.execute(`DROP INDEX IF EXISTS ${quoteQualified(this.dest.schema, dropped.name)}`);
      }
    }
    have = (await this.read())!;

    for (const column of this.selectedColumns(definition)) {
      const name = this.column(column.name);
      const current = have.columns.get(name);
      if (!current) {
        if (this.event.filledPerRow?.includes(column.name)) throw this.filledPerRow(name);
        await this.addColumn(table, column);
        continue;
      }
      if (column.generated || current.generated) continue;
      const type = this.names(column.type);
      const wantedDefault = column.identity || column.default === null ? null : this.expression(column.default);
      if (current.default !== wantedDefault && current.default !== null) {
        await this.execute(`ALTER TABLE ${table} ALTER COLUMN ${quoteIdent(name)} DROP DEFAULT`);
      }
      if (current.type !== type) {
        await this.execute(`ALTER TABLE ${table} ALTER COLUMN ${quoteIdent(name)} TYPE ${type} USING ${quoteIdent(name)}::${type}`);
      }
      if (current.default !== wantedDefault && wantedDefault !== null) {
        await this.execute(`ALTER TABLE ${table} ALTER COLUMN ${quoteIdent(name)} SET DEFAULT ${wantedDefault}`);
      }
      if (current.notNull !== column.notNull) {
        await this.execute(`ALTER TABLE ${table} ALTER COLUMN ${quoteIdent(name)} ${column.notNull ? 'SET' : 'DROP'} NOT NULL`);
      }
    }

    for (const constraint of definition.constraints) {
      const wanted = this.expression(constraint.definition);
      const current = have.constraints.get(constraint.name);
      if (current === wanted) continue;
      if (current !== undefined) await this.execute(`ALTER TABLE ${table} DROP CONSTRAINT ${quoteIdent(constraint.name)}`);
      await this.execute(`ALTER TABLE ${table} ADD CONSTRAINT ${quoteIdent(constraint.name)} ${wanted}`);
    }

    have = (await this.read())!;
    for (const index of definition.indexes) {
      if (index.constraint) continue; // made by its constraint above
      const wanted = this.expression(index.definition);
      const current = have.indexes.get(index.name);
      if (current?.definition === wanted) continue;
      if (current && !current.constraint) await this.execute(`DROP INDEX ${quoteQualified(this.dest.schema, index.name)}`);
      else if (current) continue; // a constraint's index of that name: the constraint decides
      await this.execute(wanted);
    }
  }

  /**
   * A new column. When the source gave the rows it already had a value computed once (a fast
   * default such as now() at the ALTER), they get that value here too, not one computed by
   * this server: it is passed as a setting and used as the default while the column is added
   * (no value in the SQL text, no rewrite), then the real default replaces it.
   */
  private async addColumn(table: string, column: ColumnDefinition): Promise<void> {
    if (column.missing === undefined || column.missing === null || column.generated || column.identity !== '') {
      await this.execute(`ALTER TABLE ${table} ADD COLUMN ${this.columnSql(column)}`);
      return;
    }
    const name = quoteIdent(this.column(column.name));
    const type = this.names(column.type);
    await this.client.query(`SELECT set_config('ferry.ddl_existing_rows', $1, true)`, [column.missing]);
    await this.execute(`ALTER TABLE ${table} ADD COLUMN ${name} ${type} DEFAULT current_setting('ferry.ddl_existing_rows')::${type}${column.notNull ? ' NOT NULL' : ''}`);
    const wanted = column.default === null ? null : this.expression(column.default);
    await this.execute(`ALTER TABLE ${table} ALTER COLUMN ${name} ${wanted === null ? 'DROP DEFAULT' : `SET DEFAULT ${wanted}`}`);
  }

  /** The source columns the task carries (objects.columns), generated ones included (the destination computes them). */
  private selectedColumns(definition: TableDefinition): ColumnDefinition[] {
    const selected = new Set(this.selection.selectColumns(this.event.schema, this.event.table, definition.columns.map((c) => c.name)));
    return definition.columns.filter((c) => selected.has(c.name));
  }

  private columnSql(column: ColumnDefinition): string {
    const parts = [quoteIdent(this.column(column.name)), this.names(column.type)];
    if (column.generated && column.default !== null) parts.push(`GENERATED ALWAYS AS (${this.expression(column.default)}) STORED`);
    else if (column.identity === 'a') parts.push('GENERATED ALWAYS AS IDENTITY');
    else if (column.identity === 'd') parts.push('GENERATED BY DEFAULT AS IDENTITY');
    else if (column.default !== null) parts.push(`DEFAULT ${this.expression(column.default)}`);
    if (column.notNull) parts.push('NOT NULL');
    return parts.join(' ');
  }

  private async read(name: { schema: string; table: string } = this.dest): Promise<DestinationTable | null> {
    const rel = await this.client.query<{ oid: string }>(
      `SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`,
      [name.schema, name.table],
    );
    const oid = rel.rows[0]?.oid;
    if (!oid) return null;
    const columns = await this.client.query<{ name: string; type: string; not_null: string; def: string | null; generated: string; identity: string }>(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull::text AS not_null,
              pg_get_expr(d.adbin, d.adrelid) AS def, (a.attgenerated <> '')::text AS generated, a.attidentity::text AS identity
         FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped`,
      [oid],
    );
    const constraints = await this.client.query<{ name: string; def: string }>(
      `SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1 AND contype IN ('p', 'u', 'c', 'f', 'x')`,
      [oid],
    );
    const indexes = await this.client.query<{ name: string; def: string; owned: string }>(
      `SELECT ic.relname AS name, pg_get_indexdef(i.indexrelid) AS def,
              EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid)::text AS owned
         FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = $1`,
      [oid],
    );
    return {
      columns: new Map(
        columns.rows.map((c) => [c.name, { type: c.type, notNull: isPgTrue(c.not_null), default: c.def, generated: isPgTrue(c.generated), identity: c.identity }]),
      ),
      constraints: new Map(constraints.rows.map((c) => [c.name, c.def])),
      indexes: new Map(indexes.rows.map((i) => [i.name, { definition: i.def, constraint: isPgTrue(i.owned) }])),
    };
  }

  private async execute(sql: string): Promise<void> {
    try {
      await this.client.query(sql);
    } catch (error) {
      throw this.failure((error as Error).message, sql, error);
    }
  }

  private failure(reason: string, sql: string | null, cause?: unknown): FerryError {
    const { event } = this;
    return new FerryError(
      'DDL_APPLY_FAILED',
      `cannot apply the schema change "${event.tag}" of source table ${event.schema}.${event.table} (ferry.ddl_log id ${event.id}, LSN ${event.lsn}) to ${this.destName}: ${reason}${sql ? `; statement: ${sql}` : ''}`,
      {
        retriable: false,
        context: { table: `${event.schema}.${event.table}`, ddlLogId: event.id, lsn: event.lsn },
        fix: 'make the destination able to take the change (a missing type, schema or privilege; rows that break a new constraint; a view that depends on the table), then start the sink again: it applies the change again from this point, before any later row',
        ...(cause === undefined ? {} : { cause }),
      },
    );
  }

  /**
   * The source computed the new column's value for each existing row (random(), serial,
   * identity ...): adding it here would compute other values, silently. Stop instead; once
   * an operator has added the column with the source's values, the change applies.
   */
  private filledPerRow(column: string): FerryError {
    const { event } = this;
    return new FerryError(
      'DDL_APPLY_FAILED',
      `cannot apply the schema change "${event.tag}" of source table ${event.schema}.${event.table} (ferry.ddl_log id ${event.id}, LSN ${event.lsn}) to ${this.destName}: ` +
        `the source filled the new column ${quoteIdent(column)} of every existing row with its own computed value (a volatile default, serial or identity), and those values do not travel through logical decoding; adding the column here would give different values`,
      {
        retriable: false,
        context: { table: `${event.schema}.${event.table}`, ddlLogId: event.id, lsn: event.lsn },
        fix: `add ${quoteIdent(column)} to ${this.destName} yourself with the source's values for the existing rows (copy them by key, e.g. \copy (SELECT <key>, ${quoteIdent(column)} FROM ...) from the source, then UPDATE), then start the sink again: it finds the column and goes on; ferry verify confirms the values`,
      },
    );
  }

  private get destName(): string {
    return quoteQualified(this.dest.schema, this.dest.table);
  }

  private column(name: string): string {
    return this.selection.destinationColumn(this.event.schema, this.event.table, name);
  }

  /** Types and other qualified names: schemas and tables renamed. */
  private names(sql: string): string {
    return rewriteSqlNames(sql, (reference) => this.renamedQualified(reference));
  }

  /** Expressions over this table (defaults, checks, index and constraint definitions): its columns renamed too. */
  private expression(sql: string): string {
    const columns = new Set(this.event.definition?.columns.map((c) => c.name) ?? []);
    return rewriteSqlNames(sql, (reference) => {
      const [first] = reference.parts;
      if (reference.parts.length === 1 && reference.context === 'plain' && !reference.keywordLike && first !== undefined && columns.has(first)) {
        const destination = this.column(first);
        return destination === first ? undefined : { parts: [destination] };
      }
      return this.renamedQualified(reference);
    });
  }

  private renamedQualified(reference: NameReference): NameRewrite | undefined {
    if (reference.parts.length !== 2 || reference.context === 'field' || reference.context === 'collation') return undefined;
    const [schema, name] = reference.parts as [string, string];
    if (reference.context === 'plain' || reference.context === 'function' || reference.context === 'literal') {
      if (this.selection.includesTable(schema, name)) {
        const destination = this.selection.destinationTable(schema, name);
        return destination.schema === schema && destination.table === name ? undefined : { parts: [destination.schema, destination.table] };
      }
    }
    const destinationSchema = this.selection.destinationSchema(schema);
    return destinationSchema === schema || schema === 'pg_catalog' ? undefined : { parts: [destinationSchema, name] };
  }
}
