import { randomUUID } from 'node:crypto';
import { Partitioners, type Kafka, type Producer } from 'kafkajs';

/**
 * A compacted topic used as a small key → JSON store (capture offsets, task
 * state). Writes are plain acks=all sends, never transactional, so the log holds
 * no control records and "read to the high watermark" is exact. The newest value
 * of a key wins; a null value deletes it.
 */
export class StateTopic {
  private producer: Producer | undefined;

  constructor(
    private readonly kafka: Kafka,
    readonly topic: string,
  ) {}

  async put(key: string, value: unknown): Promise<void> {
    const producer = await this.connectProducer();
    await producer.send({
      topic: this.topic,
      acks: -1,
      messages: [{ key, value: value === null ? null : JSON.stringify(value) }],
    });
  }

  /** Every key's newest value, read from the start of the topic to its end as of now. */
  async readAll(): Promise<Map<string, unknown>> {
    const admin = this.kafka.admin();
    await admin.connect();
    const groupId = `ferry-state-reader-${randomUUID()}`;
    try {
      const ends = await admin.fetchTopicOffsets(this.topic);
      const pending = new Map(
        ends.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high) - 1n]),
      );
      const state = new Map<string, unknown>();
      if (pending.size === 0) return state;
      const consumer = this.kafka.consumer({ groupId, allowAutoTopicCreation: false });
      await consumer.connect();
      try {
        await consumer.subscribe({ topic: this.topic, fromBeginning: true });
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`reading state topic ${this.topic} did not reach its end within 60 s`)),
            60_000,
          );
          consumer
            .run({
              autoCommit: false,
              eachMessage: async ({ partition, message }) => {
                const key = message.key?.toString();
                if (key !== undefined) {
                  if (message.value === null) state.delete(key);
                  else state.set(key, JSON.parse(message.value.toString()));
                }
                const last = pending.get(partition);
                if (last !== undefined && BigInt(message.offset) >= last) pending.delete(partition);
                if (pending.size === 0) {
                  clearTimeout(timer);
                  resolve();
                }
              },
            })
            .catch(reject);
        });
      } finally {
        await consumer.disconnect();
      }
      return state;
    } finally {
      await admin.deleteGroups([groupId]).catch(() => undefined);
      await admin.disconnect();
    }
  }

  async get(key: string): Promise<unknown> {
    return (await this.readAll()).get(key);
  }

  async close(): Promise<void> {
    await this.producer?.disconnect();
    this.producer = undefined;
  }

  private async connectProducer(): Promise<Producer> {
    if (!this.producer) {
      this.producer = this.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      await this.producer.connect();
    }
    return this.producer;
  }
}
