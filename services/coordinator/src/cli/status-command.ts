import { createKafka, kafkaSettingsFor } from '@ferry/kafka';
import { formatVerificationBrief } from '../verify/format-verification.js';
import { readProgress } from '../workflow/progress.js';
import { TaskStateStore } from '../workflow/task-state.js';
import { loadCommand } from './load-command.js';
import { ProgressView } from './progress-view.js';

const HELP = `ferry status -c task.yaml [--json]

Shows the task's phase and history, per-table progress of the full copy, the
slot's position and the end-to-end lag, read from Kafka and both databases, and the
newest continuous verification (verify.continuous). With --json: { task, state,
progress, verification } where verification is the newest VerificationSummary or null.`;

export async function runStatusCommand(argv: string[]): Promise<number> {
  const loaded = loadCommand('status', argv, HELP);
  if (!loaded) return 0;
  const { args, task, log } = loaded;
  const kafka = createKafka(kafkaSettingsFor(task.kafka, 'status'), log);
  const store = new TaskStateStore(kafka, task.kafka.topicPrefix, task.kafka.replicationFactor);
  try {
    const state = await store.load();
    const progress = await readProgress(task);
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ task: task.name, state, progress, verification: state.verification ?? null }, null, 2)}\n`);
    } else {
      process.stdout.write(`task ${task.name}\n${new ProgressView().render(progress, state.phase)}\n`);
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
