import { ObjectSelection, type TaskConfig } from '@ferry/config';
import { toError } from '@ferry/core';
import type { Logger } from '@ferry/observability';
import { listTables, openClient, serverVersion } from '@ferry/pg';
import type { Kafka } from 'kafkajs';
import { compareSchema } from '../schema/compare-schema.js';
import { readProgress } from '../workflow/progress.js';
import { checkSequences, sequenceMode, summarizeSequences, type SequenceSetting } from './sequence-check.js';
import { checkTable, recheckTable, tableDiffers, type CheckSettings, type Sides, type TableCheck } from './table-check.js';
import { planTable } from './table-plan.js';
import { summarizeTable } from './table-summary.js';
import type { SchemaVerificationSummary, SequenceVerificationSummary, VerificationSummary } from './verification-summary.js';
import { syncIsRunning, waitForSinkPastNow } from './wait-for-sink.js';

export interface VerifyOptions {
  trigger: VerificationSummary['trigger'];
  destinationIndex?: number;
  /**
   * Lets differences be re-checked while sync runs (waiting for the sink reads Kafka's end
   * offsets). Without it, differences are reported as first found.
   */
  kafka?: Kafka | undefined;
  /** Re-check differences after the sink has passed the check's source position (default true, needs `kafka`). */
  recheck?: boolean;
  /** Default: the task's verify.schema. */
  schema?: boolean;
  /** Default: the task's verify.sequences. */
  sequences?: SequenceSetting;
  /**
   * Whether a cutover has finished, so sequences must have been synced (for sequences
   * `auto`). A function is asked only when a sequence is behind (reading the task state is slow).
   */
  afterCutover?: boolean | (() => Promise<boolean>);
  signal?: AbortSignal;
  log?: Logger | undefined;
}

/** Rounds of re-checking: a row written again while the first re-check waited gets one more chance. */
const RECHECK_ROUNDS = 2;
/** Differing keys kept per table for re-checking and naming; a table with more is plainly not in sync. */
const RECHECK_LIMIT = 10_000;
const SCHEMA_DIFFERENCES_KEPT = 50;

/**
 * `ferry verify` for one destination: every selected table compared by key ranges and then
 * row by row where a range differs (only hashes travel), schema objects and sequences.
 * While sync runs, differences are checked again once the destination has applied the
 * source's changes up to the check, and only those that persist are reported.
 */
export async function verifyDestination(task: TaskConfig, options: VerifyOptions): Promise<VerificationSummary> {
  const started = Date.now();
  const destinationIndex = options.destinationIndex ?? 0;
  const destinationConfig = task.destinations[destinationIndex]!;
  const selection = new ObjectSelection(task.objects);
  const settings: CheckSettings = { chunkRows: task.verify.chunkRows, maxDifferences: task.verify.maxDifferences, recheckLimit: RECHECK_LIMIT };
  const source = await openClient(task.source.url, { applicationName: 'ferry-verify', role: 'source' });
  const destination = await openClient(destinationConfig.url, { applicationName: 'ferry-verify', role: 'destination' });
  const sides: Sides = { source, destination };
  try {
    const sourceTables = (await listTables(source)).filter((t) => t.kind === 'table' && t.extension === null && selection.includesTable(t.schema, t.name));
    const destinationTables = await listTables(destination);
    // jsonb_hash_extended arrived in PostgreSQL 11.
    const jsonbByHash = (await serverVersion(source)).major >= 11 && (await serverVersion(destination)).major >= 11;
    const checks: TableCheck[] = [];
    for (const table of sourceTables) {
      const check = await checkTable(sides, planTable(selection, table, destinationTables, { jsonbByHash }), settings);
      options.log?.debug({ table: check.plan.table, differs: tableDiffers(check) }, 'table compared');
      checks.push(check);
    }
    await recheckDifferences(task, destinationIndex, sides, checks, settings, options);

    const tables = checks.map((check) => summarizeTable(check, settings.maxDifferences));
    const schema = (options.schema ?? task.verify.schema) ? await verifySchema(sides, selection) : undefined;
    const sequences = await verifySequences(sides, selection, options.sequences ?? task.verify.sequences, options.afterCutover ?? false);
    return {
      at: new Date().toISOString(),
      trigger: options.trigger,
      destination: destinationConfig.name,
      ok: tables.every((t) => t.ok) && (schema?.ok ?? true) && (sequences?.ok ?? true),
      tables,
      durationSeconds: Math.round((Date.now() - started) / 100) / 10,
      ...(schema ? { schema } : {}),
      ...(sequences ? { sequences } : {}),
    };
  } finally {
    await Promise.allSettled([source.end(), destination.end()]);
  }
}

/**
 * While sync runs, the destination is behind by the changes in flight. For tables that
 * differ: wait until the destination has applied the source up to now (past the check),
 * compare what differed again, and keep only what still differs. Without sync running,
 * nothing is in flight and the first answer stands.
 */
async function recheckDifferences(
  task: TaskConfig,
  destinationIndex: number,
  sides: Sides,
  checks: TableCheck[],
  settings: CheckSettings,
  options: VerifyOptions,
): Promise<void> {
  const differing = () => checks.filter((c) => c.problem === null && tableDiffers(c));
  if (differing().length === 0 || options.recheck === false) return;
  const note = (text: string) => differing().forEach((c) => (c.recheckNote = text));
  if (!options.kafka) return note('not re-checked (no Kafka connection): differences may include changes in flight');
  let running: boolean;
  try {
    running = await syncIsRunning(sides.source, task);
  } catch (error) {
    return note(`not re-checked: cannot tell whether sync runs (${toError(error).message})`);
  }
  if (!running) return note('not re-checked: capture is not streaming, so no change is in flight');
  // Before its snapshot is in, a table's changes wait on the destination: the wait below could only time out.
  if (task.phases.includes('full') && (await readProgress(task, destinationIndex)).tables.some((t) => !t.snapshotComplete)) {
    return note('not re-checked: the full copy has not finished on the destination yet');
  }
  for (let round = 1; round <= RECHECK_ROUNDS && differing().length > 0; round++) {
    const position = await waitForSinkPastNow({
      task,
      trigger: options.trigger,
      destinationIndex,
      kafka: options.kafka,
      source: sides.source,
      timeoutMs: task.verify.recheckTimeoutSeconds * 1000,
      signal: options.signal ?? new AbortController().signal,
    });
    if (!position.passed) return note(`not confirmed by a re-check: ${position.reason}`);
    options.log?.info({ round, tables: differing().length, markerLsn: position.markerLsn }, 'destination passed the check position; re-checking differences');
    for (const check of differing()) await recheckTable(sides, check, settings);
  }
}

async function verifySequences(
  sides: Sides,
  selection: ObjectSelection,
  setting: SequenceSetting,
  afterCutover: boolean | (() => Promise<boolean>),
): Promise<SequenceVerificationSummary | undefined> {
  if (setting === 'off') return undefined;
  const items = await checkSequences(sides.source, sides.destination, selection);
  const allLevel = items.every((item) => item.status === 'ok');
  const finished = typeof afterCutover === 'boolean' ? afterCutover : setting === 'auto' && !allLevel ? await afterCutover() : false;
  return summarizeSequences(sequenceMode(setting, finished)!, items);
}

async function verifySchema(sides: Sides, selection: ObjectSelection): Promise<SchemaVerificationSummary> {
  const differences = await compareSchema(sides.source, sides.destination, selection);
  return {
    ok: differences.length === 0,
    differences: differences.slice(0, SCHEMA_DIFFERENCES_KEPT).map((d) => ({ ...d })),
    differenceCount: differences.length,
  };
}
