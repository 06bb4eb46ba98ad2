import { describe, expect, it } from 'vitest';
import { classifyTableKey, keyResults } from './tables-without-key.js';
import { sourceTable } from './testing-fixtures.js';

const noKey = { primaryKey: [], uniqueNotNullIndex: undefined };

describe('classifyTableKey', () => {
  it('accepts a primary key, an index identity and a unique key with that index as identity', () => {
    expect(classifyTableKey(sourceTable('public', 'a'), true)).toBe('ok');
    expect(
      classifyTableKey(sourceTable('public', 'b', { primaryKey: [], replicaIdentity: 'i', replicaIdentityIndex: ['code'], uniqueNotNullIndex: { name: 'b_code', columns: ['code'] } }), true),
    ).toBe('ok');
  });

  it('tells the cases of a table without a key apart', () => {
    expect(classifyTableKey(sourceTable('public', 'c', noKey), false)).toBe('no-key-full-only');
    expect(classifyTableKey(sourceTable('public', 'c', { ...noKey, replicaIdentity: 'f' }), true)).toBe('no-key-identity-full');
    expect(classifyTableKey(sourceTable('public', 'c', noKey), true)).toBe('no-key-ferry-sets-full');
    expect(classifyTableKey(sourceTable('public', 'c', { ...noKey, ownedByUs: false }), true)).toBe('no-key-not-owned');
  });

  it('flags identities under which the source rejects updates once published', () => {
    expect(classifyTableKey(sourceTable('public', 'd', { primaryKey: [], uniqueNotNullIndex: { name: 'd_code', columns: ['code'] } }), true)).toBe(
      'unique-key-without-identity',
    );
    expect(classifyTableKey(sourceTable('public', 'e', { replicaIdentity: 'n' }), true)).toBe('identity-nothing');
    // Full-only copies do not depend on the replica identity.
    expect(classifyTableKey(sourceTable('public', 'e', { replicaIdentity: 'n' }), false)).toBe('ok');
  });
});

describe('keyResults', () => {
  it('warns for full-only and names the tables', () => {
    const [result] = keyResults([sourceTable('public', 'a'), sourceTable('public', 'log', noKey)], false);
    expect(result).toMatchObject({ id: 'tables-without-key', status: 'warning', objects: ['public.log'] });
    expect(result!.message).toContain('1 selected table without a primary key or unique NOT NULL index: public.log');
  });

  it('is an error under incremental when the table is not ours, with the exact statement', () => {
    const [result] = keyResults([sourceTable('app', 'Log', { ...noKey, ownedByUs: false })], true);
    expect(result!.status).toBe('error');
    expect(result!.fix).toBe('as the owner, run ALTER TABLE "app"."Log" REPLICA IDENTITY FULL; or add a primary key');
  });

  it('gives REPLICA IDENTITY USING INDEX for a unique key and DEFAULT for NOTHING with a primary key', () => {
    const results = keyResults(
      [
        sourceTable('public', 'd', { primaryKey: [], uniqueNotNullIndex: { name: 'd_code_key', columns: ['code'] } }),
        sourceTable('public', 'e', { replicaIdentity: 'n' }),
      ],
      true,
    );
    expect(results.map((r) => [r.status, r.fix])).toEqual([
      ['error', 'ALTER TABLE "public"."d" REPLICA IDENTITY USING INDEX "d_code_key";'],
      ['error', 'ALTER TABLE "public"."e" REPLICA IDENTITY DEFAULT;'],
    ]);
  });

  it('passes when every table has a key', () => {
    expect(keyResults([sourceTable('public', 'a'), sourceTable('public', 'b')], true)).toEqual([
      { id: 'tables-without-key', status: 'pass', message: 'every selected table has a primary key or a usable replica identity (2 tables)' },
    ]);
  });
});
