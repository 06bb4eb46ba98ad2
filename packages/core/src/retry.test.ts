import { describe, expect, it } from 'vitest';
import { ConnectionError, DataError } from './errors.js';
import { retry, serviceRetryOptions } from './retry.js';

function fakeClock() {
  let t = 0;
  const waits: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      waits.push(ms);
      t += ms;
    },
    waits,
  };
}

describe('retry', () => {
  it('retries retriable errors until success', async () => {
    const clock = fakeClock();
    let calls = 0;
    const result = await retry(
      async () => {
        calls++;
        if (calls < 3) throw new ConnectionError('refused');
        return 'ok';
      },
      { maxElapsedMs: 10_000, initialDelayMs: 100, random: () => 1, ...clock },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(clock.waits).toEqual([100, 200]);
  });

  it('does not retry permanent errors', async () => {
    let calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw new DataError('bad row');
        },
        { maxElapsedMs: 10_000 },
      ),
    ).rejects.toThrow('bad row');
    expect(calls).toBe(1);
  });

  it('gives up when the window closes and rethrows the last error', async () => {
    const clock = fakeClock();
    let calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw new ConnectionError(`down ${calls}`);
        },
        { maxElapsedMs: 1_000, initialDelayMs: 400, maxDelayMs: 400, random: () => 1, ...clock },
      ),
    ).rejects.toThrow('down 4');
    expect(clock.waits).toEqual([400, 400, 200]);
  });

  it('stops at once on bail', async () => {
    let calls = 0;
    await expect(
      retry(
        async ({ bail }) => {
          calls++;
          bail(new ConnectionError('stop now'));
        },
        { maxElapsedMs: 10_000 },
      ),
    ).rejects.toThrow('stop now');
    expect(calls).toBe(1);
  });
});

describe('serviceRetryOptions', () => {
  const { shouldRetry, maxElapsedMs } = serviceRetryOptions({ connectionMinutes: 10, otherMinutes: 1 });
  it('keeps retrying an unreachable server for the connection window only', () => {
    expect(maxElapsedMs).toBe(600_000);
    expect(shouldRetry!(new ConnectionError('refused'), 59_000)).toBe(true);
    expect(shouldRetry!(new ConnectionError('refused'), 599_000)).toBe(true);
    expect(shouldRetry!(new ConnectionError('refused'), 601_000)).toBe(false);
  });
  it('gives other retriable failures the shorter window, and never retries permanent ones', () => {
    const kafkaError = Object.assign(new Error('This server does not host this topic-partition'), { retriable: true });
    expect(shouldRetry!(kafkaError, 30_000)).toBe(true);
    expect(shouldRetry!(kafkaError, 61_000)).toBe(false);
    expect(shouldRetry!(new DataError('bad row'), 0)).toBe(false);
  });
  it('looks inside a client library\'s give-up wrapper for a lost connection', () => {
    const lost = Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092'), { name: 'KafkaJSConnectionError', retriable: true });
    const gaveUp = Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092'), { name: 'KafkaJSNumberOfRetriesExceeded', retriable: false, originalError: lost });
    expect(shouldRetry!(gaveUp, 300_000)).toBe(true);
  });
});
