import { retry } from '@ferry/core';
import type { Admin, ITopicConfig } from 'kafkajs';

export interface TopicSpec {
  topic: string;
  partitions: number;
  replicationFactor: number;
  /** Keep only the newest message per key (offsets, task state). */
  compacted?: boolean;
  /** Extra topic configs, e.g. { 'retention.ms': '-1' }. */
  configs?: Record<string, string>;
}

/**
 * Creates the topics that do not exist yet; existing ones are left as they are.
 * Returns those created, once the broker serves metadata for every partition of
 * them: a freshly started broker may briefly answer "does not host this
 * topic-partition" for a new topic, which is retried rather than returned.
 */
export async function ensureTopics(admin: Admin, specs: TopicSpec[], maxWaitMs = 60_000): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length === 0) return [];
  const topics: ITopicConfig[] = missing.map((s) => ({
    topic: s.topic,
    numPartitions: s.partitions,
    replicationFactor: s.replicationFactor,
    configEntries: Object.entries({
      ...(s.compacted ? { 'cleanup.policy': 'compact' } : {}),
      ...s.configs,
    }).map(([name, value]) => ({ name, value })),
  }));
  await retry(
    async () => {
      try {
        await admin.createTopics({ topics, waitForLeaders: true });
      } catch (error) {
        // Another process, or an earlier attempt, created them first: that is fine.
        if ((error as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw error;
      }
      const meta = await admin.fetchTopicMetadata({ topics: missing.map((s) => s.topic) });
      const ready = meta.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      if (!ready) throw Object.assign(new Error('new topics have no leader yet'), { retriable: true });
    },
    { maxElapsedMs: maxWaitMs, initialDelayMs: 200, maxDelayMs: 2_000 },
  );
  return missing.map((s) => s.topic);
}
