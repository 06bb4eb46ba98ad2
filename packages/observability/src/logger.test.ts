import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createRootLogger } from './logger.js';
import { redact, redactText } from './redact.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { lines, destination };
}

describe('redaction', () => {
  it('removes passwords from URLs and key=value strings', () => {
    expect(redactText('postgres://ferry:s3cr%40t@db:5432/app')).toBe('postgres://ferry:[redacted]@db:5432/app');
    expect(redactText('host=db password=hunter2 user=x')).toBe('host=db password=[redacted] user=x');
    expect(redactText('postgres://db:5432/app')).toBe('postgres://db:5432/app');
  });

  it('replaces values under secret keys at any depth', () => {
    const input = { kafka: { sasl: { password: 'p' } }, source: { url: 'postgres://u:p@h/d', password: 'x' }, n: 1 };
    expect(redact(input)).toEqual({
      kafka: { sasl: '[redacted]' },
      source: { url: 'postgres://u:[redacted]@h/d', password: '[redacted]' },
      n: 1,
    });
    expect(input.source.password).toBe('x');
  });
});

describe('root logger', () => {
  it('never writes a secret, and child loggers carry task, phase and table', async () => {
    const { lines, destination } = capture();
    const log = createRootLogger({ service: 'capture', destination });
    const child = log.child({ task: 'shop', phase: 'full' }).child({ table: 'public.orders' });
    child.info({ url: 'postgres://app:topsecret@db/app', token: 'abc' }, 'connecting to postgres://app:topsecret@db/app');
    child.error({ err: new Error('auth failed for postgres://app:topsecret@db/app') }, 'failed');
    await new Promise((r) => setImmediate(r));
    const text = JSON.stringify(lines);
    expect(text).not.toContain('topsecret');
    expect(text).not.toContain('abc');
    expect(lines[0]).toMatchObject({ service: 'capture', task: 'shop', phase: 'full', table: 'public.orders' });
    expect(lines[0]!.msg).toBe('connecting to postgres://app:[redacted]@db/app');
    expect(lines[1]!.err).toMatchObject({ type: 'Error', message: 'auth failed for postgres://app:[redacted]@db/app' });
  });
});
