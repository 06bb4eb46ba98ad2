/**
 * Apache Kafka 4.x, one node in KRaft combined mode (broker + controller), from Maven Central jars
 * collected by infra/kafka/pom.xml into .infra/cache/kafka-libs.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import kafkajs from 'kafkajs';
import { HOST, type InfraConfig } from './config.js';
import { InfraError, log, since } from './log.js';
import { assertPortFree, canConnect } from './ports.js';
import { ensureJava, ensureMaven } from './prereqs.js';
import { isAlive, isOurs, logTail, run, runOk, spawnDaemon, terminate, waitFor } from './process.js';
import { ensureDir, infraPackageDir, paths, readRecord, removeRecord, writeRecord, type ServiceRecord } from './state.js';

const POM = path.join(infraPackageDir, 'kafka', 'pom.xml');
const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 30_000;
const JVM_OPTS = ['-Xms256m', '-Xmx768m', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-Djava.awt.headless=true'];

function pomProperty(name: string): string {
  const match = new RegExp(`<${name}>([^<]+)</${name}>`).exec(fs.readFileSync(POM, 'utf8'));
  if (!match?.[1]) throw new InfraError(`${POM} has no <${name}>`);
  return match[1].trim();
}

export function kafkaVersion(): string {
  return pomProperty('kafka.version');
}

function libsDir(): string {
  return path.join(paths().cache, 'kafka-libs');
}

/** Collects the jars once per pom.xml content (a stamp file holds the pom's hash). */
async function ensureJars(): Promise<string> {
  const dir = libsDir();
  const stampFile = path.join(dir, '.pom-sha256');
  const stamp = crypto.createHash('sha256').update(fs.readFileSync(POM)).digest('hex');
  const jar = path.join(dir, `kafka_2.13-${kafkaVersion()}.jar`);
  if (fs.existsSync(jar) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8').trim() === stamp) return dir;

  const start = performance.now();
  const mvn = await ensureMaven();
  log(`collecting Kafka ${kafkaVersion()} jars from Maven Central (mvn dependency:copy-dependencies)`);
  fs.rmSync(dir, { recursive: true, force: true });
  await runOk(
    mvn,
    [
      '-B',
      '-q',
      '-f',
      POM,
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${dir}`,
      `-Dmaven.repo.local=${path.join(paths().cache, 'm2')}`,
    ],
    { timeoutMs: 900_000 },
  );
  if (!fs.existsSync(jar)) throw new InfraError(`mvn ran but ${jar} is missing`);
  fs.writeFileSync(stampFile, `${stamp}\n`);
  log(`Kafka jars collected in ${since(start)}`);
  return dir;
}

function serverProperties(cfg: InfraConfig['kafka'], dataDir: string): string {
  return [
    '# Written by infra/src/kafka.ts on every start.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${HOST}:${cfg.controllerPort}`,
    `listeners=PLAINTEXT://${HOST}:${cfg.port},CONTROLLER://${HOST}:${cfg.controllerPort}`,
    `advertised.listeners=PLAINTEXT://${HOST}:${cfg.port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${dataDir}`,
    'num.partitions=1',
    'default.replication.factor=1',
    'min.insync.replicas=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=10',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=true',
    'delete.topic.enable=true',
    '',
  ].join('\n');
}

const LOG4J2_XML = `<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by infra/src/kafka.ts. Console output goes to .infra/logs/kafka.log. -->
<Configuration status="WARN">
  <Appenders>
    <Console name="STDOUT" target="SYSTEM_OUT">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </Console>
  </Appenders>
  <Loggers>
    <Logger name="kafka.server.KafkaServer" level="INFO"/>
    <Logger name="kafka.server.KafkaRaftServer" level="INFO"/>
    <Root level="WARN">
      <AppenderRef ref="STDOUT"/>
    </Root>
  </Loggers>
</Configuration>
`;

/** A Kafka cluster id: 16 random bytes, base64url without padding, not starting with '-'. */
function clusterId(): string {
  for (;;) {
    const id = crypto.randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** Ready when an admin client lists topics. */
async function listTopics(port: number): Promise<string[] | undefined> {
  if (!(await canConnect(port))) return undefined;
  const kafka = new kafkajs.Kafka({
    clientId: 'ferry-infra',
    brokers: [`${HOST}:${port}`],
    logLevel: kafkajs.logLevel.NOTHING,
    connectionTimeout: 2000,
    requestTimeout: 5000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    return await admin.listTopics();
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export async function upKafka(cfg: InfraConfig['kafka']): Promise<string> {
  const start = performance.now();
  const version = kafkaVersion();
  const existing = readRecord('kafka');
  if (existing && isOurs(existing.pid, existing.marker)) {
    if (existing.port === cfg.port && existing.controllerPort === cfg.controllerPort && existing.version === version) {
      await waitFor(`Kafka on port ${cfg.port}`, READY_TIMEOUT_MS, () => listTopics(cfg.port));
      return `kafka: already running, Kafka ${existing.version} on ${HOST}:${cfg.port} (pid ${existing.pid})`;
    }
    log(`kafka: running ${existing.version} on port ${existing.port}; restarting as ${version} on ${cfg.port}`);
    await stopKafkaRecord(existing);
  } else if (existing) {
    removeRecord('kafka');
  }

  const [{ java }, libs] = await Promise.all([ensureJava(), ensureJars()]);
  await assertPortFree(cfg.port, 'Kafka (broker listener)', 'kafka');
  await assertPortFree(cfg.controllerPort, 'Kafka (KRaft controller listener)', 'kafka-controller');

  const home = ensureDir(paths().kafka);
  const dataDir = ensureDir(path.join(home, 'data'));
  const propsFile = path.join(home, 'server.properties');
  const log4jFile = path.join(home, 'log4j2.xml');
  fs.writeFileSync(propsFile, serverProperties(cfg, dataDir));
  fs.writeFileSync(log4jFile, LOG4J2_XML);
  const logFile = path.join(ensureDir(paths().logs), 'kafka.log');
  const classpath = `${libs}/*`;
  const logOpt = `-Dlog4j2.configurationFile=${log4jFile}`;

  if (!fs.existsSync(path.join(dataDir, 'meta.properties'))) {
    const formatStart = performance.now();
    const formatted = await run(
      java,
      [logOpt, '-cp', classpath, 'kafka.tools.StorageTool', 'format', '--ignore-formatted', '-t', clusterId(), '-c', propsFile],
      { timeoutMs: 120_000 },
    );
    if (formatted.code !== 0) throw new InfraError(`kafka storage format failed:\n${formatted.stdout}${formatted.stderr}`);
    log(`kafka: storage formatted in ${since(formatStart)}`);
  }

  const startServer = performance.now();
  const pid = spawnDaemon(java, [...JVM_OPTS, logOpt, '-cp', classpath, 'kafka.Kafka', propsFile], { cwd: home, logFile });
  const record: ServiceRecord = {
    service: 'kafka',
    pid,
    port: cfg.port,
    controllerPort: cfg.controllerPort,
    version,
    url: `${HOST}:${cfg.port}`,
    startedAt: new Date().toISOString(),
    marker: propsFile,
    logFile,
  };
  writeRecord(record);
  try {
    await waitFor(
      `Kafka on port ${cfg.port}`,
      READY_TIMEOUT_MS,
      () => listTopics(cfg.port),
      () => (isAlive(pid) ? undefined : `the broker exited; log ${logFile}:\n${logTail(logFile)}`),
    );
  } catch (err) {
    await stopKafkaRecord(record);
    throw err;
  }
  return `kafka: Kafka ${version} ready on ${HOST}:${cfg.port} in ${since(startServer)} (total ${since(start)})`;
}

async function stopKafkaRecord(record: ServiceRecord): Promise<'stopped' | 'killed' | 'gone'> {
  const outcome = isOurs(record.pid, record.marker) ? await terminate(record.pid, STOP_TIMEOUT_MS) : 'gone';
  removeRecord('kafka');
  return outcome;
}

export async function downKafka(): Promise<string | undefined> {
  const record = readRecord('kafka');
  if (!record) return undefined;
  const start = performance.now();
  const outcome = await stopKafkaRecord(record);
  if (outcome === 'gone') return undefined;
  return `kafka: ${outcome === 'killed' ? 'killed after SIGTERM timed out' : 'stopped'} (pid ${record.pid}) in ${since(start)}`;
}
