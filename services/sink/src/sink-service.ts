import { AvroCodec, SchemaRegistryClient } from '@ferry/avro';
import { ObjectSelection, type ResolvedDestination, type TaskConfig } from '@ferry/config';
import { FerryError, toError } from '@ferry/core';
import { topicNames } from '@ferry/kafka';
import type { Logger } from '@ferry/observability';
import { classifyPgError, openClient } from '@ferry/pg';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { BatchApplier, type SinkMessage } from './apply/batch-applier.js';
import { SinkClientPool } from './client-pool.js';
import { originPrefix } from './release.js';
import { EventDecoder } from './event-decoder.js';
import { SinkMetrics } from './sink-metrics.js';
import { ensureSinkState, readPartitionOffsets, skipFilteredRecords, snapshotCompleteTables } from './sink-state.js';

/** Header that turns a heartbeat record into a cutover marker (written by capture; see docs/architecture.md). */
const CUTOVER_MARKER_HEADER = 'ferry-cutover-marker';

export interface SinkDependencies {
  task: TaskConfig;
  destination: ResolvedDestination;
  kafka: Kafka;
  log: Logger;
  /** Consumer group; default ferry-<task>-<destination>. A new group replays the topics. */
  groupId?: string;
  /** Partitions applied at the same time (one destination session each). */
  concurrency?: number;
  metrics?: SinkMetrics;
}

/** How long a partition waits before asking again whether its table's snapshot is in. */
const GATE_RETRY_MS = 1_000;

/**
 * The sink: one consumer in the destination's consumer group. Each partition's
 * batch is applied in one destination transaction with its offset. A table's
 * changes wait until its snapshot chunks are all applied (the end-of-table marker),
 * because the changes start at the snapshot's consistent point.
 */
export class SinkService {
  readonly metrics: SinkMetrics;
  private readonly log: Logger;
  private readonly groupId: string;
  private consumer: Consumer | undefined;
  private snapshotDone = new Set<string>();
  private readonly partitionCounts = new Map<string, number>();
  private readonly heartbeatTopic: string;

  constructor(private readonly deps: SinkDependencies) {
    this.metrics = deps.metrics ?? new SinkMetrics();
    this.groupId = deps.groupId ?? defaultGroupId(deps.task, deps.destination);
    this.heartbeatTopic = topicNames(deps.task.kafka.topicPrefix).heartbeat;
    this.log = deps.log.child({ task: deps.task.name, destination: deps.destination.name, group: this.groupId });
  }

  async run(signal: AbortSignal): Promise<void> {
    const { task, kafka, destination } = this.deps;
    const selection = new ObjectSelection(task.objects);
    const registry = new SchemaRegistryClient({ url: task.schemaRegistry.url });
    const decoder = new EventDecoder(new AvroCodec(registry), registry);
    const applier = new BatchApplier(this.groupId, selection, this.log);
    const concurrency = this.deps.concurrency ?? 4;

    const setup = await openClient(destination.url, { applicationName: 'ferry-sink-setup', role: 'destination' });
    let storedOffsets: Map<string, bigint>;
    try {
      // The old source of a backflow may be fenced read-only by `ferry cutover`; Ferry writes through it.
      await setup.query('SET default_transaction_read_only = off');
      await ensureSinkState(setup);
      storedOffsets = await readPartitionOffsets(setup, this.groupId);
      this.snapshotDone = await snapshotCompleteTables(setup, this.groupId);
    } finally {
      await setup.end();
    }
    const pool = await SinkClientPool.open({ url: destination.url, originPrefix: originPrefix(task), size: concurrency }, this.log);

    const subscribed = await this.waitForTopics(signal);
    if (signal.aborted) return void (await pool.close());
    const consumer = kafka.consumer({
      groupId: this.groupId,
      readUncommitted: false,
      allowAutoTopicCreation: false,
      maxBytesPerPartition: 16 * 1024 * 1024,
      // A sink killed without leaving the group holds its partitions until this expires.
      sessionTimeout: 10_000,
      heartbeatInterval: 3_000,
      // One retry policy for the whole sink: a failure ends this run, and the caller
      // reruns it within the task's retry windows (or stops with the error).
      retry: { restartOnFailure: async () => false },
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: subscribed, fromBeginning: true });

    // On every assignment, start each partition where the destination says it is.
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
        for (const partition of partitions) {
          const stored = storedOffsets.get(`${topic}:${partition}`);
          if (stored !== undefined) consumer.seek({ topic, partition, offset: stored.toString() });
        }
      }
    });

    // A fetch holding only transaction markers or aborted records never reaches eachBatch;
    // record that the partition is past them, so its stored offset can reach the end offset.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize !== 0 || payload.firstOffset === null || signal.aborted) return;
      const { topic, partition } = payload;
      const first = BigInt(payload.firstOffset);
      const last = BigInt(payload.lastOffset);
      void pool
        .use((client) => skipFilteredRecords(client, this.groupId, topic, partition, first, last))
        .then((moved) => {
          const key = `${topic}:${partition}`;
          if (moved && (storedOffsets.get(key) ?? 0n) <= last) storedOffsets.set(key, last + 1n);
        })
        .catch((error: unknown) => this.log.debug({ err: error, topic, partition }, 'could not record skipped transaction markers; the next batch will'));
    });

    const snapshotTopics = new Set(subscribed.filter((t) => t.startsWith(`${task.kafka.topicPrefix}.snapshot.`)));
    let failure: Error | undefined;
    const stopped = new Promise<void>((resolve) => {
      signal.addEventListener('abort', () => resolve(), { once: true });
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        // kafkajs wraps what eachBatch threw; keep ours, which names topic, partition and offset.
        const cause = (payload.error as Error & { cause?: unknown }).cause;
        failure = cause instanceof FerryError ? cause : payload.error;
        if (!payload.restart) resolve();
      });
    });

    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: concurrency,
      eachBatch: async (payload) => {
        try {
          await this.handleBatch(payload, snapshotTopics.has(payload.batch.topic), decoder, applier, pool, storedOffsets);
        } catch (error) {
          throw this.describe(error, payload.batch.topic, payload.batch.partition, payload.batch.messages[0]?.offset);
        }
      },
    });
    await stopped;
    await consumer.disconnect();
    await pool.close();
    if (failure && !signal.aborted) throw failure;
  }

  private async handleBatch(
    { batch, resolveOffset, commitOffsetsIfNecessary, heartbeat, isStale, isRunning }: EachBatchPayload,
    isSnapshot: boolean,
    decoder: EventDecoder,
    applier: BatchApplier,
    pool: SinkClientPool,
    storedOffsets: Map<string, bigint>,
  ): Promise<void> {
    const { topic, partition } = batch;
    if (batch.messages.length === 0 || !isRunning() || isStale()) return;
    const messages: SinkMessage[] = [];
    for (const m of batch.messages) {
      const offset = BigInt(m.offset);
      if (m.value === null) messages.push({ offset, kind: 'skip' });
      else if (topic === this.heartbeatTopic) {
        const beat = await decoder.heartbeat(m.value);
        const marker = m.headers?.[CUTOVER_MARKER_HEADER];
        if (marker !== undefined) messages.push({ offset, kind: 'marker', id: String(Array.isArray(marker) ? marker[0] : marker), lsn: beat.lsn ?? '0/0' });
        else messages.push({ offset, kind: 'heartbeat', lsn: beat.lsn ?? '0/0', commitMs: Number(beat.tsMs) });
      } else if (isSnapshot) messages.push({ offset, kind: 'chunk', chunk: await decoder.chunk(m.value) });
      else messages.push({ offset, kind: 'change', change: await decoder.change(m.value) });
    }
    if (!isSnapshot && topic !== this.heartbeatTopic) {
      const first = messages.find((m) => m.kind === 'change');
      if (first?.kind === 'change' && this.deps.task.phases.includes('full') && !(await this.snapshotApplied(first.change.sourceTable, pool))) {
        // Changes start at the snapshot's consistent point: hold them until the snapshot is in.
        this.pauseAndRetry(topic, partition, batch.messages[0]!.offset);
        return;
      }
    }
    const partitions = await this.partitionsOf(topic);
    const started = Date.now();
    const endOffset = BigInt(batch.lastOffset()) + 1n;
    const outcome = await pool.use((client) => applier.apply(client, topic, partition, partitions, messages, endOffset));
    storedOffsets.set(`${topic}:${partition}`, outcome.nextOffset);
    this.metrics.batchApplied(outcome.applied, Date.now() - started, outcome.lastCommitMs);
    if (outcome.nextOffset > BigInt(batch.messages[0]!.offset)) resolveOffset((outcome.nextOffset - 1n).toString());
    await commitOffsetsIfNecessary();
    await heartbeat();
    if (outcome.waitingAt !== null) this.pauseAndRetry(topic, partition, outcome.waitingAt.toString());
  }

  private async snapshotApplied(table: string, pool: SinkClientPool): Promise<boolean> {
    if (this.snapshotDone.has(table)) return true;
    this.snapshotDone = await pool.use((client) => snapshotCompleteTables(client, this.groupId));
    return this.snapshotDone.has(table);
  }

  private pauseAndRetry(topic: string, partition: number, offset: string): void {
    const consumer = this.consumer!;
    consumer.seek({ topic, partition, offset });
    consumer.pause([{ topic, partitions: [partition] }]);
    setTimeout(() => consumer.resume([{ topic, partitions: [partition] }]), GATE_RETRY_MS).unref();
  }

  private async partitionsOf(topic: string): Promise<number> {
    let count = this.partitionCounts.get(topic);
    if (count === undefined) {
      const admin = this.deps.kafka.admin();
      await admin.connect();
      try {
        const meta = await admin.fetchTopicMetadata({ topics: [topic] });
        count = meta.topics[0]?.partitions.length ?? 1;
      } finally {
        await admin.disconnect();
      }
      this.partitionCounts.set(topic, count);
    }
    return count;
  }

  /** The task's table and snapshot topics; waits until capture has created some. */
  private async waitForTopics(signal: AbortSignal): Promise<string[]> {
    const { task } = this.deps;
    const prefix = `${task.kafka.topicPrefix}.`;
    const admin = this.deps.kafka.admin();
    await admin.connect();
    try {
      for (let waited = 0; !signal.aborted; waited += 1) {
        const names = await admin.listTopics();
        // Internal topics (_transactions, _offsets, ...) start with "_" after the prefix.
        const ours = names.filter((t) => t.startsWith(prefix) && !t.slice(prefix.length).startsWith('_'));
        if (ours.length > 0) return [...ours.sort(), ...(names.includes(this.heartbeatTopic) ? [this.heartbeatTopic] : [])];
        if (waited % 30 === 0) this.log.info({ prefix: task.kafka.topicPrefix }, 'waiting for capture to create the topics');
        await new Promise((r) => setTimeout(r, 1_000));
      }
      return [];
    } finally {
      await admin.disconnect();
    }
  }

  private describe(error: unknown, topic: string, partition: number, offset: string | undefined): Error {
    // A database error keeps its meaning: constraint and data errors are permanent, lost connections retriable.
    const cause = isDatabaseError(error) ? classifyPgError(error, { role: 'destination' }) : toError(error);
    if (cause instanceof FerryError) {
      Object.assign(cause.context, { topic, partition, offset });
      return cause;
    }
    return new FerryError('APPLY_FAILED', `applying ${topic} partition ${partition} from offset ${offset} failed: ${cause.message}`, {
      cause,
      retriable: true,
      context: { topic, partition, offset },
      fix: 'read the database error above; the sink retries, and resumes from the destination\'s stored offsets after a restart',
    });
  }
}

export function defaultGroupId(task: TaskConfig, destination: ResolvedDestination): string {
  return `ferry-${task.name}-${destination.name}`;
}

function isDatabaseError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'severity' in error && typeof (error as { code?: unknown }).code === 'string';
}
