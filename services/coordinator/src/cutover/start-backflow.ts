import { spawn } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { loadTaskFile, ObjectSelection, readTaskDocument, type TaskConfig } from '@ferry/config';
import { FerryError } from '@ferry/core';
import { listTables, openClient } from '@ferry/pg';
import { FERRY_BIN } from '../workflow/supervisor.js';
import { backflowTaskDocument, type ForwardTable } from './backflow-task.js';
import type { BackflowRecord } from './cutover-record.js';
import { releaseBackflow } from './stop-backflow.js';

export interface BackflowSettings {
  task: TaskConfig;
  configPath: string;
  overrides: Record<string, string>;
  destinationIndex: number;
  /** How long the reverse capture may take to create its slot. */
  slotTimeoutMs?: number;
}

/** `shop.yaml` → `shop.backflow.yaml`, next to it. */
export function backflowTaskPath(configPath: string): string {
  return join(dirname(configPath), `${basename(configPath).replace(/\.ya?ml$/i, '')}.backflow.yaml`);
}

/**
 * Step 6: writes the reverse task file, starts `ferry migrate` on it in the background
 * (capture on the destination, a sink into the old source, restarted if they die), and
 * returns once its slot exists. Applications switch to the destination after the
 * cutover, so from then on the slot holds every write they make there.
 */
export async function startBackflow(settings: BackflowSettings): Promise<BackflowRecord> {
  const { task, configPath } = settings;
  const document = backflowTaskDocument(readTaskDocument(configPath, settings.overrides), task, settings.destinationIndex, await forwardTables(task));
  const taskFile = backflowTaskPath(configPath);
  writeFileSync(
    taskFile,
    `# Backflow of task ${task.name}, written by ferry cutover: the destination's changes flow back to the old source.\n` +
      `# JSON is YAML; edit it like any task file. Run it with: ferry migrate -c ${basename(taskFile)}\n${JSON.stringify(document, null, 2)}\n`,
    { mode: 0o600 },
  );
  const reverse = loadTaskFile(taskFile);
  const logFile = `${taskFile.replace(/\.yaml$/, '')}.log`;
  const out = openSync(logFile, 'a');
  const child = spawn(process.execPath, [FERRY_BIN, 'migrate', '-c', taskFile, '--skip-precheck'], { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  child.unref();
  const record: BackflowRecord = { taskFile, logFile, slot: reverse.source.slot, pid: child.pid ?? null };
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  const deadline = Date.now() + (settings.slotTimeoutMs ?? 90_000);
  const destination = await openClient(reverse.source.url, { applicationName: 'ferry-cutover', role: 'source' });
  try {
    for (;;) {
      const { rowCount } = await destination.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [reverse.source.slot]);
      if (rowCount) return record;
      if (exited !== undefined || Date.now() > deadline) {
        await releaseBackflow(record);
        throw new FerryError(
          'BACKFLOW_NOT_STARTED',
          exited !== undefined ? `the backflow stopped (exit code ${exited}) before creating its slot` : `the backflow did not create its slot "${reverse.source.slot}" in time`,
          { fix: `read ${logFile}; the destination needs wal_level = logical and a free replication slot` },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await destination.end().catch(() => undefined);
  }
}

async function forwardTables(task: TaskConfig): Promise<ForwardTable[]> {
  const selection = new ObjectSelection(task.objects);
  const source = await openClient(task.source.url, { applicationName: 'ferry-cutover', role: 'source' });
  try {
    return (await listTables(source))
      .filter((t) => t.kind === 'table' && t.extension === null && selection.includesTable(t.schema, t.name))
      .map((t) => ({
        schema: t.schema,
        table: t.name,
        columns: selection.selectColumns(t.schema, t.name, t.columns.filter((c) => c.generated === null).map((c) => c.name)),
      }));
  } finally {
    await source.end().catch(() => undefined);
  }
}
