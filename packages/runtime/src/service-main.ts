import type { ParseArgsConfig } from 'node:util';
import { isSupervised, loadTaskFile, parseCommonArgs, requireConfigPath, COMMON_HELP, type CommonArgs, type TaskConfig } from '@ferry/config';
import { FerryError, retry, serviceRetryOptions } from '@ferry/core';
import { createKafka, kafkaSettingsFor } from '@ferry/kafka';
import type { Registry } from '@ferry/metrics';
import { createRootLogger, type Logger } from '@ferry/observability';
import type { Kafka } from 'kafkajs';
import { exposeMetrics, processMetrics } from './service-metrics.js';

export interface ServiceContext {
  args: CommonArgs;
  task: TaskConfig;
  log: Logger;
  signal: AbortSignal;
  kafka: () => Kafka;
  /** Runs `work` again after retriable failures, within the task's retry windows. */
  retrying: (work: () => Promise<void>) => Promise<void>;
  /** This process's Prometheus registry (retries and errors are counted already). */
  metrics: Registry;
  /** Serves `metrics` on /metrics when a port is configured (see exposeMetrics); `offset` from METRICS_PORT_OFFSET. */
  exposeMetrics: (offset: number) => Promise<void>;
}

export interface ServiceMainOptions {
  /** capture, sink: the command name and the logger's service name. */
  name: string;
  help: string;
  flags?: NonNullable<ParseArgsConfig['options']>;
  /** Said in the log when a stop signal arrives. */
  stopping: string;
}

/**
 * The process around a service: flags and task file, the root logger, stop on
 * SIGINT/SIGTERM (and when a supervising `ferry migrate` is gone, even after
 * kill -9), and an exit code with the error's fix printed for people.
 */
export async function serviceMain(options: ServiceMainOptions, body: (context: ServiceContext) => Promise<void>): Promise<never> {
  const args = parseCommonArgs(process.argv.slice(3), options.flags ?? {});
  if (args.help) {
    process.stdout.write(`${options.help}\n\n${COMMON_HELP}\n`);
    process.exit(0);
  }
  const log = createRootLogger({ service: options.name, level: args.logLevel, pretty: process.stderr.isTTY });
  const controller = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log.info({ signal }, options.stopping);
      controller.abort();
    });
  }
  if (isSupervised()) {
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent && !controller.signal.aborted) {
        log.warn('the supervising `ferry migrate` is gone; stopping');
        controller.abort();
      }
    }, 1_000).unref();
  }
  try {
    const task = loadTaskFile(requireConfigPath(args, options.name), { overrides: args.overrides });
    const metrics = processMetrics(options.name, task);
    const kafka = () =>
      createKafka(kafkaSettingsFor(task.kafka, options.name), log);
    const retrying = (work: () => Promise<void>) =>
      retry(work, {
        ...serviceRetryOptions(task.retry),
        signal: controller.signal,
        onRetry: ({ attempt, delayMs, error }) => {
          metrics.retries.inc();
          metrics.errors.inc({ kind: error instanceof FerryError ? error.code : error instanceof Error ? error.name : 'unknown' });
          log.warn({ attempt, delayMs, err: error }, `${options.name} failed; resuming after a pause`);
        },
      });
    const expose = async (offset: number) => {
      await exposeMetrics(metrics.registry, { task, offset, log });
    };
    await body({ args, task, log, signal: controller.signal, kafka, retrying, metrics: metrics.registry, exposeMetrics: expose });
    process.exit(0);
  } catch (error) {
    if (error instanceof FerryError) {
      log.error({ err: error }, error.message);
      process.stderr.write(`\n${error.describe()}\n`);
    } else {
      log.error({ err: error }, `${options.name} failed`);
    }
    process.exit(1);
  }
}
