import {
  compileAvroType,
  encodeWireFormat,
  heartbeatSchema,
  transactionBoundarySchema,
  type AvroRecordSchema,
  type Heartbeat,
  type SnapshotChunk,
  type TransactionBoundary,
} from '@ferry/avro';
import { DataError } from '@ferry/core';
import type { TopicNames } from '@ferry/kafka';
import type { Type } from 'avsc';
import type { CapturedTable } from '../captured-table.js';
import type { KeyedEvent } from '../streaming/change-events.js';
import type { OutgoingRecord } from './kafka-dispatcher.js';

/** Header that turns a heartbeat record into a cutover marker; sinks read the same name. */
export const CUTOVER_MARKER_HEADER = 'ferry-cutover-marker';

/** Registers a schema under a subject and returns its id (cached by the implementation). */
export interface SchemaRegistrar {
  register(subject: string, schema: AvroRecordSchema): Promise<number>;
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

  constructor(
    private readonly registrar: SchemaRegistrar,
    private readonly topics: TopicNames,
  ) {}

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
