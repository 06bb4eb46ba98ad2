import { describe, expect, it } from 'vitest';
import { ConnectionError, DataError } from './errors.js';
import { retry } from './retry.js';

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
