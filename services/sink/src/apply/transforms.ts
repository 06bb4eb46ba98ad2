import type { ObjectSelection } from '@ferry/config';
import { DataError } from '@ferry/core';
import { isPgTrue, quoteIdent } from '@ferry/pg';
import type pg from 'pg';
import type { RowEvent, TextValue } from './row-event.js';
import type { TargetTable } from './statement-builder.js';

/** One table's transform from the task file (objects.transform), in source column names. */
export interface TableTransform {
  columns: Record<string, string>;
  dropWhere?: string | undefined;
}

/** A row after its transform: the destination values, or dropped (kept out of the destination). */
export type ShapedRow = { dropped: false; row: Record<string, TextValue> } | { dropped: true };

/**
 * objects.transform, applied on the way into the destination (docs/decisions.md,
 * "Transforms in the sink"). Expressions are SQL over the source row, so the destination
 * server evaluates them: each batch's rows go in as text arrays, are cast to the
 * destination column types under their source names, and come back computed. The rows
 * then take the ordinary statements. Transforms need whole rows: an update that left
 * unchanged TOAST values out is completed from its old row, which capture makes complete by
 * setting REPLICA IDENTITY FULL on transformed tables.
 */
export class RowTransforms {
  constructor(private readonly selection: ObjectSelection) {}

  /** The table's transform, or undefined when it has none (the rows pass untouched). */
  of(schema: string, table: string): TableTransform | undefined {
    return this.selection.transform(schema, table);
  }

  /**
   * What change events of the table go through: its transform, with the table's row filter
   * (objects.where) added to the drop condition. Capture filters the snapshot on the source,
   * and a 15+ source's publication filters the stream; before 15 the stream carries every
   * row, so the filter is applied here. A row for which the filter is not true (NULL too) is
   * kept out, as WHERE would.
   */
  ofChanges(schema: string, table: string): (TableTransform & { filterOnly: boolean }) | undefined {
    const transform = this.of(schema, table);
    const filter = this.selection.rowFilter(schema, table);
    if (filter === undefined) return transform && { ...transform, filterOnly: false };
    const outside = `NOT COALESCE((${filter}), false)`;
    const dropWhere = transform?.dropWhere === undefined ? outside : `(${transform.dropWhere}) OR ${outside}`;
    return { columns: transform?.columns ?? {}, dropWhere, filterOnly: transform === undefined };
  }

  /** Snapshot rows (destination column names in `columns`): computed, and the dropped ones left out. */
  async chunkRows(
    client: pg.ClientBase,
    target: TargetTable,
    source: { schema: string; table: string },
    columns: readonly string[],
    rows: readonly TextValue[][],
    sourceColumns: readonly string[],
  ): Promise<TextValue[][]> {
    const transform = this.of(source.schema, source.table);
    if (!transform || rows.length === 0) return rows as TextValue[][];
    const records = rows.map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i] ?? null])));
    const shaped = await this.shape(client, target, source, transform, records, sourceColumns);
    return shaped.flatMap((s) => (s.dropped ? [] : [columns.map((c) => s.row[c] ?? null)]));
  }

  /**
   * Change events of one table (destination names): values computed, and dropped rows
   * turned into what keeps the destination right. An update is applied as the whole new
   * row, so a row moving out of the drop condition is inserted again and one moving in is
   * deleted, whatever the destination held before.
   */
  async events(
    client: pg.ClientBase,
    target: TargetTable,
    source: { schema: string; table: string },
    events: readonly RowEvent[],
    sourceColumns: readonly string[],
  ): Promise<RowEvent[]> {
    const transform = this.ofChanges(source.schema, source.table);
    if (!transform) return [...events];
    // TRUNCATE passes as it is, and so does a filter-only table's update that left TOAST
    // values out and carries no old row: it comes from a 15+ source (capture makes filtered
    // tables REPLICA IDENTITY FULL before 15), whose publication has filtered it already.
    const passes = (e: RowEvent) => e.op === 't' || (transform.filterOnly && e.op === 'u' && e.before === null && incomplete(e, target));
    const keyed = target.keyColumns.length > 0;
    const afters: Record<string, TextValue>[] = [];
    const befores: Record<string, TextValue>[] = [];
    const passing = new Set<RowEvent>();
    const complete = events.map((event) => {
      if (passes(event)) {
        passing.add(event);
        return event;
      }
      const after = event.after ? completeRow(event, target) : null;
      if (after) afters.push(after);
      // Tables without a key find rows by their whole old value, which the destination holds transformed.
      if (!keyed && event.before) befores.push(event.before);
      return { ...event, after, unchangedToast: [] };
    });
    const shapedAfter = await this.shape(client, target, source, transform, afters, sourceColumns);
    const shapedBefore = await this.shape(client, target, source, transform, befores, sourceColumns);
    const out: RowEvent[] = [];
    let a = 0;
    let b = 0;
    for (const event of complete) {
      if (passing.has(event)) {
        out.push(event);
        continue;
      }
      const after = event.after ? shapedAfter[a++]! : null;
      const before = !keyed && event.before ? shapedBefore[b++]! : null;
      if (keyed) {
        if (event.op === 'd') out.push(event);
        else if (after!.dropped) out.push({ ...event, op: 'd', after: null });
        // A whole row (no unchanged TOAST left out): applied as an upsert.
        else out.push({ ...event, after: after!.row });
        continue;
      }
      // Without a key: only rows the destination holds can be changed or deleted there.
      const held = before !== null && !before.dropped;
      if (event.op === 'd') {
        if (held) out.push({ ...event, before: before.row });
      } else if (event.op === 'c') {
        if (!after!.dropped) out.push({ ...event, after: after!.row });
      } else if (after!.dropped) {
        if (held) out.push({ ...event, op: 'd', before: before.row, after: null });
      } else if (held) {
        out.push({ ...event, before: before.row, after: after!.row });
      } else {
        out.push({ ...event, op: 'c', before: null, after: after!.row });
      }
    }
    return out;
  }

  /** Evaluates the expressions and the drop condition for `rows` on the destination, in one statement. */
  private async shape(
    client: pg.ClientBase,
    target: TargetTable,
    source: { schema: string; table: string },
    transform: TableTransform,
    rows: readonly Record<string, TextValue>[],
    sourceColumns: readonly string[],
  ): Promise<ShapedRow[]> {
    if (rows.length === 0) return [];
    const statement = transformStatement(target, source, this.selection, transform, sourceColumns);
    const values = statement.inputs.map((c) => rows.map((r) => r[c] ?? null));
    let result: pg.QueryResult<Record<string, TextValue>>;
    try {
      result = await client.query<Record<string, TextValue>>(statement.text, values);
    } catch (error) {
      throw new DataError(`objects.transform for ${source.schema}.${source.table} failed on the destination: ${(error as Error).message}`, {
        cause: error,
        context: { table: `${source.schema}.${source.table}`, sqlstate: (error as { code?: string }).code },
        fix: 'correct the expression in objects.transform (ferry precheck checks it against both servers), then restart the sink',
      });
    }
    return result.rows.map((r, i) => {
      if (isPgTrue(r.drop)) return { dropped: true };
      const row = { ...rows[i]! };
      statement.outputs.forEach((dest, k) => (row[dest] = r[`v${k}`] ?? null));
      return { dropped: false, row };
    });
  }
}

export interface TransformStatement {
  text: string;
  /** Destination column of each text-array parameter, in order. */
  inputs: string[];
  /** Destination column of each computed result `v<k>`, in order. */
  outputs: string[];
}

/**
 * Pure. `SELECT <expr>::type::text AS v0, ..., CASE WHEN (<dropWhere>) THEN 'true' END AS drop
 * FROM (SELECT u.c1::type AS "<source name>", ... FROM unnest($1::text[], ...) WITH ORDINALITY) AS "<table>"`
 * keeps the input order. The inner select hides the unnest aliases, so an expression sees
 * exactly the source row's columns, as in `SELECT <expr> FROM <table>`. CASE WHEN, like
 * WHERE, takes only a boolean condition, and NULL keeps the row.
 */
export function transformStatement(
  target: TargetTable,
  source: { schema: string; table: string },
  selection: ObjectSelection,
  transform: TableTransform,
  sourceColumns: readonly string[],
): TransformStatement {
  const pairs = sourceColumns
    .map((name) => ({ name, dest: selection.destinationColumn(source.schema, source.table, name) }))
    .filter((p) => target.types.has(p.dest));
  const inputs = pairs.map((p) => p.dest);
  const typeOf = (dest: string) => target.types.get(dest)!;
  const inner = pairs.map((p, i) => `u.c${i + 1}::${typeOf(p.dest)} AS ${quoteIdent(p.name)}`);
  const outputs: string[] = [];
  const selects: string[] = [];
  for (const [column, expression] of Object.entries(transform.columns)) {
    const dest = selection.destinationColumn(source.schema, source.table, column);
    if (!target.types.has(dest)) continue;
    selects.push(`((${expression})::${typeOf(dest)})::text AS v${outputs.length}`);
    outputs.push(dest);
  }
  selects.push(transform.dropWhere === undefined ? `NULL::text AS drop` : `CASE WHEN (${transform.dropWhere}) THEN 'true' END AS drop`);
  const order = '" ferry input order "';
  const text =
    `SELECT ${selects.join(', ')} FROM (SELECT ${[...inner, `u.n AS ${order}`].join(', ')} ` +
    `FROM unnest(${inputs.map((_, i) => `$${i + 1}::text[]`).join(', ')}) WITH ORDINALITY AS u(${[...inputs.map((_, i) => `c${i + 1}`), 'n'].join(', ')})) AS ${quoteIdent(source.table)} ` +
    `ORDER BY ${order}`;
  return { text, inputs, outputs };
}

/**
 * The event's new row with unchanged TOAST values taken from its old row. Transforms need
 * every value; capture makes the old row complete with REPLICA IDENTITY FULL.
 */
function incomplete(event: RowEvent, target: TargetTable): boolean {
  return event.unchangedToast.some((c) => target.types.has(c));
}

function completeRow(event: RowEvent, target: TargetTable): Record<string, TextValue> {
  const after = { ...event.after! };
  const missing = event.unchangedToast.filter((c) => target.types.has(c));
  if (missing.length === 0) return after;
  // An update carries an old row only under REPLICA IDENTITY FULL (a key change arrives as delete + create).
  const before = event.before;
  if (before === null) {
    throw new DataError(
      `an update of ${target.schema}.${target.table} left ${missing.join(', ')} out (unchanged TOAST values) and carries no old row, but its transform needs whole rows`,
      {
        context: { table: `${target.schema}.${target.table}`, offset: event.offset, lsn: event.lsn },
        fix: 'capture sets REPLICA IDENTITY FULL on tables with a transform; check that it was not changed back on the source (ALTER TABLE ... REPLICA IDENTITY FULL)',
      },
    );
  }
  for (const c of missing) after[c] = before[c] ?? null;
  return after;
}

/** The source column names of a run of one table's changes (the Avro row record has every column). */
export function sourceColumnsOf(changes: readonly { change: { before: Record<string, TextValue> | null; after: Record<string, TextValue> | null } }[]): string[] {
  for (const { change } of changes) {
    const row = change.after ?? change.before;
    if (row) return Object.keys(row);
  }
  return [];
}
