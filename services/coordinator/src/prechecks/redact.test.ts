import { describe, expect, it } from 'vitest';
import { passwordsInUrl, redactSecrets, secretsOfTask } from './redact.js';
import { testTask } from './testing-fixtures.js';

describe('redactSecrets', () => {
  it('strips passwords from URLs and masks every known secret', () => {
    const text = 'failed at postgres://ferry:s3cret-pass@db:5432/shop: bad password s3cret-pass';
    expect(redactSecrets(text, ['s3cret-pass'])).toBe('failed at postgres://ferry@db:5432/shop: bad password ***');
  });

  it('leaves very short secrets alone rather than blanking ordinary words', () => {
    expect(redactSecrets('a table', ['a'])).toBe('a table');
  });
});

describe('secretsOfTask', () => {
  it('collects URL, query-parameter, SASL and registry passwords', () => {
    const task = testTask({
      source: { url: 'postgres://u:p%40ss-word@h/db' },
      destination: { url: 'postgres://u@h/db?password=dest-secret' },
      kafka: { brokers: ['h:1'], sasl: { mechanism: 'plain', username: 'k', password: 'kafka-secret' } },
      schemaRegistry: { url: 'http://h:8081', password: 'registry-secret' },
    });
    expect(secretsOfTask(task)).toEqual(expect.arrayContaining(['p%40ss-word', 'p@ss-word', 'dest-secret', 'kafka-secret', 'registry-secret']));
  });

  it('leaves out a password that equals a name the report shows anyway', () => {
    const task = testTask({ source: { url: 'postgres://postgres:postgres@h/db' }, destination: { url: 'postgres://app:app@h/db' } });
    expect(secretsOfTask(task)).toEqual([]);
  });

  it('passwordsInUrl finds nothing in a URL without one', () => {
    expect(passwordsInUrl('postgres://u@h/db')).toEqual([]);
  });
});
