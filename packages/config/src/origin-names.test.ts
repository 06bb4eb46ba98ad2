import { describe, expect, it } from 'vitest';
import { isOriginOf, sinkOriginPrefix, skippedOrigins } from './origin-names.js';

describe('origin names', () => {
  it('derives the prefix from the task name', () => {
    expect(sinkOriginPrefix('shop-upgrade')).toBe('ferry_shop_upgrade');
    expect(sinkOriginPrefix('shop-upgrade-backflow')).toBe('ferry_shop_upgrade_backflow');
  });

  it('matches only <prefix>_<n>', () => {
    expect(isOriginOf('ferry_a', 'ferry_a_0')).toBe(true);
    expect(isOriginOf('ferry_a', 'ferry_a_12')).toBe(true);
    expect(isOriginOf('ferry_a', 'ferry_a_b_0')).toBe(false);
    expect(isOriginOf('ferry_a', 'ferry_a_backflow_0')).toBe(false);
    expect(isOriginOf('ferry_a', 'ferry_ab_0')).toBe(false);
    expect(isOriginOf('ferry_a', 'ferry_a_')).toBe(false);
  });

  it('skips every Ferry origin by default, only the own backflow when forwarding', () => {
    const skipAll = skippedOrigins('b-to-c', false);
    expect(skipAll('ferry_a_to_b_0')).toBe(true);
    expect(skipAll('ferry_b_to_c_backflow_3')).toBe(true);
    expect(skipAll('pg_16384')).toBe(false);
    const forward = skippedOrigins('b-to-c', true);
    expect(forward('ferry_a_to_b_0')).toBe(false);
    expect(forward('ferry_b_to_c_backflow_3')).toBe(true);
    expect(forward('ferry_b_to_c_0')).toBe(false);
    expect(forward('pg_16384')).toBe(false);
  });
});
