import { abortableSleep } from './retry.js';

export interface RateLimit {
  rowsPerSecond?: number | undefined;
  bytesPerSecond?: number | undefined;
}

/** Reports what was just sent and waits until the average rate is back under the limit. */
export type Throttle = (rows: number, bytes: number) => Promise<void>;

/**
 * A token bucket per limit: callers report what they just sent and wait until
 * the average rate is back under the limit. Returns undefined when unlimited.
 */
export function createThrottle(limit: RateLimit, now = () => performance.now(), sleep: (ms: number) => Promise<void> = abortableSleep): Throttle | undefined {
  if (!limit.rowsPerSecond && !limit.bytesPerSecond) return undefined;
  const buckets = [
    { rate: limit.rowsPerSecond, debt: 0, at: now() },
    { rate: limit.bytesPerSecond, debt: 0, at: now() },
  ];
  return async (rows, bytes) => {
    let wait = 0;
    [rows, bytes].forEach((amount, i) => {
      const bucket = buckets[i]!;
      if (!bucket.rate) return;
      const t = now();
      // Debt drains at `rate` per second; what is owed beyond a second's burst is waited out.
      bucket.debt = Math.max(0, bucket.debt - ((t - bucket.at) / 1000) * bucket.rate) + amount;
      bucket.at = t;
      wait = Math.max(wait, ((bucket.debt - bucket.rate) / bucket.rate) * 1000);
    });
    if (wait > 0) await sleep(wait);
  };
}
