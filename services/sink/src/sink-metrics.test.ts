import { describe, expect, it } from 'vitest';
import { SinkMetrics } from './sink-metrics.js';

describe('SinkMetrics', () => {
  it('keeps counters, batch histograms and the lag of the partitions held', () => {
    const metrics = new SinkMetrics();
    metrics.batchApplied(100, 40, 1_000, 5_000);
    metrics.batchApplied(3, 4, null, 300);
    expect([metrics.eventsApplied, metrics.batches, metrics.bytesApplied, metrics.lastBatchSize, metrics.lastSourceCommitMs]).toEqual([103, 2, 5_300, 3, 1_000]);
    expect(metrics.batchSizes.count).toBe(2);
    expect(metrics.batchDurationsMs.sum).toBe(44);
    metrics.partitionLagSampled([
      { topic: 't', partition: 0, endOffset: 50n, position: 20n, sampledAtMs: 1 },
      { topic: 't', partition: 1, endOffset: 7n, position: 9n, sampledAtMs: 1 },
    ]);
    expect(metrics.lagEvents()).toBe(30);
    expect(metrics.partitionLag.get('t:1')?.lag).toBe(0n);
    // A new sample replaces the old: a revoked partition disappears.
    metrics.partitionLagSampled([{ topic: 't', partition: 1, endOffset: 12n, position: 9n, sampledAtMs: 2 }]);
    expect([...metrics.partitionLag.keys()]).toEqual(['t:1']);
    expect(metrics.lagSeconds(3_500)).toBe(2.5);
  });
});
