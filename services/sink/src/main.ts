// `ferry sink -c task.yaml [--destination NAME]`: runs one sink alone (start several to scale out).
import { COMMON_HELP, isSupervised, loadTaskFile, parseCommonArgs, requireConfigPath } from '@ferry/config';
import { ConfigError, FerryError, retry, serviceRetryOptions } from '@ferry/core';
import { createKafka } from '@ferry/kafka';
import { createRootLogger } from '@ferry/observability';
import { releaseSink } from './release.js';
import { defaultGroupId, SinkService } from './sink-service.js';

const HELP = `ferry sink -c task.yaml [--destination NAME] [--group ID] [--concurrency N] [--release]

Consumes the task's topics and applies them to a destination, each batch in one
destination transaction with its Kafka offsets. Start several with the same task
to share the partitions of one destination; a new --group replays the topics.

  --destination NAME   which destination of the task (default: the first)
  --group ID           consumer group (default: ferry-<task>-<destination>)
  --concurrency N      partitions applied at once, one destination session each (default 4)
  --release            drop this task's replication origins and bookkeeping on the destination, then exit

${COMMON_HELP}`;

const args = parseCommonArgs(process.argv.slice(3), {
  destination: { type: 'string' },
  group: { type: 'string' },
  concurrency: { type: 'string' },
  release: { type: 'boolean' },
});
if (args.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}
const log = createRootLogger({ service: 'sink', level: args.logLevel, pretty: process.stderr.isTTY });
const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log.info({ signal }, 'stopping after the batch in flight');
    controller.abort();
  });
}
// Under `ferry migrate`, a service stops with its supervisor, even one killed with -9.
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
  const task = loadTaskFile(requireConfigPath(args, 'sink'), { overrides: args.overrides });
  const name = args.flags.destination as string | undefined;
  const destination = name ? task.destinations.find((d) => d.name === name) : task.destinations[0];
  if (!destination) {
    throw new ConfigError(`the task has no destination named "${name}"`, [], {
      fix: `use one of: ${task.destinations.map((d) => d.name).join(', ')}`,
    });
  }
  if (args.flags.release) {
    await releaseSink(task, destination, (args.flags.group as string | undefined) ?? defaultGroupId(task, destination), log);
    process.exit(0);
  }
  const kafka = createKafka({ brokers: task.kafka.brokers, clientId: `${task.kafka.clientId}-sink`, ssl: task.kafka.ssl, ...(task.kafka.sasl ? { sasl: task.kafka.sasl } : {}) }, log);
  const service = new SinkService({
    task,
    destination,
    kafka,
    log,
    ...(args.flags.group ? { groupId: String(args.flags.group) } : {}),
    ...(args.flags.concurrency ? { concurrency: Number(args.flags.concurrency) } : {}),
  });
  // Offsets live in the destination, so rerunning after a retriable failure never applies twice.
  await retry(() => service.run(controller.signal), {
    ...serviceRetryOptions(task.retry),
    signal: controller.signal,
    onRetry: ({ attempt, delayMs, error }) => log.warn({ attempt, delayMs, err: error }, 'sink failed; resuming after a pause'),
  });
  process.exit(0);
} catch (error) {
  if (error instanceof FerryError) {
    log.error({ err: error }, error.message);
    process.stderr.write(`\n${error.describe()}\n`);
  } else {
    log.error({ err: error }, 'sink failed');
  }
  process.exit(1);
}
