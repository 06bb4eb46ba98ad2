/**
 * `npm run bench`: Ferry against PostgreSQL's native logical replication and a COPY
 * pipe, on one pgbench source, in one run. See docs/benchmarks.md.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureBacklog } from './backlog.js';
import { BenchRun, type Services } from './bench-run.js';
import { createDatabase, dropDatabase, loadSource, prepareDestination, type BenchDatabase } from './databases.js';
import { FerryProcess, runFerry, writeTaskFile, type FerryTask } from './ferry-process.js';
import { measureFullLoad } from './full-load.js';
import { deleteTaskStreams } from './kafka-topics.js';
import { measureLiveSync } from './live-sync.js';
import { NativeReplication } from './native-replication.js';
import { parseOptions } from './options.js';
import { formatProfile, summarizeProfileDir } from './profile-summary.js';
import { chartFor, formatTable, goalsMet, summarize, type Machine, type RawResults } from './report.js';
import { query } from './sql.js';

const here = dirname(fileURLToPath(import.meta.url));
const options = parseOptions(process.argv.slice(2), join(here, 'results'));
const services = servicesFromEnv();
const id = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const workDir = join(tmpdir(), `ferry-bench-${id}`);
const profileDir = options.profile ? join(workDir, 'profiles') : undefined;
mkdirSync(workDir, { recursive: true });

/** What the run made, undone in reverse order whatever happens (unless --keep). */
const cleanups: { what: string; undo: () => Promise<unknown> }[] = [];
let cleaning: Promise<void> | undefined;
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    if (options.keep) {
      say(`--keep: left databases, slots, subscription and topics of run ${id} in place`);
      return;
    }
    await FerryProcess.stopAll();
    for (const { what, undo } of cleanups.reverse()) {
      try {
        await undo();
      } catch (error) {
        say(`cleanup: ${what} failed: ${(error as Error).message}`);
      }
    }
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    say(`${signal}: cleaning up`);
    void cleanUp().then(() => process.exit(130));
  });
}

function say(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

async function main(): Promise<void> {
  const started = new Date();
  const machine = await describeMachine();
  say(`run ${id}: scale ${options.scale}, ${machine.nproc} cores, load average ${machine.loadAverageStart.join(' ')}; logs in ${workDir}`);

  const source = await database(services.sourceUrl, `bench_src_${id}`);
  const dest = {
    copy: await database(services.destUrl, `bench_copy_${id}`),
    native: await database(services.destUrl, `bench_native_${id}`),
    ferry: await database(services.destUrl, `bench_ferry_${id}`),
    sinkAlone: await database(services.destUrl, `bench_sink_${id}`),
  };
  say(`loading the source: pgbench -i -s ${options.scale}`);
  const loadStart = performance.now();
  await loadSource(source, options.scale);
  say(`source loaded in ${((performance.now() - loadStart) / 1000).toFixed(1)} s; destinations get pgbench's DDL (-I dtp)`);
  for (const db of Object.values(dest)) await prepareDestination(db, options.scale);

  const native = new NativeReplication(source.url, dest.native.url, `bench_native_${id}`);
  cleanups.push({ what: 'native subscription and publication', undo: () => native.drop() });
  const e2e = ferryTask(`bench-${id}-e2e`, source, dest.ferry);
  const alone = ferryTask(`bench-${id}-cap`, source, dest.ferry);
  // The same task (slot, topics) with its own destination: the sink timed alone on capture's output.
  const sinkAlone = ferryTask(`bench-${id}-cap`, source, dest.sinkAlone, join(workDir, 'sink-alone'));

  const timeoutMs = 20 * 60_000 + options.scale * 30_000;
  const run = new BenchRun(options, services, source, dest, native, e2e, alone, sinkAlone, profileDir, timeoutMs);
  const fullLoad = await measureFullLoad(run);
  const backlog = await measureBacklog(run);
  const live = await measureLiveSync(run);

  const profiles = profileDir && existsSync(profileDir) ? summarizeProfileDir(profileDir) : [];
  const raw: RawResults = {
    machine,
    options,
    startedAt: started.toISOString(),
    durationS: Math.round((Date.now() - started.getTime()) / 1000),
    fullLoad,
    backlog,
    live,
    rssMb: run.rssMb,
    loadAverage: run.loadAverage,
    profiles,
  };
  const summary = summarize(raw);
  const table = formatTable(summary, raw);
  const profileText = profiles.map(formatProfile).join('\n\n');

  mkdirSync(options.resultsDir, { recursive: true });
  const json = `${JSON.stringify({ ...summary, goals_met: goalsMet(summary), raw }, null, 2)}\n`;
  const text = `${table}\n${profileText ? `\nCPU profiles (self time):\n${profileText}\n` : ''}`;
  const svg = chartFor(summary, raw);
  const stamp = `scale-${options.scale}${options.profile ? '-profile' : ''}`;
  for (const [name, content] of [['latest.json', json], ['latest.txt', text], ['latest.svg', svg], [`${stamp}.json`, json], [`${stamp}.txt`, text], [`${stamp}.svg`, svg]] as const) {
    writeFileSync(join(options.resultsDir, name), content);
  }
  process.stdout.write(`\n${text}\nwrote ${join(options.resultsDir, 'latest.json')}, latest.txt, latest.svg (and ${stamp}.*) in ${Math.round(raw.durationS / 60)} min\n`);
}

async function database(serverUrl: string, name: string): Promise<BenchDatabase> {
  const db = await createDatabase(serverUrl, name);
  cleanups.push({ what: `database ${name}`, undo: () => dropDatabase(serverUrl, name) });
  return db;
}

function ferryTask(name: string, source: BenchDatabase, dest: BenchDatabase, dir = workDir): FerryTask {
  const task = writeTaskFile({
    name,
    dir,
    sourceUrl: source.url,
    destUrl: dest.url,
    brokers: services.brokers,
    registryUrl: services.registryUrl,
    partitions: options.partitions,
    chunkRows: options.chunkRows,
  });
  cleanups.push({
    what: `Ferry task ${name}`,
    undo: async () => {
      await runFerry(['capture', '-c', task.file, '--release']);
      await runFerry(['sink', '-c', task.file, '--release']);
      // Replication origins are cluster-wide: make sure none of this task's is left.
      const prefix = `ferry_${name.replace(/-/g, '_')}`;
      await query(services.destUrl, `SELECT pg_replication_origin_drop(roname) FROM pg_replication_origin WHERE roname LIKE $1 || '\\_%'`, [prefix]);
      await deleteTaskStreams(services.brokers, services.registryUrl, task.prefix, [task.group]);
    },
  });
  return task;
}

async function describeMachine(): Promise<Machine> {
  const version = async (url: string) => String((await query<{ v: string }>(url, "SELECT current_setting('server_version') AS v"))[0]!.v).split(' ')[0]!;
  return {
    nproc: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    sourcePg: await version(services.sourceUrl),
    destPg: await version(services.destUrl),
    pgbench: execFileSync('pgbench', ['--version'], { encoding: 'utf8' }).trim(),
    kafka: kafkaVersion(),
    ...gitState(),
    loadAverageStart: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

function gitState(): { commit: string; uncommittedFiles: number } {
  const git = (args: string[]) => execFileSync('git', args, { cwd: join(here, '..'), encoding: 'utf8' }).trim();
  try {
    const changed = git(['status', '--porcelain', '--', 'services', 'packages']);
    return { commit: git(['rev-parse', 'HEAD']), uncommittedFiles: changed ? changed.split('\n').length : 0 };
  } catch {
    return { commit: 'unknown', uncommittedFiles: 0 };
  }
}

/** The local broker's version, as `npm run infra -- up` recorded it. */
function kafkaVersion(): string {
  const file = join(process.env.FERRY_INFRA_DIR ?? join(here, '..', '.infra'), 'run', 'kafka.json');
  try {
    return String((JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? 'unknown');
  } catch {
    return 'unknown';
  }
}

function servicesFromEnv(): Services {
  const missing = ['SOURCE_PG_URL', 'DEST_PG_URL', 'KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL'].filter((name) => !process.env[name]);
  if (missing.length > 0) {
    throw new Error(`${missing.join(', ')} not set: run \`npm run bench\` (it starts the services), or eval "$(npm run -s infra -- env)" first`);
  }
  return {
    sourceUrl: process.env.SOURCE_PG_URL!,
    destUrl: process.env.DEST_PG_URL!,
    brokers: process.env.KAFKA_BROKERS!.split(',').map((b) => b.trim()),
    registryUrl: process.env.SCHEMA_REGISTRY_URL!,
  };
}

try {
  await main();
  await cleanUp();
  process.exit(0);
} catch (error) {
  say(`failed: ${(error as Error).stack ?? String(error)}`);
  say(`Ferry logs and task files: ${workDir}`);
  await cleanUp();
  process.exit(1);
}
