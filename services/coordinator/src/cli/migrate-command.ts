import type { TaskConfig } from '@ferry/config';
import { retry, serviceRetryOptions } from '@ferry/core';
import { createKafka, kafkaSettingsFor } from '@ferry/kafka';
import type { Logger } from '@ferry/observability';
import { checkApiSettings } from '../api/api-server.js';
import { startOperatorSurface, type OperatorSurface } from '../api/operator-surface.js';
import { formatPrecheckReport } from '../prechecks/report.js';
import { runPrechecks } from '../prechecks/run-prechecks.js';
import { recordTableClaims } from '../prechecks/table-claims.js';
import { ContinuousVerification } from '../workflow/continuous-verification.js';
import { ProgressReader, type PipelineProgress } from '../workflow/progress.js';
import { applySchemaSection, printSchemaPlan } from '../workflow/schema-steps.js';
import { Supervisor } from '../workflow/supervisor.js';
import { TaskStateStore, type TaskState } from '../workflow/task-state.js';
import { loadCommand } from './load-command.js';
import { ProgressView } from './progress-view.js';

const HELP = `ferry migrate -c task.yaml [--dry-run] [--skip-precheck]

Runs the whole migration: prechecks, schema (pre-data), the full copy and the
continuous sync, then post-data schema (indexes, foreign keys, triggers) once the
copy is in. Capture and one sink per destination run as child processes and are
restarted if they die. Stop with Ctrl-C; run it again to resume where it stopped.

  --dry-run         print the schema plan (DDL in order) and exit
  --skip-precheck   do not run the prechecks first`;

const COORDINATOR_HELP = `ferry coordinator -c task.yaml

Like \`ferry migrate\`, but starts no capture or sink: run those yourself
(\`ferry capture\`, \`ferry sink\`), e.g. on other machines.`;

export async function runMigrate(argv: string[], options: { embedded: boolean }): Promise<number> {
  const loaded = loadCommand(options.embedded ? 'migrate' : 'coordinator', argv, options.embedded ? HELP : COORDINATOR_HELP, {
    'dry-run': { type: 'boolean' },
    'skip-precheck': { type: 'boolean' },
  });
  if (!loaded) return 0;
  const { args, task, log } = loaded;
  if (args.flags['dry-run']) {
    await printSchemaPlan(task);
    return 0;
  }
  checkApiSettings(task.api);
  const kafka = createKafka(kafkaSettingsFor(task.kafka, 'coordinator'), log);
  const store = new TaskStateStore(kafka, task.kafka.topicPrefix, task.kafka.replicationFactor);
  const controller = new AbortController();
  // A broker that is down or still electing leaders is waited for, within the task's retry windows.
  const state = await retry(() => store.load(), {
    ...serviceRetryOptions(task.retry),
    signal: controller.signal,
    onRetry: ({ attempt, delayMs, error }) => log.warn({ attempt, delayMs, err: error }, 'cannot read the task state from Kafka yet; trying again'),
  });
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const supervisor = new Supervisor(log);
  // Console, API, /metrics and alerts; the services stay stopped while an operator's pause holds.
  const surface = await startOperatorSurface({ task, configPath: args.configPath!, overrides: args.overrides, kafka, store, state, supervisor: options.embedded ? supervisor : undefined, log });
  if (state.paused && options.embedded) await supervisor.pause();
  const verification = new ContinuousVerification({ task, kafka, store, log, signal: controller.signal });
  try {
    if (!state.done.preData && !args.flags['skip-precheck']) {
      await store.enter(state, 'precheck');
      const outcome = await runPrechecks(task);
      surface.operator.recordPrechecks(outcome.results);
      if (!outcome.ok) {
        process.stderr.write(`${formatPrecheckReport(outcome.results)}\n`);
        log.error('prechecks found errors; fix them and run again');
        await surface.failed('the prechecks found errors (see the console or run ferry precheck)');
        return 1;
      }
      log.info({ phase: 'precheck' }, 'prechecks passed');
    }
    // Many-to-one: the next task's precheck names a destination table this task writes too.
    await recordTableClaims(task).catch((error: unknown) => log.warn({ err: error }, 'could not record the task\'s destination tables (ferry.task_tables)'));
    if (task.phases.includes('schema') && !state.done.preData) {
      await store.enter(state, 'schema');
      await applySchemaSection(task, 'pre-data', state.preexistingTables, log);
      state.done.preData = true;
      await store.save(state);
    } else {
      state.done.preData = true;
    }
    const copies = task.phases.includes('full');
    if (!copies && !task.phases.includes('incremental')) {
      await finishSchema(task, state, store, log);
      await store.enter(state, 'done');
      return 0;
    }
    if (options.embedded) {
      const common = ['-c', args.configPath!, '--log-level', args.logLevel, ...Object.entries(args.overrides).flatMap(([k, v]) => ['--set', `${k}=${v}`])];
      supervisor.start({ name: 'capture', args: ['capture', ...common], env: surface.serviceEnv('capture') });
      for (const destination of task.destinations) {
        const name = `sink:${destination.name}`;
        supervisor.start({ name, args: ['sink', ...common, '--destination', destination.name], env: surface.serviceEnv(name) });
      }
    }
    if (!copies) {
      // [incremental] alone (a backflow task): no copy to wait for, sync starts with the slot.
      state.done.full = true;
      await finishSchema(task, state, store, log);
      await store.enter(state, 'incremental');
    } else if (!state.done.full) {
      await store.enter(state, 'full');
    }
    return await watch(task, state, store, log, controller.signal, verification, surface);
  } catch (error) {
    await surface.failed((error as Error).message);
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    controller.abort();
    await verification.stop();
    await supervisor.stopAll();
    await surface.close();
    await store.close();
  }
}

/** Shows progress and moves the task through its phases until it is done or stopped. */
async function watch(
  task: TaskConfig,
  state: TaskState,
  store: TaskStateStore,
  log: Logger,
  signal: AbortSignal,
  verification: ContinuousVerification,
  surface: OperatorSurface,
): Promise<number> {
  const view = new ProgressView();
  const interactive = process.stderr.isTTY;
  const reader = new ProgressReader(task);
  // The other destinations are read only until their copies are in: the full phase ends when every one's has.
  const others = task.destinations.slice(1).map((_, i) => new ProgressReader(task, i + 1));
  try {
    let lastLog = 0;
    while (!signal.aborted) {
      let progress: PipelineProgress | undefined;
      let problem: unknown;
      try {
        progress = await reader.read();
      } catch (error) {
        problem = error;
        log.warn({ err: error }, 'cannot read progress yet');
      }
      await surface.tick(progress, problem);
      if (progress) {
        const text = view.render(progress, state.phase);
        if (interactive) process.stderr.write(`\x1b[2J\x1b[H${text}\n`);
        else if (Date.now() - lastLog > 10_000) {
          lastLog = Date.now();
          process.stderr.write(`${text}\n`);
        }
        if (!state.done.full && snapshotApplied(progress) && (await othersApplied(others, log))) {
          state.done.full = true;
          await store.save(state);
          // Their copies are in: nothing more to read there.
          await Promise.all(others.map((r) => r.close()));
          log.info({ phase: 'full' }, `full data copy applied on ${task.destinations.length === 1 ? 'the destination' : 'every destination'}`);
          await finishSchema(task, state, store, log);
          if (!task.phases.includes('incremental')) {
            await store.enter(state, 'done');
            return 0;
          }
          await store.enter(state, 'incremental');
          log.info({ phase: 'incremental' }, 'continuous sync: the destination follows the source until cutover');
        }
      }
      verification.tick(state);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    return 0;
  } finally {
    await Promise.all([reader, ...others].map((r) => r.close()));
  }
}

function snapshotApplied(progress: PipelineProgress): boolean {
  return progress.tables.length > 0 && progress.tables.every((t) => t.snapshotComplete);
}

/** Whether the other destinations have their copies too (one-to-many); a read that fails counts as not yet. */
async function othersApplied(readers: readonly ProgressReader[], log: Logger): Promise<boolean> {
  for (const reader of readers) {
    const progress = await reader.read().catch((error: unknown) => {
      log.warn({ err: error }, 'cannot read the progress of another destination yet');
      return undefined;
    });
    if (!progress || !snapshotApplied(progress)) return false;
  }
  return true;
}

async function finishSchema(task: TaskConfig, state: TaskState, store: TaskStateStore, log: Logger): Promise<void> {
  if (!task.phases.includes('schema') || state.done.postData) return;
  await store.enter(state, 'post-data');
  await applySchemaSection(task, 'post-data', state.preexistingTables, log);
  state.done.postData = true;
  await store.save(state);
}
