// `ferry sink -c task.yaml [--destination NAME]`: runs one sink alone (start several to scale out).
import { ConfigError } from '@ferry/core';
import { METRICS_PORT_OFFSET, serviceMain } from '@ferry/runtime';
import { releaseSink } from './release.js';
import { defaultGroupId, SinkService } from './sink-service.js';

const HELP = `ferry sink -c task.yaml [--destination NAME] [--group ID] [--concurrency N] [--release]

Consumes the task's topics and applies them to a destination, each batch in one
destination transaction with its Kafka offsets. Start several with the same task
to share the partitions of one destination; a new --group replays the topics.

  --destination NAME   which destination of the task (default: the first)
  --group ID           consumer group (default: ferry-<task>-<destination>)
  --concurrency N      partitions applied at once, one destination session each (default 4)
  --release            drop this task's replication origins and bookkeeping on the destination, then exit`;

await serviceMain(
  {
    name: 'sink',
    help: HELP,
    stopping: 'stopping after the batch in flight',
    flags: { destination: { type: 'string' }, group: { type: 'string' }, concurrency: { type: 'string' }, release: { type: 'boolean' } },
  },
  async ({ args, task, log, signal, kafka, retrying, metrics, exposeMetrics }) => {
    const name = args.flags.destination as string | undefined;
    const destination = name ? task.destinations.find((d) => d.name === name) : task.destinations[0];
    if (!destination) {
      throw new ConfigError(`the task has no destination named "${name}"`, [], {
        fix: `use one of: ${task.destinations.map((d) => d.name).join(', ')}`,
      });
    }
    const group = (args.flags.group as string | undefined) ?? defaultGroupId(task, destination);
    if (args.flags.release) return releaseSink(task, destination, group, log);
    const service = new SinkService({
      task,
      destination,
      kafka: kafka(),
      log,
      groupId: group,
      ...(args.flags.concurrency ? { concurrency: Number(args.flags.concurrency) } : {}),
    });
    service.metrics.register(metrics, destination.name);
    await exposeMetrics(METRICS_PORT_OFFSET.sink(task.destinations.indexOf(destination) + 1));
    // Offsets live in the destination, so rerunning after a retriable failure never applies twice.
    await retrying(() => service.run(signal));
  },
);
