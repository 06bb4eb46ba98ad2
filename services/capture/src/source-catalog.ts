import type { ObjectSelection } from '@ferry/config';
import { listTables, type TableInfo } from '@ferry/pg';
import type pg from 'pg';
import type { SourceTableDescription } from './captured-table.js';

/**
 * The selected source tables, described for capture. Partitioned parents hold
 * no rows: their partitions are captured as the tables they are (publishing
 * through the root is a 13+ option and would hide the partition layout).
 */
export async function describeSourceTables(client: pg.ClientBase, selection: ObjectSelection): Promise<SourceTableDescription[]> {
  const tables = await listTables(client);
  return tables
    .filter((t) => t.kind === 'table' && t.extension === null && selection.includesTable(t.schema, t.name))
    .map((t) => ({
      schema: t.schema,
      name: t.name,
      oid: t.oid,
      info: t,
      // Generated columns are computed by the destination and never in the WAL stream.
      columns: t.columns.filter((c) => c.generated === null).map((c) => ({
        name: c.name,
        typeName: c.type,
        typeOid: c.typeOid,
        ...(c.baseTypeOid !== c.typeOid ? { baseTypeOid: c.baseTypeOid } : {}),
      })),
      keyColumns: keyColumnsOf(t),
      replicaIdentity: t.replicaIdentity.mode,
    }));
}

/**
 * The columns that identify a row in events: what the WAL carries as the old key
 * (replica identity index), else the primary key, else a unique NOT NULL key
 * (the whole old row is logged then, with REPLICA IDENTITY FULL).
 */
function keyColumnsOf(table: TableInfo): string[] {
  if (table.replicaIdentity.mode === 'index' && table.replicaIdentity.columns.length > 0) return table.replicaIdentity.columns;
  if (table.primaryKey.length > 0) return table.primaryKey;
  return table.uniqueKey?.columns ?? [];
}
