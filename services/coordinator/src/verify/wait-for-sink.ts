import { randomBytes } from 'node:crypto';
import type { TaskConfig } from '@ferry/config';
import { FerryError, toError } from '@ferry/core';
import type pg from 'pg';
import type { Kafka } from 'kafkajs';
import { MARKER_SCHEMA, MARKER_TABLE, writeMarker } from '../cutover/cutover-marker.js';
import { waitUntilDrained } from '../cutover/wait-drained.js';

export type SinkPosition = { passed: true; markerLsn: string } | { passed: false; reason: string };

/**
 * True when capture streams this task's changes right now (its slot is in use) and the
 * publication carries the marker table: only then can a difference be a change in flight,
 * and only then can the wait below succeed.
 */
export async function syncIsRunning(source: pg.ClientBase, task: TaskConfig): Promise<boolean> {
  const { rows } = await source.query<{ running: string }>(
    `SELECT (EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active)
        AND EXISTS (SELECT 1 FROM pg_publication_tables WHERE pubname = $2 AND schemaname = $3 AND tablename = $4))::text AS running`,
    [task.source.slot, task.source.publication, MARKER_SCHEMA, MARKER_TABLE],
  );
  return rows[0]?.running === 'true';
}

/**
 * Waits until the destination has applied everything committed on the source before now,
 * the way the cutover drains: a marker row goes into the source's WAL after the check's
 * snapshots, and the wait ends when the sink has received it and every table partition is
 * applied up to the end offsets read then. Unlike the cutover, writes go on meanwhile, so the
 * destination is then at or past the check's source position, never before it.
 */
export async function waitForSinkPastNow(settings: {
  task: TaskConfig;
  /** Goes into the marker id (verify-<trigger>-<time>-<random>), so an operator can tell whose it is. */
  trigger: string;
  destinationIndex: number;
  kafka: Kafka;
  source: pg.ClientBase;
  timeoutMs: number;
  signal: AbortSignal;
}): Promise<SinkPosition> {
  const { task, destinationIndex, source } = settings;
  const destination = task.destinations[destinationIndex]!;
  const markerId = `verify-${settings.trigger}-${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}`;
  try {
    // The source may be fenced read-only after a cutover; the marker is Ferry's own write.
    await source.query('SET default_transaction_read_only = off');
    await writeMarker(source, task.name, markerId);
  } catch (error) {
    return { passed: false, reason: `cannot write a position marker into ${MARKER_SCHEMA}.${MARKER_TABLE} on the source (${toError(error).message})` };
  }
  try {
    const drained = await waitUntilDrained({ ...settings, markerId });
    return { passed: true, markerLsn: drained.markerLsn };
  } catch (error) {
    const seconds = Math.round(settings.timeoutMs / 1000);
    const waitingFor = error instanceof FerryError ? error.context.waitingFor : undefined;
    const detail = typeof waitingFor === 'string' ? waitingFor : toError(error).message;
    return {
      passed: false,
      reason: `destination "${destination.name}" did not apply the source's changes up to the check within ${seconds} s (${detail}); are capture and the sink running and keeping up?`,
    };
  }
}
