// `ferry capture -c task.yaml`: runs the capture service alone.
import { COMMON_HELP, isSupervised, loadTaskFile, parseCommonArgs, requireConfigPath } from '@ferry/config';
import { SchemaRegistryClient } from '@ferry/avro';
import { FerryError, retry, serviceRetryOptions } from '@ferry/core';
import { createKafka } from '@ferry/kafka';
import { createRootLogger } from '@ferry/observability';
import { CaptureService } from './capture-service.js';
import { releaseCapture } from './release.js';

const HELP = `ferry capture -c task.yaml [--release]

Takes the consistent snapshot of the source and streams its committed changes
into Kafka as Avro, resuming from the slot and the offsets topic after any stop.

  --release   drop the task's replication slot, publication and heartbeat row, then exit

${COMMON_HELP}`;

const args = parseCommonArgs(process.argv.slice(3), { release: { type: 'boolean' } });
if (args.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}
const log = createRootLogger({ service: 'capture', level: args.logLevel, pretty: process.stderr.isTTY });
const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log.info({ signal }, 'stopping: committing what is complete, then closing');
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
  const task = loadTaskFile(requireConfigPath(args, 'capture'), { overrides: args.overrides });
  if (args.flags.release) {
    await releaseCapture(task, log);
  } else {
    const kafka = createKafka({ brokers: task.kafka.brokers, clientId: `${task.kafka.clientId}-capture`, ssl: task.kafka.ssl, ...(task.kafka.sasl ? { sasl: task.kafka.sasl } : {}) }, log);
    const service = new CaptureService({ task, kafka, registrar: new SchemaRegistryClient({ url: task.schemaRegistry.url }), log });
    // Every step resumes from durable state (slot, offsets topic), so a retriable failure reruns it all.
    await retry(() => service.run(controller.signal), {
      ...serviceRetryOptions(task.retry),
      signal: controller.signal,
      onRetry: ({ attempt, delayMs, error }) => log.warn({ attempt, delayMs, err: error }, 'capture failed; resuming after a pause'),
    });
  }
  process.exit(0);
} catch (error) {
  if (error instanceof FerryError) {
    log.error({ err: error }, error.message);
    process.stderr.write(`\n${error.describe()}\n`);
  } else {
    log.error({ err: error }, 'capture failed');
  }
  process.exit(1);
}
