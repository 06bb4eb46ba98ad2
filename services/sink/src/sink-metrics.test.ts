import { parseExposition, Registry, sampleValue } from '@ferry/metrics';
import { describe, expect, it } from 'vitest';
import { SinkMetrics } from './sink-metrics.js';

describe('SinkMetrics', () => {
  it('keeps counters, batch histograms and the lag of the partitions held', async () => {
    const metrics = new SinkMetrics();
    const registry = new Registry();
    metrics.register(registry, 'main');
    metrics.batchApplied(100, 40, 1_000, 5_000);
    metrics.batchApplied(3, 4, null, 300);
    expect([metrics.eventsApplied, metrics.batches, metrics.bytesApplied, metrics.lastBatchSize, metrics.lastSourceCommitMs]).toEqual([103, 2, 5_300, 3, 1_000]);
    const samples = parseExposition(await registry.render());
    expect(sampleValue(samples, 'ferry_sink_batch_events_count', { destination: 'main' })).toBe(2);
    expect(sampleValue(samples, 'ferry_sink_batch_events_bucket', { destination: 'main', le: '10' })).toBe(1);
    expect(sampleValue(samples, 'ferry_sink_batch_duration_seconds_sum', { destination: 'main' })).toBeCloseTo(0.044);
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
