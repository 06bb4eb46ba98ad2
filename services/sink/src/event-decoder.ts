import { rowSchemaOf, RowConverter, type AvroCodec, type AvroRecordSchema, type ChangeEvent, type Heartbeat, type SchemaRegistryClient, type SnapshotChunk, type TransactionBoundary } from '@ferry/avro';
import type { ObjectSelection } from '@ferry/config';
import type { TextValue } from './apply/row-event.js';

export interface DecodedChange {
  schema: string;
  table: string;
  sourceTable: string;
  event: ChangeEvent;
  /** Source column name → text, for before and after. */
  before: Record<string, TextValue> | null;
  after: Record<string, TextValue> | null;
}

export interface DecodedChunk {
  schema: string;
  table: string;
  sourceTable: string;
  chunk: SnapshotChunk;
  /** Source column names in row order, and each row's text values. */
  columns: readonly string[];
  rows: TextValue[][];
}

/**
 * Turns Confluent-framed Avro back into PostgreSQL text values, using the
 * writer's own schema (fetched by id once), so events written before and after
 * a column was added both decode.
 */
export class EventDecoder {
  private readonly converters = new Map<number, Promise<RowConverter>>();

  constructor(
    private readonly codec: AvroCodec,
    private readonly registry: SchemaRegistryClient,
  ) {}

  async change(value: Buffer): Promise<DecodedChange> {
    const { schemaId, value: event } = await this.codec.decodeMessage<ChangeEvent>(value);
    const rows = await this.converter(schemaId);
    return {
      schema: event.source.schema,
      table: event.source.table,
      sourceTable: `${event.source.schema}.${event.source.table}`,
      event,
      before: event.before ? rows.fromAvroToObject(event.before) : null,
      after: event.after ? rows.fromAvroToObject(event.after) : null,
    };
  }

  async chunk(value: Buffer): Promise<DecodedChunk> {
    const { schemaId, value: chunk } = await this.codec.decodeMessage<SnapshotChunk>(value);
    const rows = await this.converter(schemaId);
    return {
      schema: chunk.source.schema,
      table: chunk.source.table,
      sourceTable: `${chunk.source.schema}.${chunk.source.table}`,
      chunk,
      columns: rows.columnNames,
      rows: chunk.rows.map((row) => rows.fromAvro(row)),
    };
  }

  async heartbeat(value: Buffer): Promise<Heartbeat> {
    return this.codec.decode<Heartbeat>(value);
  }

  /** A `<prefix>._transactions` record (sink.mode transactional). */
  async transaction(value: Buffer): Promise<TransactionBoundary> {
    return this.codec.decode<TransactionBoundary>(value);
  }

  private converter(schemaId: number): Promise<RowConverter> {
    let converter = this.converters.get(schemaId);
    if (!converter) {
      converter = this.registry.getSchema(schemaId).then((schema) => RowConverter.fromRowSchema(rowSchemaOf(schema as AvroRecordSchema)));
      this.converters.set(schemaId, converter);
      converter.catch(() => this.converters.delete(schemaId));
    }
    return converter;
  }
}

/** Source column names → destination names, dropping columns the destination does not carry. */
export function renameColumns(
  row: Record<string, TextValue> | null,
  selection: ObjectSelection,
  schema: string,
  table: string,
  keep: (destColumn: string) => boolean,
): Record<string, TextValue> | null {
  if (row === null) return null;
  const out: Record<string, TextValue> = {};
  for (const [column, value] of Object.entries(row)) {
    const dest = selection.destinationColumn(schema, table, column);
    if (keep(dest)) out[dest] = value;
  }
  return out;
}
