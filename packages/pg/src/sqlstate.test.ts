import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { ConfigError, ConnectionError, DataError, FerryError, PermissionError } from '@ferry/core';
import { classifyPgError } from './sqlstate.js';

function serverError(code: string, message: string, fields: Partial<pg.DatabaseError> = {}): pg.DatabaseError {
  const error = new pg.DatabaseError(message, 0, 'error');
  error.severity = 'ERROR';
  error.code = code;
  Object.assign(error, fields);
  return error;
}

function socketError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, errno: -1, syscall: 'connect' });
}

const where = { role: 'source' as const, target: 'postgres://ferry:topsecret@db:5432/shop' };

describe('classifyPgError', () => {
  const table: [string, unknown, new (...args: never[]) => FerryError, string, boolean][] = [
    ['08006 connection failure', serverError('08006', 'connection failure'), ConnectionError, 'CONNECTION_FAILED', true],
    ['08P01 protocol violation', serverError('08P01', 'protocol violation'), ConnectionError, 'CONNECTION_FAILED', true],
    ['57P01 admin shutdown', serverError('57P01', 'terminating connection due to administrator command'), ConnectionError, 'CONNECTION_FAILED', true],
    ['57P02 crash shutdown', serverError('57P02', 'terminating connection because of crash of another server process'), ConnectionError, 'CONNECTION_FAILED', true],
    ['57P03 cannot connect now', serverError('57P03', 'the database system is starting up'), ConnectionError, 'CONNECTION_FAILED', true],
    ['53300 too many connections', serverError('53300', 'sorry, too many clients already'), ConnectionError, 'CONNECTION_FAILED', true],
    ['ECONNREFUSED', socketError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'), ConnectionError, 'CONNECTION_FAILED', true],
    ['ECONNRESET', socketError('ECONNRESET', 'read ECONNRESET'), ConnectionError, 'CONNECTION_FAILED', true],
    ['ETIMEDOUT', socketError('ETIMEDOUT', 'connect ETIMEDOUT 10.0.0.1:5432'), ConnectionError, 'CONNECTION_FAILED', true],
    ['ENOTFOUND', socketError('ENOTFOUND', 'getaddrinfo ENOTFOUND db.invalid'), ConnectionError, 'CONNECTION_FAILED', true],
    ['terminated', new Error('Connection terminated unexpectedly'), ConnectionError, 'CONNECTION_FAILED', true],
    ['connect timeout', new Error('Connection terminated due to connection timeout'), ConnectionError, 'CONNECTION_FAILED', true],
    ['28P01 wrong password', serverError('28P01', 'password authentication failed for user "ferry"'), PermissionError, 'PERMISSION_DENIED', false],
    ['28000 no hba entry', serverError('28000', 'no pg_hba.conf entry for host "10.0.0.9", user "ferry", database "shop", no encryption'), PermissionError, 'PERMISSION_DENIED', false],
    ['42501 privilege', serverError('42501', 'permission denied for table orders'), PermissionError, 'PERMISSION_DENIED', false],
    ['40001 serialization', serverError('40001', 'could not serialize access due to concurrent update'), FerryError, 'TRANSIENT', true],
    ['40P01 deadlock', serverError('40P01', 'deadlock detected'), FerryError, 'TRANSIENT', true],
    ['53100 disk full', serverError('53100', 'could not extend file "base/16384/16385": No space left on device'), FerryError, 'DISK_FULL', true],
    ['3D000 no database', serverError('3D000', 'database "shop" does not exist'), ConfigError, 'CONFIG_INVALID', false],
    ['22P02 bad input', serverError('22P02', 'invalid input syntax for type integer: "x"'), DataError, 'DATA_INVALID', false],
    ['23505 unique', serverError('23505', 'duplicate key value violates unique constraint "orders_pkey"'), DataError, 'DATA_INVALID', false],
    ['42P01 undefined table', serverError('42P01', 'relation "nope" does not exist'), FerryError, 'PG_ERROR', false],
  ];

  it.each(table)('%s', (_name, input, type, code, retriable) => {
    const error = classifyPgError(input, where);
    expect(error).toBeInstanceOf(type);
    expect(error.code).toBe(code);
    expect(error.retriable).toBe(retriable);
    expect(error.cause).toBe(input);
    expect(error.message).toContain('source database postgres://ferry@db:5432/shop');
    expect(error.message).not.toContain('topsecret');
  });

  it('puts the SQLSTATE and the server fields in the context', () => {
    const error = classifyPgError(
      serverError('23505', 'duplicate key', { schema: 'sales', table: 'orders', constraint: 'orders_pkey', detail: 'Key (id)=(1) already exists.' }),
      { context: { lsn: '0/1' } },
    );
    expect(error.context).toEqual({
      sqlstate: '23505',
      table: 'sales.orders',
      constraint: 'orders_pkey',
      detail: 'Key (id)=(1) already exists.',
      lsn: '0/1',
    });
    expect(error.message).toBe('PostgreSQL server: duplicate key');
  });

  it('gives a fix for authentication and missing databases', () => {
    expect(classifyPgError(serverError('28P01', 'password authentication failed'), where).fix).toMatch(/password of the source URL/);
    expect(classifyPgError(serverError('28000', 'no pg_hba.conf entry'), where).fix).toMatch(/pg_hba\.conf/);
    const missing = classifyPgError(serverError('3D000', 'database "shop" does not exist'), where) as ConfigError;
    expect(missing.fix).toMatch(/create the database/);
    expect(missing.problems).toEqual([{ path: 'source.url', message: 'database "shop" does not exist' }]);
    expect(classifyPgError(serverError('53100', 'No space left on device'), { role: 'destination' }).fix).toMatch(
      /free disk space on the destination/,
    );
  });

  it('names the missing privilege', () => {
    const denied = classifyPgError(serverError('42501', 'permission denied for table orders'), { role: 'source' });
    expect(denied.context.privilege).toBe('table orders');
    expect(denied.fix).toBe('GRANT SELECT ON orders TO <user>');
    const olderServer = classifyPgError(serverError('42501', 'permission denied for relation orders'), { role: 'destination' });
    expect(olderServer.fix).toBe('GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON orders TO <user>');
    const schema = classifyPgError(serverError('42501', 'permission denied for schema sales'), { role: 'source' });
    expect(schema.fix).toBe('GRANT USAGE ON SCHEMA sales TO <user>');
    const slots = classifyPgError(serverError('42501', 'must be superuser or replication role to use replication slots'));
    expect(slots.context.privilege).toBe('REPLICATION');
    const slots16 = classifyPgError(
      serverError('42501', 'permission denied to use replication slots', {
        detail: 'Only roles with the REPLICATION attribute may use replication slots.',
      }),
    );
    expect(slots16.context.privilege).toBe('REPLICATION');
    const owner = classifyPgError(serverError('42501', 'must be owner of table orders'));
    expect(owner.context.privilege).toBe('owner of table orders');
    const createDb = classifyPgError(serverError('42501', 'permission denied to create database'));
    expect(createDb.context.privilege).toBe('create database');
  });

  it('returns Ferry errors unchanged and wraps anything else', () => {
    const ferry = new DataError('bad');
    expect(classifyPgError(ferry)).toBe(ferry);
    const other = classifyPgError('boom');
    expect(other.code).toBe('PG_ERROR');
    expect(other.message).toBe('PostgreSQL server: boom');
  });

  it('never repeats a password that appears in a message', () => {
    const error = classifyPgError(new Error('could not connect to postgres://u:hunter2@h/db'));
    expect(error.message).not.toContain('hunter2');
  });

  it('treats SSL refusal as configuration', () => {
    const error = classifyPgError(new Error('The server does not support SSL connections'), where);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.fix).toMatch(/sslmode=disable/);
  });
});
