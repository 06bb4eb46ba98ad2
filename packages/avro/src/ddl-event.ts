import { DataError } from '@ferry/core';
import type { AvroRecordSchema } from './avro-schema.js';
import { avroNamespace } from './avro-names.js';

/**
 * A schema change captured on the source, as it travels to sinks and to other consumers.
 * It describes the table as it is right after the change (not the statement text, which may
 * hold several statements, unqualified names or a function call): a sink reconciles the
 * destination table with this definition, so applying it twice changes nothing.
 */
export interface DdlEvent {
  /** ferry.ddl_log id on the source; unique per source database. */
  id: string;
  /** LSN of the source transaction that made the change. */
  lsn: string;
  txId: string;
  commitTsMicros: string | null;
  /** The command tag: "ALTER TABLE", "CREATE INDEX", ... */
  tag: string;
  /** What the client sent (informational: it may hold several statements). */
  statement: string | null;
  action: DdlAction;
  /** The table's source name after the change (for a drop: the name it had). */
  schema: string;
  table: string;
  /** For a rename: the source name before. */
  previous: { schema: string; table: string } | null;
  /** The table after the change; null for a drop. */
  definition: TableDefinition | null;
  /** Columns, constraints and indexes the change dropped. */
  dropped: DroppedObject[];
  /** Columns renamed by the change (same attnum, new name): their values stay. Absent from older captures. */
  renamedColumns?: ColumnRename[];
  /**
   * Columns the change added whose existing rows the source filled one by one (volatile
   * default, serial, identity): values no change event carries. Absent from older captures.
   */
  filledPerRow?: string[];
  /**
   * A `create` for a table added to a running task: its copy follows on the snapshot topic,
   * so its changes stay behind that copy (for other creates, the table starts empty).
   */
  snapshotFollows?: boolean;
}

export interface ColumnRename {
  from: string;
  to: string;
}

export type DdlAction = 'create' | 'alter' | 'rename' | 'drop';

export interface DroppedObject {
  type: 'column' | 'constraint' | 'index';
  name: string;
}

/** A table as PostgreSQL describes it (deparsed with search_path = pg_catalog: every name qualified). */
export interface TableDefinition {
  oid: number;
  schema: string;
  name: string;
  /** pg_class.relkind: r ordinary, p partitioned. */
  kind: string;
  /** pg_class.relreplident: d default, n nothing, f full, i index. */
  replicaIdentity: string;
  columns: ColumnDefinition[];
  constraints: ConstraintDefinition[];
  indexes: IndexDefinition[];
}

export interface ColumnDefinition {
  attnum: number;
  name: string;
  /** format_type(atttypid, atttypmod). */
  type: string;
  typeOid: number;
  /** For a domain, its innermost base type. */
  baseTypeOid: number;
  notNull: boolean;
  /** pg_get_expr of the default, or of the generation expression for a generated column. */
  default: string | null;
  generated: boolean;
  /** pg_attribute.attidentity: '' none, a always, d by default. */
  identity: string;
  /**
   * The value rows older than the column have (a fast default, computed once on the source,
   * e.g. now() at the ALTER), as text; null or absent when they have none.
   */
  missing?: string | null;
}

export interface ConstraintDefinition {
  name: string;
  /** pg_constraint.contype: p, u, c, f, x, t. */
  type: string;
  /** pg_get_constraintdef. */
  definition: string;
}

export interface IndexDefinition {
  name: string;
  /** pg_get_indexdef. */
  definition: string;
  primary: boolean;
  unique: boolean;
  replicaIdentity: boolean;
  /** True when a constraint (primary key, unique, exclusion) owns the index. */
  constraint: boolean;
  /** For a unique, immediate index without expressions or predicate: its columns in order; else null. */
  keyColumns: string[] | null;
  /** True when every key column is NOT NULL. */
  keyNotNull: boolean;
}

/**
 * Kafka header of the control record that carries a DDL event on every partition of the
 * table's topic. The record's key and value are null: consumers that do not know Ferry's
 * DDL records see a tombstone without a key and skip it.
 */
export const DDL_EVENT_HEADER = 'ferry-ddl';

export function encodeDdlEventHeader(event: DdlEvent): string {
  return JSON.stringify(event);
}

export function decodeDdlEventHeader(text: string): DdlEvent {
  const event = JSON.parse(text) as Partial<DdlEvent>;
  if (typeof event.id !== 'string' || typeof event.schema !== 'string' || typeof event.table !== 'string' || typeof event.action !== 'string') {
    throw new DataError(`a ${DDL_EVENT_HEADER} header does not hold a DDL event`, {
      fix: 'the record was not written by Ferry capture, or by an incompatible version',
    });
  }
  return event as DdlEvent;
}

/** The `<prefix>._ddl` record: the same event, Avro encoded; the definition travels as JSON text. */
export interface DdlEventRecord {
  id: string;
  lsn: string;
  txId: string;
  commitTsMicros: string | null;
  tag: string;
  statement: string | null;
  action: string;
  schema: string;
  table: string;
  previousSchema: string | null;
  previousTable: string | null;
  /** The TableDefinition as JSON, or null for a drop. */
  definition: string | null;
  /** The DroppedObject list as JSON. */
  dropped: string;
  /** The table topic whose partitions carry the event. */
  topic: string;
  tsMs: bigint;
  /** The ColumnRename list as JSON; null when the change renamed no column. */
  renamedColumns: string | null;
  /** The filledPerRow column names as JSON; null when there are none. */
  filledPerRow: string | null;
}

export function ddlEventRecord(event: DdlEvent, topic: string, tsMs: bigint): DdlEventRecord {
  return {
    id: event.id,
    lsn: event.lsn,
    txId: event.txId,
    commitTsMicros: event.commitTsMicros,
    tag: event.tag,
    statement: event.statement,
    action: event.action,
    schema: event.schema,
    table: event.table,
    previousSchema: event.previous?.schema ?? null,
    previousTable: event.previous?.table ?? null,
    definition: event.definition ? JSON.stringify(event.definition) : null,
    dropped: JSON.stringify(event.dropped),
    topic,
    tsMs,
    renamedColumns: event.renamedColumns?.length ? JSON.stringify(event.renamedColumns) : null,
    filledPerRow: event.filledPerRow?.length ? JSON.stringify(event.filledPerRow) : null,
  };
}

/** The value schema of `<prefix>._ddl`. */
export function ddlEventSchema(topic: string): AvroRecordSchema {
  const optional = (name: string) => ({ name, type: ['null', 'string'], default: null });
  return {
    type: 'record',
    name: 'DdlEvent',
    namespace: avroNamespace(topic),
    fields: [
      { name: 'id', type: 'string' },
      { name: 'lsn', type: 'string' },
      { name: 'txId', type: 'string' },
      optional('commitTsMicros'),
      { name: 'tag', type: 'string' },
      optional('statement'),
      { name: 'action', type: 'string' },
      { name: 'schema', type: 'string' },
      { name: 'table', type: 'string' },
      optional('previousSchema'),
      optional('previousTable'),
      optional('definition'),
      { name: 'dropped', type: 'string' },
      { name: 'topic', type: 'string' },
      { name: 'tsMs', type: 'long' },
      optional('renamedColumns'),
      optional('filledPerRow'),
    ],
  };
}
