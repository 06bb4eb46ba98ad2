import {
  compileAvroType,
  DDL_EVENT_HEADER,
  ddlEventRecord,
  ddlEventSchema,
  encodeDdlEventHeader,
  encodeWireFormat,
  rowSchemaOf,
  heartbeatSchema,
  transactionBoundarySchema,
  type AvroRecordSchema,
  type AvroSchema,
  type DdlEvent,
  type Heartbeat,
  type SnapshotChunk,
  type TransactionBoundary,
} from '@ferry/avro';
import { DataError } from '@ferry/core';
import type { ObjectSelection } from '@ferry/config';
import type { TopicNames } from '@ferry/kafka';
import type { Type } from 'avsc';
import { CapturedTable, type SourceTableDescription } from '../captured-table.js';
import type { KeyedEvent } from '../streaming/change-events.js';
import type { OutgoingRecord } from './kafka-dispatcher.js';

/** Header that turns a heartbeat record into a cutover marker; sinks read the same name. */
export const CUTOVER_MARKER_HEADER = 'ferry-cutover-marker';

/** Registers a schema under a subject and returns its id (cached by the implementation). */
export interface SchemaRegistrar {
  register(subject: string, schema: AvroRecordSchema): Promise<number>;
  /** The subject's latest schema, or null when it has none (schema evolution starts from it). */
  latestVersion?(subject: string): Promise<{ schema: AvroSchema } | null>;
}

interface TableIds {
  key: number | null;
  value: number;
  chunk: number;
}

/**
 * Turns events into Confluent-framed Avro records. Schemas are registered once
 * (at start, or when a table is added) so the hot path only serializes.
 */
export class RecordEncoder {
  private readonly tableIds = new Map<CapturedTable, TableIds>();
  private transactionIds: { id: number; type: Type } | undefined;
  private heartbeatIds: { id: number; type: Type } | undefined;
  private ddlIds: { id: number; type: Type } | undefined;

  constructor(
    private readonly registrar: SchemaRegistrar,
    private readonly topics: TopicNames,
  ) {}

  /**
   * Builds a table's CapturedTable with schemas that evolve from the ones its topic registered
   * last (so a changed table stays BACKWARD compatible) and registers them.
   */
  async prepareTable(
    description: SourceTableDescription,
    selection: ObjectSelection,
    names: { topic: string; snapshotTopic: string } = {
      topic: this.topics.table(description.schema, description.name),
      snapshotTopic: this.topics.snapshot(description.schema, description.name),
    },
  ): Promise<CapturedTable> {
    const latest = async (subject: string): Promise<AvroRecordSchema | null> => {
      const found = await this.registrar.latestVersion?.(subject);
      return found && typeof found.schema === 'object' && !Array.isArray(found.schema) ? (found.schema as AvroRecordSchema) : null;
    };
    const envelope = await latest(`${names.topic}-value`);
    const table = new CapturedTable(description, selection, this.topics, {
      ...names,
      previousRow: envelope ? rowSchemaOf(envelope) : null,
      previousKey: await latest(`${names.topic}-key`),
    });
    await this.registerTable(table);
    return table;
  }

  async registerTable(table: CapturedTable): Promise<void> {
    const key = table.keySchema ? await this.registrar.register(`${table.topic}-key`, table.keySchema) : null;
    const value = await this.registrar.register(`${table.topic}-value`, table.envelopeSchema);
    const chunk = await this.registrar.register(`${table.snapshotTopic}-value`, table.chunkSchema);
    this.tableIds.set(table, { key, value, chunk });
  }

  async registerControlTopics(): Promise<void> {
    const tx = transactionBoundarySchema(this.topics.transactions);
    this.transactionIds = { id: await this.registrar.register(`${this.topics.transactions}-value`, tx), type: compileAvroType(tx) };
    const hb = heartbeatSchema(this.topics.heartbeat);
    this.heartbeatIds = { id: await this.registrar.register(`${this.topics.heartbeat}-value`, hb), type: compileAvroType(hb) };
    const ddl = ddlEventSchema(this.topics.ddl);
    this.ddlIds = { id: await this.registrar.register(`${this.topics.ddl}-value`, ddl), type: compileAvroType(ddl) };
  }

  /**
   * A schema change on one partition of its table's topic: key and value null (other consumers
   * skip it like a tombstone), the event in the `ferry-ddl` header. Capture writes it to every
   * partition, so each sink meets it in order with that partition's rows.
   */
  ddlMarker(table: CapturedTable, event: DdlEvent, partition: number): OutgoingRecord {
    return { topic: table.topic, key: null, value: null, partition, headers: { [DDL_EVENT_HEADER]: encodeDdlEventHeader(event) } };
  }

  /** The same schema change on `<prefix>._ddl`, Avro encoded, keyed by the table. */
  ddlEvent(event: DdlEvent, tableTopic: string): OutgoingRecord {
    const ids = this.ddlIds!;
    const value = encodeWireFormat(ids.id, ids.type.toBuffer(ddlEventRecord(event, tableTopic, BigInt(Date.now()))));
    return { topic: this.topics.ddl, key: Buffer.from(`${event.schema}.${event.table}`), value, partition: 0 };
  }

  change(table: CapturedTable, event: KeyedEvent, partition?: number): OutgoingRecord {
    const ids = this.idsOf(table);
    const key = event.key && table.keyType && ids.key !== null ? encodeWireFormat(ids.key, table.keyType.toBuffer(event.key)) : null;
    const value = event.value ? this.serialize(table, () => encodeWireFormat(ids.value, table.envelopeType.toBuffer(event.value))) : null;
    // Keyless tables keep their order on one partition.
    const record: OutgoingRecord = { topic: table.topic, key, value };
    if (partition !== undefined) record.partition = partition;
    else if (key === null) record.partition = 0;
    return record;
  }

  chunk(table: CapturedTable, chunk: SnapshotChunk): OutgoingRecord {
    const ids = this.idsOf(table);
    const value = this.serialize(table, () => encodeWireFormat(ids.chunk, table.chunkType.toBuffer(chunk)));
    return { topic: table.snapshotTopic, key: Buffer.from(chunk.chunk.id), value, partition: 0 };
  }

  transaction(boundary: TransactionBoundary): OutgoingRecord {
    const ids = this.transactionIds!;
    return {
      topic: this.topics.transactions,
      key: Buffer.from(boundary.id),
      value: encodeWireFormat(ids.id, ids.type.toBuffer(boundary)),
      partition: 0,
    };
  }

  heartbeat(beat: Heartbeat): OutgoingRecord {
    const ids = this.heartbeatIds!;
    return { topic: this.topics.heartbeat, key: Buffer.from(beat.db), value: encodeWireFormat(ids.id, ids.type.toBuffer(beat)), partition: 0 };
  }

  /**
   * A cutover marker: a heartbeat record (commit LSN and time of the marker row) under its own
   * key, so compaction keeps it beside the heartbeats, and tagged with the marker id in the
   * `ferry-cutover-marker` header (the contract in docs/architecture.md).
   */
  cutoverMarker(beat: Heartbeat, id: string): OutgoingRecord {
    return { ...this.heartbeat(beat), key: Buffer.from(`${beat.db}/cutover/${id}`), headers: { [CUTOVER_MARKER_HEADER]: id } };
  }

  private idsOf(table: CapturedTable): TableIds {
    const ids = this.tableIds.get(table);
    if (!ids) throw new DataError(`no schemas registered for ${table.key}`, { context: { table: table.key } });
    return ids;
  }

  private serialize(table: CapturedTable, encode: () => Buffer): Buffer {
    try {
      return encode();
    } catch (error) {
      throw new DataError(`cannot encode an event of ${table.key}: ${(error as Error).message}`, {
        context: { table: table.key },
        cause: error,
        fix: 'a value does not fit its Avro type; report it with the table definition',
      });
    }
  }
}
