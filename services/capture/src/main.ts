// `ferry capture -c task.yaml`: runs the capture service alone.
import { SchemaRegistryClient } from '@ferry/avro';
import { loadTaskFile, requireConfigPath } from '@ferry/config';
import { METRICS_PORT_OFFSET, serviceMain } from '@ferry/runtime';
import { CaptureService } from './capture-service.js';
import { releaseCapture } from './release.js';

const HELP = `ferry capture -c task.yaml [--release]

Takes the consistent snapshot of the source and streams its committed changes
into Kafka as Avro, resuming from the slot and the offsets topic after any stop.

  --release   drop the task's replication slot, publication and heartbeat row, then exit`;

await serviceMain(
  { name: 'capture', help: HELP, stopping: 'stopping: committing what is complete, then closing', flags: { release: { type: 'boolean' } } },
  async ({ args, task, log, signal, kafka, retrying, metrics, exposeMetrics }) => {
    if (args.flags.release) return releaseCapture(task, log);
    // Tables the task file newly selects while capture runs join the task (see TableAddition).
    const path = requireConfigPath(args, 'capture');
    const taskFile = { path, read: () => loadTaskFile(path, { overrides: args.overrides }) };
    const service = new CaptureService({ task, kafka: kafka(), registrar: new SchemaRegistryClient({ url: task.schemaRegistry.url }), log, taskFile });
    service.metrics.register(metrics);
    await exposeMetrics(METRICS_PORT_OFFSET.capture);
    // Every step resumes from durable state (slot, offsets topic), so a retriable failure reruns it all.
    await retrying(() => service.run(signal));
  },
);
