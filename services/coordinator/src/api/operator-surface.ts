import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { TaskConfig } from '@ferry/config';
import { toError } from '@ferry/core';
import type { MetricsServer } from '@ferry/metrics';
import { exposeMetrics, METRICS_PORT_ENV, METRICS_PORT_OFFSET } from '@ferry/runtime';
import type { PipelineProgress } from '../workflow/progress.js';
import { startApiServer, type ApiServer } from './api-server.js';
import { coordinatorMetrics } from './coordinator-metrics.js';
import { Operator, type OperatorDeps } from './operator.js';
import type { ServiceEndpoint } from './service-metrics-reader.js';

export interface OperatorSurface {
  operator: Operator;
  api: ApiServer | undefined;
  /** Environment for a supervised service: the port its /metrics listens on. */
  serviceEnv(name: string): Record<string, string>;
  tick(progress: PipelineProgress | undefined, problem?: unknown): Promise<void>;
  /** Raises the task-failed alert and waits (briefly) for its delivery. */
  failed(message: string): Promise<void>;
  close(): Promise<void>;
}

/** What the operator actions need, less the service endpoints (the surface finds those). */
export type SurfaceDeps = Omit<OperatorDeps, 'endpoints'>;

/**
 * What `ferry migrate` offers operators besides the terminal: alerts always, the
 * coordinator's /metrics when `metrics.port` is set, the API and console when
 * `api.port` is set. The services' metrics ports are fixed here so the coordinator
 * can read their throughput: `metrics.port` + offset, or free ports when only the
 * API asked for them.
 */
export async function startOperatorSurface(deps: SurfaceDeps): Promise<OperatorSurface> {
  const { task, log } = deps;
  const ports = await serviceMetricsPorts(task, deps.supervisor !== undefined);
  const host = loopbackFor(task.metrics.listen);
  const endpoints: ServiceEndpoint[] = [...ports].map(([name, port]) => ({ name, url: `http://${host}:${port}/metrics` }));
  const operator = new Operator({ ...deps, endpoints });
  const registry = coordinatorMetrics(operator);
  let metricsServer: MetricsServer | undefined;
  let api: ApiServer | undefined;
  try {
    metricsServer = await exposeMetrics(registry, { task, offset: METRICS_PORT_OFFSET.coordinator, log, env: {} });
    if (task.api.port !== undefined) {
      api = await startApiServer(operator, registry, { listen: task.api.listen, port: task.api.port, token: task.api.token }, log);
      log.info({ console: api.url, token: task.api.token ? 'required' : 'none (loopback only)' }, `web console and API at ${api.url}`);
    }
  } catch (error) {
    await metricsServer?.close();
    throw error;
  }
  return {
    operator,
    api,
    serviceEnv: (name): Record<string, string> => {
      const port = ports.get(name);
      return port === undefined ? {} : { [METRICS_PORT_ENV]: String(port) };
    },
    tick: (progress, problem) => operator.tick(progress, problem).catch((error: unknown) => log.warn({ err: error }, 'updating the console failed')),
    async failed(message) {
      operator.event('error', 'coordinator', message);
      operator.alerts.taskFailed(message);
      await Promise.race([operator.alerts.flush(), new Promise((resolve) => setTimeout(resolve, 10_000))]);
    },
    async close() {
      await operator.close().catch((error: unknown) => log.warn({ err: toError(error) }, 'closing the operator failed'));
      await api?.close();
      await metricsServer?.close();
    },
  };
}

/** capture and sink:<destination> → the port of their /metrics. */
async function serviceMetricsPorts(task: TaskConfig, embedded: boolean): Promise<Map<string, number>> {
  const ports = new Map<string, number>();
  const base = task.metrics.port;
  if (base !== undefined) {
    ports.set('capture', base + METRICS_PORT_OFFSET.capture);
    task.destinations.forEach((d, i) => ports.set(`sink:${d.name}`, base + METRICS_PORT_OFFSET.sink(i + 1)));
  } else if (embedded && task.api.port !== undefined) {
    // Only the console wants them: any free ports on this machine will do.
    ports.set('capture', await freePort());
    for (const d of task.destinations) ports.set(`sink:${d.name}`, await freePort());
  }
  return ports;
}

function loopbackFor(listen: string): string {
  if (listen === '0.0.0.0') return '127.0.0.1';
  if (listen === '::') return '[::1]';
  return listen.includes(':') ? `[${listen}]` : listen;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
