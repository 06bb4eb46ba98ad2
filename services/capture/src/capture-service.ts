import type { TaskConfig } from '@ferry/config';
import { ObjectSelection, patternToRegExp, skippedOrigins } from '@ferry/config';
import { ConnectionError, createThrottle, FerryError, Lsn, retry } from '@ferry/core';
import { ensureTopics, StateTopic, topicNames, type TopicSpec } from '@ferry/kafka';
import type { Logger } from '@ferry/observability';
import { openClient } from '@ferry/pg';
import { ReplicationConnection, type CreatedSlot } from '@ferry/pgoutput';
import type { Kafka } from 'kafkajs';
import type { TableDefinition } from '@ferry/avro';
import type pg from 'pg';
import type { CapturedTable, SourceTableDescription } from './captured-table.js';
import { CaptureMetrics } from './capture-metrics.js';
import { KafkaDispatcher, type OutgoingRecord } from './dispatch/kafka-dispatcher.js';
import { RecordEncoder, type SchemaRegistrar } from './dispatch/record-encoder.js';
import { SnapshotProgress, type SnapshotState } from './snapshot/snapshot-progress.js';
import { SnapshotSource } from './snapshot/snapshot-source.js';
import { DdlCapture } from './ddl/ddl-capture.js';
import { DDL_LOG_TABLE, installDdlCapture, readTableTopics, rememberTableTopics, removeDdlCapture, type TableTopics } from './ddl/ddl-source-objects.js';
import { describeSourceTables } from './source-catalog.js';
import { TableAddition } from './table-addition.js';
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
import { readCurrentRow } from './streaming/current-row.js';
import { StreamingSource } from './streaming/streaming-source.js';
import { spoolDirectory, TransactionSpool } from './streaming/transaction-spool.js';
import { slotLostError, wantsFailoverSlot } from './slot-loss.js';

export interface CaptureDependencies {
  task: TaskConfig;
  kafka: Kafka;
  registrar: SchemaRegistrar;
  log: Logger;
  metrics?: CaptureMetrics;
  /** Heartbeat interval; a few seconds in production, shorter in tests. */
  heartbeatMs?: number;
  /** The task file: tables it newly selects while streaming join the task (TableAddition). */
  taskFile?: { path: string; read: () => TaskConfig };
}

/**
 * Capture's coordinator, in the spirit of Debezium's: prepare the source, take
 * the snapshot if it is not complete, then stream from the slot until stopped.
 * Each step resumes from what the slot and the offsets topic say was done.
 */
export class CaptureService {
  readonly metrics: CaptureMetrics;
  private readonly log: Logger;
  private serverMajor = 0;

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
      this.serverMajor = serverMajor;
      const database = String((await client.query('SELECT current_database() AS db')).rows[0].db);
      const descriptions = await describeSourceTables(client, selection);
      // DDL capture needs its event trigger before the publication lists its log table.
      const ddl = task.ddl.capture && (await this.installDdlCapture(client));
      // Switched off after running with it: the trigger must no longer add tables to this publication.
      if (!task.ddl.capture) {
        await removeDdlCapture(client, task.source.publication).catch((error: unknown) =>
          this.log.warn({ err: error }, 'could not unregister this task from DDL capture on the source; new tables may still be added to its publication'),
        );
      }
      if (ddl) await describeDefinitions(client, descriptions);
      // A table renamed during sync stays on the topics it had (recorded by oid on the source).
      const known = ddl ? await readTableTopics(client, task.source.publication) : new Map<number, TableTopics>();
      const names = new Map(
        descriptions.map((d) => [d.oid, known.get(d.oid) ?? { topic: topics.table(d.schema, d.name), snapshotTopic: topics.snapshot(d.schema, d.name) }]),
      );
      if (ddl) await rememberTableTopics(client, task.source.publication, new Map([...names].filter(([oid]) => !known.has(oid))));
      const encoder = new RecordEncoder(this.deps.registrar, topics);
      await this.ensureTopics([...names.values()], topics);
      await encoder.registerControlTopics();
      const tables: CapturedTable[] = [];
      for (const description of descriptions) tables.push(await encoder.prepareTable(description, selection, names.get(description.oid)));
      this.log.info({ phase: 'prepare', tables: tables.length, ddlCapture: ddl }, `capturing ${tables.length} tables`);
      await prepareSource(client, { publication: task.source.publication, serverMajor, rowFilters: serverMajor >= 15, ddlLog: ddl, selection }, tables, this.log);

      const wantsSnapshot = task.phases.includes('full');
      const wantsStream = task.phases.includes('incremental');
      let state = await SnapshotProgress.load(offsets);
      const slot = await slotExists(client, task.source.slot);
      const replication = await this.connectForStreaming();
      let created: CreatedSlot | null = null;
      try {
        if (!slot.exists) {
          // The task started before (its snapshot state exists), so the slot was made and then lost:
          // never a silent new slot (a gap) nor a silent new snapshot (rows deleted meanwhile would stay).
          if (state && wantsStream) throw slotLostError(task.source.slot, serverMajor, 'start');
          const inRecovery = String((await client.query('SELECT pg_is_in_recovery()::text AS r')).rows[0].r) === 'true';
          const failover = wantsFailoverSlot(task.source.failoverSlot, serverMajor, inRecovery);
          created = await replication.createSlot(task.source.slot, { exportSnapshot: true, failover });
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
        const ddlCapture = ddl
          ? new DdlCapture({
              tables: tableMap,
              selection,
              encoder,
              ensureTopics: (table) => this.ensureTopics([table], topics),
              rememberTopic: async (table) => {
                const entry = new Map([[table.description.oid, { topic: table.topic, snapshotTopic: table.snapshotTopic }]]);
                await rememberTableTopics(client, task.source.publication, entry).catch((error: unknown) =>
                  this.log.warn({ err: error, table: table.key }, 'could not record the topic of a new table; if it is renamed and capture restarts, its events move to a topic named after the new name'),
                );
              },
              partitions: task.kafka.partitions,
              log: this.log.child({ phase: 'incremental' }),
            })
          : undefined;
        const additions = wantsSnapshot && state
          ? this.tableAddition(state, offsets, { tables: tableMap, streamFrom, encoder, database, ddl, client, selection })
          : undefined;
        // Tables selected but never copied (an interrupted addition; without DDL capture, also a table selected while stopped).
        await additions?.resume(ddl ? [] : tables.filter((t) => !state?.tables[t.key]).map((t) => t.key));
        await additions?.start();
        try {
          await this.streamWithRetry(replication, tableMap, encoder, database, streamFrom, signal, ddlCapture, additions && ((publish) => additions.atTransactionBoundary(signal, publish)));
        } finally {
          await additions?.stop();
        }
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
    ddlCapture?: DdlCapture,
    betweenTransactions?: (publish: (record: OutgoingRecord) => Promise<void>) => Promise<void>,
  ): Promise<void> {
    const { task } = this.deps;
    const { largeTransactions } = task.source;
    let connection: ReplicationConnection | null = first;
    const log = this.log.child({ phase: 'incremental' });
    await retry(
      async () => {
        connection ??= await this.connectForStreaming();
        const dispatcher = await this.dispatcher(`${task.name}-stream`);
        try {
          // After the producer has fenced any predecessor: what Kafka already holds.
          const sourceSystem = (await connection.identifySystem()).systemId;
          const alreadyCaptured = await readCapturedPosition(this.deps.kafka, topicNames(task.kafka.topicPrefix).transactions, sourceSystem);
          const source = new StreamingSource(connection, tables, encoder, dispatcher, {
            alreadyCaptured,
            sourceSystem,
            readCurrentRow: (table, key, columns) => readCurrentRow(task.source.url, table, key, columns),
            slot: task.source.slot,
            publication: task.source.publication,
            database,
            partitions: task.kafka.partitions,
            heartbeatTable: `${FERRY_SCHEMA}.${HEARTBEAT_TABLE}`,
            markerTable: `${FERRY_SCHEMA}.${CUTOVER_MARKER_TABLE}`,
            task: task.name,
            streamFrom,
            ...(ddlCapture ? { ddl: { table: `${FERRY_SCHEMA}.${DDL_LOG_TABLE}`, capture: ddlCapture } } : {}),
            // Every Ferry sink tags its writes with an origin named ferry_<task>_<n>: a forward
            // sink's writes are not sent back by a backflow capture, nor a backflow sink's
            // writes sent forward again, so nothing echoes between the two databases.
            // source.forwardReplicated (cascade) carries other tasks' writes on.
            skipOrigins: skippedOrigins(task.name, task.source.forwardReplicated),
            maxBatchMs: 200,
            maxBatchRecords: 20_000,
            throttle: createThrottle(task.throttle.incremental),
            ...(betweenTransactions ? { betweenTransactions } : {}),
            ...(largeTransactions.streaming ? { spool: new TransactionSpool(spoolDirectory(task.name, largeTransactions.spoolDirectory)) } : {}),
          }, this.metrics, log);
          await source.run(signal);
        } catch (error) {
          // A failed stream leaves its connection unusable; the slot re-sends what was not confirmed.
          await connection.close();
          connection = null;
          // Unless the slot itself is gone (dropped, or a failover): then no retry can help.
          if ((await this.slotPresent()) === false) throw slotLostError(task.source.slot, this.serverMajor, 'streaming');
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

  /** Adding tables the task file newly selects, with a snapshot of each while streaming goes on. */
  private tableAddition(
    state: SnapshotState,
    offsets: StateTopic,
    run: { tables: Map<string, CapturedTable>; streamFrom: Map<string, Lsn>; encoder: RecordEncoder; database: string; ddl: boolean; client: pg.Client; selection: ObjectSelection },
  ): TableAddition | undefined {
    const { task, taskFile } = this.deps;
    if (!taskFile) return undefined;
    const topics = topicNames(task.kafka.topicPrefix);
    return new TableAddition({
      sourceUrl: task.source.url,
      publication: task.source.publication,
      slot: task.source.slot,
      database: run.database,
      serverMajor: this.serverMajor,
      chunkRows: task.snapshot.chunkRows,
      throttle: createThrottle(task.throttle.full),
      taskFile: taskFile.path,
      selection: run.selection,
      readSelection: () => new ObjectSelection(taskFile.read().objects),
      tables: run.tables,
      streamFrom: run.streamFrom,
      progress: SnapshotProgress.resume(offsets, state),
      encoder: run.encoder,
      prepareTable: async (description, selection) => {
        if (run.ddl) await describeDefinitions(run.client, [description]);
        const table = await run.encoder.prepareTable(description, selection);
        await this.ensureTopics([table], topics);
        if (run.ddl) await rememberTableTopics(run.client, task.source.publication, new Map([[description.oid, { topic: table.topic, snapshotTopic: table.snapshotTopic }]]));
        return table;
      },
      newDispatcher: (name) => this.dispatcher(`${task.name}-${name}`),
      partitions: task.kafka.partitions,
      metrics: this.metrics,
      log: this.log.child({ phase: 'add-table' }),
    });
  }

  /** Whether the task's slot exists; undefined when the source cannot be asked (it may be restarting). */
  private async slotPresent(): Promise<boolean | undefined> {
    const { task } = this.deps;
    const client = await openClient(task.source.url, { applicationName: 'ferry-capture', role: 'source' }).catch(() => undefined);
    if (!client) return undefined;
    try {
      return await slotExists(client, task.source.slot).then((slot) => slot.exists, () => undefined);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** The walsender session that streams: its logical_decoding_work_mem decides when a transaction is streamed. */
  private connectForStreaming(): Promise<ReplicationConnection> {
    const { url, largeTransactions } = this.deps.task.source;
    const memoryKb = largeTransactions.decodingMemoryKb;
    return ReplicationConnection.connect(url, memoryKb === undefined ? {} : { settings: { logical_decoding_work_mem: `${memoryKb}kB` } });
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
    const dispatcher = new KafkaDispatcher(this.deps.kafka, { transactionalId, onCommitted: (bytes) => this.metrics.bytesCommitted(bytes) }, this.log);
    await dispatcher.connect();
    return dispatcher;
  }

  /** Event trigger and registration of DDL capture; false when the source does not allow it (warned). */
  private async installDdlCapture(client: pg.Client): Promise<boolean> {
    const { task } = this.deps;
    return installDdlCapture(
      client,
      {
        task: task.name,
        publication: task.source.publication,
        include: task.objects.include.map((p) => patternToRegExp(p).source),
        exclude: task.objects.exclude.map((p) => patternToRegExp(p).source),
      },
      this.log,
    );
  }

  private async ensureTopics(tables: readonly { topic: string; snapshotTopic: string }[], topics: ReturnType<typeof topicNames>): Promise<void> {
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

/** The event trigger's description of each captured table (indexes, constraints): DROP INDEX finds its table there. */
async function describeDefinitions(client: pg.Client, descriptions: SourceTableDescription[]): Promise<void> {
  if (descriptions.length === 0) return;
  // One round trip for every table, however many the task has.
  const { rows } = await client.query<{ oid: string; d: string | null }>(
    `SELECT t.oid::text AS oid, ${FERRY_SCHEMA}.describe_table(t.oid)::text AS d FROM unnest($1::oid[]) AS t(oid)`,
    [descriptions.map((d) => d.oid)],
  );
  const byOid = new Map(rows.map((r) => [r.oid, r.d]));
  for (const description of descriptions) {
    const definition = byOid.get(String(description.oid));
    if (definition) description.definition = JSON.parse(definition) as TableDefinition;
  }
}

