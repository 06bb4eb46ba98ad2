import type { TaskConfig } from '@ferry/config';
import { ObjectSelection } from '@ferry/config';
import { ConnectionError, FerryError, Lsn, retry } from '@ferry/core';
import { ensureTopics, StateTopic, topicNames, type TopicSpec } from '@ferry/kafka';
import type { Logger } from '@ferry/observability';
import { openClient } from '@ferry/pg';
import { ReplicationConnection, type CreatedSlot } from '@ferry/pgoutput';
import type { Kafka } from 'kafkajs';
import { CapturedTable } from './captured-table.js';
import { CaptureMetrics } from './capture-metrics.js';
import { KafkaDispatcher } from './dispatch/kafka-dispatcher.js';
import { RecordEncoder, type SchemaRegistrar } from './dispatch/record-encoder.js';
import { SnapshotProgress } from './snapshot/snapshot-progress.js';
import { SnapshotSource } from './snapshot/snapshot-source.js';
import { describeSourceTables } from './source-catalog.js';
import {
  allowWritesThroughFence,
  CUTOVER_MARKER_TABLE,
  FERRY_SCHEMA,
  HEARTBEAT_TABLE,
  prepareSource,
  slotExists,
  startHeartbeat,
} from './source-setup.js';
import { readCapturedPosition } from './streaming/captured-position.js';
import { StreamingSource } from './streaming/streaming-source.js';
import { createThrottle } from './throttle.js';

export interface CaptureDependencies {
  task: TaskConfig;
  kafka: Kafka;
  registrar: SchemaRegistrar;
  log: Logger;
  metrics?: CaptureMetrics;
  /** Heartbeat interval; a few seconds in production, shorter in tests. */
  heartbeatMs?: number;
}

/**
 * Capture's coordinator, in the spirit of Debezium's: prepare the source, take
 * the snapshot if it is not complete, then stream from the slot until stopped.
 * Each step resumes from what the slot and the offsets topic say was done.
 */
export class CaptureService {
  readonly metrics: CaptureMetrics;
  private readonly log: Logger;

  constructor(private readonly deps: CaptureDependencies) {
    this.metrics = deps.metrics ?? new CaptureMetrics();
    this.log = deps.log.child({ task: deps.task.name });
  }

  async run(signal: AbortSignal): Promise<void> {
    const { task, kafka } = this.deps;
    const topics = topicNames(task.kafka.topicPrefix);
    const selection = new ObjectSelection(task.objects);
    const client = await openClient(task.source.url, { applicationName: 'ferry-capture', role: 'source' });
    const stopHeartbeat: (() => void)[] = [];
    const offsets = new StateTopic(kafka, topics.offsets);
    try {
      await allowWritesThroughFence(client);
      const serverMajor = Math.floor(Number((await client.query('SHOW server_version_num')).rows[0].server_version_num) / 10_000);
      const database = String((await client.query('SELECT current_database() AS db')).rows[0].db);
      const descriptions = await describeSourceTables(client, selection);
      const tables = descriptions.map((d) => new CapturedTable(d, selection, topics));
      this.log.info({ phase: 'prepare', tables: tables.length }, `capturing ${tables.length} tables`);

      await this.ensureTopics(tables, topics);
      const encoder = new RecordEncoder(this.deps.registrar, topics);
      await encoder.registerControlTopics();
      for (const table of tables) await encoder.registerTable(table);
      await prepareSource(client, { publication: task.source.publication, serverMajor, rowFilters: serverMajor >= 15 }, tables, this.log);

      const wantsSnapshot = task.phases.includes('full');
      const wantsStream = task.phases.includes('incremental');
      let state = await SnapshotProgress.load(offsets);
      const slot = await slotExists(client, task.source.slot);
      const replication = await ReplicationConnection.connect(task.source.url);
      let created: CreatedSlot | null = null;
      try {
        if (!slot.exists) {
          if (state?.complete && wantsStream) {
            throw new FerryError(
              'SLOT_LOST',
              `replication slot "${task.source.slot}" is gone, but this task already finished its snapshot: changes since then cannot be recovered from the source`,
              {
                fix: 'if the source failed over to a standby without the slot, run `ferry capture --reset -c task.yaml` to start again with a new snapshot (the destination is reloaded)',
                context: { slot: task.source.slot },
              },
            );
          }
          created = await replication.createSlot(task.source.slot, { exportSnapshot: true, failover: task.source.failoverSlot });
          this.log.info({ slot: created.slotName, consistentPoint: created.consistentPoint.toString() }, 'created replication slot with an exported snapshot');
          state = undefined;
        }
        if (wantsSnapshot && !state?.complete) {
          const consistentLsn = created?.consistentPoint.toString() ?? state?.consistentLsn ?? slot.confirmedFlush ?? '0/0';
          const progress = state ? SnapshotProgress.resume(offsets, state) : await SnapshotProgress.start(offsets, task.source.slot, consistentLsn);
          // Resuming: a temporary slot gives a new snapshot with an exact consistent point.
          const resume = created ? null : await this.resumeSnapshot(task.source.url, task.source.slot);
          try {
            const snapshot = new SnapshotSource(
              tables,
              encoder,
              async (worker) => this.dispatcher(`${task.name}-snapshot-${worker}`),
              progress,
              {
                sourceUrl: task.source.url,
                database,
                consistentLsn,
                resumePoint: resume?.slot.consistentPoint.toString() ?? null,
                serverMajor,
                parallelism: task.snapshot.parallelism,
                chunkRows: task.snapshot.chunkRows,
                rowsPerMessage: 2_000,
                bytesPerMessage: 512 * 1024,
                throttle: createThrottle(task.throttle.full),
              },
              this.metrics,
              this.log.child({ phase: 'full' }),
            );
            const exported = created?.snapshotName ?? resume?.slot.snapshotName ?? null;
            await snapshot.run(exported, async () => {
              await replication.releaseSnapshot();
              await resume?.connection.close();
            }, signal);
          } finally {
            await resume?.connection.close();
          }
          state = progress.state;
        } else {
          await replication.releaseSnapshot();
          if (!state) await SnapshotProgress.start(offsets, task.source.slot, created?.consistentPoint.toString() ?? '0/0').then((p) => p.snapshotComplete());
        }
        if (!wantsStream || signal.aborted) return;

        stopHeartbeat.push(startHeartbeat(task.source.url, task.name, this.deps.heartbeatMs ?? 5_000, this.log));
        const tableMap = new Map(tables.map((t) => [t.key, t]));
        const streamFrom = new Map(
          Object.entries(state?.tables ?? {}).flatMap(([key, t]) => (t.streamFrom ? [[key, Lsn.parse(t.streamFrom)] as const] : [])),
        );
        await this.streamWithRetry(replication, tableMap, encoder, database, streamFrom, signal);
      } finally {
        await replication.close();
      }
    } finally {
      for (const stop of stopHeartbeat) stop();
      await offsets.close();
      await client.end().catch(() => undefined);
    }
  }

  private async streamWithRetry(
    first: ReplicationConnection,
    tables: Map<string, CapturedTable>,
    encoder: RecordEncoder,
    database: string,
    streamFrom: ReadonlyMap<string, Lsn>,
    signal: AbortSignal,
  ): Promise<void> {
    const { task } = this.deps;
    let connection: ReplicationConnection | null = first;
    const log = this.log.child({ phase: 'incremental' });
    await retry(
      async () => {
        connection ??= await ReplicationConnection.connect(task.source.url);
        const dispatcher = await this.dispatcher(`${task.name}-stream`);
        try {
          // After the producer has fenced any predecessor: what Kafka already holds.
          const sourceSystem = (await connection.identifySystem()).systemId;
          const alreadyCaptured = await readCapturedPosition(this.deps.kafka, topicNames(task.kafka.topicPrefix).transactions, sourceSystem);
          const source = new StreamingSource(connection, tables, encoder, dispatcher, {
            alreadyCaptured,
            sourceSystem,
            slot: task.source.slot,
            publication: task.source.publication,
            database,
            partitions: task.kafka.partitions,
            heartbeatTable: `${FERRY_SCHEMA}.${HEARTBEAT_TABLE}`,
            markerTable: `${FERRY_SCHEMA}.${CUTOVER_MARKER_TABLE}`,
            task: task.name,
            streamFrom,
            // Every Ferry sink tags its writes with an origin named ferry_<task>_<n>: a forward
            // sink's writes are not sent back by a backflow capture, nor a backflow sink's
            // writes sent forward again, so nothing echoes between the two databases.
            skipOrigins: (name) => name.startsWith('ferry'),
            maxBatchMs: 200,
            maxBatchRecords: 20_000,
            throttle: createThrottle(task.throttle.incremental),
          }, this.metrics, log);
          await source.run(signal);
        } catch (error) {
          // A failed stream leaves its connection unusable; the slot re-sends what was not confirmed.
          await connection.close();
          connection = null;
          throw error instanceof FerryError ? error : new ConnectionError(`streaming stopped: ${(error as Error).message}`, { cause: error });
        } finally {
          await dispatcher.close();
        }
      },
      {
        maxElapsedMs: task.retry.connectionMinutes * 60_000,
        signal,
        onRetry: ({ attempt, delayMs, error }) =>
          log.warn({ attempt, delayMs, err: error }, 'streaming failed; resuming from the slot after a pause'),
      },
    );
  }

  /** A temporary slot (gone with its connection) whose exported snapshot has an exact consistent point. */
  private async resumeSnapshot(url: string, slot: string): Promise<{ connection: ReplicationConnection; slot: CreatedSlot }> {
    const connection = await ReplicationConnection.connect(url);
    try {
      const created = await connection.createSlot(`${slot}_resume`, { temporary: true, exportSnapshot: true });
      this.log.info({ consistentPoint: created.consistentPoint.toString() }, 'resuming the snapshot from a new consistent point');
      return { connection, slot: created };
    } catch (error) {
      await connection.close();
      throw error;
    }
  }

  private async dispatcher(transactionalId: string): Promise<KafkaDispatcher> {
    const dispatcher = new KafkaDispatcher(this.deps.kafka, { transactionalId }, this.log);
    await dispatcher.connect();
    return dispatcher;
  }

  private async ensureTopics(tables: CapturedTable[], topics: ReturnType<typeof topicNames>): Promise<void> {
    const { task, kafka } = this.deps;
    const rf = task.kafka.replicationFactor;
    const specs: TopicSpec[] = [
      { topic: topics.transactions, partitions: 1, replicationFactor: rf },
      { topic: topics.heartbeat, partitions: 1, replicationFactor: rf, compacted: true },
      { topic: topics.ddl, partitions: 1, replicationFactor: rf },
      { topic: topics.offsets, partitions: 1, replicationFactor: rf, compacted: true },
      { topic: topics.task, partitions: 1, replicationFactor: rf, compacted: true },
      ...tables.flatMap((t) => [
        // Room for a row with large TOAST values, and for a batch of snapshot rows.
        { topic: t.topic, partitions: task.kafka.partitions, replicationFactor: rf, configs: { 'max.message.bytes': String(16 * 1024 * 1024) } },
        // One partition: a table's end-of-snapshot marker follows all its chunks.
        { topic: t.snapshotTopic, partitions: 1, replicationFactor: rf, configs: { 'max.message.bytes': String(16 * 1024 * 1024) } },
      ]),
    ];
    const admin = kafka.admin();
    await admin.connect();
    try {
      const created = await ensureTopics(admin, specs);
      if (created.length > 0) this.log.info({ created: created.length }, 'created topics');
    } finally {
      await admin.disconnect();
    }
  }
}
