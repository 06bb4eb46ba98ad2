import type pg from 'pg';
import { openClient, type PgRole } from '@ferry/pg';
import { serviceUrlsFromEnv } from '../support/services.js';

/** Both real servers: the source (PostgreSQL 13) and the destination (PostgreSQL 17). */
export function pgServers(): [string, string, PgRole][] {
  const urls = serviceUrlsFromEnv();
  return [
    ['source', urls.sourcePgUrl, 'source'],
    ['destination', urls.destPgUrl, 'destination'],
  ];
}

/** Opens a Ferry client, runs `fn`, always ends the client. */
export async function withFerryClient<T>(url: string, role: PgRole, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await openClient(url, { applicationName: 'ferry-test-pg', role });
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
