import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProcessGroups } from './cpu.js';
import { MARKER_TABLE, type BenchDatabase } from './databases.js';
import { FerryProcess, type FerryTask } from './ferry-process.js';
import { fingerprint, touchedAccounts, waitForFingerprint } from './fingerprint.js';
import { committedEndOffsets } from './kafka-wire.js';
import type { NativeReplication } from './native-replication.js';
import type { BenchOptions } from './options.js';
import { query, sleep, waitUntil, withClient } from './sql.js';

export interface Services {
  sourceUrl: string;
  destUrl: string;
  brokers: string[];
  registryUrl: string;
}

/** A running Ferry pipeline: capture and sink, or one of them alone. */
export interface Pipeline {
  label: string;
  capture: FerryProcess | null;
  sink: FerryProcess | null;
}

export interface CapturePipeline extends Pipeline {
  capture: FerryProcess;
}

/**
 * Everything one benchmark run shares: the databases, the two Ferry tasks, the native
 * subscription, and what was measured on the side (peak memory, load average).
 */
export class BenchRun {
  /** Peak RSS in MB per process run, e.g. "full-load capture". */
  readonly rssMb: Record<string, number> = {};
  /** 1-minute load average at the end of each phase (the machine is shared). */
  readonly loadAverage: Record<string, number> = {};
  private nextMarker = 1;
  private markerBlocks = 0;

  constructor(
    readonly options: BenchOptions,
    readonly services: Services,
    readonly source: BenchDatabase,
    readonly dest: { copy: BenchDatabase; native: BenchDatabase; ferry: BenchDatabase; sinkAlone: BenchDatabase },
    readonly native: NativeReplication,
    /** capture → Kafka → sink into dest.ferry. */
    readonly e2e: FerryTask,
    /** capture alone (its own slot and topics), to time capture without a sink. */
    readonly alone: FerryTask,
    /** The same task and topics as `alone`, with its own destination (dest.sinkAlone): the sink timed alone. */
    readonly sinkAlone: FerryTask,
    readonly profileDir: string | undefined,
    readonly timeoutMs: number,
  ) {}

  say(message: string): void {
    process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
  }

  noteLoad(phase: string): void {
    this.loadAverage[phase] = Math.round(loadavg()[0]! * 100) / 100;
  }

  /** Starts capture, and the sink with it unless `withSink` is false. */
  startPipeline(task: FerryTask, label: string, withSink: boolean): CapturePipeline {
    const capture = FerryProcess.start(task, 'capture', label, this.profileDir);
    const sink = withSink ? FerryProcess.start(task, 'sink', label, this.profileDir) : null;
    return { label, capture, sink };
  }

  /** Starts a sink alone, on what capture already put in Kafka. */
  startSink(task: FerryTask, label: string): Pipeline & { sink: FerryProcess } {
    return { label, capture: null, sink: FerryProcess.start(task, 'sink', label, this.profileDir) };
  }

  async stopPipeline(pipeline: Pipeline): Promise<void> {
    const [capture, sink] = await Promise.all([pipeline.capture?.stop(), pipeline.sink?.stop()]);
    if (capture !== undefined) this.rssMb[`${pipeline.label} capture`] = Math.round(capture);
    if (sink !== undefined) this.rssMb[`${pipeline.label} sink`] = Math.round(sink);
  }

  /** Throws if a process of the pipeline died (its log says why). */
  checkAlive(pipeline: Pipeline): void {
    for (const p of [pipeline.capture, pipeline.sink]) {
      if (p && !p.running) throw new Error(`ferry ${p.command} (${pipeline.label}) exited with ${p.child.exitCode}; see ${p.logFile}`);
    }
  }

  async sourceNow(): Promise<Date> {
    const [row] = await query<{ now: Date }>(this.source.url, 'SELECT clock_timestamp() AS now');
    return row!.now;
  }

  /** Inserts a marker row in its own transaction; returns the WAL insert position just before its commit. */
  async commitMarker(): Promise<string> {
    const id = this.nextMarker++;
    return withClient(this.source.url, async (client) => {
      await client.query('BEGIN');
      await client.query('INSERT INTO bench_lag (id) VALUES ($1)', [id]);
      const { rows } = await client.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
      await client.query('COMMIT');
      return rows[0]!.lsn;
    });
  }

  /** First id of a fresh block for a MarkerWriter (commitMarker's ids stay below 1 000 000). */
  markerBlock(): number {
    this.markerBlocks += 1;
    return this.markerBlocks * 1_000_000;
  }

  /** Waits until `slot` has confirmed a commit after `lsn`. */
  async waitSlotPast(slot: string, lsn: string, alive: () => void): Promise<void> {
    await withClient(this.source.url, (client) =>
      waitUntil(`slot ${slot} to confirm past ${lsn}`, async () => {
        alive();
        const { rows } = await client.query<{ past: boolean }>(
          'SELECT confirmed_flush_lsn > $1::pg_lsn AS past FROM pg_replication_slots WHERE slot_name = $2',
          [lsn, slot],
        );
        return rows[0]?.past === true;
      }, this.timeoutMs, 100),
    );
  }

  /** Committed (read_committed) end offsets of the task's marker topic, summed over partitions. */
  async markerTopicEnd(task: FerryTask): Promise<number> {
    return committedEndOffsets(this.services.brokers[0]!, `${task.prefix}.public.${MARKER_TABLE}`, this.options.partitions);
  }

  /** Waits until a marker committed after `baseline` is in the task's marker topic: capture published up to it. */
  async waitPublished(task: FerryTask, baseline: number, alive: () => void): Promise<void> {
    await waitUntil(`capture of ${task.name} to publish the stop marker`, async () => {
      alive();
      return (await this.markerTopicEnd(task)) > baseline;
    }, this.timeoutMs, 100);
  }

  /** The local Kafka broker's pid, as `npm run infra -- up` recorded it (null elsewhere). */
  kafkaPid(): number[] {
    const file = join(process.env.FERRY_INFRA_DIR ?? fileURLToPath(new URL('../.infra', import.meta.url)), 'run', 'kafka.pid');
    try {
      return [Number(readFileSync(file, 'utf8').trim())];
    } catch {
      return [];
    }
  }

  /** The walsender serving `slot` on the source (decoding with pgoutput), if connected. */
  async walsenderPid(slot: string): Promise<number[]> {
    const rows = await query<{ pid: number | null }>(this.source.url, 'SELECT active_pid AS pid FROM pg_replication_slots WHERE slot_name = $1', [slot]);
    return rows.flatMap((r) => (r.pid ? [r.pid] : []));
  }

  /** The processes doing native replication's work: walsender on the source, apply worker on the destination. */
  async nativeProcesses(): Promise<ProcessGroups> {
    const apply = await query<{ pid: number }>(this.dest.native.url, 'SELECT pid FROM pg_stat_subscription WHERE subname = $1 AND pid IS NOT NULL', [this.native.name]);
    return { walsender: await this.walsenderPid(this.native.slot), 'apply worker': apply.map((r) => r.pid) };
  }

  /** The processes doing Ferry's work, from source to destination. */
  async ferryProcesses(task: FerryTask, pipeline: Pipeline): Promise<ProcessGroups> {
    const groups: ProcessGroups = { kafka: this.kafkaPid() };
    if (pipeline.capture) {
      groups.walsender = await this.walsenderPid(task.slot);
      groups.capture = [pipeline.capture.pid];
    }
    if (pipeline.sink) {
      const dest = task === this.sinkAlone ? this.dest.sinkAlone : this.dest.ferry;
      const backends = await query<{ pid: number }>(
        this.services.destUrl,
        `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'ferry-sink%'`,
        [dest.name],
      );
      groups.sink = [pipeline.sink.pid];
      groups['sink backends'] = backends.map((r) => r.pid);
    }
    return groups;
  }

  /**
   * Transactions committed in a database so far (pg_stat_database.xact_commit). A running
   * backend reports its counters up to 10 s late, so read this after the writers exited;
   * `settleMs` gives exiting backends time to report.
   */
  async commitsIn(db: BenchDatabase, settleMs = 0, serverUrl = this.services.destUrl): Promise<number> {
    await sleep(settleMs);
    const rows = await query<{ n: string }>(serverUrl, 'SELECT xact_commit::text AS n FROM pg_stat_database WHERE datname = $1', [db.name]);
    return Number(rows[0]?.n ?? 0);
  }

  /** Waits until `dest` holds every change pgbench made since `since` (source quiet meanwhile). */
  async waitInSync(dest: BenchDatabase, since: Date, everyMs = 100): Promise<void> {
    const aids = await touchedAccounts(this.source.url, since);
    const want = await fingerprint(this.source.url, aids);
    await waitForFingerprint(dest.url, want, aids, this.timeoutMs, everyMs);
  }
}
