import type { Logger } from '@ferry/observability';
import type { Admin } from 'kafkajs';
import type { SinkMetrics } from './sink-metrics.js';

const SAMPLE_EVERY_MS = 5_000;

/**
 * Every few seconds: for each partition this sink holds, the topic's end offset
 * (high-water mark) and the destination's next offset, into the metrics.
 */
export function startLagSampler(
  admin: Admin,
  assigned: () => ReadonlyMap<string, readonly number[]>,
  positions: ReadonlyMap<string, bigint>,
  metrics: SinkMetrics,
  log: Logger,
): () => void {
  let busy = false;
  const sample = async () => {
    if (busy) return;
    busy = true;
    try {
      const samples = [];
      for (const [topic, partitions] of assigned()) {
        if (partitions.length === 0) continue;
        const offsets = await admin.fetchTopicOffsets(topic);
        for (const o of offsets) {
          if (!partitions.includes(o.partition)) continue;
          samples.push({
            topic,
            partition: o.partition,
            endOffset: BigInt(o.high),
            position: positions.get(`${topic}:${o.partition}`) ?? BigInt(o.low),
            sampledAtMs: Date.now(),
          });
        }
      }
      metrics.partitionLagSampled(samples);
    } catch (error) {
      log.debug({ err: error }, 'could not sample the consumer lag; trying again shortly');
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void sample(), SAMPLE_EVERY_MS);
  timer.unref();
  void sample();
  return () => clearInterval(timer);
}
