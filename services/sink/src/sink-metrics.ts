import type { Registry } from '@ferry/metrics';

/** Consumer lag of one partition, sampled: the topic's end offset and where the destination is. */
export interface PartitionLag {
  topic: string;
  partition: number;
  /** High-water mark: the offset after the newest record. */
  endOffset: bigint;
  /** The destination's next offset (ferry.sink_offsets) for this partition. */
  position: bigint;
  /** Records between them; transaction markers count too, so an idle topic may show a few. */
  lag: bigint;
  sampledAtMs: number;
}

/** Bounds of the events-per-batch histogram. */
const BATCH_SIZE_BUCKETS = [1, 10, 100, 1_000, 5_000, 10_000, 50_000];

/**
 * Counters the sink keeps for logs, status and /metrics: the one place they live.
 * Counters only grow (rates are derived by the scraper); gauges are the `last*` fields,
 * the partition lag and lagSeconds().
 */
export class SinkMetrics {
  eventsApplied = 0;
  batches = 0;
  lastBatchMs = 0;
  lastBatchSize = 0;
  /** Commit time at the source of the newest applied change (ms since epoch). */
  lastSourceCommitMs: number | null = null;
  /** Kafka message bytes (keys and values) of applied batches. */
  bytesApplied = 0;
  /** Batches tried again because the destination refused an event (inside the retry window). */
  retries = 0;
  /** Events the destination refused or that could not be decoded, counted at every attempt. */
  errors = 0;
  /** Events set aside in the dead-letter topic (sink.deadLetter). */
  deadLetters = 0;
  /** Time spent waiting for sink.throttle. */
  throttledMs = 0;
  /** Per assigned partition, keyed "topic:partition"; refreshed every few seconds. */
  readonly partitionLag = new Map<string, PartitionLag>();
  /** Histograms of a registry (register) that each applied batch is observed in. */
  private readonly batchObservers: ((events: number, durationMs: number) => void)[] = [];

  /** Publishes these numbers in a Prometheus registry, read at each scrape. */
  register(registry: Registry, destination: string): void {
    const labels = { destination };
    const events = registry.counter('ferry_sink_events_applied_total', 'Events (change events and snapshot rows) applied to the destination.');
    const batches = registry.counter('ferry_sink_batches_total', 'Destination transactions that applied a slice of a partition.');
    const bytes = registry.counter('ferry_sink_bytes_applied_total', 'Kafka message bytes (keys and values) applied.');
    const refused = registry.counter('ferry_sink_refused_events_total', 'Events the destination refused or that could not be decoded, at every attempt.');
    const retried = registry.counter('ferry_sink_batch_retries_total', 'Slices tried again after the destination refused an event.');
    const dead = registry.counter('ferry_sink_dead_letters_total', 'Events set aside in the dead-letter topic.');
    const throttled = registry.counter('ferry_sink_throttled_seconds_total', 'Time spent waiting for sink.throttle.');
    const lag = registry.gauge('ferry_sink_lag_seconds', 'Seconds since the source commit of the newest applied change or heartbeat.');
    const lagRecords = registry.gauge('ferry_sink_lag_records', 'Records between the destination and the end of each partition this sink holds.');
    const sizes = registry.histogram('ferry_sink_batch_events', 'Events per destination transaction.', BATCH_SIZE_BUCKETS);
    const durations = registry.histogram('ferry_sink_batch_duration_seconds', 'Duration of a destination transaction.');
    this.batchObservers.push((n, ms) => {
      sizes.observe(n, labels);
      durations.observe(ms / 1000, labels);
    });
    registry.onCollect(() => {
      events.setTotal(this.eventsApplied, labels);
      batches.setTotal(this.batches, labels);
      bytes.setTotal(this.bytesApplied, labels);
      refused.setTotal(this.errors, labels);
      retried.setTotal(this.retries, labels);
      dead.setTotal(this.deadLetters, labels);
      throttled.setTotal(this.throttledMs / 1000, labels);
      lag.set(this.lagSeconds(), labels);
      lagRecords.reset();
      for (const p of this.partitionLag.values()) lagRecords.set(Number(p.lag), { destination, topic: p.topic, partition: String(p.partition) });
    });
  }

  batchApplied(events: number, durationMs: number, lastCommitMs: number | null, bytes = 0): void {
    this.eventsApplied += events;
    this.batches += 1;
    this.lastBatchMs = durationMs;
    this.lastBatchSize = events;
    this.bytesApplied += bytes;
    for (const observe of this.batchObservers) observe(events, durationMs);
    if (lastCommitMs !== null) this.lastSourceCommitMs = lastCommitMs;
  }

  eventsRefused(count: number): void {
    this.errors += count;
  }

  batchRetried(): void {
    this.retries += 1;
  }

  deadLettered(count: number): void {
    this.deadLetters += count;
  }

  throttled(ms: number): void {
    this.throttledMs += ms;
  }

  /** Replaces the lag of the partitions this sink holds now (others were revoked). */
  partitionLagSampled(samples: readonly Omit<PartitionLag, 'lag'>[]): void {
    this.partitionLag.clear();
    for (const s of samples) {
      const lag = s.endOffset > s.position ? s.endOffset - s.position : 0n;
      this.partitionLag.set(`${s.topic}:${s.partition}`, { ...s, lag });
    }
  }

  /** Records behind the topics' ends, over every partition this sink holds. */
  lagEvents(): number {
    let total = 0n;
    for (const p of this.partitionLag.values()) total += p.lag;
    return Number(total);
  }

  lagSeconds(now = Date.now()): number | null {
    return this.lastSourceCommitMs === null ? null : Math.max(0, (now - this.lastSourceCommitMs) / 1000);
  }
}
