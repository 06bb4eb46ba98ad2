import { describe, expect, it } from 'vitest';
import { epochMsToPgMicros, pgMicrosToEpochMs } from './pg-epoch.js';

describe('PostgreSQL epoch', () => {
  it('converts microseconds since 2000 to milliseconds since 1970, rounding down', () => {
    expect(pgMicrosToEpochMs(0n)).toBe(Date.UTC(2000, 0, 1));
    expect(pgMicrosToEpochMs(1_999n)).toBe(Date.UTC(2000, 0, 1) + 1);
    expect(pgMicrosToEpochMs(-1n)).toBe(Date.UTC(2000, 0, 1) - 1);
    expect(pgMicrosToEpochMs(-1_000n)).toBe(Date.UTC(2000, 0, 1) - 1);
  });

  it('converts JavaScript time back', () => {
    expect(epochMsToPgMicros(Date.UTC(2024, 1, 29, 12))).toBe(762_523_200_000_000n);
    expect(pgMicrosToEpochMs(epochMsToPgMicros(1_700_000_000_123))).toBe(1_700_000_000_123);
  });
});
