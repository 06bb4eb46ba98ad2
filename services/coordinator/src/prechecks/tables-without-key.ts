import { quoteIdent, quoteQualified } from '@ferry/pg';
import { count, listNames } from './name-list.js';
import { streamsChanges } from './phases.js';
import { qualifiedName, selectedTables, type SourceTable } from './source-inventory.js';
import type { CheckResult, Precheck } from './types.js';

const ID = 'tables-without-key';

/**
 * What a table's key and REPLICA IDENTITY mean for the migration:
 * - without any key, the sink cannot upsert by key: identical rows cannot be told
 *   apart, and updates and deletes are matched on every column;
 * - a table in a publication that publishes updates and deletes must have a
 *   replica identity (a primary key under DEFAULT, an index, or FULL), or the
 *   source itself rejects UPDATE and DELETE on it. Capture publishes all change
 *   kinds, so this holds even when objects.operations leaves some out.
 */
export type KeyFinding =
  | 'ok'
  | 'no-key-full-only'
  | 'no-key-identity-full'
  | 'no-key-ferry-sets-full'
  | 'no-key-not-owned'
  | 'unique-key-without-identity'
  | 'identity-nothing';

export function classifyTableKey(t: SourceTable, incremental: boolean): KeyFinding {
  const hasKey = t.primaryKey.length > 0 || t.uniqueNotNullIndex !== undefined;
  if (!incremental) return hasKey ? 'ok' : 'no-key-full-only';
  if (!hasKey) {
    if (t.replicaIdentity === 'f') return 'no-key-identity-full';
    // Capture sets REPLICA IDENTITY FULL itself on a table without a key; only the owner may.
    return t.ownedByUs ? 'no-key-ferry-sets-full' : 'no-key-not-owned';
  }
  // relreplident 'i' whose index was dropped behaves like NOTHING.
  if (t.replicaIdentity === 'n' || (t.replicaIdentity === 'i' && t.replicaIdentityIndex.length === 0)) return 'identity-nothing';
  if (t.replicaIdentity === 'd' && t.primaryKey.length === 0) return 'unique-key-without-identity';
  return 'ok';
}

export const tablesWithoutKey: Precheck = {
  id: ID,
  title: 'tables without a primary or unique key',
  appliesTo: ['full', 'incremental'],
  async run(ctx) {
    const tables = await selectedTables(ctx);
    return keyResults(tables, streamsChanges(ctx.phases));
  },
};

/** Pure: one result per kind of finding, naming every table concerned. */
export function keyResults(tables: readonly SourceTable[], incremental: boolean): CheckResult[] {
  const groups = new Map<KeyFinding, SourceTable[]>();
  for (const t of tables) {
    const finding = classifyTableKey(t, incremental);
    groups.set(finding, [...(groups.get(finding) ?? []), t]);
  }
  const results: CheckResult[] = [];
  const group = (finding: KeyFinding) => groups.get(finding) ?? [];
  const names = (list: SourceTable[]) => list.map(qualifiedName);
  const statements = (list: SourceTable[], sql: (t: SourceTable) => string) =>
    list.slice(0, 20).map(sql).join(' ') + (list.length > 20 ? ' (and the same for the other tables listed)' : '');

  const fullOnly = group('no-key-full-only');
  if (fullOnly.length > 0) {
    results.push({
      id: ID,
      status: 'warning',
      message:
        `${count(fullOnly.length, 'selected table')} without a primary key or unique NOT NULL index: ${listNames(names(fullOnly))}. ` +
        `Rows are copied as they are, but identical rows cannot be told apart, and verify compares whole rows`,
      fix: `add a primary key where the data has one, e.g. ${statements(fullOnly.slice(0, 1), (t) => `ALTER TABLE ${quoteQualified(t.schema, t.table)} ADD PRIMARY KEY (<columns>);`)}`,
      objects: names(fullOnly),
    });
  }
  const identityFull = group('no-key-identity-full');
  if (identityFull.length > 0) {
    results.push({
      id: ID,
      status: 'warning',
      message:
        `${count(identityFull.length, 'selected table')} without a key but with REPLICA IDENTITY FULL: ${listNames(names(identityFull))}. ` +
        `Updates and deletes are matched on all columns (slower, and identical rows cannot be told apart)`,
      fix: 'add a primary key if the data has one: ALTER TABLE ... ADD PRIMARY KEY (<columns>);',
      objects: names(identityFull),
    });
  }
  const ferrySets = group('no-key-ferry-sets-full');
  if (ferrySets.length > 0) {
    results.push({
      id: ID,
      status: 'warning',
      message:
        `${count(ferrySets.length, 'selected table')} without a primary key or unique NOT NULL index: ${listNames(names(ferrySets))}. ` +
        `Ferry will set REPLICA IDENTITY FULL on them so updates and deletes can be captured: the WAL then carries whole old rows, and rows are matched on all columns`,
      fix: `add a primary key instead if the data has one, e.g. ALTER TABLE ${quoteQualified(ferrySets[0]!.schema, ferrySets[0]!.table)} ADD PRIMARY KEY (<columns>);`,
      objects: names(ferrySets),
    });
  }
  const notOwned = group('no-key-not-owned');
  if (notOwned.length > 0) {
    results.push({
      id: ID,
      status: 'error',
      message:
        `${count(notOwned.length, 'selected table')} without a primary key or unique NOT NULL index, and not owned by the source role, so Ferry cannot set REPLICA IDENTITY FULL: ` +
        `${listNames(names(notOwned))}. Once published, the source would reject UPDATE and DELETE on them`,
      fix: `as the owner, run ${statements(notOwned, (t) => `ALTER TABLE ${quoteQualified(t.schema, t.table)} REPLICA IDENTITY FULL;`)} or add a primary key`,
      objects: names(notOwned),
    });
  }
  const uniqueOnly = group('unique-key-without-identity');
  if (uniqueOnly.length > 0) {
    results.push({
      id: ID,
      status: 'error',
      message:
        `${count(uniqueOnly.length, 'selected table')} with a unique NOT NULL index but no primary key, under REPLICA IDENTITY DEFAULT: ${listNames(names(uniqueOnly))}. ` +
        `DEFAULT logs a key only for a primary key, so once published the source would reject UPDATE and DELETE on them`,
      fix: statements(uniqueOnly, (t) => `ALTER TABLE ${quoteQualified(t.schema, t.table)} REPLICA IDENTITY USING INDEX ${quoteIdent(t.uniqueNotNullIndex!.name)};`),
      objects: names(uniqueOnly),
    });
  }
  const nothing = group('identity-nothing');
  if (nothing.length > 0) {
    results.push({
      id: ID,
      status: 'error',
      message:
        `${count(nothing.length, 'selected table')} with REPLICA IDENTITY NOTHING: ${listNames(names(nothing))}. ` +
        `Their updates and deletes carry no key, and once published the source would reject UPDATE and DELETE on them`,
      fix: statements(nothing, (t) =>
        t.primaryKey.length > 0
          ? `ALTER TABLE ${quoteQualified(t.schema, t.table)} REPLICA IDENTITY DEFAULT;`
          : `ALTER TABLE ${quoteQualified(t.schema, t.table)} REPLICA IDENTITY USING INDEX ${quoteIdent(t.uniqueNotNullIndex!.name)};`,
      ),
      objects: names(nothing),
    });
  }
  if (results.length === 0) {
    results.push({
      id: ID,
      status: 'pass',
      message: `every selected table has a primary key${incremental ? ' or a usable replica identity' : ' or a unique NOT NULL index'} (${count(tables.length, 'table')})`,
    });
  }
  return results;
}
