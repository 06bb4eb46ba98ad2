import type { TaskConfig } from '@ferry/config';
import type { Logger } from '@ferry/observability';
import { openClient } from '@ferry/pg';
import type { TaskStateStore } from '../workflow/task-state.js';
import { refused } from './check-ready.js';
import { holdCutoverLock } from './cutover-lock.js';
import { describeFence, describeLiftedFence, liftFence, undoFenceSql } from './fence.js';
import { releaseBackflow } from './stop-backflow.js';

/**
 * `ferry cutover --abort`: undoes an unfinished cutover from the task state, e.g. one
 * that was killed after fencing. A finished cutover is not undone: the applications
 * write to the destination by then.
 */
export async function abortCutover(task: TaskConfig, store: TaskStateStore, log: Logger): Promise<string> {
  const state = await store.load();
  const record = state.cutover;
  if (!record || record.abortedAt) return 'no cutover in progress: nothing to restore';
  if (record.finishedAt) {
    throw refused(
      `the cutover finished at ${record.finishedAt}; the source stays fenced on purpose (${describeFence(record.fence)})`,
      record.fence ? `to let applications write to the old source again, run on it: ${undoFenceSql(record.fence).join(' ')}` : undefined,
    );
  }
  const source = await openClient(task.source.url, { applicationName: 'ferry-cutover', role: 'source' });
  try {
    // A killed cutover's session may take a moment to go, and its lock with it.
    await holdCutoverLock(source, task.name, 15_000);
    await liftFence(task, record.fence);
    if (record.backflow) await releaseBackflow(record.backflow);
    record.abortedAt = new Date().toISOString();
    record.error ??= 'aborted with ferry cutover --abort';
    if (state.phase === 'cutover') await store.enter(state, 'incremental');
    else await store.save(state);
    log.info({ marker: record.markerId }, 'cutover aborted; source restored');
    return record.fence ? `cutover aborted; the fence is lifted: ${describeLiftedFence(record.fence)}` : 'cutover aborted; nothing was fenced';
  } finally {
    await source.end().catch(() => undefined);
  }
}
