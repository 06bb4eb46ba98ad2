import { ConfigError, FerryError, InvariantError } from '@ferry/core';
import { ReplicationConnection, protocolVersionFor } from '@ferry/pgoutput';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '../support/databases.js';
import { uniqueName } from '../support/names.js';
import { serviceUrlsFromEnv } from '../support/services.js';
import { withSession } from './helpers.js';

// The walsender session: version detection, fixed text forms, slots and exported snapshots.
const urls = serviceUrlsFromEnv();

describe.each([
  ['source (PostgreSQL 13)', urls.sourcePgUrl],
  ['destination (PostgreSQL 17)', urls.destPgUrl],
])('replication connection to the %s', (_label, serverUrl) => {
  let db: TempDatabase;
  let major: number;

  beforeAll(async () => {
    db = await createTempDatabase(serverUrl, 'pgo_conn');
    major = await withSession(db.url, async (client) => {
      // Defaults a careless walsender session would inherit.
      for (const setting of [
        `timezone = 'Pacific/Pago_Pago'`,
        `datestyle = 'SQL, DMY'`,
        `intervalstyle = 'sql_standard'`,
        `bytea_output = 'escape'`,
        `extra_float_digits = 0`,
      ]) {
        await client.query(`ALTER DATABASE "${db.name}" SET ${setting}`);
      }
      const { rows } = await client.query(`SELECT current_setting('server_version_num')::int / 10000 AS major`);
      return rows[0].major as number;
    });
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('detects the server major and identifies the system', async () => {
    const conn = await ReplicationConnection.connect(db.url);
    try {
      expect(conn.serverMajor).toBe(major);
      const identity = await conn.identifySystem();
      expect(identity.dbName).toBe(db.name);
      expect(identity.timeline).toBeGreaterThanOrEqual(1);
      expect(identity.systemId).toMatch(/^\d+$/);
      expect(identity.xlogPos.value).toBeGreaterThan(0n);
    } finally {
      await conn.close();
    }
  });

  it('fixes the walsender text forms whatever the database defaults say', async () => {
    const settings = ['TimeZone', 'DateStyle', 'IntervalStyle', 'bytea_output', 'extra_float_digits', 'client_encoding'];
    // A bare walsender session inherits the database defaults...
    const bare = new pg.Client({ connectionString: db.url, replication: 'database' } as pg.ClientConfig);
    await bare.connect();
    try {
      const inherited = [];
      for (const name of settings.slice(0, 5)) inherited.push(Object.values((await bare.query(`SHOW ${name}`)).rows[0])[0]);
      expect(inherited).toEqual(['Pacific/Pago_Pago', 'SQL, DMY', 'sql_standard', 'escape', '0']);
    } finally {
      await bare.end();
    }
    // ...ours does not.
    const conn = await ReplicationConnection.connect(db.url, { settings: { logical_decoding_work_mem: '64kB' } });
    try {
      const shown = [];
      for (const name of settings) shown.push(await conn.show(name));
      expect(shown).toEqual(['UTC', 'ISO, MDY', 'postgres', 'hex', '3', 'UTF8']);
      expect(await conn.show('logical_decoding_work_mem')).toBe('64kB');
    } finally {
      await conn.close();
    }
  });

  it('exports a snapshot that sees exactly the rows committed before the slot, until released', async () => {
    const slotName = uniqueName('pgo_snap');
    await withSession(db.url, (client) =>
      client.query(`CREATE TABLE items (id int PRIMARY KEY); INSERT INTO items VALUES (1), (2)`),
    );
    const conn = await ReplicationConnection.connect(db.url);
    try {
      const slot = await conn.createSlot(slotName, { exportSnapshot: true });
      expect(slot.slotName).toBe(slotName);
      expect(slot.outputPlugin).toBe('pgoutput');
      expect(slot.snapshotName).toMatch(/^[0-9A-F]+-[0-9A-F]+-\d+$/);
      expect(conn.holdsSnapshot).toBe(true);

      await withSession(db.url, (client) => client.query(`INSERT INTO items VALUES (3)`));
      const seen = await withSession(db.url, async (worker) => {
        await worker.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
        await worker.query(`SET TRANSACTION SNAPSHOT ${worker.escapeLiteral(slot.snapshotName!)}`);
        const { rows } = await worker.query('SELECT id FROM items ORDER BY id');
        await worker.query('COMMIT');
        return rows.map((r) => r.id);
      });
      expect(seen).toEqual([1, 2]);

      // Any command would end the snapshot, so the connection refuses them until released.
      await expect(conn.identifySystem()).rejects.toThrow(InvariantError);
      await expect(conn.identifySystem()).rejects.toThrow(/call releaseSnapshot\(\) once every worker has imported it/);

      await conn.releaseSnapshot();
      expect(conn.holdsSnapshot).toBe(false);
      const late = withSession(db.url, async (worker) => {
        await worker.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
        await worker.query(`SET TRANSACTION SNAPSHOT ${worker.escapeLiteral(slot.snapshotName!)}`);
      });
      // 13: "invalid snapshot identifier" (22023); 17: "snapshot ... does not exist" (42704).
      await expect(late).rejects.toThrow(/invalid snapshot identifier|snapshot "[^"]+" does not exist/);
      await conn.dropSlot(slotName);
    } finally {
      await conn.close();
    }
  });

  it('drops slots; temporary slots go with the connection', async () => {
    const kept = uniqueName('pgo_kept');
    const temporary = uniqueName('pgo_temp');
    const slotNames = async (): Promise<string[]> =>
      withSession(db.url, async (client) => {
        const { rows } = await client.query(
          `SELECT slot_name FROM pg_replication_slots WHERE slot_name = ANY($1) ORDER BY slot_name`,
          [[kept, temporary]],
        );
        return rows.map((r) => r.slot_name);
      });
    const conn = await ReplicationConnection.connect(db.url);
    try {
      const slot = await conn.createSlot(kept, { exportSnapshot: false });
      expect(slot.snapshotName).toBeNull();
      expect(conn.holdsSnapshot).toBe(false);
      await conn.createSlot(temporary, { exportSnapshot: false, temporary: true });
      expect(await slotNames()).toEqual([kept, temporary].sort());
    } finally {
      await conn.close();
    }
    expect(await slotNames()).toEqual([kept]);

    const again = await ReplicationConnection.connect(db.url);
    try {
      await again.dropSlot(kept);
      expect(await slotNames()).toEqual([]);
      await again.dropSlot(kept, { missingOk: true });
      const missing = await again.dropSlot(kept).catch((error: unknown) => error);
      expect(missing).toBeInstanceOf(FerryError);
      expect((missing as FerryError).context.sqlstate).toBe('42704');
    } finally {
      await again.close();
    }
  });

  it('uses the newest pgoutput protocol the server speaks', async () => {
    const slotName = uniqueName('pgo_proto');
    const conn = await ReplicationConnection.connect(db.url);
    const tooNew = await ReplicationConnection.connect(db.url);
    try {
      await conn.createSlot(slotName, { exportSnapshot: false });
      const stream = tooNew.startReplication({
        slotName,
        publications: ['pub'],
        protoVersion: protocolVersionFor(major) + 1,
        messages: false,
        streaming: false,
      });
      const error = await stream[Symbol.asyncIterator]().next().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FerryError);
      expect((error as FerryError).message).toMatch(
        new RegExp(`proto_version=${protocolVersionFor(major) + 1} but (server|we) only supports? protocol ${protocolVersionFor(major)} or lower`),
      );
      await stream.close();
      // The refused walsender may not have let go of the slot yet.
      await conn.dropSlot(slotName, { wait: true });
    } finally {
      await conn.close();
      await tooNew.close();
    }
  });

  it('creates failover slots only where the server supports them (17+)', async () => {
    const slotName = uniqueName('pgo_failover');
    const conn = await ReplicationConnection.connect(db.url);
    try {
      if (major < 17) {
        await expect(conn.createSlot(slotName, { failover: true })).rejects.toThrow(ConfigError);
        return;
      }
      const slot = await conn.createSlot(slotName, { failover: true, exportSnapshot: true });
      expect(slot.snapshotName).not.toBeNull();
      await conn.releaseSnapshot();
      const failover = await withSession(db.url, async (client) => {
        const { rows } = await client.query(`SELECT failover FROM pg_replication_slots WHERE slot_name = $1`, [slotName]);
        return rows[0].failover;
      });
      expect(failover).toBe(true);
      await conn.dropSlot(slotName);
    } finally {
      await conn.close();
    }
  });
});
