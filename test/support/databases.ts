import pg from 'pg';
import { uniqueName } from './names.js';

export interface TempDatabase {
  name: string;
  url: string;
  /** Drops the database, first dropping any replication slot that points at it. */
  drop(): Promise<void>;
}

/** Connects to `serverUrl` (any database) and creates a fresh database for one suite. */
export async function createTempDatabase(serverUrl: string, prefix = 't'): Promise<TempDatabase> {
  const name = uniqueName(prefix);
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        // A slot that outlives its database blocks nothing else but leaks WAL: never leave one.
        await client.query(
          `SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = $1 AND active_pid IS NOT NULL`,
          [name],
        );
        await client.query(
          `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1`,
          [name],
        );
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(async () => {
          // WITH (FORCE) arrived in PostgreSQL 13; older servers need sessions ended first.
          await client.query(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
            [name],
          );
          await client.query(`DROP DATABASE IF EXISTS "${name}"`);
        });
      } finally {
        await client.end();
      }
    },
  };
}
