import type { Logger } from '@ferry/observability';
import { Kafka, logLevel, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';

export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  ssl?: boolean;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
  /** Connection attempts are retried by Ferry's own retry helper; keep kafkajs's short. */
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
}

/**
 * The single place a kafkajs client is built, so the client library could be
 * swapped behind this package. kafkajs logs go to the process's pino logger.
 */
export function createKafka(settings: KafkaSettings, logger: Logger): Kafka {
  const config: KafkaConfig = {
    clientId: settings.clientId,
    brokers: settings.brokers,
    ssl: settings.ssl ?? false,
    connectionTimeout: settings.connectionTimeoutMs ?? 5_000,
    requestTimeout: settings.requestTimeoutMs ?? 30_000,
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 10_000 },
    logLevel: logLevel.WARN,
    logCreator: pinoLogCreator(logger.child({ component: 'kafkajs' })),
  };
  if (settings.sasl) config.sasl = settings.sasl as SASLOptions;
  return new Kafka(config);
}

function pinoLogCreator(logger: Logger) {
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, timestamp: _ts, logger: _name, ...extra } = log;
      if (level <= logLevel.ERROR) logger.error(extra, message);
      else if (level === logLevel.WARN) logger.warn(extra, message);
      else if (level === logLevel.INFO) logger.info(extra, message);
      else logger.debug(extra, message);
    };
}

/** The client settings of one Ferry process from the task's `kafka` section: `<clientId>-<role>`. */
export function kafkaSettingsFor(
  kafka: { brokers: string[]; clientId: string; ssl: boolean; sasl?: KafkaSettings['sasl'] | undefined },
  role: string,
): KafkaSettings {
  return { brokers: kafka.brokers, clientId: `${kafka.clientId}-${role}`, ssl: kafka.ssl, ...(kafka.sasl ? { sasl: kafka.sasl } : {}) };
}
