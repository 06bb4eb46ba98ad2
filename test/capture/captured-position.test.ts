import { Lsn } from '@ferry/core';
import { createKafka, ensureTopics } from '@ferry/kafka';
import { createRootLogger } from '@ferry/observability';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMIT_LSN_HEADER, readCapturedPosition, SOURCE_SYSTEM_HEADER } from '../../services/capture/src/streaming/captured-position.js';
import { uniqueName } from '../support/names.js';
import { serviceUrlsFromEnv } from '../support/services.js';

// After a source restart the slot may re-send transactions already in Kafka; capture skips
// those up to the newest commit LSN found on committed END records of its own source.
const urls = serviceUrlsFromEnv();
const kafka = createKafka({ brokers: urls.kafkaBrokers, clientId: 'ferry-test-position' }, createRootLogger({ service: 'test', level: 'error' }));

describe('readCapturedPosition', () => {
  const topic = uniqueName('ferry.test.position').replace(/_/g, '-');
  const admin = kafka.admin();

  beforeAll(async () => {
    await admin.connect();
    await ensureTopics(admin, [{ topic, partitions: 1, replicationFactor: 1 }]);
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  async function write(lsn: string, system: string, outcome: 'commit' | 'abort'): Promise<void> {
    const producer = kafka.producer({ transactionalId: `${topic}-writer`, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const transaction = await producer.transaction();
      await transaction.send({
        topic,
        messages: [{ key: 'tx', value: 'end', partition: 0, headers: { [COMMIT_LSN_HEADER]: lsn, [SOURCE_SYSTEM_HEADER]: system } }],
      });
      await (outcome === 'commit' ? transaction.commit() : transaction.abort());
    } finally {
      await producer.disconnect();
    }
  }

  it('is null on an empty topic', async () => {
    expect(await readCapturedPosition(kafka, topic, 'sys-a')).toBeNull();
  });

  it('returns the newest committed commit LSN of this source, ignoring aborted records and other sources', async () => {
    await write('0/1000', 'sys-a', 'commit');
    await write('0/3000', 'sys-a', 'commit');
    await write('0/9000', 'sys-a', 'abort');
    await write('0/F000', 'sys-b', 'commit');
    expect(await readCapturedPosition(kafka, topic, 'sys-a')).toEqual(Lsn.parse('0/3000'));
    expect(await readCapturedPosition(kafka, topic, 'sys-b')).toEqual(Lsn.parse('0/F000'));
    expect(await readCapturedPosition(kafka, topic, 'sys-c')).toBeNull();
  });
});
