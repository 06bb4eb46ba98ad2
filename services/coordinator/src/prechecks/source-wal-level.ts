import type { Precheck } from './types.js';

const ID = 'source-wal-level';

export const sourceWalLevel: Precheck = {
  id: ID,
  title: 'wal_level on the source',
  appliesTo: ['incremental'],
  async run(ctx) {
    const client = await ctx.source();
    const { rows } = await client.query<{ wal_level: string }>(`SELECT current_setting('wal_level') AS wal_level`);
    const level = rows[0]!.wal_level;
    if (level === 'logical') {
      return [{ id: ID, status: 'pass', message: 'wal_level is logical on the source' }];
    }
    return [
      {
        id: ID,
        status: 'error',
        message: `wal_level is "${level}" on the source; incremental sync decodes the WAL and needs "logical"`,
        fix:
          'ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL (on a managed service, set its logical ' +
          'replication parameter instead, e.g. rds.logical_replication = 1 or cloudsql.logical_decoding = on)',
        objects: ['wal_level'],
      },
    ];
  },
};
