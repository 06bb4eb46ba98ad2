import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '../support/databases.js';
import { serviceUrlsFromEnv } from '../support/services.js';

// The consistent point Ferry builds on: a logical slot created with an exported
// snapshot, that snapshot imported by another session, and pgoutput decoding.
const urls = serviceUrlsFromEnv();

describe.each([
  ['source', urls.sourcePgUrl],
  ['destination', urls.destPgUrl],
])('PostgreSQL %s server', (_label, serverUrl) => {
  let db: TempDatabase;
  beforeAll(async () => {
    db = await createTempDatabase(serverUrl, 'smoke');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('runs with wal_level=logical and free slots', async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query(
        `SELECT current_setting('wal_level') AS wal_level, current_setting('max_replication_slots')::int AS slots`,
      );
      expect(rows[0]).toEqual({ wal_level: 'logical', slots: expect.any(Number) });
      expect(rows[0].slots).toBeGreaterThanOrEqual(10);
    } finally {
      await client.end();
    }
  });

  it('exports a snapshot from slot creation that another session imports, then decodes one change', async () => {
    const app = new pg.Client({ connectionString: db.url });
    const replication = new pg.Client({ connectionString: db.url, replication: 'database' } as pg.ClientConfig);
    const reader = new pg.Client({ connectionString: db.url });
    await Promise.all([app.connect(), replication.connect(), reader.connect()]);
    const slot = `smoke_${db.name}`.slice(0, 63);
    try {
      await app.query('CREATE TABLE items (id int PRIMARY KEY, name text)');
      await app.query(`INSERT INTO items VALUES (1, 'before slot')`);
      await app.query('CREATE PUBLICATION smoke_pub FOR TABLE items');

      const created = await replication.query(`CREATE_REPLICATION_SLOT "${slot}" LOGICAL pgoutput EXPORT_SNAPSHOT`);
      const snapshotName: string = created.rows[0].snapshot_name;
      expect(snapshotName).toMatch(/^[0-9A-F-]+$/);

      // A write after the slot's consistent point must not be visible in the snapshot.
      await app.query(`INSERT INTO items VALUES (2, 'after slot')`);

      await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      await reader.query(`SET TRANSACTION SNAPSHOT '${snapshotName}'`);
      const seen = await reader.query('SELECT id, name FROM items ORDER BY id');
      await reader.query('COMMIT');
      expect(seen.rows).toEqual([{ id: 1, name: 'before slot' }]);

      // The exported snapshot lives until the replication session runs another command.
      await replication.end();

      const changes = await app.query(
        `SELECT data FROM pg_logical_slot_get_binary_changes($1, NULL, NULL, 'proto_version', '1', 'publication_names', 'smoke_pub')`,
        [slot],
      );
      const kinds = changes.rows.map((r: { data: Buffer }) => String.fromCharCode(r.data[0]!));
      expect(kinds).toEqual(['B', 'R', 'I', 'C']);
      const insert = changes.rows[2].data as Buffer;
      expect(insert.includes(Buffer.from('after slot'))).toBe(true);
      expect(insert.includes(Buffer.from('before slot'))).toBe(false);
    } finally {
      await app.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1`, [slot]).catch(() => {});
      await Promise.allSettled([app.end(), reader.end(), replication.end()]);
    }
  });
});
