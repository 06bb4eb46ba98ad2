import type { TaskConfig } from '@ferry/config';
import { FerryError, toError } from '@ferry/core';
import type { Logger } from '@ferry/observability';
import { openClient } from '@ferry/pg';
import type { Kafka } from 'kafkajs';
import type { TaskState, TaskStateStore } from '../workflow/task-state.js';
import { checkReady } from './check-ready.js';
import { holdCutoverLock } from './cutover-lock.js';
import { assertMarkersPublished, newMarkerId, writeMarker } from './cutover-marker.js';
import type { CutoverOptions } from './cutover-options.js';
import type { CutoverRecord } from './cutover-record.js';
import type { CutoverReport } from './cutover-report.js';
import { applyFence, describeFence, liftFence, planFence, undoFenceSql } from './fence.js';
import { finalVerify } from './final-verify.js';
import { startBackflow } from './start-backflow.js';
import { releaseBackflow } from './stop-backflow.js';
import { syncSequences } from './sync-sequences.js';
import { waitUntilDrained } from './wait-drained.js';

export interface CutoverContext {
  task: TaskConfig;
  configPath: string;
  overrides: Record<string, string>;
  kafka: Kafka;
  store: TaskStateStore;
  log: Logger;
  /** Each step as it ends: the CLI prints it (stepLine), the API shows it in the console. */
  onStep: (step: StepOutcome) => void;
  signal: AbortSignal;
}

export const CUTOVER_STEPS = ['check', 'fence', 'drain', 'sequences', 'verify', 'backflow', 'report'] as const;
const STEPS = CUTOVER_STEPS;
export type StepName = (typeof STEPS)[number];

/** A step that ended: done with what it did, or failed with why. */
export interface StepOutcome {
  /** From 0, in CUTOVER_STEPS. */
  index: number;
  name: StepName;
  failed: boolean;
  detail: string;
  /** How long a step that is done took. */
  seconds: number | null;
}

/** "[3/7] drain: ... (1.2 s)", as `ferry cutover` prints a step. */
export function stepLine(step: StepOutcome): string {
  const head = `[${step.index + 1}/${STEPS.length}] ${step.name}: `;
  return step.failed ? `${head}FAILED: ${step.detail}` : `${head}${step.detail} (${step.seconds!.toFixed(1)} s)`;
}

/**
 * `ferry cutover`, in order: (1) refuse unless in continuous sync with little lag, (2) fence
 * application writes on the source, (3) write the cutover marker and wait until every
 * destination applied everything before it, (4) sync sequences, (5) verify every table,
 * (6) optionally start backflow, (7) report and record. A failure after the fence, or a
 * signal, lifts the fence again; what the fence changed is in the task state before the
 * change, so `ferry cutover --abort` can lift it from another invocation too.
 */
export async function runCutover(ctx: CutoverContext, options: CutoverOptions): Promise<CutoverReport> {
  const { task, store } = ctx;
  const state = await store.load();
  const source = await openClient(task.source.url, { applicationName: 'ferry-cutover', role: 'source' });
  try {
    // This session writes the marker, through the read-only fence it may set.
    await source.query('SET default_transaction_read_only = off');
    await holdCutoverLock(source, task.name);

    let step = begin(ctx, 'check');
    const lag = await checkReady(task, state, options.maxLagSeconds);
    await assertMarkersPublished(source, task.source.publication);
    const fence = await planFence(source, options.fence);
    stopIfSignalled(ctx);
    done(ctx, step, `phase incremental, lag ${lag.map((l) => `${l.destination} ${l.seconds!.toFixed(1)} s`).join(', ')} (limit ${options.maxLagSeconds} s)`);

    const record: CutoverRecord = {
      markerId: newMarkerId(),
      startedAt: new Date().toISOString(),
      finishedAt: null,
      abortedAt: null,
      fence,
      backflow: null,
      error: null,
      report: null,
    };
    state.cutover = record;
    // Saved before the fence changes anything, so an abort from anywhere knows what to undo.
    await store.enter(state, 'cutover');
    const fencedAt = Date.now();
    step = begin(ctx, 'fence');
    try {
      const sessionsEnded = await applyFence(source, fence);
      done(ctx, step, `${describeFence(fence)}; ${sessionsEnded} session(s) ended`);

      step = begin(ctx, 'drain');
      await writeMarker(source, task.name, record.markerId);
      const timeoutMs = options.drainTimeoutSeconds * 1000;
      const drained = [];
      for (let i = 0; i < task.destinations.length; i++) {
        drained.push(await waitUntilDrained({ task, destinationIndex: i, kafka: ctx.kafka, markerId: record.markerId, timeoutMs, signal: ctx.signal }));
      }
      done(ctx, step, drained.map((d) => `${d.destination} applied everything before marker ${record.markerId} (LSN ${d.markerLsn})`).join('; '));

      step = begin(ctx, 'sequences');
      const sequences = [];
      for (let i = 0; i < task.destinations.length; i++) sequences.push({ destination: task.destinations[i]!.name, synced: await syncSequences(task, i) });
      done(ctx, step, sequences.map((s) => `${s.destination}: ${s.synced.filter((q) => q.action === 'set').length} of ${s.synced.length} set`).join('; '));
      stopIfSignalled(ctx);

      step = begin(ctx, 'verify');
      const verified = [];
      for (let i = 0; i < task.destinations.length; i++) verified.push(await finalVerify(task, i));
      state.verification = verified[0]!.summary;
      state.verifications = { ...state.verifications, ...Object.fromEntries(verified.map((v) => [v.destination, v.summary])) };
      done(ctx, step, verified.map((v) => `${v.destination}: ${v.tables} tables equal`).join('; '));
      stopIfSignalled(ctx);

      step = begin(ctx, 'backflow');
      if (options.backflow) {
        record.backflow = await startBackflow({ task, configPath: ctx.configPath, overrides: ctx.overrides, destinationIndex: 0 });
        await store.save(state);
        done(ctx, step, `running as pid ${record.backflow.pid} from ${record.backflow.taskFile}`);
      } else {
        done(ctx, step, 'not requested (--backflow starts it)');
      }

      step = begin(ctx, 'report');
      record.finishedAt = new Date().toISOString();
      record.report = {
        task: task.name,
        markerId: record.markerId,
        startedAt: record.startedAt,
        finishedAt: record.finishedAt,
        writesFencedSeconds: (Date.now() - fencedAt) / 1000,
        fence: describeFence(fence),
        sessionsEnded,
        lag,
        drained,
        sequences,
        verified: verified.map(({ destination, tables, rows }) => ({ destination, tables, rows })),
        backflow: record.backflow,
      };
      await store.enter(state, 'done');
      done(ctx, step, 'recorded in the task state (phase done)');
      return record.report;
    } catch (error) {
      throw await restore(ctx, state, record, step.name, error);
    }
  } finally {
    await source.end().catch(() => undefined);
  }
}

/** After a failure past the fence: lift it, stop a started backflow, record why, and say so. */
async function restore(ctx: CutoverContext, state: TaskState, record: CutoverRecord, step: StepName, error: unknown): Promise<FerryError> {
  const cause = toError(error);
  let outcome = record.fence ? 'the source was restored (the fence is lifted)' : 'nothing was fenced';
  try {
    await liftFence(ctx.task, record.fence);
  } catch (liftError) {
    outcome = `LIFTING THE FENCE FAILED (${toError(liftError).message}); run on the source: ${undoFenceSql(record.fence!).join(' ')}`;
  }
  if (record.backflow) {
    await releaseBackflow(record.backflow).catch((e: unknown) => ctx.log.warn({ err: e }, 'could not release the backflow'));
    outcome += '; the backflow was stopped and released';
  }
  record.error = cause.message;
  record.abortedAt = new Date().toISOString();
  await ctx.store.enter(state, 'incremental').catch((e: unknown) => ctx.log.warn({ err: e }, 'could not record the failed cutover in the task state'));
  ctx.log.error({ step, err: cause }, 'cutover failed');
  ctx.onStep({ index: STEPS.indexOf(step), name: step, failed: true, detail: cause.message, seconds: null });
  return new FerryError(cause instanceof FerryError ? cause.code : 'CUTOVER_FAILED', `cutover stopped at step ${step}: ${cause.message}; ${outcome}`, {
    cause,
    fix: cause instanceof FerryError && cause.fix ? cause.fix : 'fix the cause above, then run the cutover again',
  });
}

interface Step {
  name: StepName;
  started: number;
}

function begin(ctx: CutoverContext, name: StepName): Step {
  ctx.log.info({ step: name }, `cutover step ${STEPS.indexOf(name) + 1}/${STEPS.length}: ${name}`);
  return { name, started: Date.now() };
}

function done(ctx: CutoverContext, step: Step, detail: string): void {
  const seconds = (Date.now() - step.started) / 1000;
  ctx.log.info({ step: step.name, seconds: seconds.toFixed(1) }, detail);
  ctx.onStep({ index: STEPS.indexOf(step.name), name: step.name, failed: false, detail, seconds });
}

function stopIfSignalled(ctx: CutoverContext): void {
  if (ctx.signal.aborted) throw new FerryError('CUTOVER_STOPPED', 'stopped by a signal');
}
