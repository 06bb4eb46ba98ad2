import { createRootLogger } from '@ferry/observability';
import { createKafka, ensureTopics } from '@ferry/kafka';
import type { Kafka } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../support/names.js';
import { serviceUrlsFromEnv } from '../support/services.js';

// Pins down what Ferry assumes of kafkajs 2.2.4 against a Kafka 4 broker.
const urls = serviceUrlsFromEnv();
const logger = createRootLogger({ service: 'test', level: 'warn' });
let kafka: Kafka;

beforeAll(() => {
  kafka = createKafka({ brokers: urls.kafkaBrokers, clientId: uniqueName('smoke') }, logger);
});

async function consumeAll(topic: string, groupId: string, count: number, isolation?: 'read_committed'): Promise<string[]> {
  const consumer = kafka.consumer({ groupId, readUncommitted: isolation !== 'read_committed' });
  const seen: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${seen.length} of ${count} messages arrived`)), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(message.value!.toString());
          if (seen.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

describe('Kafka 4 broker with kafkajs', () => {
  const admin = () => kafka.admin();

  it('creates and describes topics with the admin client', async () => {
    const a = admin();
    await a.connect();
    try {
      const topic = uniqueName('smoke_admin');
      expect(await ensureTopics(a, [{ topic, partitions: 3, replicationFactor: 1, compacted: true }])).toEqual([topic]);
      expect(await ensureTopics(a, [{ topic, partitions: 3, replicationFactor: 1 }])).toEqual([]);
      const meta = await a.fetchTopicMetadata({ topics: [topic] });
      expect(meta.topics[0]!.partitions).toHaveLength(3);
      const configs = await a.describeConfigs({
        resources: [{ type: 2, name: topic, configNames: ['cleanup.policy'] }],
        includeSynonyms: false,
      });
      expect(configs.resources[0]!.configEntries[0]!.configValue).toBe('compact');
      await a.deleteTopics({ topics: [topic] });
    } finally {
      await a.disconnect();
    }
  });

  it('produces with acks=all and consumes in a consumer group, committing offsets', async () => {
    const topic = uniqueName('smoke_group');
    const a = admin();
    await a.connect();
    await ensureTopics(a, [{ topic, partitions: 2, replicationFactor: 1 }]);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
    });
    await producer.disconnect();
    const groupId = uniqueName('smoke_group');
    const values = await consumeAll(topic, groupId, 10);
    expect(values.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `v${i}`).sort());
    const offsets = await a.fetchOffsets({ groupId, topics: [topic] });
    const committed = offsets[0]!.partitions.reduce((sum, p) => sum + Number(p.offset), 0);
    expect(committed).toBe(10);
    await a.disconnect();
  });

  it('produces idempotently and transactionally; aborted messages stay invisible to read_committed', async () => {
    const topic = uniqueName('smoke_tx');
    const a = admin();
    await a.connect();
    await ensureTopics(a, [{ topic, partitions: 1, replicationFactor: 1 }]);
    await a.disconnect();

    const idempotent = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await idempotent.connect();
    await idempotent.send({ topic, acks: -1, messages: [{ value: 'idempotent' }] });
    await idempotent.disconnect();

    const producer = kafka.producer({ transactionalId: uniqueName('smoke_txid'), idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const aborted = await producer.transaction();
    await aborted.send({ topic, messages: [{ value: 'aborted' }] });
    await aborted.abort();
    const committed = await producer.transaction();
    await committed.send({ topic, messages: [{ value: 'committed' }] });
    await committed.commit();
    await producer.disconnect();

    const values = await consumeAll(topic, uniqueName('smoke_tx'), 2, 'read_committed');
    expect(values).toEqual(['idempotent', 'committed']);
  });
});
