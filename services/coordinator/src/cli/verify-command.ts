import { ConfigError, FerryError, toError } from '@ferry/core';
import { createKafka, kafkaSettingsFor } from '@ferry/kafka';
import type { Logger } from '@ferry/observability';
import type { Kafka } from 'kafkajs';
import { formatVerification } from '../verify/format-verification.js';
import type { SequenceSetting } from '../verify/sequence-check.js';
import { verifyDestination } from '../verify/verify-destination.js';
import { TaskStateStore } from '../workflow/task-state.js';
import { loadCommand } from './load-command.js';

const HELP = `ferry verify -c task.yaml [--json] [--destination NAME] [--sequences auto|strict|info|off] [--skip-schema] [--no-recheck]

Compares every selected table of the source with its copy on the destination, under the
task's renames, column selection and row filters. Each database computes a row count
and checksum per key range (verify.chunkRows rows); only ranges that differ are compared
row by row (key and row hash), so only hashes travel. Differing rows are named: missing
on the destination, extra there, or different (with the differing columns). Tables
without a primary or unique key are compared whole (count and checksum).

While sync runs, a difference may be a change in flight: verify then waits until the
destination has applied the source's changes up to the check (a marker through the WAL,
as the cutover does; verify.recheckTimeoutSeconds) and checks again; only differences
that persist are reported.

Also compares schema objects (unless --skip-schema) and sequence positions. Sequences
are synced at cutover, so before it a sequence behind the source is only reported
(--sequences auto: information before a finished cutover, a failure after it).

  --destination NAME   which destination (default: the first)
  --sequences MODE     auto (default: verify.sequences), strict, info or off
  --skip-schema        compare data only
  --no-recheck         report differences as first found, without waiting for the sink
  --json               print the verification summary as JSON

Exit code: 0 when everything matches, 1 when something differs, 2 when verify could
not run (an error).`;

const SEQUENCE_SETTINGS = ['auto', 'strict', 'info', 'off'];

export async function runVerifyCommand(argv: string[]): Promise<number> {
  try {
    return await verify(argv);
  } catch (error) {
    process.stderr.write(`${error instanceof FerryError ? error.describe() : `ferry verify failed: ${toError(error).message}`}\n`);
    return 2;
  }
}

async function verify(argv: string[]): Promise<number> {
  const loaded = loadCommand('verify', argv, HELP, {
    destination: { type: 'string' },
    sequences: { type: 'string' },
    'skip-schema': { type: 'boolean' },
    'no-recheck': { type: 'boolean' },
  });
  if (!loaded) return 0;
  const { args, task, log } = loaded;
  const name = args.flags.destination as string | undefined;
  const destinationIndex = name ? task.destinations.findIndex((d) => d.name === name) : 0;
  if (destinationIndex < 0) throw new ConfigError(`the task has no destination named "${name}"`, [], { fix: `use one of: ${task.destinations.map((d) => d.name).join(', ')}` });
  const sequences = (args.flags.sequences as string | undefined) ?? task.verify.sequences;
  if (!SEQUENCE_SETTINGS.includes(sequences)) throw new ConfigError(`--sequences must be one of ${SEQUENCE_SETTINGS.join(', ')}, got "${sequences}"`, []);

  const kafka = createKafka(kafkaSettingsFor(task.kafka, 'verify'), log);
  const summary = await verifyDestination(task, {
    trigger: 'manual',
    destinationIndex,
    kafka,
    recheck: !args.flags['no-recheck'],
    schema: !args.flags['skip-schema'],
    sequences: sequences as SequenceSetting,
    afterCutover: () => cutoverFinished(kafka, task.kafka.topicPrefix, task.kafka.replicationFactor, log),
    log,
  });
  process.stdout.write(args.json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatVerification(summary)}\n`);
  return summary.ok ? 0 : 1;
}

/** From the task state: has a cutover finished (so sequences must be in step)? Unknown counts as no. */
async function cutoverFinished(kafka: Kafka, prefix: string, replicationFactor: number, log: Logger): Promise<boolean> {
  const store = new TaskStateStore(kafka, prefix, replicationFactor);
  try {
    const state = await store.load();
    return Boolean(state.cutover?.finishedAt && !state.cutover.abortedAt);
  } catch (error) {
    log.warn({ err: error }, 'cannot read the task state; sequences are compared as information only');
    return false;
  } finally {
    await store.close().catch(() => undefined);
  }
}
