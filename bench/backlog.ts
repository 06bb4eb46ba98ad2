import type { BenchRun } from './bench-run.js';
import { cpuByRole, cpuDelta } from './cpu.js';
import { fingerprint, touchedAccounts, waitForFingerprint } from './fingerprint.js';
import { taskTopicBytes, type TopicBytes } from './kafka-topics.js';
import { pgbenchRun, type PgbenchResult } from './pgbench.js';

export interface BacklogResult {
  pgbench: PgbenchResult;
  /** Row changes pgbench made: 3 updates + 1 insert per transaction (+ the stop marker). */
  changes: number;
  /** CPU seconds per role (walsender, apply worker, capture, kafka, sink, ...) spent on the backlog. */
  /** destCommits: transactions committed on the destination while catching up. */
  native: { ms: number; changesPerS: number; cpu: Record<string, number>; destCommits: number };
  /** capturePublishedMs: until capture had committed the last backlog transaction to Kafka. */
  ferry: { ms: number; changesPerS: number; capturePublishedMs: number; cpu: Record<string, number>; destCommits: number };
  /**
   * Capture alone: until the last backlog transaction was committed to Kafka (its marker row
   * readable with read_committed). slotConfirmedMs: until the slot's confirmed_flush_lsn
   * passed it, which waits for the replication stream's next status update.
   */
  captureAlone: { ms: number; changesPerS: number; fromStreamStartMs: number; slotConfirmedMs: number; kafka: TopicBytes; cpu: Record<string, number> };
  /** Sink alone: capture-alone's backlog from Kafka into its own destination, until that matches. */
  sinkAlone: { ms: number; changesPerS: number; cpu: Record<string, number>; destCommits: number };
}

/**
 * With every pipeline stopped (native subscription disabled, Ferry's processes down, slots
 * kept), pgbench writes for N seconds; then each pipeline in turn is started alone on the
 * machine and timed until the destination holds every change.
 */
export async function measureBacklog(run: BenchRun): Promise<BacklogResult> {
  await run.native.disable();
  const published = { e2e: await run.markerTopicEnd(run.e2e), alone: await run.markerTopicEnd(run.alone) };
  const since = await run.sourceNow();
  run.say(`backlog: pgbench for ${run.options.backlogSeconds} s with every pipeline stopped`);
  const bench = await pgbenchRun(run.source.url, { seconds: run.options.backlogSeconds, clients: run.options.clients, threads: run.options.threads });
  const stopLsn = await run.commitMarker();
  const changes = bench.transactions * 4 + 1;
  const aids = await touchedAccounts(run.source.url, since);
  const want = await fingerprint(run.source.url, aids);
  run.noteLoad('backlog: pgbench');
  run.say(`backlog: ${bench.transactions} transactions (${changes} row changes) at ${bench.tps.toFixed(0)} TPS; up to ${stopLsn}`);

  run.say('backlog: native subscription enabled, until the destination matches');
  const nativeCommits = await run.commitsIn(run.dest.native);
  const nativeStart = performance.now();
  await run.native.enable();
  await waitForFingerprint(run.dest.native.url, want, aids, run.timeoutMs);
  const nativeMs = performance.now() - nativeStart;
  // The walsender and apply worker started with ENABLE: their whole CPU time is the backlog's.
  const nativeCpu = cpuDelta({}, cpuByRole(await run.nativeProcesses()));
  await run.native.disable();
  const nativeDestCommits = (await run.commitsIn(run.dest.native, 1_000)) - nativeCommits;
  run.noteLoad('backlog: native');

  run.say('backlog: Ferry capture and sink started, until the destination matches');
  const kafkaBefore = cpuByRole({ kafka: run.kafkaPid() });
  const ferryCommits = await run.commitsIn(run.dest.ferry);
  const ferryStart = Date.now();
  const e2e = run.startPipeline(run.e2e, 'backlog', true);
  const capturePublished = run.waitPublished(run.e2e, published.e2e, () => run.checkAlive(e2e)).then(() => Date.now() - ferryStart);
  await waitForFingerprint(run.dest.ferry.url, want, aids, run.timeoutMs);
  const ferryMs = Date.now() - ferryStart;
  const capturePublishedMs = await capturePublished;
  // Ferry's processes started now too (their CPU includes Node's start-up); Kafka's is the difference.
  const ferryCpu = cpuDelta(kafkaBefore, cpuByRole(await run.ferryProcesses(run.e2e, e2e)));
  run.noteLoad('backlog: ferry');
  await run.stopPipeline(e2e);
  const ferryDestCommits = (await run.commitsIn(run.dest.ferry, 1_000)) - ferryCommits;

  run.say('backlog: Ferry capture alone, until the backlog is committed in Kafka');
  const kafkaBeforeAlone = cpuByRole({ kafka: run.kafkaPid() });
  const aloneStart = Date.now();
  const alone = run.startPipeline(run.alone, 'backlog-alone', false);
  await run.waitPublished(run.alone, published.alone, () => run.checkAlive(alone));
  const aloneMs = Date.now() - aloneStart;
  const aloneCpu = cpuDelta(kafkaBeforeAlone, cpuByRole(await run.ferryProcesses(run.alone, alone)));
  await run.waitSlotPast(run.alone.slot, stopLsn, () => run.checkAlive(alone));
  const slotConfirmedMs = Date.now() - aloneStart;
  const streamStart = alone.capture.logTime('streaming changes from the slot')!;
  const kafka = await taskTopicBytes(run.services.brokers[0]!, run.alone.prefix);
  run.noteLoad('backlog: capture alone');
  await run.stopPipeline(alone);

  run.say('backlog: Ferry sink alone on capture-alone\'s output, until its destination matches');
  const sinkCommits = await run.commitsIn(run.dest.sinkAlone);
  const kafkaBeforeSink = cpuByRole({ kafka: run.kafkaPid() });
  const sinkStart = Date.now();
  const sink = run.startSink(run.sinkAlone, 'backlog-sink-alone');
  await waitForFingerprint(run.dest.sinkAlone.url, want, aids, run.timeoutMs);
  const sinkMs = Date.now() - sinkStart;
  const sinkCpu = cpuDelta(kafkaBeforeSink, cpuByRole(await run.ferryProcesses(run.sinkAlone, sink)));
  run.noteLoad('backlog: sink alone');
  await run.stopPipeline(sink);
  const sinkDestCommits = (await run.commitsIn(run.dest.sinkAlone, 1_000)) - sinkCommits;

  const perS = (ms: number) => Math.round(changes / (ms / 1000));
  return {
    pgbench: bench,
    changes,
    native: { ms: Math.round(nativeMs), changesPerS: perS(nativeMs), cpu: nativeCpu, destCommits: nativeDestCommits },
    ferry: { ms: ferryMs, changesPerS: perS(ferryMs), capturePublishedMs, cpu: ferryCpu, destCommits: ferryDestCommits },
    captureAlone: { ms: aloneMs, changesPerS: perS(aloneMs), fromStreamStartMs: aloneStart + aloneMs - streamStart, slotConfirmedMs, kafka, cpu: aloneCpu },
    sinkAlone: { ms: sinkMs, changesPerS: perS(sinkMs), cpu: sinkCpu, destCommits: sinkDestCommits },
  };
}
