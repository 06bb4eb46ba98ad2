import type { DdlAction, DdlEvent, DroppedObject, TableDefinition } from '@ferry/avro';
import type { ObjectSelection } from '@ferry/config';
import { FerryError } from '@ferry/core';
import type { Logger } from '@ferry/observability';
import type { NamedRow, RelationMessage } from '@ferry/pgoutput';
import type { CapturedTable } from '../captured-table.js';
import type { OutgoingRecord } from '../dispatch/kafka-dispatcher.js';
import type { RecordEncoder } from '../dispatch/record-encoder.js';
import { columnRenames, descriptionFromDefinition } from './table-definition.js';

/** One ferry.ddl_log row: a DDL command and the tables it touched, described after it. */
interface DdlLogRow {
  id: string;
  tag: string;
  statement: string | null;
  /**
   * `previous`: the name the trigger last saw for the table (differs after a rename);
   * `previousColumns`: its column names then, by attnum (null before the trigger knew them).
   */
  tables: (TableDefinition & { created: boolean; previous: { schema: string; name: string } | null; previousColumns?: Record<string, string> | null; filledPerRow?: string[] })[];
  dropped: { type: string; address: string[]; oid: number }[];
  error: string | null;
}

export interface DdlTransaction {
  xid: number;
  lsn: string;
  commitTsMicros: bigint | null;
}

export interface DdlCaptureSettings {
  /** The captured tables by "schema.table", shared with the streaming source (changed here). */
  tables: Map<string, CapturedTable>;
  selection: ObjectSelection;
  encoder: RecordEncoder;
  /** Creates a new table's topics before its first record. */
  ensureTopics: (table: CapturedTable) => Promise<void>;
  /** Records a new table's topic for later runs (a renamed table stays on it). */
  rememberTopic: (table: CapturedTable) => Promise<void>;
  /** Partitions of each table topic: the DDL marker goes to all of them. */
  partitions: number;
  log: Logger;
}

/**
 * Turns the rows the source's event trigger writes into ferry.ddl_log into DDL events.
 * They arrive inside the DDL's own transaction, in commit order with the data, so the
 * table's next events already use its new shape: the captured table is rebuilt here (new
 * Avro schema version, evolved compatibly), a new table of a selected schema joins the
 * task, a dropped one leaves it. Each event goes to every partition of the table's topic as
 * a marker (the sink applies it there, like a TRUNCATE, once all partitions reach it) and to
 * `<prefix>._ddl` for other consumers.
 */
export class DdlCapture {
  constructor(private readonly settings: DdlCaptureSettings) {}

  /**
   * pgoutput describes a table again before its first change in every session and after each
   * change of its shape, as the table was at that point of the WAL. Normally the ddl_log row
   * came first and the shapes agree. After a restart they may not: capture read today's
   * catalog, but the slot re-sends older changes (and a renamed table comes under its old
   * name). The table is then rebuilt to the shape the Relation message gives, so those
   * changes encode, and its ddl_log rows move it forward again.
   */
  async onRelation(relation: RelationMessage): Promise<void> {
    const { tables, selection, encoder, log } = this.settings;
    const key = `${relation.schema}.${relation.table}`;
    const existing = tables.get(key) ?? [...tables.values()].find((t) => t.description.oid === relation.relationId);
    if (!existing || existing.description.oid !== relation.relationId) return;
    if (existing.key === key && existing.sameColumnsAs(relation.columns)) return;
    const known = new Map(existing.description.columns.map((c) => [c.name, c]));
    const columns = relation.columns.map((c) => {
      const same = known.get(c.name);
      return same && same.typeOid === c.typeOid ? same : { name: c.name, typeName: `oid ${c.typeOid}`, typeOid: c.typeOid };
    });
    const names = new Set(columns.map((c) => c.name));
    const description = {
      ...existing.description,
      schema: relation.schema,
      name: relation.table,
      columns,
      keyColumns: existing.description.keyColumns.filter((k) => names.has(k)),
    };
    const table = await encoder.prepareTable(description, selection, { topic: existing.topic, snapshotTopic: existing.snapshotTopic });
    tables.delete(existing.key);
    tables.set(table.key, table);
    log.info({ table: key, was: existing.key }, 'table shape taken from the replication stream (changes from before a captured schema change)');
  }

  async onLogRow(row: NamedRow, tx: DdlTransaction, add: (record: OutgoingRecord) => Promise<void>): Promise<void> {
    const entry = parseLogRow(row);
    const { tables, selection, log } = this.settings;
    if (entry.error !== null) {
      throw new FerryError(
        'DDL_NOT_CAPTURED',
        `the source could not describe the schema change "${entry.tag}" (ferry.ddl_log id ${entry.id}): ${entry.error}`,
        {
          retriable: false,
          context: { ddlLogId: entry.id, lsn: tx.lsn },
          fix: 'the change is not on the destination, so capture stops rather than let it diverge: fix the cause named above, then start the task over (`ferry capture --reset`), or apply the change to the destination by hand and start over from a new slot',
        },
      );
    }
    const byOid = new Map([...tables.values()].map((t) => [t.description.oid, t]));
    const events: { event: DdlEvent; table: CapturedTable }[] = [];
    const base = { id: entry.id, lsn: tx.lsn, txId: String(tx.xid), commitTsMicros: tx.commitTsMicros?.toString() ?? null, tag: entry.tag, statement: entry.statement };

    for (const definition of entry.tables) {
      if (definition.kind !== 'r') continue; // partitioned parents hold no rows; their partitions are tables of their own
      const existing = byOid.get(definition.oid);
      const selected = selection.includesTable(definition.schema, definition.name);
      if (!existing && !(definition.created && selected)) {
        if (selected) {
          log.warn({ table: `${definition.schema}.${definition.name}`, tag: entry.tag }, 'a table that is not part of the task now matches its selection; it is not captured (restart the task to take it in with a copy)');
        }
        continue;
      }
      // The trigger's record of the old name holds after a restart too, when capture already has the new one.
      const before = definition.previous ? { schema: definition.previous.schema, table: definition.previous.name } : existing?.id;
      const renamed = before !== undefined && (before.schema !== definition.schema || before.table !== definition.name);
      const action: DdlAction = definition.created ? 'create' : renamed ? 'rename' : 'alter';
      const previous = renamed ? { schema: before.schema, table: before.table } : null;
      const description = descriptionFromDefinition(definition, existing?.description.info ?? null);
      const names = existing ? { topic: existing.topic, snapshotTopic: existing.snapshotTopic } : undefined;
      const table = await this.settings.encoder.prepareTable(description, selection, names);
      if (!existing) {
        await this.settings.ensureTopics(table);
        await this.settings.rememberTopic(table);
      }
      if (existing) tables.delete(existing.key);
      tables.set(table.key, table);
      const dropped = droppedOf(entry, previous ?? { schema: definition.schema, table: definition.name });
      const { previousColumns, filledPerRow = [], ...described } = definition;
      const renamedColumns = definition.created ? [] : columnRenames(previousColumns ?? null, definition);
      if (filledPerRow.length > 0) {
        log.error({ table: table.key, columns: filledPerRow, ddlLogId: entry.id }, 'columns added with values computed row by row on the source (volatile default, serial or identity): they cannot be streamed; the sink stops at this change until the destination has them');
      }
      events.push({ event: { ...base, action, schema: definition.schema, table: definition.name, previous, definition: described, dropped, renamedColumns, filledPerRow }, table });
    }

    for (const object of entry.dropped) {
      if (object.type === 'table') {
        const table = byOid.get(object.oid);
        if (!table) continue;
        tables.delete(table.key);
        events.push({ event: { ...base, action: 'drop', schema: table.id.schema, table: table.id.table, previous: null, definition: null, dropped: [] }, table });
      } else if (object.type === 'index' && !entry.dropped.some((o) => o.type === 'table')) {
        // DROP INDEX names no table: find the captured table that had the index.
        const [schema, name] = object.address;
        const table = [...tables.values()].find((t) => t.id.schema === schema && t.description.definition?.indexes.some((i) => i.name === name));
        if (!table?.description.definition || events.some((e) => e.table === table)) continue;
        const definition = { ...table.description.definition, indexes: table.description.definition.indexes.filter((i) => i.name !== name) };
        const updated = { ...table.description, definition };
        const rebuilt = await this.settings.encoder.prepareTable(updated, selection, { topic: table.topic, snapshotTopic: table.snapshotTopic });
        tables.set(rebuilt.key, rebuilt);
        events.push({ event: { ...base, action: 'alter', schema: table.id.schema, table: table.id.table, previous: null, definition, dropped: [{ type: 'index', name: name! }] }, table: rebuilt });
      }
    }

    for (const { event, table } of events) {
      for (let partition = 0; partition < this.settings.partitions; partition++) await add(this.settings.encoder.ddlMarker(table, event, partition));
      await add(this.settings.encoder.ddlEvent(event, table.topic));
      log.info({ table: `${event.schema}.${event.table}`, action: event.action, tag: event.tag, ddlLogId: event.id, lsn: event.lsn }, 'schema change captured');
    }
  }
}

/** Columns and constraints the command dropped from one table (by the name it had). */
function droppedOf(entry: DdlLogRow, table: { schema: string; table: string }): DroppedObject[] {
  const out: DroppedObject[] = [];
  for (const object of entry.dropped) {
    const [schema, name, part] = object.address;
    if (object.type === 'index' && schema === table.schema && name !== undefined) out.push({ type: 'index', name });
    if (schema !== table.schema || name !== table.table || part === undefined) continue;
    if (object.type === 'table column') out.push({ type: 'column', name: part });
    if (object.type === 'table constraint') out.push({ type: 'constraint', name: part });
  }
  return out;
}

function parseLogRow(row: NamedRow): DdlLogRow {
  const text = (name: string): string | null => {
    const value = row[name];
    return typeof value === 'string' ? value : null;
  };
  return {
    id: text('id') ?? '?',
    tag: text('tag') ?? '?',
    statement: text('statement'),
    tables: JSON.parse(text('tables') ?? '[]') as DdlLogRow['tables'],
    dropped: JSON.parse(text('dropped') ?? '[]') as DdlLogRow['dropped'],
    error: text('error'),
  };
}
