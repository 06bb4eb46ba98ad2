import { conflictingTables } from './conflicting-tables.js';
import { databaseNames } from './database-names.js';
import { destinationConnect } from './destination-connect.js';
import { destinationPrivileges } from './destination-privileges.js';
import { destinationSpace } from './destination-space.js';
import { extensionSchemas } from './extension-schemas.js';
import { extensions } from './extensions.js';
import { longTransactions } from './long-transactions.js';
import { selection } from './selection.js';
import { sourceConnect } from './source-connect.js';
import { sourcePrivileges } from './source-privileges.js';
import { sourceReplicationCapacity } from './source-replication-capacity.js';
import { sinkRowFilters } from './sink-row-filters.js';
import { sourceWalLevel } from './source-wal-level.js';
import { tablesWithoutKey } from './tables-without-key.js';
import { transforms } from './transforms.js';
import { unsupportedObjects } from './unsupported-objects.js';
import { versions } from './versions.js';
import type { Precheck } from './types.js';

/** Every check, in the order they run and are reported: reachability first, then the servers, then the objects. */
export const allPrechecks: readonly Precheck[] = [
  sourceConnect,
  destinationConnect,
  versions,
  databaseNames,
  sourceWalLevel,
  sourceReplicationCapacity,
  sourcePrivileges,
  destinationPrivileges,
  selection,
  transforms,
  sinkRowFilters,
  tablesWithoutKey,
  conflictingTables,
  extensions,
  extensionSchemas,
  unsupportedObjects,
  longTransactions,
  destinationSpace,
];
