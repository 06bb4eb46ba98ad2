import { ensureTopics } from '@ferry/kafka';
import type { IHeaders, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { describeKey, type EventFailure } from './apply/event-failure.js';

export interface DeadLetterSettings {
  topic: string;
  replicationFactor: number;
  /** Destination name, in the headers. */
  destination: string;
}

/** Headers a dead letter carries besides the original message's own. */
export const DEAD_LETTER_HEADERS = {
  topic: 'ferry-dlq-topic',
  partition: 'ferry-dlq-partition',
  offset: 'ferry-dlq-offset',
  table: 'ferry-dlq-table',
  key: 'ferry-dlq-key',
  error: 'ferry-dlq-error',
  destination: 'ferry-dlq-destination',
} as const;

/**
 * The dead-letter topic (sink.deadLetter): the original message's key and value, with
 * headers naming where it came from and why it was refused. Written just before the
 * destination commits the offsets that skip it, so a crash in between can write a
 * message twice (at least once), never lose it; ferry.sink_dead_letters holds each once.
 */
export class DeadLetterQueue {
  private producer: Producer | undefined;

  constructor(
    private readonly kafka: Kafka,
    readonly settings: DeadLetterSettings,
  ) {}

  async open(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await ensureTopics(admin, [{ topic: this.settings.topic, partitions: 1, replicationFactor: this.settings.replicationFactor }]);
    } finally {
      await admin.disconnect();
    }
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await this.producer.connect();
  }

  /** One dead letter per refused message (a snapshot chunk with several refused rows is one message). */
  async publish(topic: string, partition: number, failures: readonly EventFailure[], original: (offset: bigint) => KafkaMessage | undefined): Promise<void> {
    const byOffset = new Map<bigint, EventFailure[]>();
    for (const f of failures) byOffset.set(f.offset, [...(byOffset.get(f.offset) ?? []), f]);
    const messages = [...byOffset].map(([offset, refused]) => {
      const message = original(offset);
      const first = refused[0]!;
      const headers: IHeaders = {
        ...(message?.headers ?? {}),
        [DEAD_LETTER_HEADERS.topic]: topic,
        [DEAD_LETTER_HEADERS.partition]: String(partition),
        [DEAD_LETTER_HEADERS.offset]: offset.toString(),
        [DEAD_LETTER_HEADERS.table]: first.table ?? '',
        [DEAD_LETTER_HEADERS.key]: refused.map((f) => describeKey(f.key)).join('\n'),
        [DEAD_LETTER_HEADERS.error]: first.reason,
        [DEAD_LETTER_HEADERS.destination]: this.settings.destination,
      };
      return { key: message?.key ?? null, value: message?.value ?? null, headers };
    });
    await this.producer!.send({ topic: this.settings.topic, acks: -1, messages });
  }

  async close(): Promise<void> {
    await this.producer?.disconnect().catch(() => undefined);
  }
}
