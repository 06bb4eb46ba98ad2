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

/** Creates the topics that do not exist yet; existing ones are left as they are. Returns those created. */
export async function ensureTopics(admin: Admin, specs: TopicSpec[]): Promise<string[]> {
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
  try {
    await admin.createTopics({ topics, waitForLeaders: true });
  } catch (error) {
    // Another process may have created them between list and create: that is fine.
    if ((error as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw error;
  }
  return missing.map((s) => s.topic);
}
