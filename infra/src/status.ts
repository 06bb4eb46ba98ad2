/** What runs where, from the records under .infra/run/ checked against live processes. */
import { HOST, SERVICE_IDS, pgUrl, registryUrl, resolveConfig, type InfraConfig, type ServiceId } from './config.js';
import { kafkaVersion } from './kafka.js';
import { canConnect } from './ports.js';
import { isOurs } from './process.js';
import { APICURIO_VERSION } from './registry.js';
import { readRecord, type ServiceRecord } from './state.js';

export interface StatusRow {
  service: ServiceId;
  state: 'running' | 'not answering' | 'stopped';
  pid?: number;
  port: number;
  version: string;
  url: string;
  logFile?: string;
}

/** The env variable each service is exported as by `env`. */
export const ENV_NAMES: Readonly<Record<ServiceId, string>> = {
  kafka: 'KAFKA_BROKERS',
  registry: 'SCHEMA_REGISTRY_URL',
  'pg-source': 'SOURCE_PG_URL',
  'pg-dest': 'DEST_PG_URL',
};

/** A record whose process is still ours and alive. */
export function liveRecord(service: ServiceId): ServiceRecord | undefined {
  const record = readRecord(service);
  return record && isOurs(record.pid, record.marker) ? record : undefined;
}

function configured(service: ServiceId, cfg: InfraConfig): Omit<StatusRow, 'service' | 'state'> {
  switch (service) {
    case 'pg-source':
      return { port: cfg.source.port, version: `${cfg.source.major}`, url: pgUrl(cfg.source.port) };
    case 'pg-dest':
      return { port: cfg.dest.port, version: `${cfg.dest.major}`, url: pgUrl(cfg.dest.port) };
    case 'kafka':
      return { port: cfg.kafka.port, version: kafkaVersion(), url: `${HOST}:${cfg.kafka.port}` };
    case 'registry':
      return { port: cfg.registry.port, version: APICURIO_VERSION, url: registryUrl(cfg.registry.port) };
  }
}

export async function statusRows(cfg: InfraConfig = resolveConfig()): Promise<StatusRow[]> {
  return Promise.all(
    SERVICE_IDS.map(async (service): Promise<StatusRow> => {
      const record = liveRecord(service);
      if (!record) return { service, state: 'stopped', ...configured(service, cfg) };
      const answers = await canConnect(record.port);
      return {
        service,
        state: answers ? 'running' : 'not answering',
        pid: record.pid,
        port: record.port,
        version: record.version,
        url: record.url,
        logFile: record.logFile,
      };
    }),
  );
}

/** `NAME=value` pairs for the services that run. */
export function runningEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const service of SERVICE_IDS) {
    const record = liveRecord(service);
    if (record) env[ENV_NAMES[service]] = record.url;
  }
  return env;
}
