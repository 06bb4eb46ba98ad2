import { randomBytes } from 'node:crypto';
import { quoteQualified } from '@ferry/pg';
import type pg from 'pg';
import { refused } from './check-ready.js';

/** Capture creates this table on the source and publishes it (services/capture source-setup.ts). */
export const MARKER_SCHEMA = 'ferry';
export const MARKER_TABLE = 'cutover_markers';

export function newMarkerId(now = new Date()): string {
  return `cutover-${now.toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}`;
}

/** Refuses when the running capture did not publish the marker table (it predates cutover markers). */
export async function assertMarkersPublished(client: pg.ClientBase, publication: string): Promise<void> {
  const { rowCount } = await client.query('SELECT 1 FROM pg_publication_tables WHERE pubname = $1 AND schemaname = $2 AND tablename = $3', [
    publication,
    MARKER_SCHEMA,
    MARKER_TABLE,
  ]);
  if (!rowCount) {
    throw refused(
      `publication "${publication}" does not carry ${MARKER_SCHEMA}.${MARKER_TABLE}, so a cutover marker would never reach the destination`,
      'restart capture (or ferry migrate) with this version of Ferry: it adds the table to the publication; then run the cutover again',
    );
  }
}

/**
 * Step 3a: writes the marker row. Application writes are fenced, so every change they made
 * is before it in the WAL; capture forwards the row in WAL order.
 */
export async function writeMarker(client: pg.ClientBase, task: string, id: string): Promise<void> {
  await client.query(`INSERT INTO ${quoteQualified(MARKER_SCHEMA, MARKER_TABLE)} (task, id) VALUES ($1, $2)`, [task, id]);
}
