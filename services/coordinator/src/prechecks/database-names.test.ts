import { describe, expect, it } from 'vitest';
import { databaseNameResults, needsQuoting, sameDatabase, type DatabaseIdentity } from './database-names.js';

const id = (name: string, extra: Partial<DatabaseIdentity> = {}): DatabaseIdentity => ({
  name,
  systemId: '7300000000000000001',
  startedAt: '2025-01-01 10:00:00.123456+00',
  port: '5432',
  oid: '16384',
  ...extra,
});

describe('needsQuoting', () => {
  it('is true for capitals, hyphens and spaces', () => {
    expect(['shop', 'shop_2', 'Shop', 'dts-testdata', 'my db'].map(needsQuoting)).toEqual([false, false, true, true, true]);
  });
});

describe('sameDatabase', () => {
  it('needs the same cluster and the same database oid', () => {
    expect(sameDatabase(id('shop'), id('shop'))).toBe(true);
    expect(sameDatabase(id('shop'), id('shop', { oid: '16385' }))).toBe(false);
    expect(sameDatabase(id('shop'), id('shop', { port: '5433', startedAt: '2025-01-02 10:00:00+00' }))).toBe(false);
    // A restored copy keeps the system id but not the start time.
    expect(sameDatabase(id('shop'), id('shop', { startedAt: '2025-02-01 10:00:00+00' }))).toBe(false);
  });
});

describe('databaseNameResults', () => {
  it('passes and notes names that need quotes, which Ferry supports', () => {
    const results = databaseNameResults({ label: 'the source', identity: id('dts-testdata') }, [
      { label: 'destination "main"', identity: id('shop', { port: '5433' }) },
    ]);
    expect(results).toEqual([
      {
        id: 'database-names',
        status: 'pass',
        message:
          'the source uses database "dts-testdata", destination "main" uses database "shop"; "dts-testdata" needs double quotes in SQL (capitals, hyphens or spaces), which Ferry writes for every name, so this is supported',
      },
    ]);
  });

  it('is an error when source and destination are the same database', () => {
    const [result] = databaseNameResults({ label: 'the source', identity: id('shop') }, [{ label: 'destination "main"', identity: id('shop') }]);
    expect(result).toMatchObject({ status: 'error', message: 'the source and destination "main" are the same database ("shop" on the same server): Ferry would write into the tables it reads' });
  });
});
