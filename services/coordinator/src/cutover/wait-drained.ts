import { ObjectSelection, type TaskConfig } from '@ferry/config';
import { FerryError } from '@ferry/core';
import { topicNames } from '@ferry/kafka';
import { listTables, openClient } from '@ferry/pg';
import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import { sinkGroupId } from '../workflow/progress.js';

export interface PartitionEnd {
  topic: string;
  partition: number;
  /** The partition's end offset (the offset its next record will get). */
  end: bigint;
}

export interface PartitionBehind extends PartitionEnd {
  /** The next offset the destination has not applied (ferry.sink_offsets). */
  applied: bigint;
}

export interface Drained {
  destination: string;
  markerLsn: string;
  partitions: number;
  seconds: number;
}

export interface DrainSettings {
  task: TaskConfig;
  destinationIndex: number;
  kafka: Kafka;
  markerId: string;
  timeoutMs: number;
  signal: AbortSignal;
}

/** Partitions whose applied offset has not reached the end offset. Pure. */
export function partitionsBehind(ends: readonly PartitionEnd[], applied: ReadonlyMap<string, bigint>): PartitionBehind[] {
  return ends
    .map((p) => ({ ...p, applied: applied.get(`${p.topic}:${p.partition}`) ?? 0n }))
    .filter((p) => p.applied < p.end);
}

/**
 * Step 3b: waits until the destination has applied every change committed on the source
 * before the cutover marker ("drained").
 *
 * Table topics are partitioned and sinks apply partitions independently, so the marker
 * record itself (on the one-partition heartbeat topic) says nothing about the table
 * partitions. Two facts together do:
 *  (a) the sink has received the marker (ferry.sink_markers). Capture writes whole source
 *      transactions in WAL commit order, one Kafka transaction after another, and the sink
 *      reads committed records only: once the marker is visible, every change committed
 *      before it on the source is committed in Kafka, at offsets below the end offsets
 *      read from now on;
 *  (b) then the end offset of every partition of every table topic is read, and the wait
 *      goes on until ferry.sink_offsets (written in the same destination transactions as
 *      the rows) reaches it on every partition. Sinks move their stored offset past
 *      transaction markers too, so a fully applied partition stores exactly its end offset.
 * Later records (backflow is not running yet, writes are fenced) can only delay this, never
 * make it wrong. When it holds, the coordinator stamps the marker's drained_at.
 */
export async function waitUntilDrained(settings: DrainSettings): Promise<Drained> {
  const { task, destinationIndex, kafka, markerId, signal } = settings;
  const destination = task.destinations[destinationIndex]!;
  const group = sinkGroupId(task, destination);
  const started = Date.now();
  const deadline = started + settings.timeoutMs;
  const topics = await tableTopics(task);
  const client = await openClient(destination.url, { applicationName: 'ferry-cutover', role: 'destination' });
  try {
    let markerLsn: string | null;
    while ((markerLsn = await receivedMarker(client, group, markerId)) === null) {
      await pause(deadline, signal, `the cutover marker has not reached destination "${destination.name}" (is capture running, and its sink?)`);
    }
    const ends = await endOffsets(kafka, topics);
    for (;;) {
      const behind = partitionsBehind(ends, await appliedOffsets(client, group));
      if (behind.length === 0) break;
      const first = behind[0]!;
      await pause(
        deadline,
        signal,
        `destination "${destination.name}" has not applied ${behind.length} partition(s) up to the marker, e.g. ${first.topic} partition ${first.partition}: ${first.applied} of ${first.end}`,
      );
    }
    await client.query('UPDATE ferry.sink_markers SET drained_at = now() WHERE consumer_group = $1 AND marker = $2', [group, markerId]);
    return { destination: destination.name, markerLsn, partitions: ends.length, seconds: (Date.now() - started) / 1000 };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The change topics of the selected tables (snapshot topics are complete once sync runs). */
async function tableTopics(task: TaskConfig): Promise<string[]> {
  const selection = new ObjectSelection(task.objects);
  const names = topicNames(task.kafka.topicPrefix);
  const source = await openClient(task.source.url, { applicationName: 'ferry-cutover', role: 'source' });
  try {
    const tables = await listTables(source);
    return tables
      .filter((t) => t.kind === 'table' && t.extension === null && selection.includesTable(t.schema, t.name))
      .map((t) => names.table(t.schema, t.name));
  } finally {
    await source.end().catch(() => undefined);
  }
}

async function endOffsets(kafka: Kafka, topics: readonly string[]): Promise<PartitionEnd[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends: PartitionEnd[] = [];
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) ends.push({ topic, partition: p.partition, end: BigInt(p.high) });
    }
    return ends;
  } finally {
    await admin.disconnect();
  }
}

async function receivedMarker(client: pg.ClientBase, group: string, markerId: string): Promise<string | null> {
  // A sink older than cutover markers has no such table: the marker never arrives.
  const exists = await client.query<{ present: string }>(`SELECT (to_regclass('ferry.sink_markers') IS NOT NULL)::text AS present`);
  if (exists.rows[0]!.present !== 'true') return null;
  const { rows } = await client.query<{ lsn: string }>('SELECT lsn FROM ferry.sink_markers WHERE consumer_group = $1 AND marker = $2', [group, markerId]);
  return rows[0]?.lsn ?? null;
}

async function appliedOffsets(client: pg.ClientBase, group: string): Promise<Map<string, bigint>> {
  const { rows } = await client.query<{ topic: string; partition: string; next_offset: string }>(
    'SELECT topic, partition::text, next_offset::text FROM ferry.sink_offsets WHERE consumer_group = $1',
    [group],
  );
  return new Map(rows.map((r) => [`${r.topic}:${r.partition}`, BigInt(r.next_offset)]));
}

async function pause(deadline: number, signal: AbortSignal, waitingFor: string): Promise<void> {
  // context.waitingFor: what was still missing, for callers that word their own message.
  if (signal.aborted) throw new FerryError('CUTOVER_STOPPED', `stopped by a signal while waiting: ${waitingFor}`, { context: { waitingFor } });
  if (Date.now() > deadline) {
    throw new FerryError('CUTOVER_DRAIN_TIMEOUT', `the destination did not drain in time: ${waitingFor}`, {
      context: { waitingFor },
      fix: 'check with ferry status that capture and the sinks run and keep up, then cut over again (a larger --drain-timeout-seconds gives them longer)',
    });
  }
  await new Promise((resolve) => setTimeout(resolve, 250));
}
