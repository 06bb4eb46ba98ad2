import { ConfigError } from '@ferry/core';
import { describe, expect, it } from 'vitest';
import { parseFence, parseSeconds } from './cutover-options.js';

describe('cutover options', () => {
  it('reads the three fences', () => {
    expect(parseFence('roles:app_rw, batch ,app_rw')).toEqual({ kind: 'roles', roles: ['app_rw', 'batch'] });
    expect(parseFence('read-only')).toEqual({ kind: 'read-only' });
    expect(parseFence('none')).toEqual({ kind: 'none' });
  });

  it('requires a fence and rejects anything else, saying what works', () => {
    expect(() => parseFence(undefined)).toThrow(ConfigError);
    expect(() => parseFence(undefined)).toThrow('ferry cutover needs --fence');
    expect(() => parseFence('roles:')).toThrow('--fence "roles:" is not a fence');
    expect(() => parseFence('readonly')).toThrow(ConfigError);
    try {
      parseFence('readonly');
    } catch (error) {
      expect((error as ConfigError).fix).toContain('--fence roles:app_rw,app_batch');
    }
  });

  it('reads seconds, with a default', () => {
    expect(parseSeconds('max-lag-seconds', undefined, 1)).toBe(1);
    expect(parseSeconds('max-lag-seconds', '0', 1)).toBe(0);
    expect(parseSeconds('max-lag-seconds', '2.5', 1)).toBe(2.5);
    expect(() => parseSeconds('max-lag-seconds', '-1', 1)).toThrow('--max-lag-seconds expects a number of seconds, got "-1"');
    expect(() => parseSeconds('max-lag-seconds', 'soon', 1)).toThrow(ConfigError);
  });
});
