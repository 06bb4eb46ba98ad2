import { describe, expect, it } from 'vitest';
import { compareExtensionVersions, type AvailableExtension } from './extension-inventory.js';
import { compareExtensions } from './extensions.js';

const available = (name: string, versions: string[], extra: Partial<AvailableExtension> = {}): AvailableExtension => ({
  name,
  defaultVersion: versions.at(-1) ?? null,
  installedVersion: null,
  versions,
  needsSuperuser: false,
  ...extra,
});
const options = { where: 'destination "main"', createsSchema: true, superuser: true };

describe('compareExtensionVersions', () => {
  it('compares numeric parts as numbers and puts words below numbers', () => {
    expect(compareExtensionVersions('1.10', '1.9')).toBeGreaterThan(0);
    expect(compareExtensionVersions('1.2', '1.2.1')).toBeLessThan(0);
    expect(compareExtensionVersions('3.4.2', '3.4.2')).toBe(0);
    expect(compareExtensionVersions('unpackaged', '1.0')).toBeLessThan(0);
  });
});

describe('compareExtensions', () => {
  it('is an error naming extensions the destination does not have', () => {
    const results = compareExtensions(
      [
        { name: 'plpgsql', version: '1.0' },
        { name: 'postgis', version: '3.4.2' },
        { name: 'pg_partman', version: '5.0.1' },
      ],
      [available('plpgsql', ['1.0'])],
      options,
    );
    expect(results).toEqual([
      {
        id: 'extensions',
        status: 'error',
        message: '2 extensions of the source database are not available on destination "main": postgis 3.4.2, pg_partman 5.0.1',
        fix: 'install their packages on the destination "main" server (e.g. the postgresql-<major>-<extension> package), or drop them from the source if unused',
        objects: ['postgis', 'pg_partman'],
      },
    ]);
  });

  it('warns when the destination only has older versions', () => {
    const [result] = compareExtensions([{ name: 'pg_trgm', version: '1.6' }], [available('pg_trgm', ['1.3', '1.4', '1.5'])], options);
    expect(result).toMatchObject({ status: 'warning', objects: ['pg_trgm'] });
    expect(result!.message).toContain('pg_trgm (up to 1.5, source 1.6)');
  });

  it('warns when an installed destination version is older', () => {
    const [result] = compareExtensions([{ name: 'hstore', version: '1.8' }], [available('hstore', ['1.7', '1.8'], { installedVersion: '1.7' })], options);
    expect(result!.message).toContain('hstore (installed 1.7, source 1.8)');
  });

  it('is an error when creating one needs a superuser the destination role is not', () => {
    const [result] = compareExtensions([{ name: 'postgres_fdw', version: '1.0' }], [available('postgres_fdw', ['1.0'], { needsSuperuser: true })], {
      ...options,
      superuser: false,
    });
    expect(result).toMatchObject({ status: 'error', fix: 'as a superuser on destination "main": CREATE EXTENSION IF NOT EXISTS "postgres_fdw";' });
  });

  it('passes and lists them when all are available', () => {
    expect(compareExtensions([{ name: 'citext', version: '1.6' }], [available('citext', ['1.6'])], options)).toEqual([
      { id: 'extensions', status: 'pass', message: 'every extension of the source database is available on destination "main": citext' },
    ]);
  });
});
