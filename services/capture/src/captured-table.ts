import { InvariantError, TableId } from '@ferry/core';
import {
  changeEventSchema,
  compileAvroType,
  evolveRecordSchema,
  RowConverter,
  snapshotChunkSchema,
  tableAvroSchemas,
  type AvroRecordSchema,
  type PgColumn,
  type TableDefinition,
} from '@ferry/avro';
import type { ObjectSelection } from '@ferry/config';
import type { TopicNames } from '@ferry/kafka';
import type { TableInfo } from '@ferry/pg';
import type { Type } from 'avsc';

/** What capture needs to know of a source table, read from the catalogs. */
export interface SourceTableDescription {
  schema: string;
  name: string;
  /** pg_class oid: stays the same across renames. */
  oid: number;
  /**
   * The full catalog description (keys, sizes) from @ferry/pg; null for a table that joined
   * during streaming (DDL capture), which never needs a snapshot.
   */
  info: TableInfo | null;
  /** With DDL capture: the table as the source's event trigger describes it (indexes, constraints). */
  definition?: TableDefinition;
  /** Every column in attnum order. */
  columns: PgColumn[];
  /** Primary key, else replica identity index, else a unique NOT NULL key; empty when none. */
  keyColumns: string[];
  replicaIdentity: 'default' | 'nothing' | 'full' | 'index';
}

/** Where a table's events go and which schemas they evolve from (DDL capture). */
export interface CapturedTableOptions {
  /** Keep these topics (a renamed table stays on the topics it started on). */
  topic?: string;
  snapshotTopic?: string;
  /** The row and key records registered last for the topic: the new ones evolve from them. */
  previousRow?: AvroRecordSchema | null;
  previousKey?: AvroRecordSchema | null;
}

/**
 * A table as capture carries it: the selected columns, its key, its topics and
 * compiled Avro types. Built once per table (and again when its columns change).
 */
export class CapturedTable {
  readonly id: TableId;
  readonly columns: PgColumn[];
  readonly keyColumns: string[];
  readonly topic: string;
  readonly snapshotTopic: string;
  readonly rowSchema: AvroRecordSchema;
  readonly keySchema: AvroRecordSchema | null;
  readonly envelopeSchema: AvroRecordSchema;
  readonly chunkSchema: AvroRecordSchema;
  readonly rows: RowConverter;
  readonly keys: RowConverter | null;
  readonly keyType: Type | null;
  readonly envelopeType: Type;
  readonly chunkType: Type;
  readonly operations: ReadonlySet<string>;
  readonly rowFilter: string | undefined;
  /** Position of each selected column in the source's full column list. */
  private readonly columnIndex: Map<string, number>;

  constructor(
    readonly description: SourceTableDescription,
    selection: ObjectSelection,
    topics: TopicNames,
    options: CapturedTableOptions = {},
  ) {
    const { schema, name } = description;
    this.id = new TableId(schema, name);
    const names = selection.selectColumns(schema, name, description.columns.map((c) => c.name));
    const wanted = new Set(names);
    this.columns = description.columns.filter((c) => wanted.has(c.name));
    this.keyColumns = description.keyColumns.filter((k) => wanted.has(k));
    this.topic = options.topic ?? topics.table(schema, name);
    this.snapshotTopic = options.snapshotTopic ?? topics.snapshot(schema, name);
    const built = tableAvroSchemas({ topic: this.topic, schema, table: name, columns: this.columns, keyColumns: this.keyColumns });
    // Field names follow the registered history, so every new version stays BACKWARD compatible.
    const schemas = {
      row: evolveRecordSchema(options.previousRow ?? null, built.row),
      key: built.key ? evolveRecordSchema(options.previousKey ?? null, built.key) : null,
    };
    this.rowSchema = schemas.row;
    this.keySchema = schemas.key;
    this.envelopeSchema = changeEventSchema(this.topic, schemas.row);
    this.chunkSchema = snapshotChunkSchema(this.snapshotTopic, schemas.row);
    this.rows = RowConverter.fromRowSchema(schemas.row);
    this.keys = schemas.key ? RowConverter.fromRowSchema(schemas.key) : null;
    this.keyType = schemas.key ? compileAvroType(schemas.key) : null;
    this.envelopeType = compileAvroType(this.envelopeSchema);
    this.chunkType = compileAvroType(this.chunkSchema);
    this.operations = selection.operations(schema, name);
    this.rowFilter = selection.rowFilter(schema, name);
    this.columnIndex = new Map(this.columns.map((c) => [c.name, description.columns.findIndex((d) => d.name === c.name)]));
  }

  /** The catalog description a snapshot plans its chunks with. */
  get catalogInfo(): TableInfo {
    if (!this.description.info) {
      throw new InvariantError(`table ${this.key} joined during streaming and has no catalog description for a snapshot`, {
        context: { table: this.key },
      });
    }
    return this.description.info;
  }

  get key(): string {
    return this.id.key;
  }

  /** The selected column names, in order: the COPY column list of a snapshot. */
  get columnNames(): string[] {
    return this.columns.map((c) => c.name);
  }

  /** True when the description from a new Relation message differs in columns or types. */
  sameColumnsAs(columns: readonly { name: string; typeOid: number }[]): boolean {
    const all = this.description.columns;
    return all.length === columns.length && all.every((c, i) => c.name === columns[i]!.name && c.typeOid === columns[i]!.typeOid);
  }

  indexOfColumn(name: string): number | undefined {
    return this.columnIndex.get(name);
  }
}
