/** Programmatic access for tests and scripts; the CLI is src/cli.ts. */
export { HOST, PG_PACKAGE_VERSIONS, pgUrl, registryUrl, resolveConfig, type InfraConfig } from './config.js';
export { ENV_NAMES, runningEnv, statusRows, type StatusRow } from './status.js';
export { paths, repoRoot } from './state.js';
