import type { BenchRun, Pipeline } from './bench-run.js';
import { copyPipe } from './copy-pipe.js';
import { ALL_TABLES, PGBENCH_TABLES, rowCounts, type BenchDatabase } from './databases.js';
import type { FerryTask } from './ferry-process.js';
import { taskTopicBytes, type TopicBytes } from './kafka-topics.js';
import { waitUntil, withClient } from './sql.js';

export interface LoadFigures {
  ms: number;
  rowsPerS: number;
  mbPerS: number;
}

export interface FullLoadResult {
  rows: number;
  /** COPY text bytes of the data: the MB of MB/s (10^6 bytes). */
  copyBytes: number;
  copy: LoadFigures;
  native: LoadFigures;
  ferry: LoadFigures & {
    /** From start until capture logged "Snapshot step 4 - complete" (everything in Kafka). */
    captureDoneMs: number;
    kafka: TopicBytes;
  };
  /** Capture alone (no sink running): the snapshot into Kafka. */
  captureAlone: LoadFigures & { fromStep1Ms: number };
  /** Sink alone (capture stopped): capture-alone's snapshot from Kafka into an empty destination. */
  sinkAlone: LoadFigures;
}

/**
 * The same tables, loaded three ways one after another into empty destinations with
 * pgbench's DDL: a COPY pipe, native logical replication's initial copy, and Ferry end
 * to end. Then capture alone, to see how fast the snapshot reaches Kafka without a sink.
 */
export async function measureFullLoad(run: BenchRun): Promise<FullLoadResult> {
  const want = await rowCounts(run.source.url);
  const rows = Object.values(want).reduce((a, b) => a + b, 0);

  run.say(`full load: COPY pipe of ${rows.toLocaleString('en-US')} rows`);
  const copy = await copyPipe(run.source.url, run.dest.copy.url, PGBENCH_TABLES);
  await expectRows(run.dest.copy.url, want, 'COPY pipe');
  const copyBytes = copy.bytes;
  const figures = (ms: number): LoadFigures => ({ ms: Math.round(ms), rowsPerS: Math.round(rows / (ms / 1000)), mbPerS: round1(copyBytes / 1e6 / (ms / 1000)) });
  run.noteLoad('full load: copy');

  run.say('full load: native logical replication (CREATE SUBSCRIPTION, until every table is ready)');
  await run.native.createPublication(ALL_TABLES);
  const nativeStart = performance.now();
  await run.native.createSubscription();
  await run.native.waitAllReady(run.timeoutMs);
  const nativeMs = performance.now() - nativeStart;
  await expectRows(run.dest.native.url, want, 'native replication');
  run.noteLoad('full load: native');

  run.say('full load: Ferry end to end (capture and sink started together)');
  const ferryStart = Date.now();
  const e2e = run.startPipeline(run.e2e, 'full-load', true);
  await waitSnapshotApplied(run, run.dest.ferry, run.e2e, e2e);
  const ferryMs = Date.now() - ferryStart;
  const captureDoneMs = e2e.capture.logTime('Snapshot step 4 - complete')! - ferryStart;
  await expectRows(run.dest.ferry.url, want, 'Ferry');
  await e2e.capture.waitForLog('streaming changes from the slot', 60_000);
  const kafka = await taskTopicBytes(run.services.brokers[0]!, run.e2e.prefix);
  run.noteLoad('full load: ferry');
  await run.stopPipeline(e2e);

  run.say('full load: Ferry capture alone (snapshot into Kafka, no sink)');
  const aloneStart = Date.now();
  const alone = run.startPipeline(run.alone, 'snapshot-alone', false);
  const done = await alone.capture.waitForLog('Snapshot step 4 - complete', run.timeoutMs);
  const step1 = alone.capture.logTime('Snapshot step 1 - opening reader sessions')!;
  await alone.capture.waitForLog('streaming changes from the slot', 60_000);
  run.noteLoad('full load: capture alone');
  await run.stopPipeline(alone);

  run.say('full load: Ferry sink alone (capture-alone\'s snapshot from Kafka into an empty destination)');
  const sinkStart = Date.now();
  const sink = run.startSink(run.sinkAlone, 'snapshot-sink-alone');
  await waitSnapshotApplied(run, run.dest.sinkAlone, run.sinkAlone, sink);
  const sinkMs = Date.now() - sinkStart;
  await expectRows(run.dest.sinkAlone.url, want, 'Ferry sink alone');
  run.noteLoad('full load: sink alone');
  await run.stopPipeline(sink);

  return {
    rows,
    copyBytes,
    copy: figures(copy.ms),
    native: figures(nativeMs),
    ferry: { ...figures(ferryMs), captureDoneMs, kafka },
    captureAlone: { ...figures(done - aloneStart), fromStep1Ms: done - step1 },
    sinkAlone: figures(sinkMs),
  };
}

/** Until the sink has applied every table's end-of-snapshot marker. */
async function waitSnapshotApplied(run: BenchRun, dest: BenchDatabase, task: FerryTask, pipeline: Pipeline): Promise<void> {
  await withClient(dest.url, (client) =>
    waitUntil('Ferry to apply every table\'s snapshot', async () => {
      run.checkAlive(pipeline);
      try {
        const { rows: done } = await client.query<{ n: string }>(
          `SELECT count(*) FILTER (WHERE snapshot_complete)::text AS n FROM ferry.sink_tables WHERE consumer_group = $1 AND source_table <> '_heartbeat'`,
          [task.group],
        );
        return Number(done[0]!.n) >= ALL_TABLES.length;
      } catch {
        return false; // the sink has not created its bookkeeping yet
      }
    }, run.timeoutMs, 200),
  );
}

async function expectRows(url: string, want: Record<string, number>, who: string): Promise<void> {
  const got = await rowCounts(url);
  for (const [table, count] of Object.entries(want)) {
    if (got[table] !== count) throw new Error(`${who} loaded ${got[table]} rows into ${table}, the source has ${count}`);
  }
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
