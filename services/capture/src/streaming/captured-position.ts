import { randomUUID } from 'node:crypto';
import { ConnectionError, Lsn } from '@ferry/core';
import type { Kafka } from 'kafkajs';

/** Headers on every END record of `<prefix>._transactions`: which source commit it closes. */
export const COMMIT_LSN_HEADER = 'ferry-commit-lsn';
export const SOURCE_SYSTEM_HEADER = 'ferry-source-system';

/** How many records at the end of the topic one read looks at before looking further back. */
const TAIL = 2_000n;
const READ_TIMEOUT_MS = 60_000;

/**
 * The commit LSN of the newest source transaction whose events Kafka holds, read from the
 * END records of the transaction topic (committed data only), or null when there is none
 * from this source.
 *
 * Why: a logical slot's confirmed position is saved to disk only at some checkpoints (before
 * PostgreSQL 17 not even at shutdown), so after a restart of the source the slot can re-send
 * transactions capture had already committed to Kafka and confirmed. Capture skips those
 * instead of writing them twice; a table without a key could not tell the copies apart.
 *
 * Call it after the capture's transactional producer has connected: that aborts a dead
 * predecessor's open transaction, which would otherwise hold back what a committed-only
 * reader can see.
 */
export async function readCapturedPosition(kafka: Kafka, topic: string, sourceSystem: string): Promise<Lsn | null> {
  const admin = kafka.admin();
  await admin.connect();
  let low: bigint;
  let high: bigint;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const partition = offsets.find((p) => p.partition === 0);
    if (!partition) return null;
    low = BigInt(partition.low);
    high = BigInt(partition.high);
  } finally {
    await admin.disconnect();
  }
  // Look at the tail first; only a tail of aborted records sends us further back.
  for (let from = high - TAIL; ; from -= TAIL) {
    const start = from < low ? low : from;
    if (start >= high) return null;
    const found = await newestCommitIn(kafka, topic, start, high, sourceSystem);
    if (found !== null || start === low) return found;
    high = start;
  }
}

/** Reads [from, to) of partition 0 (committed records only) and returns the newest commit LSN. */
async function newestCommitIn(kafka: Kafka, topic: string, from: bigint, to: bigint, sourceSystem: string): Promise<Lsn | null> {
  const groupId = `ferry-position-reader-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, readUncommitted: false });
  let newest: Lsn | null = null;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new ConnectionError(`reading ${topic} did not reach offset ${to} within ${READ_TIMEOUT_MS / 1000} s`)),
        READ_TIMEOUT_MS,
      );
      const finish = () => {
        clearTimeout(timer);
        resolve();
      };
      // Fetches that hold only transaction markers or aborted records never reach eachBatch;
      // this event still tells how far the read got.
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        if (payload.partition === 0 && payload.lastOffset !== null && BigInt(payload.lastOffset) + 1n >= to) finish();
      });
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            for (const message of batch.messages) {
              if (BigInt(message.offset) >= to) break;
              if (message.headers?.[SOURCE_SYSTEM_HEADER]?.toString() !== sourceSystem) continue;
              const lsn = message.headers?.[COMMIT_LSN_HEADER]?.toString();
              if (lsn === undefined) continue;
              const parsed = Lsn.parse(lsn);
              if (newest === null || parsed.isAfter(newest)) newest = parsed;
            }
          },
        })
        .then(() => consumer.seek({ topic, partition: 0, offset: from.toString() }))
        .catch((error: unknown) => {
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
        });
    });
  } finally {
    await consumer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
  return newest;
}
