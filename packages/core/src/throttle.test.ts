import { describe, expect, it } from 'vitest';
import { createThrottle } from './throttle.js';

describe('throttle', () => {
  it('is absent without a limit', () => {
    expect(createThrottle({})).toBeUndefined();
  });

  it('waits so the average rate stays at the limit after a one-second burst', async () => {
    let t = 0;
    const waits: number[] = [];
    const throttle = createThrottle(
      { rowsPerSecond: 1000 },
      () => t,
      async (ms) => {
        waits.push(ms);
        t += ms;
      },
    )!;
    await throttle(1000, 0); // the burst allowance
    await throttle(500, 0);
    await throttle(500, 0);
    expect(waits).toEqual([500, 500]);
    // 2000 rows over 1 s of waiting plus a 1 s burst: 1000 rows/s.
    expect(t).toBe(1000);
  });

  it('obeys the tighter of rows and bytes', async () => {
    let t = 0;
    const waits: number[] = [];
    const throttle = createThrottle({ rowsPerSecond: 1_000_000, bytesPerSecond: 100 }, () => t, async (ms) => {
      waits.push(ms);
      t += ms;
    })!;
    await throttle(1, 300);
    expect(waits).toEqual([2000]);
  });
});
