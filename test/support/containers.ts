/**
 * Fallback for machines with Docker: start the four services with testcontainers
 * and export their URLs. Loaded lazily, only when no service URLs are set, so
 * machines without Docker never touch it.
 */
export interface StartedServices {
  stop: () => Promise<void>;
}

export async function startContainers(): Promise<StartedServices | undefined> {
  if (process.env.CI === 'true' || !(await dockerAnswers())) return undefined;
  const { GenericContainer, Wait } = await import('testcontainers');
  const pg = (image: string) =>
    new GenericContainer(image)
      .withEnvironment({ POSTGRES_PASSWORD: 'postgres' })
      .withCommand(['postgres', '-c', 'wal_level=logical', '-c', 'max_replication_slots=64', '-c', 'max_wal_senders=32'])
      .withExposedPorts(5432)
      .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
      .start();
  const [source, dest] = await Promise.all([pg('postgres:13'), pg('postgres:17')]);
  const kafka = await new GenericContainer('apache/kafka:4.1.1')
    .withExposedPorts({ container: 9092, host: 19092 })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
      KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://127.0.0.1:19092',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
    })
    .start();
  const registry = await new GenericContainer('apicurio/apicurio-registry:3.0.9')
    .withEnvironment({ APICURIO_RULES_GLOBAL_COMPATIBILITY: 'BACKWARD' })
    .withExposedPorts(8080)
    .start();
  const url = (c: { getHost(): string; getMappedPort(p: number): number }, port: number) =>
    `postgres://postgres:postgres@${c.getHost()}:${c.getMappedPort(port)}/postgres`;
  process.env.SOURCE_PG_URL = url(source, 5432);
  process.env.DEST_PG_URL = url(dest, 5432);
  process.env.KAFKA_BROKERS = '127.0.0.1:19092';
  process.env.SCHEMA_REGISTRY_URL = `http://${registry.getHost()}:${registry.getMappedPort(8080)}/apis/ccompat/v7`;
  return {
    stop: async () => {
      await Promise.all([source.stop(), dest.stop(), kafka.stop(), registry.stop()]);
    },
  };
}

async function dockerAnswers(): Promise<boolean> {
  const { request } = await import('node:http');
  return new Promise((resolve) => {
    const req = request({ socketPath: '/var/run/docker.sock', path: '/_ping', timeout: 1000 }, (res) => {
      resolve(res.statusCode === 200);
      res.resume();
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}
