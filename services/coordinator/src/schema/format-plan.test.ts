import { describe, expect, it } from 'vitest';
import { formatPlan } from './format-plan.js';

describe('formatPlan', () => {
  it('prints a readable, runnable script with sections, numbers and warnings', () => {
    const text = formatPlan({
      statements: [
        { section: 'pre-data', kind: 'schema', objectName: '"app"', sql: 'CREATE SCHEMA IF NOT EXISTS "app"' },
        { section: 'pre-data', kind: 'table', objectName: '"app"."a\nb"', sql: 'CREATE TABLE IF NOT EXISTS "app"."a\nb" ()' },
        { section: 'post-data', kind: 'index', objectName: '"app"."i"', sql: 'CREATE INDEX IF NOT EXISTS "i" ON "app"."t" USING "btree" ("x")' },
      ],
      warnings: ['view "app"."v" is not migrated: it needs table public.t, which is not migrated'],
    });
    expect(text).toBe(
      [
        '-- Ferry schema plan: 3 statements (2 pre-data, 1 post-data)',
        '--',
        '-- 1 warning:',
        '--   view "app"."v" is not migrated: it needs table public.t, which is not migrated',
        '',
        '-- ===== pre-data =====',
        '',
        '-- 1. schema "app"',
        'CREATE SCHEMA IF NOT EXISTS "app";',
        '',
        '-- 2. table "app"."a b"',
        'CREATE TABLE IF NOT EXISTS "app"."a\nb" ();',
        '',
        '-- ===== post-data =====',
        '',
        '-- 3. index "app"."i"',
        'CREATE INDEX IF NOT EXISTS "i" ON "app"."t" USING "btree" ("x");',
        '',
      ].join('\n'),
    );
  });

  it('says so when the plan is empty', () => {
    expect(formatPlan({ statements: [], warnings: [] })).toBe('-- Ferry schema plan: 0 statements (0 pre-data, 0 post-data)\n');
  });
});
