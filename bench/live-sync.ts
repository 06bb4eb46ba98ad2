import type { BenchRun, Pipeline } from './bench-run.js';
import { cpuByRole, cpuDelta, type ProcessGroups } from './cpu.js';
import type { BenchDatabase } from './databases.js';
import { MarkerWriter, markerLags, SinkTableSampler } from './lag.js';
import { pgbenchRun, type PgbenchResult } from './pgbench.js';
import { percentile, round } from './stats.js';

export interface LagFigures {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface LiveRun {
  pgbench: PgbenchResult;
  /** Marker rows: destination arrival − source insert. */
  lag: LagFigures | null;
  /** Until the destination matched after pgbench stopped. */
  catchUpMs: number | null;
  /** CPU seconds per replication role from pgbench's start until the destination matched. */
  cpu: Record<string, number>;
}

export interface LiveResult {
  none: PgbenchResult[];
  native: { max: LiveRun; rate: LiveRun };
  ferry: {
    max: LiveRun;
    rate: LiveRun;
    /** Ferry's bookkeeping during the rate run: now − last_commit_ms of pgbench_history's row, every 200 ms. */
    sinkTableLag: LagFigures | null;
    /** For each heartbeat applied during the rate run: updated_at − its source commit time. */
    heartbeatLag: LagFigures | null;
  };
}

const MARKER_EVERY_MS = 100;
const SAMPLE_EVERY_MS = 200;

/**
 * pgbench TPS for the same time and client count with no replication, with native
 * replication and with Ferry, each alone; then at a fixed rate, the lag from marker rows.
 * Each replicated run starts and ends with the destination in sync.
 */
export async function measureLiveSync(run: BenchRun): Promise<LiveResult> {
  const { options } = run;
  const plain = { seconds: options.liveSeconds, clients: options.clients, threads: options.threads };
  const none: PgbenchResult[] = [];
  let since = await run.sourceNow();

  run.say(`live: pgbench ${options.liveSeconds} s, no replication running`);
  none.push(await pgbenchRun(run.source.url, plain));
  run.noteLoad('live: none');

  run.say('live: native replication enabled; catching up first');
  await run.native.enable();
  await run.waitInSync(run.dest.native, since, 500);
  since = await run.sourceNow();
  const nativeMax = await liveRun(run, run.dest.native, plain, since, null, await run.nativeProcesses());
  since = await run.sourceNow();
  const nativeRate = await liveRun(run, run.dest.native, { ...plain, rate: options.rate }, since, null, await run.nativeProcesses());
  await run.native.disable();
  run.noteLoad('live: native');

  run.say('live: Ferry started; catching up first');
  const pipeline = run.startPipeline(run.e2e, 'live', true);
  let ferryMax: LiveRun;
  let ferryRate: LiveRun;
  const sampler = new SinkTableSampler(run.dest.ferry.url, run.e2e.group);
  try {
    await run.waitInSync(run.dest.ferry, since, 500);
    since = await run.sourceNow();
    ferryMax = await liveRun(run, run.dest.ferry, plain, since, pipeline, await run.ferryProcesses(run.e2e, pipeline));
    since = await run.sourceNow();
    await sampler.start(SAMPLE_EVERY_MS);
    ferryRate = await liveRun(run, run.dest.ferry, { ...plain, rate: options.rate }, since, pipeline, await run.ferryProcesses(run.e2e, pipeline), () => sampler.stop());
  } finally {
    await sampler.stop();
    run.noteLoad('live: ferry');
    await run.stopPipeline(pipeline);
  }

  run.say(`live: pgbench ${options.liveSeconds} s, no replication running (again, to see drift)`);
  none.push(await pgbenchRun(run.source.url, plain));

  return {
    none,
    native: { max: nativeMax, rate: nativeRate },
    ferry: { max: ferryMax, rate: ferryRate, sinkTableLag: lagFigures(sampler.tableLags), heartbeatLag: lagFigures(sampler.heartbeatLags) },
  };
}

async function liveRun(
  run: BenchRun,
  dest: BenchDatabase,
  bench: { seconds: number; clients: number; threads: number; rate?: number },
  since: Date,
  pipeline: Pipeline | null,
  processes: ProcessGroups,
  onBenchDone?: () => Promise<void>,
): Promise<LiveRun> {
  const who = pipeline ? 'Ferry' : 'native';
  run.say(`live: pgbench ${bench.seconds} s ${bench.rate ? `at ${bench.rate} TPS` : 'unthrottled'} with ${who} replication`);
  const cpuBefore = cpuByRole(processes);
  const markers = new MarkerWriter(run.source.url, run.markerBlock());
  await markers.start(MARKER_EVERY_MS);
  let result: PgbenchResult;
  try {
    result = await pgbenchRun(run.source.url, bench);
  } finally {
    await markers.stop();
  }
  await onBenchDone?.();
  const caughtUpStart = performance.now();
  await run.waitInSync(dest, since, 200);
  const catchUpMs = Math.round(performance.now() - caughtUpStart);
  const cpu = cpuDelta(cpuBefore, cpuByRole(processes));
  if (pipeline) run.checkAlive(pipeline);
  const lags = await markerLags(dest.url, markers.firstId, markers.lastId);
  run.say(`live: ${who}: ${result.tps.toFixed(0)} TPS, lag p99 ${Math.round(percentile(lags, 99))} ms, caught up ${catchUpMs} ms after pgbench stopped`);
  return { pgbench: result, lag: lagFigures(lags), catchUpMs, cpu };
}

function lagFigures(values: readonly number[]): LagFigures | null {
  if (values.length === 0) return null;
  return { samples: values.length, p50Ms: round(percentile(values, 50)), p99Ms: round(percentile(values, 99)), maxMs: round(Math.max(...values)) };
}
