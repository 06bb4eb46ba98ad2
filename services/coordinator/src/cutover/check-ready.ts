import { FerryError } from '@ferry/core';
import type { TaskConfig } from '@ferry/config';
import { readProgress, type PipelineProgress } from '../workflow/progress.js';
import type { TaskState } from '../workflow/task-state.js';

/** Capture writes the heartbeat row this often (its default); a fresh destination is at most this old. */
export const HEARTBEAT_INTERVAL_SECONDS = 5;

export interface DestinationLag {
  destination: string;
  /** null: no heartbeat has reached the destination yet. */
  seconds: number | null;
}

/**
 * How far behind the destination is, from the heartbeats. The lag of the newest applied
 * heartbeat keeps its value while the sink stands still, so when that heartbeat is older
 * than a heartbeat interval the destination is at least that much more behind.
 */
export function effectiveLagSeconds(
  progress: Pick<PipelineProgress, 'lagSeconds' | 'heartbeatAgeSeconds'>,
  heartbeatIntervalSeconds = HEARTBEAT_INTERVAL_SECONDS,
): number | null {
  if (progress.lagSeconds === null || progress.heartbeatAgeSeconds === null) return null;
  return Math.max(progress.lagSeconds, progress.heartbeatAgeSeconds - heartbeatIntervalSeconds);
}

/** Why the task cannot be cut over now, or null. Pure: the phase first, then every destination's lag. */
export function readinessProblem(state: Pick<TaskState, 'phase' | 'cutover' | 'lastError'>, lags: readonly DestinationLag[], maxLagSeconds: number): string | null {
  switch (state.phase) {
    case 'incremental':
      break;
    case 'new':
    case 'precheck':
    case 'schema':
      return `the migration has not started copying yet (phase ${state.phase}): cutover needs continuous sync`;
    case 'full':
      return 'the snapshot (full copy) is still running: cutover needs continuous sync, after the copy is applied';
    case 'post-data':
      return 'the post-data schema (indexes, foreign keys) is still being applied: cutover needs continuous sync';
    case 'cutover':
      return `a cutover started at ${state.cutover?.startedAt ?? '?'} has not finished: if no other ferry cutover runs, run ferry cutover --abort to restore the source`;
    case 'done':
      return state.cutover?.finishedAt ? `this task was already cut over at ${state.cutover.finishedAt}` : 'the task is done: it has no continuous sync to cut over';
    case 'failed':
      return `the task failed${state.lastError ? `: ${state.lastError}` : ''}`;
  }
  for (const lag of lags) {
    if (lag.seconds === null) return `no heartbeat has reached destination "${lag.destination}" yet: is its sink running?`;
    if (lag.seconds >= maxLagSeconds) {
      return `lag too high: destination "${lag.destination}" is ${lag.seconds.toFixed(1)} s behind the source (the limit is ${maxLagSeconds} s)`;
    }
  }
  return null;
}

/** Step 1: refuses (CUTOVER_REFUSED, naming the reason) unless the task syncs continuously with little lag. */
export async function checkReady(task: TaskConfig, state: TaskState, maxLagSeconds: number): Promise<DestinationLag[]> {
  const phaseProblem = readinessProblem(state, [], maxLagSeconds);
  if (phaseProblem) throw refused(phaseProblem);
  const lags: DestinationLag[] = [];
  for (const [index, destination] of task.destinations.entries()) {
    lags.push({ destination: destination.name, seconds: effectiveLagSeconds(await readProgress(task, index)) });
  }
  const lagProblem = readinessProblem(state, lags, maxLagSeconds);
  if (lagProblem) throw refused(lagProblem);
  return lags;
}

export function refused(reason: string, fix?: string): FerryError {
  return new FerryError('CUTOVER_REFUSED', `cutover refused: ${reason}`, {
    fix: fix ?? 'run ferry status -c task.yaml to see the phase and lag; cut over once it shows phase incremental with a small lag',
  });
}
