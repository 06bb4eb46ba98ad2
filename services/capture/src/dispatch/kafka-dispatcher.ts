import { InvariantError } from '@ferry/core';
import type { Logger } from '@ferry/observability';
import { Partitioners, type Kafka, type Message, type Producer, type TopicMessages, type Transaction } from 'kafkajs';

/** One encoded record on its way to Kafka. */
export interface OutgoingRecord {
  topic: string;
  key: Buffer | null;
  value: Buffer | null;
  /** Set for topics whose order must not depend on the key (keyless tables, snapshot chunks). */
  partition?: number;
  headers?: Record<string, string>;
}

export interface DispatcherSettings {
  /**
   * Stable per task and role. Reusing it after a crash fences the dead process: the broker
   * aborts whatever Kafka transaction it left open, so half-written batches never surface.
   */
  transactionalId: string;
  /** Records held before they are sent (still inside the open Kafka transaction). */
  maxBufferedRecords?: number;
  maxBufferedBytes?: number;
  /** Longest a Kafka transaction may stay open on the broker (transaction.max.timeout.ms caps it). */
  transactionTimeoutMs?: number;
  /** Told the bytes (keys and values) of every committed Kafka transaction, for metrics. */
  onCommitted?: (bytes: number) => void;
}

/**
 * The single exit from capture to Kafka. Records are written inside Kafka
 * transactions (acks=all, idempotent), so consumers reading committed data see a
 * source transaction whole or not at all. `commit()` resolves only once the broker
 * has committed: only then may the replication slot be confirmed up to that point.
 * Memory stays bounded: buffered records are sent (not committed) past a limit.
 */
export class KafkaDispatcher {
  private producer: Producer | undefined;
  private transaction: Transaction | undefined;
  private buffer: OutgoingRecord[] = [];
  private bufferedBytes = 0;
  private readonly maxRecords: number;
  private readonly maxBytes: number;
  /** Records sent in the open transaction, for metrics. */
  private sentInTransaction = 0;
  recordsCommitted = 0;
  private bytesInTransaction = 0;
  /** Set once a send or commit failed: what was sent may be lost, so nothing may be confirmed. */
  private failure: Error | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly settings: DispatcherSettings,
    private readonly log: Logger,
  ) {
    this.maxRecords = settings.maxBufferedRecords ?? 5_000;
    // kafkajs sends one partition's buffered records as one record batch, which the broker
    // measures against max.message.bytes (1 MB by default): stay well below it.
    this.maxBytes = settings.maxBufferedBytes ?? 768 * 1024;
  }

  async connect(): Promise<void> {
    this.producer = this.kafka.producer({
      transactionalId: this.settings.transactionalId,
      createPartitioner: Partitioners.DefaultPartitioner,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      transactionTimeout: this.settings.transactionTimeoutMs ?? 600_000,
    });
    await this.producer.connect();
  }

  /** Adds a record to the open Kafka transaction (opening one if needed). */
  async add(record: OutgoingRecord): Promise<void> {
    this.assertUsable();
    this.buffer.push(record);
    this.bufferedBytes += (record.key?.length ?? 0) + (record.value?.length ?? 0);
    if (this.buffer.length >= this.maxRecords || this.bufferedBytes >= this.maxBytes) await this.sendBuffered();
  }

  get hasPending(): boolean {
    return this.buffer.length > 0 || this.transaction !== undefined;
  }

  get pendingRecords(): number {
    return this.buffer.length + this.sentInTransaction;
  }

  /** Sends what is buffered and commits the Kafka transaction. Resolves once committed. */
  async commit(): Promise<void> {
    this.assertUsable();
    if (!this.hasPending) return;
    try {
      await this.sendBuffered();
      await this.transaction!.commit();
    } catch (error) {
      this.failure = error as Error;
      throw error;
    }
    this.transaction = undefined;
    this.recordsCommitted += this.sentInTransaction;
    this.settings.onCommitted?.(this.bytesInTransaction);
    this.sentInTransaction = 0;
    this.bytesInTransaction = 0;
  }

  /** Drops what was not committed (the broker discards sent records of the open transaction). */
  async abort(): Promise<void> {
    this.buffer = [];
    this.bufferedBytes = 0;
    this.sentInTransaction = 0;
    this.bytesInTransaction = 0;
    const transaction = this.transaction;
    this.transaction = undefined;
    if (transaction) await transaction.abort().catch((error: unknown) => this.log.warn({ err: error }, 'abort of Kafka transaction failed'));
  }

  async close(): Promise<void> {
    await this.abort();
    await this.producer?.disconnect();
    this.producer = undefined;
  }

  private assertUsable(): void {
    if (this.failure) {
      throw new InvariantError('a Kafka transaction of this dispatcher failed; its records may be lost, so it takes no more', {
        cause: this.failure,
      });
    }
  }

  private async sendBuffered(): Promise<void> {
    if (this.buffer.length === 0) return;
    if (!this.producer) throw new Error('KafkaDispatcher.connect() was not called');
    this.transaction ??= await this.producer.transaction();
    const byTopic = new Map<string, Message[]>();
    for (const record of this.buffer) {
      let messages = byTopic.get(record.topic);
      if (!messages) byTopic.set(record.topic, (messages = []));
      const message: Message = { key: record.key, value: record.value };
      if (record.partition !== undefined) message.partition = record.partition;
      if (record.headers) message.headers = record.headers;
      messages.push(message);
    }
    const topicMessages: TopicMessages[] = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
    const count = this.buffer.length;
    const bytes = this.bufferedBytes;
    this.buffer = [];
    this.bufferedBytes = 0;
    try {
      await this.transaction.sendBatch({ topicMessages, acks: -1 });
    } catch (error) {
      this.failure = error as Error;
      throw error;
    }
    this.sentInTransaction += count;
    this.bytesInTransaction += bytes;
  }
}
