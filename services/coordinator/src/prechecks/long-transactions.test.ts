import { describe, expect, it } from 'vitest';
import { formatAge, longTransactionResults } from './long-transactions.js';

describe('formatAge', () => {
  it('reads like a person would say it', () => {
    expect([formatAge(45), formatAge(432), formatAge(7380), formatAge(277_200)]).toEqual(['45s', '7m 12s', '2h 03m', '3d 5h']);
  });
});

describe('longTransactionResults', () => {
  it('names each session with user, database, state and age', () => {
    const [result] = longTransactionResults(
      [{ pid: 4711, usename: 'app', datname: 'shop', state: 'idle in transaction', has_xid: true, age_seconds: 600 }],
      [],
      { hidden: 0, role: 'ferry' },
    );
    expect(result).toEqual({
      id: 'long-transactions',
      status: 'warning',
      message:
        '1 transaction on the source has been open longer than 5 minutes: pid 4711 (user app, database shop, idle in transaction, open 10m 00s, has written). ' +
        'Creating the replication slot waits until those that have written end',
      fix: 'ask their owners to commit or roll back, or end them: SELECT pg_terminate_backend(4711);',
      objects: ['pid 4711'],
    });
  });

  it('names prepared transactions and hidden sessions', () => {
    const results = longTransactionResults([], [{ gid: "tx'1", owner: 'app', database: 'shop', age_seconds: 3600 }], { hidden: 2, role: 'ferry' });
    expect(results.map((r) => r.fix)).toEqual([
      "have the transaction manager finish them, or by hand in their database: ROLLBACK PREPARED 'tx''1'; (or COMMIT PREPARED)",
      'GRANT pg_read_all_stats TO "ferry";',
    ]);
  });

  it('passes when nothing is old', () => {
    expect(longTransactionResults([], [], { hidden: 0, role: 'ferry' })[0]!.status).toBe('pass');
  });
});
