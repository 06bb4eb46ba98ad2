import { describe, expect, it } from 'vitest';
import { continuousIntervalSeconds } from './continuous-verification.js';

describe('continuousIntervalSeconds', () => {
  it('is off by false, intervalSeconds for true, or the number given', () => {
    const base = { intervalSeconds: 300, chunkRows: 10_000, maxDifferences: 20, recheckTimeoutSeconds: 120, sequences: 'auto' as const, schema: true };
    expect(continuousIntervalSeconds({ ...base, continuous: false })).toBeNull();
    expect(continuousIntervalSeconds({ ...base, continuous: true })).toBe(300);
    expect(continuousIntervalSeconds({ ...base, continuous: 15 })).toBe(15);
  });
});
