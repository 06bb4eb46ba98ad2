import { ConnectionError, DataError } from '@ferry/core';
import { describe, expect, it } from 'vitest';
import { eventFailure, isEventError, UnappliableEventError } from './event-failure.js';

/** The fields pg copies from a server error. */
function serverError(code: string, message: string, extra: Record<string, string> = {}): Error {
  return Object.assign(new Error(message), { code, severity: 'ERROR', ...extra });
}

describe('event failures', () => {
  it('counts data exceptions and integrity violations as an event\'s fault, nothing else', () => {
    expect(isEventError(serverError('23514', 'check'))).toBe(true);
    expect(isEventError(serverError('22001', 'too long'))).toBe(true);
    expect(isEventError(new DataError('bad message'))).toBe(true);
    expect(isEventError(serverError('40P01', 'deadlock'))).toBe(false);
    expect(isEventError(serverError('42P01', 'no such table'))).toBe(false);
    expect(isEventError(new ConnectionError('gone'))).toBe(false);
    expect(isEventError(new UnappliableEventError('t', 0, [{ offset: 1n, table: null, key: null, reason: 'x' }]))).toBe(false);
  });

  it('keeps the message, SQLSTATE and constraint, but no row values', () => {
    const check = serverError('23514', 'new row for relation "items" violates check constraint "c"', {
      constraint: 'c',
      detail: 'Failing row contains (7, secret, -1).',
    });
    const failure = eventFailure(new DataError('destination database: wrapped', { cause: check }), 9n, 'public.items', { id: '7' });
    expect(failure).toEqual({ offset: 9n, table: 'public.items', key: { id: '7' }, reason: check.message, sqlstate: '23514', constraint: 'c' });
    const syntax = eventFailure(serverError('22P02', 'invalid input syntax for type integer: "s3cr3t"'), 1n, 'public.items', { id: '1' });
    expect(syntax.reason).toBe('invalid input syntax for type integer: (value withheld)');
  });

  it('names topic, partition, offset, table and key', () => {
    const error = new UnappliableEventError('ferry.x.public.items', 2, [
      { offset: 9n, table: 'public.items', key: { id: '7', region: 'eu' }, reason: 'too long', sqlstate: '22001' },
      { offset: 12n, table: 'public.items', key: { id: '8', region: 'eu' }, reason: 'too long' },
    ]);
    expect(error.message).toBe(
      'cannot apply the event at topic ferry.x.public.items partition 2 offset 9 (table public.items, key {"id":"7","region":"eu"}): too long (and 1 more event(s) of the same batch)',
    );
    expect(error.context).toEqual({ topic: 'ferry.x.public.items', partition: 2, offset: '9', table: 'public.items', key: '{"id":"7","region":"eu"}', sqlstate: '22001' });
    expect(error.retriable).toBe(false);
  });
});
