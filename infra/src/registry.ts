/**
 * Apicurio Registry (Confluent-compatible API at /apis/ccompat/v7), the runnable app published on
 * Maven Central as io.apicurio:apicurio-registry-app:<version>:tar.gz:all. In-memory storage.
 */
import fs from 'node:fs';
import path from 'node:path';
import { HOST, registryUrl, type InfraConfig } from './config.js';
import { InfraError, log, since, warn } from './log.js';
import { assertPortFree } from './ports.js';
import { ensureJava, javaMajor } from './prereqs.js';
import { isAlive, isOurs, logTail, runOk, spawnDaemon, terminate, waitFor } from './process.js';
import { ensureDir, paths, readRecord, removeRecord, writeRecord, type ServiceRecord } from './state.js';

/** 3.0.9 is the newest Apicurio on Maven Central that runs on Java 17 (3.3.x needs Java 21). */
export const APICURIO_VERSION = process.env['FERRY_APICURIO_VERSION'] ?? '3.0.9';
const READY_TIMEOUT_MS = 180_000;
const STOP_TIMEOUT_MS = 20_000;

/** The runnable jar of an unpacked app: `*-runner.jar` (3.0.x) or `quarkus-run.jar` (3.1+). */
function findJar(dir: string): string | undefined {
  if (!fs.existsSync(dir)) return undefined;
  const candidates = fs.readdirSync(dir).filter((f) => f.endsWith('-runner.jar') || f === 'quarkus-run.jar');
  const nested = path.join(dir, 'quarkus-app', 'quarkus-run.jar');
  const first = candidates[0];
  if (first !== undefined) return path.join(dir, first);
  return fs.existsSync(nested) ? nested : undefined;
}

/**
 * Fetches the archive with Maven's dependency:copy goal. It resolves the artifact alone,
 * without its descriptor: for 3.0.9 the parent POM (io.apicurio:apicurio-registry:3.0.9) is
 * not served, so goals that read the artifact's POM (copy-dependencies, get) refuse it.
 */
async function fetchArchive(version: string, outputDir: string): Promise<string> {
  await runOk(
    'mvn',
    [
      '-B',
      '-q',
      'dependency:copy',
      `-Dartifact=io.apicurio:apicurio-registry-app:${version}:tar.gz:all`,
      `-DoutputDirectory=${outputDir}`,
      `-Dmaven.repo.local=${path.join(paths().cache, 'm2')}`,
    ],
    { timeoutMs: 600_000 },
  );
  return path.join(outputDir, `apicurio-registry-app-${version}-all.tar.gz`);
}

/** Fetches (through Maven) and unpacks the app once into .infra/cache/registry/<version>/. */
async function ensureApp(version: string): Promise<string> {
  const dir = path.join(paths().cache, 'registry', version);
  const existing = findJar(dir);
  if (existing) return existing;

  const start = performance.now();
  const cacheDir = ensureDir(path.join(paths().cache, 'registry'));
  log(`fetching Apicurio Registry ${version} from Maven Central`);
  const archive = await fetchArchive(version, cacheDir);
  const unpacking = `${dir}.unpacking`;
  fs.rmSync(unpacking, { recursive: true, force: true });
  ensureDir(unpacking);
  await runOk('tar', ['-xzf', archive, '-C', unpacking], { timeoutMs: 300_000 });
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(unpacking, dir);
  const jar = findJar(dir);
  if (!jar) throw new InfraError(`no runnable jar in ${archive}`);
  fs.rmSync(archive, { force: true }); // unpacked copy is what runs; the archive would double the cache
  log(`Apicurio Registry ${version} unpacked in ${since(start)}`);
  return jar;
}

/** Java for the registry: FERRY_REGISTRY_JAVA_HOME (e.g. a JDK 21 for Apicurio 3.2+), else the shared one. */
async function registryJava(): Promise<string> {
  const home = process.env['FERRY_REGISTRY_JAVA_HOME'];
  if (home) {
    const java = path.join(home, 'bin', 'java');
    if (!fs.existsSync(java)) throw new InfraError(`FERRY_REGISTRY_JAVA_HOME=${home} has no bin/java`);
    await javaMajor(java);
    return java;
  }
  return (await ensureJava()).java;
}

async function get(url: string, timeoutMs = 2000): Promise<Response> {
  return fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
}

async function subjectsAnswer(port: number): Promise<true | undefined> {
  const response = await get(`${registryUrl(port)}/subjects`);
  await response.body?.cancel();
  return response.status === 200 ? true : undefined;
}

/**
 * The app's global rule (apicurio.rules.global.compatibility) is enforced, but 3.0.9's
 * GET /config still says NONE until a global level is set through the API; set it so that
 * clients comparing levels see BACKWARD.
 */
async function ensureBackward(port: number): Promise<void> {
  const url = `${registryUrl(port)}/config`;
  const current = (await (await get(url)).json()) as { compatibilityLevel?: string };
  if (current.compatibilityLevel === 'BACKWARD') return;
  const response = await fetch(url, {
    method: 'PUT',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ compatibility: 'BACKWARD' }),
    signal: AbortSignal.timeout(5000),
  });
  if (!response.ok) throw new InfraError(`PUT ${url}: HTTP ${response.status} ${await response.text()}`);
}

export async function upRegistry(cfg: InfraConfig['registry']): Promise<string> {
  const start = performance.now();
  const version = APICURIO_VERSION;
  const existing = readRecord('registry');
  if (existing && isOurs(existing.pid, existing.marker)) {
    if (existing.port === cfg.port && existing.version === version) {
      await waitFor(`schema registry on port ${cfg.port}`, READY_TIMEOUT_MS, () => subjectsAnswer(cfg.port));
      await ensureBackward(cfg.port);
      return `registry: already running, Apicurio ${version} at ${registryUrl(cfg.port)} (pid ${existing.pid})`;
    }
    log(`registry: running ${existing.version} on port ${existing.port}; restarting as ${version} on ${cfg.port}`);
    await stopRegistryRecord(existing);
  } else if (existing) {
    removeRecord('registry');
  }

  const [java, jar] = await Promise.all([registryJava(), ensureApp(version)]);
  await assertPortFree(cfg.port, 'the schema registry (Apicurio)', 'registry');
  const logFile = path.join(ensureDir(paths().logs), 'registry.log');
  const startServer = performance.now();
  const pid = spawnDaemon(
    java,
    [
      '-Xms128m',
      '-Xmx512m',
      // A test registry sees little load: the C1 JIT alone and the serial GC leave the CPU to
      // Kafka while both start (up starts them together; on 2 cores that halves the registry's start time).
      '-XX:TieredStopAtLevel=1',
      '-XX:+UseSerialGC',
      '-Djava.awt.headless=true',
      `-Dquarkus.http.host=${HOST}`,
      `-Dquarkus.http.port=${cfg.port}`,
      '-Dquarkus.http.access-log.enabled=false',
      // 3.x key; 2.x spelled it registry.rules.global.compatibility.
      '-Dapicurio.rules.global.compatibility=BACKWARD',
      '-Dregistry.rules.global.compatibility=BACKWARD',
      '-jar',
      jar,
    ],
    { cwd: path.dirname(jar), logFile },
  );
  const record: ServiceRecord = {
    service: 'registry',
    pid,
    port: cfg.port,
    version,
    url: registryUrl(cfg.port),
    startedAt: new Date().toISOString(),
    marker: jar,
    logFile,
  };
  writeRecord(record);
  try {
    await waitFor(
      `schema registry on port ${cfg.port}`,
      READY_TIMEOUT_MS,
      () => subjectsAnswer(cfg.port),
      () => (isAlive(pid) ? undefined : `the registry exited; log ${logFile}:\n${logTail(logFile)}`),
    );
    await ensureBackward(cfg.port);
  } catch (err) {
    await stopRegistryRecord(record);
    throw err;
  }
  return `registry: Apicurio ${version} ready at ${registryUrl(cfg.port)} in ${since(startServer)} (total ${since(start)})`;
}

async function stopRegistryRecord(record: ServiceRecord): Promise<'stopped' | 'killed' | 'gone'> {
  const outcome = isOurs(record.pid, record.marker) ? await terminate(record.pid, STOP_TIMEOUT_MS) : 'gone';
  removeRecord('registry');
  return outcome;
}

export async function downRegistry(): Promise<string | undefined> {
  const record = readRecord('registry');
  if (!record) return undefined;
  const start = performance.now();
  const outcome = await stopRegistryRecord(record);
  if (outcome === 'gone') return undefined;
  if (outcome === 'killed') warn('registry did not stop on SIGTERM and was killed');
  return `registry: stopped (pid ${record.pid}) in ${since(start)}`;
}
