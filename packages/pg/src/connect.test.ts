import { describe, expect, it } from 'vitest';
import { ConfigError } from '@ferry/core';
import { clientConfig, createPool, openClient, rawTextTypes, SESSION_SETTINGS, startupOptionsText } from './connect.js';

const settings =
  '-c DateStyle=ISO,\\ MDY -c TimeZone=UTC -c IntervalStyle=postgres -c extra_float_digits=3 ' +
  '-c bytea_output=hex -c client_encoding=UTF8 -c standard_conforming_strings=on';

describe('clientConfig', () => {
  it('fixes the session through startup options and uses raw text types', () => {
    const config = clientConfig('postgres://ferry:pw@db:5432/shop', { applicationName: 'ferry-capture', role: 'source' });
    expect(config.connectionString).toBe('postgres://ferry:pw@db:5432/shop');
    expect(config.options).toBe(settings);
    expect(config.application_name).toBe('ferry-capture');
    expect(config.types).toBe(rawTextTypes);
    expect(config.keepAlive).toBe(true);
    expect(config.connectionTimeoutMillis).toBe(30_000);
  });

  it('adds statement_timeout', () => {
    const config = clientConfig('postgres://db/shop', { applicationName: 'x', role: 'destination', statementTimeoutMs: 5000 });
    expect(config.options).toBe(`${settings} -c statement_timeout=5000`);
  });

  it("keeps the URL's own options before Ferry's and drops its application_name", () => {
    const config = clientConfig(
      'postgres://db/shop?sslmode=disable&options=-c%20search_path%3Dapp&application_name=psql&connect_timeout=5',
      { applicationName: 'ferry-sink', role: 'destination' },
    );
    expect(config.connectionString).toBe('postgres://db/shop?sslmode=disable&connect_timeout=5');
    expect(config.options).toBe(`-c search_path=app ${settings}`);
    expect(config.application_name).toBe('ferry-sink');
  });

  it('rejects what is not a PostgreSQL URL, without echoing the password', () => {
    try {
      clientConfig('mysql://root:hunter2@db/shop', { applicationName: 'x', role: 'source' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).not.toContain('hunter2');
      expect((error as ConfigError).problems[0]?.path).toBe('source.url');
    }
  });
});

describe('URLs pg cannot read', () => {
  it('are ConfigErrors before any connection, without the password', async () => {
    for (const url of ['postgres://u:se cret@host:notaport/db', 'postgres://u:s3cret@[zz/db']) {
      const error = await openClient(url, { applicationName: 'x', role: 'source' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).not.toMatch(/se cret|s3cret/);
      expect((error as ConfigError).cause).toBeUndefined();
      expect(() => createPool(url, { applicationName: 'x', role: 'destination' })).toThrow(ConfigError);
    }
  });
});

describe('startupOptionsText', () => {
  it('escapes spaces and backslashes in values', () => {
    expect(startupOptionsText({ application_name: 'a b\\c' })).toBe('-c application_name=a\\ b\\\\c');
  });

  it('covers every fixed setting', () => {
    expect(Object.keys(SESSION_SETTINGS)).toEqual([
      'DateStyle',
      'TimeZone',
      'IntervalStyle',
      'extra_float_digits',
      'bytea_output',
      'client_encoding',
      'standard_conforming_strings',
    ]);
  });
});

describe('rawTextTypes', () => {
  it('returns text unchanged for every type', () => {
    for (const oid of [20, 1700, 1184, 1114, 16, 1007, 3802]) {
      expect(rawTextTypes.getTypeParser(oid, 'text')('2024-01-01 00:00:00.123456+00')).toBe('2024-01-01 00:00:00.123456+00');
    }
  });
});
