/**
 * npm run infra -- up|down|status|env  (see --help). Results of status/env go to stdout,
 * progress and errors to stderr.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SERVICE_IDS, resolveConfig, type ServiceGroup, type ServiceId } from './config.js';
import { downKafka, upKafka } from './kafka.js';
import { InfraError, log, since, warn } from './log.js';
import { downPg, upPg } from './postgres.js';
import { commandLine } from './process.js';
import { downRegistry, upRegistry } from './registry.js';
import { ensureDir, paths } from './state.js';
import { ENV_NAMES, runningEnv, statusRows } from './status.js';

const HELP = `Usage: npm run infra -- <command> [options]

Local services for Ferry, all on 127.0.0.1, state in .infra/ (or $FERRY_INFRA_DIR).

Commands:
  up       install what is missing, start what is not running, wait until ready
  down     stop what up started (by the pids under .infra/run/)
  status   show what runs where; exit code 0 if all four run and answer, 3 if not (-q: no output)
  env      print export lines for the running services:  eval "$(npm run -s infra -- env)"

Options:
  --only pg|pg-source|pg-dest|kafka|registry   up/down only these (repeat or comma-separate)
  --source-pg N              source PostgreSQL major, 10..18 (default 13; env FERRY_SOURCE_PG_MAJOR)
  --dest-pg N                destination PostgreSQL major, 10..18 (default 17; env FERRY_DEST_PG_MAJOR)
  -q, --quiet                status: print nothing, only set the exit code
  -h, --help                 this text

Ports (env): FERRY_SOURCE_PG_PORT=15432 FERRY_DEST_PG_PORT=15433 FERRY_KAFKA_PORT=19092
             FERRY_KAFKA_CONTROLLER_PORT=19093 FERRY_REGISTRY_PORT=18081
Other env:   FERRY_INFRA_DIR, FERRY_INSTALL_DEPS=1 (apt-get install Java/Maven when root; implied by CI=true),
             FERRY_REGISTRY_JAVA_HOME, FERRY_APICURIO_VERSION
`;

const GROUPS: readonly ServiceGroup[] = ['pg', 'pg-source', 'pg-dest', 'kafka', 'registry'];

interface Args {
  command: string | undefined;
  only: Set<ServiceGroup>;
  sourcePg: string | undefined;
  destPg: string | undefined;
  help: boolean;
  quiet: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { command: undefined, only: new Set(), sourcePg: undefined, destPg: undefined, help: false, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (arg.startsWith('--') && eq > 0) return arg.slice(eq + 1);
      const next = argv[++i];
      if (next === undefined || next.startsWith('-')) throw new InfraError(`${name} needs a value`);
      return next;
    };
    switch (name) {
      case '-h':
      case '--help':
        args.help = true;
        break;
      case '-q':
      case '--quiet':
        args.quiet = true;
        break;
      case '--only':
        for (const group of value().split(',')) {
          if (!GROUPS.includes(group as ServiceGroup)) throw new InfraError(`--only takes ${GROUPS.join('|')}, got "${group}"`);
          args.only.add(group as ServiceGroup);
        }
        break;
      case '--source-pg':
        args.sourcePg = value();
        break;
      case '--dest-pg':
        args.destPg = value();
        break;
      default:
        if (arg.startsWith('-')) throw new InfraError(`unknown option ${arg} (see --help)`);
        if (args.command !== undefined) throw new InfraError(`unexpected argument "${arg}" (see --help)`);
        args.command = arg;
    }
  }
  return args;
}

function wants(args: Args, group: ServiceGroup): boolean {
  return args.only.size === 0 || args.only.has(group);
}

async function up(args: Args): Promise<number> {
  const cfg = resolveConfig({ sourcePg: args.sourcePg, destPg: args.destPg });
  const start = performance.now();
  for (const dir of [paths().cache, paths().run, paths().logs]) ensureDir(dir);
  const tasks: Array<{ name: string; task: Promise<string> }> = [];
  if (wants(args, 'pg') || wants(args, 'pg-source')) tasks.push({ name: 'pg-source', task: upPg(cfg.source) });
  if (wants(args, 'pg') || wants(args, 'pg-dest')) tasks.push({ name: 'pg-dest', task: upPg(cfg.dest) });
  if (wants(args, 'kafka')) tasks.push({ name: 'kafka', task: upKafka(cfg.kafka) });
  if (wants(args, 'registry')) tasks.push({ name: 'registry', task: upRegistry(cfg.registry) });
  const results = await Promise.allSettled(tasks.map((t) => t.task));
  let failed = 0;
  results.forEach((result, i) => {
    const name = tasks[i]?.name ?? '?';
    if (result.status === 'fulfilled') log(result.value);
    else {
      failed++;
      const reason: unknown = result.reason;
      log(`${name} FAILED: ${reason instanceof Error ? (reason instanceof InfraError ? reason.message : reason.stack) : String(reason)}`);
    }
  });
  log(failed === 0 ? `up: all ready in ${since(start)}` : `up: ${failed} service(s) failed after ${since(start)}`);
  return failed === 0 ? 0 : 1;
}

/** Processes still running from our state folder (their command line names it). */
function leftovers(): string[] {
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid);
  } catch {
    return [];
  }
  const root = paths().root;
  return pids.map((p) => `${p} ${commandLine(Number(p))}`).filter((line) => line.includes(root));
}

async function down(args: Args): Promise<number> {
  const start = performance.now();
  const pgIds = (['pg-source', 'pg-dest'] as const).filter((id) => wants(args, 'pg') || wants(args, id)) as ServiceId[];
  const results = await Promise.allSettled([
    downPg(pgIds),
    wants(args, 'kafka') ? downKafka() : Promise.resolve(undefined),
    wants(args, 'registry') ? downRegistry() : Promise.resolve(undefined),
  ]);
  let stopped = 0;
  let failed = 0;
  for (const result of results) {
    if (result.status === 'rejected') {
      failed++;
      const reason: unknown = result.reason;
      log(`down FAILED: ${reason instanceof Error ? reason.message : String(reason)}`);
      continue;
    }
    for (const line of [result.value].flat()) {
      if (line === undefined) continue;
      stopped++;
      log(line);
    }
  }
  if (args.only.size === 0) {
    const left = leftovers();
    if (left.length > 0) warn(`still running from ${paths().root} (not started by a recorded up; stop them yourself):\n  ${left.join('\n  ')}`);
  }
  log(stopped === 0 ? 'down: nothing was running' : `down: done in ${since(start)}`);
  return failed === 0 ? 0 : 1;
}

/** Exit code 0 when every service runs and answers, 3 otherwise (like `systemctl status`). */
async function status(args: Args): Promise<number> {
  const rows = await statusRows();
  const down = rows.filter((r) => r.state !== 'running');
  if (args.quiet) return down.length === 0 ? 0 : 3;
  const table = [
    ['SERVICE', 'STATE', 'PID', 'PORT', 'VERSION', 'URL'],
    ...rows.map((r) => [r.service, r.state, r.pid === undefined ? '-' : String(r.pid), String(r.port), r.version, r.state === 'stopped' ? '-' : r.url]),
  ];
  const widths = table[0]?.map((_, col) => Math.max(...table.map((row) => (row[col] ?? '').length))) ?? [];
  for (const row of table) {
    process.stdout.write(`${row.map((cell, col) => cell.padEnd(widths[col] ?? 0)).join('  ').trimEnd()}\n`);
  }
  const stopped = rows.filter((r) => r.state === 'stopped').map((r) => r.service);
  if (stopped.length > 0) log(`not running: ${stopped.join(', ')} (start with: npm run infra -- up)`);
  const logDirs = [...new Set(rows.flatMap((r) => (r.logFile ? [path.dirname(r.logFile)] : [])))];
  if (logDirs.length > 0) log(`logs: ${logDirs.join(', ')}`);
  return down.length === 0 ? 0 : 3;
}

function env(): number {
  const vars = runningEnv();
  for (const [name, value] of Object.entries(vars)) process.stdout.write(`export ${name}=${value}\n`);
  const missing = SERVICE_IDS.filter((s) => vars[ENV_NAMES[s]] === undefined);
  if (missing.length > 0) log(`not running, so not exported: ${missing.map((s) => `${ENV_NAMES[s]} (${s})`).join(', ')}`);
  return 0;
}

async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.help || args.command === undefined) {
    (args.help ? process.stdout : process.stderr).write(HELP);
    return args.help ? 0 : 2;
  }
  if (args.command !== 'up' && (args.sourcePg !== undefined || args.destPg !== undefined)) {
    throw new InfraError('--source-pg/--dest-pg only apply to up');
  }
  switch (args.command) {
    case 'up':
      return up(args);
    case 'down':
      return down(args);
    case 'status':
      return status(args);
    case 'env':
      return env();
    default:
      throw new InfraError(`unknown command "${args.command}" (see --help)`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    log(`error: ${err instanceof InfraError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  },
);
