import type { ColumnRename, TableDefinition } from '@ferry/avro';
import type { TableInfo } from '@ferry/pg';
import type { SourceTableDescription } from '../captured-table.js';

const REPLICA_IDENTITY = { d: 'default', n: 'nothing', f: 'full', i: 'index' } as const;

/**
 * Capture's description of a table from the event trigger's definition, with the key chosen
 * the way source-catalog.ts chooses it: the replica identity index, else the primary key, else
 * a unique index over NOT NULL columns (fewest columns, then name).
 */
export function descriptionFromDefinition(definition: TableDefinition, info: TableInfo | null): SourceTableDescription {
  const indexes = definition.indexes;
  const replicaIdentity = REPLICA_IDENTITY[definition.replicaIdentity as keyof typeof REPLICA_IDENTITY] ?? 'default';
  const identityIndex = replicaIdentity === 'index' ? indexes.find((i) => i.replicaIdentity && i.keyColumns) : undefined;
  const primary = indexes.find((i) => i.primary && i.keyColumns);
  const unique = indexes
    .filter((i) => i.unique && i.keyColumns && i.keyNotNull)
    .sort((a, b) => a.keyColumns!.length - b.keyColumns!.length || a.name.localeCompare(b.name))[0];
  return {
    schema: definition.schema,
    name: definition.name,
    oid: definition.oid,
    info,
    definition,
    columns: definition.columns
      .filter((c) => !c.generated)
      .map((c) => ({ name: c.name, typeName: c.type, typeOid: c.typeOid, ...(c.baseTypeOid !== c.typeOid ? { baseTypeOid: c.baseTypeOid } : {}) })),
    keyColumns: (identityIndex ?? primary ?? unique)?.keyColumns ?? [],
    replicaIdentity,
  };
}

/** Columns that kept their attnum under a new name: renamed, so the destination renames them too and keeps their values. */
export function columnRenames(previous: Record<string, string> | null, definition: TableDefinition): ColumnRename[] {
  if (!previous) return [];
  return definition.columns.flatMap((c) => {
    const before = previous[String(c.attnum)];
    return before !== undefined && before !== c.name ? [{ from: before, to: c.name }] : [];
  });
}
