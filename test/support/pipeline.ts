import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { uniqueName } from './names.js';
import type { ServiceUrls } from './services.js';

const FERRY_BIN = fileURLToPath(new URL('../../bin/ferry.mjs', import.meta.url));

export interface TestTask {
  name: string;
  file: string;
  prefix: string;
  dir: string;
}

/** Writes a task file for one test: unique task name, topic prefix and slot. */
export function writeTask(urls: ServiceUrls, sourceUrl: string, destUrl: string | string[], extraYaml = ''): TestTask {
  const name = uniqueName('t').replace(/_/g, '-').slice(0, 40);
  const prefix = `ferry.test.${name}`;
  const dir = mkdtempSync(join(tmpdir(), 'ferry-test-'));
  const file = join(dir, 'task.yaml');
  const destinations = Array.isArray(destUrl)
    ? `destinations:\n${destUrl.map((u, i) => `  - { name: d${i + 1}, url: "${u}" }`).join('\n')}`
    : `destination: { url: "${destUrl}" }`;
  writeFileSync(
    file,
    `name: ${name}
source: { url: "${sourceUrl}" }
${destinations}
kafka: { brokers: [${urls.kafkaBrokers.map((b) => `"${b}"`).join(', ')}], topicPrefix: "${prefix}", partitions: 3 }
schemaRegistry: { url: "${urls.schemaRegistryUrl}" }
${extraYaml}
`,
  );
  return { name, file, prefix, dir };
}

/** Adds settings to the task file's `source` entry, e.g. `forwardReplicated: true`. */
export function setSourceOptions(task: TestTask, options: string): void {
  const text = readFileSync(task.file, 'utf8');
  const changed = text.replace(/^source: \{ url: "([^"]+)" \}$/m, `source: { url: "$1", ${options} }`);
  if (changed === text) throw new Error(`no source entry to extend in ${task.file}`);
  writeFileSync(task.file, changed);
}

export interface RunningService {
  process: ChildProcess;
  logFile: string;
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Every service this test file started; a failed test prints the end of their logs (service-logs.ts). */
export const startedServices: RunningService[] = [];

/** Starts `ferry <command> -c task.yaml ...` as a real child process; its output goes to a log file. */
export function startFerry(task: TestTask, command: string, args: string[] = []): RunningService {
  const logFile = join(task.dir, `${command}-${Date.now()}.log`);
  const log = createWriteStream(logFile);
  const child = spawn(process.execPath, [FERRY_BIN, command, '-c', task.file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const service: RunningService = {
    process: child,
    logFile,
    exited,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  startedServices.push(service);
  return service;
}

/**
 * Stops the processes (SIGTERM, SIGKILL after 30 s) and waits for them and the services
 * they supervise to exit, so releasing the task finds no replication origin in use.
 */
export async function stopAll(running: readonly RunningService[]): Promise<void> {
  await Promise.all(
    running.map(async (service) => {
      const timer = setTimeout(() => void service.kill('SIGKILL'), 30_000);
      await service.kill('SIGTERM');
      clearTimeout(timer);
    }),
  );
  // A supervised service notices within a second that its supervisor is gone.
  await new Promise((r) => setTimeout(r, 2_000));
}

/** Runs `ferry <command>` to completion and returns its exit code and output. */
export async function runFerry(args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [FERRY_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, output };
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
  everyMs = 250,
  /** Services that must keep running meanwhile: one that exits ends the wait at once. */
  alive: readonly RunningService[] = [],
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const gone = alive.find((s) => s.process.exitCode !== null || s.process.signalCode !== null);
    if (gone) throw new Error(`while waiting for ${what}, ${basename(gone.logFile)} exited (${gone.process.exitCode ?? gone.process.signalCode}); its log is printed below`);
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value as T;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

export async function query<R extends pg.QueryResultRow = Record<string, unknown>>(url: string, text: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  // A server shutting down ends the session with a FATAL error event; the query rejects anyway.
  client.on('error', () => undefined);
  await client.connect();
  try {
    const result = await client.query<R>(text, params);
    return result.rows;
  } finally {
    await client.end();
  }
}

/** Row count and a digest of every row's text form, in key order: equal digests mean equal tables. */
export async function tableDigest(url: string, table: string, orderBy: string): Promise<{ count: number; digest: string }> {
  const [row] = await query<{ count: string; digest: string | null }>(
    url,
    `SELECT count(*)::text AS count, md5(coalesce(string_agg(t::text, E'\\n' ORDER BY ${orderBy}), '')) AS digest FROM ${table} t`,
  );
  return { count: Number(row!.count), digest: row!.digest ?? '' };
}

/** Drops the task's slot, publication and sink origins through the real commands. */
export async function releaseTask(task: TestTask, destinations: string[] = []): Promise<void> {
  await runFerry(['capture', '-c', task.file, '--release']);
  if (destinations.length === 0) await runFerry(['sink', '-c', task.file, '--release']);
  for (const name of destinations) await runFerry(['sink', '-c', task.file, '--release', '--destination', name]);
}
