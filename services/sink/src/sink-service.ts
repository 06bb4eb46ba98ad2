import { AvroCodec, DDL_EVENT_HEADER, decodeDdlEventHeader, SchemaRegistryClient } from '@ferry/avro';
import { ObjectSelection, type ResolvedDestination, type TaskConfig } from '@ferry/config';
import { abortableSleep, createThrottle, FerryError, toError, type Throttle } from '@ferry/core';
import { topicNames } from '@ferry/kafka';
import type { Logger } from '@ferry/observability';
import { classifyPgError, openClient } from '@ferry/pg';
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { BatchApplier, type FailureHandling, type SinkMessage } from './apply/batch-applier.js';
import { ddlSnapshotGate } from './apply/ddl-applier.js';
import { describeFailure, eventFailure, isEventError, UnappliableEventError } from './apply/event-failure.js';
import { SinkClientPool } from './client-pool.js';
import { DeadLetterQueue } from './dead-letter-queue.js';
import { startLagSampler } from './lag-sampler.js';
import { RefusalWindow } from './refusal-window.js';
import { TransactionalApply } from './transactional-apply.js';
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

/** How often the sink looks for topics of tables created on the source. */
const NEW_TOPIC_POLL_MS = 3_000;

/** How long a partition waits before asking again whether its table's snapshot is in. */
const GATE_RETRY_MS = 1_000;

/** Longest pause before a slice the destination refused is tried again. */
const MAX_REFUSAL_PAUSE_MS = 30_000;

/** What applying a slice needs, made once per run. */
interface RunContext {
  decoder: EventDecoder;
  applier: BatchApplier;
  pool: SinkClientPool;
  storedOffsets: Map<string, bigint>;
  deadLetters: DeadLetterQueue | undefined;
  signal: AbortSignal;
}

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
  private readonly refusals: RefusalWindow;
  private readonly throttle: Throttle | undefined;
  private readonly sliceEvents: number;
  private readonly sliceBytes: number;
  /** Partitions this member holds, from the latest assignment. */
  private assigned = new Map<string, number[]>();
  /** The heartbeat of the batch in flight: a throttled wait keeps the group membership alive with it. */
  private beat: (() => Promise<void>) | undefined;
  private stopSignal: AbortSignal | undefined;
  /** sink.mode transactional: table topics and the transaction topic go through it. */
  private transactional: TransactionalApply | undefined;
  private readonly transactionsTopic: string;

  constructor(private readonly deps: SinkDependencies) {
    const { task } = deps;
    this.metrics = deps.metrics ?? new SinkMetrics();
    this.groupId = deps.groupId ?? defaultGroupId(task, deps.destination);
    this.heartbeatTopic = topicNames(task.kafka.topicPrefix).heartbeat;
    this.transactionsTopic = topicNames(task.kafka.topicPrefix).transactions;
    this.log = deps.log.child({ task: task.name, destination: deps.destination.name, group: this.groupId });
    this.refusals = new RefusalWindow(task.retry.otherMinutes * 60_000);
    this.throttle = createThrottle(task.sink.throttle, undefined, (ms) => this.throttledWait(ms));
    // Under a throttle, a slice is at most about a second's worth, so each wait stays short.
    this.sliceEvents = Math.min(task.sink.sliceEvents, task.sink.throttle.rowsPerSecond ?? Infinity);
    this.sliceBytes = Math.min(task.sink.sliceBytes, task.sink.throttle.bytesPerSecond ?? Infinity);
  }

  async run(signal: AbortSignal): Promise<void> {
    const { task, kafka, destination } = this.deps;
    const selection = new ObjectSelection(task.objects);
    const registry = new SchemaRegistryClient({ url: task.schemaRegistry.url });
    const decoder = new EventDecoder(new AvroCodec(registry), registry);
    const applier = new BatchApplier(this.groupId, selection, this.log);
    const concurrency = this.deps.concurrency ?? 4;
    this.stopSignal = signal;

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
    const deadLetters = task.sink.deadLetter.enabled
      ? new DeadLetterQueue(kafka, {
          topic: task.sink.deadLetter.topic ?? `${task.kafka.topicPrefix}._dlq.${destination.name}`,
          replicationFactor: task.kafka.replicationFactor,
          destination: destination.name,
        })
      : undefined;
    const context: RunContext = { decoder, applier, pool, storedOffsets, deadLetters, signal };
    this.transactional =
      task.sink.mode === 'transactional'
        ? new TransactionalApply({
            groupId: this.groupId,
            transactionsTopic: this.transactionsTopic,
            maxBuffered: 4 * this.sliceEvents,
            gated: task.phases.includes('full'),
            applier,
            pool,
            decoder,
            metrics: this.metrics,
            storedOffsets,
            throttle: this.throttle,
            log: this.log,
            snapshotApplied: (table) => this.snapshotApplied(table, pool),
            pauseAndRetry: (topic, partition, offset, pauseMs) => this.pauseAndRetry(topic, partition, offset, pauseMs),
            refused: (error, offset) => void this.refused(error, offset),
          })
        : undefined;
    try {
      await this.transactional?.start();
      await deadLetters?.open();
      // A table created on the source (DDL capture) brings new topics: subscribe again to take them in.
      let topics = subscribed;
      for (;;) {
        const added = await this.consume(topics, context);
        if (added.length === 0 || signal.aborted) break;
        this.log.info({ topics: added }, 'new table topics (tables created on the source): subscribing to them');
        topics = await this.waitForTopics(signal);
      }
    } finally {
      await deadLetters?.close();
      await pool.close();
    }
  }

  /** Consumes until stopped; returns the table topics that appeared meanwhile (then the caller subscribes again). */
  private async consume(subscribed: string[], context: RunContext): Promise<string[]> {
    const { task, kafka } = this.deps;
    const { pool, storedOffsets, signal } = context;
    const concurrency = this.deps.concurrency ?? 4;
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
      this.assigned = new Map(Object.entries(payload.memberAssignment));
      this.transactional?.reset();
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

    const admin = kafka.admin();
    await admin.connect();
    const watcher = this.watchNewTopics(subscribed, admin);
    const stopSampling = startLagSampler(admin, () => this.assigned, storedOffsets, this.metrics, this.log);
    try {
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: concurrency,
        eachBatch: async (payload) => {
          try {
            const isSnapshot = snapshotTopics.has(payload.batch.topic);
            if (this.transactional?.handles(payload.batch.topic, isSnapshot, this.heartbeatTopic)) await this.transactional.handleBatch(payload);
            else await this.handleBatch(payload, isSnapshot, context);
          } catch (error) {
            throw this.describe(error, payload.batch.topic, payload.batch.partition, payload.batch.messages[0]?.offset);
          }
        },
      });
      await Promise.race([stopped, watcher.found]);
    } finally {
      watcher.stop();
      stopSampling();
      await consumer.disconnect();
      await admin.disconnect().catch(() => undefined);
    }
    if (failure && !signal.aborted) throw failure;
    return watcher.added;
  }

  /** Polls the topic list: a table created on the source gets topics the consumer is not subscribed to. */
  private watchNewTopics(subscribed: readonly string[], admin: Admin): { found: Promise<void>; added: string[]; stop: () => void } {
    const prefix = `${this.deps.task.kafka.topicPrefix}.`;
    const known = new Set(subscribed);
    const added: string[] = [];
    let timer: NodeJS.Timeout | undefined;
    const found = new Promise<void>((resolve) => {
      timer = setInterval(() => {
        void admin
          .listTopics()
          .then((names) => {
            const fresh = names.filter((t) => t.startsWith(prefix) && !t.slice(prefix.length).startsWith('_') && !known.has(t));
            if (fresh.length === 0 || added.length > 0) return;
            added.push(...fresh);
            resolve();
          })
          .catch(() => undefined);
      }, NEW_TOPIC_POLL_MS);
    });
    return { found, added, stop: () => clearInterval(timer) };
  }

  /**
   * A fetched batch is applied in slices (sink.sliceEvents / sink.sliceBytes), each decoded
   * only when its turn comes and applied in its own destination transaction with its offset,
   * so memory stays bounded however much kafkajs fetched.
   */
  private async handleBatch(payload: EachBatchPayload, isSnapshot: boolean, context: RunContext): Promise<void> {
    const { batch, resolveOffset, commitOffsetsIfNecessary, heartbeat, isStale, isRunning } = payload;
    const { topic, partition, messages } = batch;
    this.beat = heartbeat;
    for (let start = 0; start < messages.length; ) {
      if (!isRunning() || isStale()) return;
      const { decoded, end } = await this.decodeSlice(topic, isSnapshot, messages, start, context.decoder);
      // Records the consumer filtered out (transaction markers) up to the next message count as passed.
      const endOffset = end < messages.length ? BigInt(messages[end]!.offset) : BigInt(batch.lastOffset()) + 1n;
      const first = BigInt(messages[start]!.offset);
      const { nextOffset, paused } = await this.applySlice(topic, partition, isSnapshot, messages.slice(start, end), decoded, endOffset, context);
      if (nextOffset > first) resolveOffset((nextOffset - 1n).toString());
      await commitOffsetsIfNecessary();
      await heartbeat();
      if (paused) return;
      start = end;
    }
  }

  /**
   * Decodes messages from `start` until the slice holds sink.sliceEvents events (a snapshot
   * chunk counts its rows) or sink.sliceBytes message bytes; always at least one message.
   */
  private async decodeSlice(
    topic: string,
    isSnapshot: boolean,
    messages: readonly KafkaMessage[],
    start: number,
    decoder: EventDecoder,
  ): Promise<{ decoded: SinkMessage[]; end: number }> {
    const decoded: SinkMessage[] = [];
    let events = 0;
    let bytes = 0;
    let end = start;
    while (end < messages.length && events < this.sliceEvents) {
      const size = messageBytes(messages[end]!);
      if (end > start && bytes + size > this.sliceBytes) break;
      const message = await this.decodeOne(topic, isSnapshot, messages[end]!, decoder);
      decoded.push(message);
      events += message.kind === 'chunk' ? Math.max(1, message.chunk.rows.length) : 1;
      bytes += size;
      end += 1;
      // A schema change ends its slice: the changes after it are gated on their own (an added
      // table's create comes ahead of its copy, and its changes must wait for that copy).
      if (message.kind === 'ddl') break;
    }
    return { decoded, end };
  }

  private async applySlice(
    topic: string,
    partition: number,
    isSnapshot: boolean,
    slice: readonly KafkaMessage[],
    messages: readonly SinkMessage[],
    endOffset: bigint,
    context: RunContext,
  ): Promise<{ nextOffset: bigint; paused: boolean }> {
    const first = BigInt(slice[0]!.offset);
    if (!isSnapshot && topic !== this.heartbeatTopic) {
      // A schema change that creates or renames the table comes before its first change under that name.
      const change = messages.find((m) => m.kind === 'change' || m.kind === 'ddl');
      const gate = change?.kind === 'change' ? change.change.sourceTable : change?.kind === 'ddl' ? ddlSnapshotGate(change.event) : null;
      if (gate !== null && this.deps.task.phases.includes('full') && !(await this.snapshotApplied(gate, context.pool))) {
        // Changes start at the snapshot's consistent point: hold them until the snapshot is in.
        this.pauseAndRetry(topic, partition, first.toString(), GATE_RETRY_MS);
        return { nextOffset: first, paused: true };
      }
    }
    const partitions = await this.partitionsOf(topic);
    const started = Date.now();
    const bytes = slice.reduce((n, m) => n + messageBytes(m), 0);
    let outcome;
    try {
      outcome = await context.pool.use((client) =>
        context.applier.apply(client, topic, partition, partitions, messages, endOffset, this.failureHandling(topic, partition, slice, context)),
      );
    } catch (error) {
      if (error instanceof UnappliableEventError) return this.refused(error, first);
      throw error;
    }
    context.storedOffsets.set(`${topic}:${partition}`, outcome.nextOffset);
    this.refusals.settled(topic, partition, outcome.nextOffset);
    this.metrics.batchApplied(outcome.applied, Date.now() - started, outcome.lastCommitMs, bytes);
    if (outcome.deadLetters.length > 0) {
      this.metrics.eventsRefused(outcome.deadLetters.length);
      this.metrics.deadLettered(new Set(outcome.deadLetters.map((f) => f.offset)).size);
      for (const f of outcome.deadLetters) {
        this.log.error(
          { topic, partition, offset: f.offset.toString(), table: f.table, key: f.key, sqlstate: f.sqlstate, deadLetterTopic: context.deadLetters?.settings.topic },
          `set aside in the dead-letter topic after retry.otherMinutes: ${describeFailure(topic, partition, f)}: ${f.reason}`,
        );
      }
    }
    if (this.throttle) await this.throttle(outcome.applied, bytes);
    if (outcome.waitingAt !== null) {
      this.pauseAndRetry(topic, partition, outcome.waitingAt.toString(), GATE_RETRY_MS);
      return { nextOffset: outcome.nextOffset, paused: true };
    }
    return { nextOffset: outcome.nextOffset, paused: false };
  }

  private async decodeOne(topic: string, isSnapshot: boolean, m: KafkaMessage, decoder: EventDecoder): Promise<SinkMessage> {
    const offset = BigInt(m.offset);
    try {
      const ddl = isSnapshot || topic === this.heartbeatTopic ? undefined : m.headers?.[DDL_EVENT_HEADER];
      if (ddl !== undefined) return { offset, kind: 'ddl', event: decodeDdlEventHeader(String(Array.isArray(ddl) ? ddl[0] : ddl)) };
      if (m.value === null) return { offset, kind: 'skip' };
      if (topic === this.heartbeatTopic) {
        const beat = await decoder.heartbeat(m.value);
        const marker = m.headers?.[CUTOVER_MARKER_HEADER];
        if (marker !== undefined) return { offset, kind: 'marker', id: String(Array.isArray(marker) ? marker[0] : marker), lsn: beat.lsn ?? '0/0' };
        return { offset, kind: 'heartbeat', lsn: beat.lsn ?? '0/0', commitMs: Number(beat.tsMs) };
      }
      if (isSnapshot) return { offset, kind: 'chunk', chunk: await decoder.chunk(m.value) };
      return { offset, kind: 'change', change: await decoder.change(m.value) };
    } catch (error) {
      // A poison message is refused like a row the destination refuses (retried, then stop or dead letter).
      if (!isEventError(error)) throw error;
      return { offset, kind: 'undecodable', failure: eventFailure(error, offset, null, null) };
    }
  }

  /** With sink.deadLetter on: find every refused event of the slice, and set them aside once their window has closed. */
  private failureHandling(topic: string, partition: number, slice: readonly KafkaMessage[], context: RunContext): FailureHandling | undefined {
    const queue = context.deadLetters;
    if (!queue) return undefined;
    return {
      collectAll: true,
      deadLetterTopic: queue.settings.topic,
      deadLetter: (failures) => failures.every((f) => this.refusals.expired(topic, partition, f.offset)),
      publish: (failures) => queue.publish(topic, partition, failures, (offset) => slice.find((m) => BigInt(m.offset) === offset)),
    };
  }

  /**
   * The destination refused events of a slice (or they could not be decoded): try the
   * slice again after a pause, until retry.otherMinutes have passed since the first
   * refusal; then stop with an error naming them (without dead letters).
   */
  private refused(error: UnappliableEventError, first: bigint): { nextOffset: bigint; paused: boolean } {
    const { topic, partition, failures } = error;
    this.metrics.eventsRefused(failures.length);
    for (const f of failures) this.refusals.refused(topic, partition, f.offset);
    if (!this.deps.task.sink.deadLetter.enabled && failures.every((f) => this.refusals.expired(topic, partition, f.offset))) {
      throw new UnappliableEventError(topic, partition, failures, true);
    }
    const remaining = Math.max(...failures.map((f) => this.refusals.remainingMs(topic, partition, f.offset)));
    const pauseMs = Math.min(MAX_REFUSAL_PAUSE_MS, Math.max(1_000, remaining));
    this.metrics.batchRetried();
    this.log.warn({ err: error, retryInMs: pauseMs }, `the destination refused an event; retrying until retry.otherMinutes have passed: ${error.message}`);
    this.pauseAndRetry(topic, partition, first.toString(), pauseMs);
    return { nextOffset: first, paused: true };
  }

  /** A throttled wait, in short steps that keep the consumer in its group. */
  private async throttledWait(ms: number): Promise<void> {
    this.metrics.throttled(ms);
    for (let left = ms; left > 0 && !this.stopSignal?.aborted; left -= 1_000) {
      await abortableSleep(Math.min(left, 1_000));
      await this.beat?.().catch(() => undefined);
    }
  }

  private async snapshotApplied(table: string, pool: SinkClientPool): Promise<boolean> {
    if (this.snapshotDone.has(table)) return true;
    this.snapshotDone = await pool.use((client) => snapshotCompleteTables(client, this.groupId));
    return this.snapshotDone.has(table);
  }

  private pauseAndRetry(topic: string, partition: number, offset: string, pauseMs: number): void {
    const consumer = this.consumer!;
    consumer.seek({ topic, partition, offset });
    consumer.pause([{ topic, partitions: [partition] }]);
    setTimeout(() => consumer.resume([{ topic, partitions: [partition] }]), pauseMs).unref();
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
        // sink.mode transactional also reads the transaction topic, in commit order.
        const internal = [this.heartbeatTopic, ...(task.sink.mode === 'transactional' ? [this.transactionsTopic] : [])].filter((t) => names.includes(t));
        const ready = task.sink.mode !== 'transactional' || names.includes(this.transactionsTopic);
        if (ours.length > 0 && ready) return [...ours.sort(), ...internal];
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
      // Keep a more exact place (the refused event's own offset) when the error has one.
      for (const [name, value] of Object.entries({ topic, partition, offset })) cause.context[name] ??= value;
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

function messageBytes(message: KafkaMessage): number {
  return (message.value?.length ?? 0) + (message.key?.length ?? 0);
}

function isDatabaseError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'severity' in error && typeof (error as { code?: unknown }).code === 'string';
}
