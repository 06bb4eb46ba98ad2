/**
 * Where the real services are. Suites read the URLs from the environment
 * (`eval "$(npm run -s infra -- env)"` sets them for the local services). When they
 * are missing and a Docker engine answers, testcontainers starts them; under CI a
 * missing service fails the run instead of skipping tests.
 */
export interface ServiceUrls {
  kafkaBrokers: string[];
  schemaRegistryUrl: string;
  sourcePgUrl: string;
  destPgUrl: string;
}

const REQUIRED = ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'SOURCE_PG_URL', 'DEST_PG_URL'] as const;

export function missingServiceVariables(env: NodeJS.ProcessEnv = process.env): string[] {
  return REQUIRED.filter((name) => !env[name]);
}

export function serviceUrlsFromEnv(env: NodeJS.ProcessEnv = process.env): ServiceUrls {
  const missing = missingServiceVariables(env);
  if (missing.length > 0) {
    throw new Error(
      `integration tests need the real services, but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set. ` +
        'Start them with `npm run infra -- up` and export them with `eval "$(npm run -s infra -- env)"`, ' +
        'or run `npm test`, which does both.',
    );
  }
  return {
    kafkaBrokers: env.KAFKA_BROKERS!.split(',').map((b) => b.trim()),
    schemaRegistryUrl: env.SCHEMA_REGISTRY_URL!,
    sourcePgUrl: env.SOURCE_PG_URL!,
    destPgUrl: env.DEST_PG_URL!,
  };
}
