import { Kafka, logLevel } from 'kafkajs';
import { topicSizesOnDisk } from './kafka-wire.js';

export interface TopicBytes {
  total: number;
  /** Snapshot topics (`<prefix>.snapshot.*`): the full load. */
  snapshot: number;
  /** Table topics: the change events. */
  changes: number;
  /** `_transactions`, `_heartbeat`, `_offsets`, ...: Ferry's bookkeeping. */
  control: number;
}

/** The task's bytes on the broker's disks (DescribeLogDirs), split by kind of topic. */
export async function taskTopicBytes(broker: string, prefix: string): Promise<TopicBytes> {
  const sizes = await topicSizesOnDisk(broker);
  const out: TopicBytes = { total: 0, snapshot: 0, changes: 0, control: 0 };
  for (const [topic, bytes] of sizes) {
    if (!topic.startsWith(`${prefix}.`)) continue;
    const rest = topic.slice(prefix.length + 1);
    if (rest.startsWith('snapshot.')) out.snapshot += bytes;
    else if (rest.startsWith('_')) out.control += bytes;
    else out.changes += bytes;
    out.total += bytes;
  }
  return out;
}

/** Deletes the task's topics, its consumer group and its schema registry subjects. */
export async function deleteTaskStreams(brokers: string[], registryUrl: string, prefix: string, groups: string[]): Promise<string[]> {
  const kafka = new Kafka({ clientId: 'ferry-bench', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  let topics: string[] = [];
  try {
    topics = (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`));
    await admin.deleteGroups(groups).catch(() => undefined);
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 60_000 });
  } finally {
    await admin.disconnect();
  }
  for (const topic of topics) {
    for (const subject of [`${topic}-key`, `${topic}-value`]) {
      const base = `${registryUrl.replace(/\/$/, '')}/subjects/${encodeURIComponent(subject)}`;
      // Confluent semantics: a soft delete first, then the permanent one.
      await fetch(base, { method: 'DELETE' }).catch(() => undefined);
      await fetch(`${base}?permanent=true`, { method: 'DELETE' }).catch(() => undefined);
    }
  }
  return topics;
}
