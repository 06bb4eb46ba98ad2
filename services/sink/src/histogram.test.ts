import { describe, expect, it } from 'vitest';
import { Histogram } from './histogram.js';

describe('Histogram', () => {
  it('counts cumulatively per bound, with sum and count', () => {
    const h = new Histogram([1, 10, 100]);
    for (const v of [0, 1, 5, 50, 500]) h.observe(v);
    expect(h.buckets()).toEqual([
      { le: 1, count: 2 },
      { le: 10, count: 3 },
      { le: 100, count: 4 },
      { le: Number.POSITIVE_INFINITY, count: 5 },
    ]);
    expect(h.sum).toBe(556);
    expect(h.count).toBe(5);
  });
});
