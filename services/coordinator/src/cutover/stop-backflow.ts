import { spawn } from 'node:child_process';
import { FERRY_BIN } from '../workflow/supervisor.js';
import type { BackflowRecord } from './cutover-record.js';

/** Stops the backflow's `ferry migrate` and the services it runs (one process group). */
export function stopBackflow(record: BackflowRecord): boolean {
  if (record.pid === null) return false;
  try {
    process.kill(-record.pid, 'SIGTERM');
    return true;
  } catch {
    return false; // already gone
  }
}

/**
 * Undoes a backflow a failed cutover started: stops it, then drops its slot and
 * publication on the destination and its origins on the old source, through the
 * same commands an operator would run.
 */
export async function releaseBackflow(record: BackflowRecord): Promise<void> {
  if (stopBackflow(record)) await new Promise((resolve) => setTimeout(resolve, 2_000));
  await runFerry(['capture', '-c', record.taskFile, '--release']);
  await runFerry(['sink', '-c', record.taskFile, '--release']);
}

function runFerry(args: string[]): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [FERRY_BIN, ...args], { stdio: 'ignore' });
    child.once('exit', resolve);
    child.once('error', () => resolve(null));
  });
}
