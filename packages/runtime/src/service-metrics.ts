import type { TaskConfig } from '@ferry/config';
import { Registry, serveMetrics, type Counter, type MetricsServer } from '@ferry/metrics';
import type { Logger } from '@ferry/observability';

/** Set by a supervising `ferry migrate`: the exact port this child serves /metrics on. */
export const METRICS_PORT_ENV = 'FERRY_METRICS_PORT';

/** Port offsets from `metrics.port`: coordinator +0, capture +1, the sink of destination N (1-based) +1+N. */
export const METRICS_PORT_OFFSET = { coordinator: 0, capture: 1, sink: (destinationNumber: number) => 1 + destinationNumber } as const;

export interface ProcessMetrics {
  registry: Registry;
  retries: Counter;
  errors: Counter;
}

/** A registry with what every Ferry process reports: which service, when it started, retries and errors. */
export function processMetrics(service: string, task: Pick<TaskConfig, 'name'>): ProcessMetrics {
  const registry = new Registry();
  registry.gauge('ferry_service_info', 'Always 1; labels name the task and the service.').set(1, { task: task.name, service });
  registry.gauge('ferry_process_start_time_seconds', 'When this process started (Unix time, seconds).').set(Math.round(Date.now() / 1000 - process.uptime()));
  const memory = registry.gauge('ferry_process_resident_memory_bytes', 'Resident memory of this process.');
  registry.onCollect(() => memory.set(process.memoryUsage().rss));
  const retries = registry.counter('ferry_retries_total', 'Retriable failures after which the work was resumed.');
  const errors = registry.counter('ferry_errors_total', 'Failures of the service\'s work by kind (error code or class); each was retried.');
  // Present from the start: 0 retries is an answer, a missing series is not.
  retries.inc({}, 0);
  return { registry, retries, errors };
}

/**
 * Serves the registry on the port a supervisor gave (FERRY_METRICS_PORT), else on
 * `metrics.port` + offset, else not at all. A port already in use is a warning, not a
 * failure: metrics must never stop a migration.
 */
export async function exposeMetrics(
  registry: Registry,
  options: { task: Pick<TaskConfig, 'metrics'>; offset: number; log: Logger; env?: NodeJS.ProcessEnv },
): Promise<MetricsServer | undefined> {
  const env = options.env ?? process.env;
  const fromEnv = env[METRICS_PORT_ENV];
  const port = fromEnv ? Number(fromEnv) : options.task.metrics.port === undefined ? undefined : options.task.metrics.port + options.offset;
  if (port === undefined || !Number.isInteger(port)) return undefined;
  const host = options.task.metrics.listen;
  try {
    const server = await serveMetrics(registry, { host, port });
    options.log.info({ metrics: `http://${host.includes(':') ? `[${host}]` : host}:${server.port}/metrics` }, 'serving Prometheus metrics');
    return server;
  } catch (error) {
    options.log.warn({ err: error, port }, `cannot serve metrics on port ${port}; going on without them`);
    return undefined;
  }
}
