import { createKafka, kafkaSettingsFor } from '@ferry/kafka';
import { formatVerificationBrief } from '../verify/format-verification.js';
import { readProgress } from '../workflow/progress.js';
import { TaskStateStore } from '../workflow/task-state.js';
import { loadCommand } from './load-command.js';
import { ProgressView } from './progress-view.js';

const HELP = `ferry status -c task.yaml [--json]

Shows the task's phase and history, per-table progress of the full copy, the
slot's position and the end-to-end lag, read from Kafka and the databases (each
destination of a one-to-many task), and the newest continuous verification
(verify.continuous). With --json: { task, state, progress, destinations,
verification }: progress is the first destination's, destinations lists
{ name, progress } for every one, verification is the newest
VerificationSummary or null.`;

export async function runStatusCommand(argv: string[]): Promise<number> {
  const loaded = loadCommand('status', argv, HELP);
  if (!loaded) return 0;
  const { args, task, log } = loaded;
  const kafka = createKafka(kafkaSettingsFor(task.kafka, 'status'), log);
  const store = new TaskStateStore(kafka, task.kafka.topicPrefix, task.kafka.replicationFactor);
  try {
    const state = await store.load();
    const destinations = await Promise.all(task.destinations.map(async (d, i) => ({ name: d.name, progress: await readProgress(task, i) })));
    const progress = destinations[0]!.progress;
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ task: task.name, state, progress, destinations, verification: state.verification ?? null }, null, 2)}\n`);
    } else {
      process.stdout.write(`task ${task.name}\n`);
      for (const d of destinations) {
        if (destinations.length > 1) process.stdout.write(`destination ${d.name}\n`);
        process.stdout.write(`${new ProgressView().render(d.progress, state.phase)}\n`);
      }
      if (state.lastError) process.stdout.write(`last error: ${state.lastError}\n`);
      for (const summary of Object.values(state.verifications ?? (state.verification ? { latest: state.verification } : {}))) {
        process.stdout.write(`${formatVerificationBrief(summary)}\n`);
      }
    }
    return 0;
  } finally {
    await store.close();
  }
}
