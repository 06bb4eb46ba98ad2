import type { TaskConfig } from '@ferry/config';
import { FerryError } from '@ferry/core';
import { openClient } from '@ferry/pg';
import type pg from 'pg';
import type { FenceSpec } from './cutover-options.js';
import type { FenceRecord } from './cutover-record.js';
import { applyReadOnlyFence, liftReadOnlyFence, planReadOnlyFence, undoReadOnlyFenceSql } from './fence-read-only.js';
import { applyRolesFence, liftRolesFence, planRolesFence, undoRolesFenceSql } from './fence-roles.js';

/** Checks the fence can be applied and returns what it will change, changing nothing (null: no fence). */
export async function planFence(client: pg.ClientBase, spec: FenceSpec): Promise<FenceRecord | null> {
  if (spec.kind === 'roles') return planRolesFence(client, spec.roles);
  if (spec.kind === 'read-only') return planReadOnlyFence(client);
  return null;
}

/** Step 2: stops application writes on the source. Returns how many sessions were ended. */
export async function applyFence(client: pg.ClientBase, fence: FenceRecord | null): Promise<number> {
  if (fence === null) return 0;
  return fence.kind === 'roles' ? applyRolesFence(client, fence) : applyReadOnlyFence(client, fence);
}

/** Undoes the fence on a session of its own (the cutover's may be the reason for the failure). */
export async function liftFence(task: TaskConfig, fence: FenceRecord | null): Promise<void> {
  if (fence === null) return;
  const client = await openClient(task.source.url, { applicationName: 'ferry-cutover-restore', role: 'source' });
  try {
    // A session opened after ALTER DATABASE ... read-only starts read-only itself.
    await client.query('SET default_transaction_read_only = off');
    if (fence.kind === 'roles') await liftRolesFence(client, fence);
    else await liftReadOnlyFence(client, fence);
  } catch (error) {
    throw new FerryError('CUTOVER_RESTORE_FAILED', `could not lift the fence on the source: ${(error as Error).message}`, {
      cause: error,
      fix: `run on the source: ${undoFenceSql(fence).join(' ')}`,
    });
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function undoFenceSql(fence: FenceRecord): string[] {
  return fence.kind === 'roles' ? undoRolesFenceSql(fence) : [undoReadOnlyFenceSql(fence)];
}

export function describeFence(fence: FenceRecord | null): string {
  if (fence === null) return 'no fence (--fence none): the applications were stopped by hand';
  if (fence.kind === 'roles') return `roles ${fence.roles.map((r) => `"${r.name}"`).join(', ')} cannot log in`;
  return `database "${fence.database}" defaults to read-only transactions`;
}

export function describeLiftedFence(fence: FenceRecord): string {
  if (fence.kind === 'read-only') return `database "${fence.database}" no longer defaults to read-only transactions`;
  const restored = fence.roles.filter((r) => r.couldLogin).map((r) => `"${r.name}"`);
  return restored.length > 0 ? `roles ${restored.join(', ')} can log in again` : 'no role had LOGIN to give back';
}
