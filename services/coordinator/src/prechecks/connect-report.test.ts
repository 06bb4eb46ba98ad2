import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { errorCode, explainConnectFailure, type ConnectAttempt } from './connect-report.js';

const attempt: ConnectAttempt = {
  checkId: 'source-connect',
  label: 'the source database',
  url: 'postgres://app:hunter2-secret@db.example:6432/shop',
  urlKey: 'source.url',
  timeoutMs: 10_000,
};

/** What the server sends: pg's own DatabaseError with a SQLSTATE. */
function serverError(code: string, message: string): pg.DatabaseError {
  const error = new pg.DatabaseError(message, message.length, 'error');
  error.code = code;
  error.severity = 'FATAL';
  return error;
}

function socketError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 10.0.0.1:6432`), { code });
}

describe('explainConnectFailure', () => {
  it('names a rejected password without showing it', () => {
    const result = explainConnectFailure(attempt, serverError('28P01', 'password authentication failed for user "app"'));
    expect(result).toEqual({
      id: 'source-connect',
      status: 'error',
      message: 'cannot connect to the source database at postgres://app@db.example:6432/shop: the password for user "app" was rejected (28P01)',
      fix: `correct the password in source.url (or in the environment variable it reads), or set it on the server: ALTER ROLE "app" PASSWORD '...';`,
      objects: ['postgres://app@db.example:6432/shop'],
    });
    expect(JSON.stringify(result)).not.toContain('hunter2');
  });

  it('tells a missing pg_hba.conf entry from an unknown role', () => {
    const hba = explainConnectFailure(attempt, serverError('28000', 'no pg_hba.conf entry for host "10.0.0.9", user "app", database "shop", no encryption'));
    expect(hba.message).toContain('no pg_hba.conf entry for user "app", database "shop"');
    expect(hba.fix).toBe(`add a line such as "host shop app <this machine's address>/32 scram-sha-256" to pg_hba.conf on db.example, then SELECT pg_reload_conf();`);
    const role = explainConnectFailure(attempt, serverError('28000', 'role "app" does not exist'));
    expect(role.message).toContain('the role "app" does not exist');
    expect(role.fix).toContain(`CREATE ROLE "app" LOGIN PASSWORD '...';`);
  });

  it('names an unknown database', () => {
    const result = explainConnectFailure(attempt, serverError('3D000', 'database "shop" does not exist'));
    expect(result.message).toBe('cannot connect to the source database at postgres://app@db.example:6432/shop: the database "shop" does not exist on db.example:6432 (3D000)');
    expect(result.fix).toContain('CREATE DATABASE "shop";');
  });

  it('explains refused, unresolvable and silent hosts', () => {
    expect(explainConnectFailure(attempt, socketError('ECONNREFUSED')).message).toContain('nothing accepts connections on db.example:6432 (ECONNREFUSED)');
    const dns = explainConnectFailure(attempt, socketError('ENOTFOUND'));
    expect(dns.message).toContain('the host name "db.example" does not resolve (ENOTFOUND)');
    expect(dns.fix).toContain('getent hosts db.example');
    expect(explainConnectFailure(attempt, socketError('ETIMEDOUT')).message).toContain('no answer from db.example:6432 within 10 s (ETIMEDOUT)');
    expect(explainConnectFailure(attempt, new Error('Connection terminated due to connection timeout')).message).toContain('within 10 s (TIMEOUT)');
  });
});

describe('errorCode', () => {
  it('reads the code of the first error inside an AggregateError (Node tries each address)', () => {
    const aggregate = new AggregateError([socketError('ECONNREFUSED'), socketError('ECONNREFUSED')], '');
    expect(errorCode(aggregate)).toBe('ECONNREFUSED');
  });
});
