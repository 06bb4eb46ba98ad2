import { describe, expect, it } from 'vitest';
import { formatPrecheckJson, formatPrecheckReport, orderForReading, summarizeResults, wrap } from './report.js';
import type { CheckResult } from './types.js';

const results: CheckResult[] = [
  { id: 'source-wal-level', status: 'error', message: 'wal_level is "replica" on the source', fix: 'ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL' },
  { id: 'source-connect', status: 'pass', message: 'connected' },
  { id: 'long-transactions', status: 'warning', message: 'pid 42 open 7m 12s', fix: 'SELECT pg_terminate_backend(42);' },
  { id: 'versions', status: 'pass', message: '13 → 17' },
];

describe('summarizeResults', () => {
  it('counts each status and is ok only without errors', () => {
    expect(summarizeResults(results)).toEqual({ pass: 2, warning: 1, error: 1, ok: false });
    expect(summarizeResults(results.filter((r) => r.status !== 'error'))).toEqual({ pass: 2, warning: 1, error: 0, ok: true });
    expect(summarizeResults([])).toEqual({ pass: 0, warning: 0, error: 0, ok: true });
  });
});

describe('orderForReading', () => {
  it('puts passes first and errors last, keeping run order within a status', () => {
    expect(orderForReading(results).map((r) => r.id)).toEqual(['source-connect', 'versions', 'long-transactions', 'source-wal-level']);
  });
});

describe('formatPrecheckReport', () => {
  it('prints a table of status, check, message and fix, then a summary', () => {
    expect(formatPrecheckReport(results, { width: 80 })).toBe(
      [
        'STATUS  CHECK              MESSAGE / FIX',
        'PASS    source-connect     connected',
        'PASS    versions           13 → 17',
        'WARN    long-transactions  pid 42 open 7m 12s',
        '                           fix: SELECT pg_terminate_backend(42);',
        'ERROR   source-wal-level   wal_level is "replica" on the source',
        '                           fix: ALTER SYSTEM SET wal_level = logical; then',
        '                             restart PostgreSQL',
        '',
        '4 results: 2 passed, 1 warning, 1 error — fix the errors, then run ferry precheck again',
      ].join('\n'),
    );
  });

  it('says the task can start when there is no error', () => {
    const out = formatPrecheckReport([{ id: 'versions', status: 'pass', message: 'ok' }]);
    expect(out.split('\n').at(-1)).toBe('1 result: 1 passed, 0 warnings, 0 errors — the task can start');
  });
});

describe('formatPrecheckJson', () => {
  it('carries ok, the counts and every result', () => {
    expect(JSON.parse(formatPrecheckJson(results))).toEqual({ ok: false, summary: { pass: 2, warning: 1, error: 1 }, results });
  });
});

describe('wrap', () => {
  it('wraps at word boundaries, keeps newlines and splits over-long words', () => {
    expect(wrap('a bb ccc dddd', 6)).toEqual(['a bb', 'ccc', 'dddd']);
    expect(wrap('one\ntwo', 10)).toEqual(['one', 'two']);
    expect(wrap('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
  });
});
