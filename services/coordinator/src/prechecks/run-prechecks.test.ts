import { describe, expect, it } from 'vitest';
import { runPrechecks } from './run-prechecks.js';
import { testTask } from './testing-fixtures.js';
import type { Precheck } from './types.js';

// Checks that never touch a server: the runner's own behaviour, with no connection opened.
const passing: Precheck = { id: 'a', title: 'always passes', appliesTo: ['schema'], run: async () => [{ id: 'a', status: 'pass', message: 'fine' }] };
const throwing: Precheck = {
  id: 'b',
  title: 'throws',
  appliesTo: ['full'],
  run: async () => {
    throw new Error('boom at postgres://ferry:s3cret-pass@127.0.0.1:5432/shop (password s3cret-pass)');
  },
};
const empty: Precheck = { id: 'c', title: 'finds nothing', appliesTo: ['incremental'], run: async () => [] };
const warns: Precheck = { id: 'd', title: 'warns', appliesTo: ['full'], run: async () => [{ id: 'd', status: 'warning', message: 'careful' }] };

describe('runPrechecks', () => {
  it('runs every check, turns a throw into an error naming the check, and redacts secrets', async () => {
    const outcome = await runPrechecks(testTask(), { checks: [passing, throwing, empty, warns] });
    expect(outcome.ok).toBe(false);
    expect(outcome.results).toEqual([
      { id: 'a', status: 'pass', message: 'fine' },
      {
        id: 'b',
        status: 'error',
        message: 'the check "throws" could not finish: Error: boom at postgres://ferry@127.0.0.1:5432/shop (password ***)',
        fix: 'fix the cause named in the message and run ferry precheck again; if it persists, report it with this output',
      },
      { id: 'c', status: 'pass', message: 'finds nothing: nothing to report' },
      { id: 'd', status: 'warning', message: 'careful' },
    ]);
  });

  it('runs only the checks that matter for the phases, and is ok with warnings', async () => {
    const outcome = await runPrechecks(testTask({ phases: ['schema', 'full'] }), { checks: [passing, empty, warns] });
    expect(outcome.results.map((r) => r.id)).toEqual(['a', 'd']);
    expect(outcome.ok).toBe(true);
  });
});
