import { describe, expect, it } from 'vitest';
import { effectiveLagSeconds, readinessProblem } from './check-ready.js';

describe('cutover readiness', () => {
  it('takes the heartbeat lag while heartbeats keep arriving', () => {
    expect(effectiveLagSeconds({ lagSeconds: 0.4, heartbeatAgeSeconds: 3 })).toBe(0.4);
  });

  it('counts a sink that stands still as behind by the age of its newest heartbeat', () => {
    expect(effectiveLagSeconds({ lagSeconds: 0.4, heartbeatAgeSeconds: 25 })).toBe(20);
    expect(effectiveLagSeconds({ lagSeconds: null, heartbeatAgeSeconds: null })).toBeNull();
  });

  it('names why the phase does not allow a cutover', () => {
    const base = { lastError: null };
    expect(readinessProblem({ ...base, phase: 'full' }, [], 1)).toBe(
      'the snapshot (full copy) is still running: cutover needs continuous sync, after the copy is applied',
    );
    expect(readinessProblem({ ...base, phase: 'new' }, [], 1)).toMatch(/has not started copying yet \(phase new\)/);
    expect(readinessProblem({ ...base, phase: 'cutover' }, [], 1)).toMatch(/ferry cutover --abort/);
    expect(readinessProblem({ ...base, phase: 'failed', lastError: 'boom' }, [], 1)).toBe('the task failed: boom');
  });

  it('refuses when any destination lags at or above the limit, with the number', () => {
    const state = { phase: 'incremental' as const, lastError: null };
    expect(readinessProblem(state, [{ destination: 'main', seconds: 0.3 }], 1)).toBeNull();
    expect(readinessProblem(state, [{ destination: 'main', seconds: 0.3 }, { destination: 'dr', seconds: 7.25 }], 1)).toBe(
      'lag too high: destination "dr" is 7.3 s behind the source (the limit is 1 s)',
    );
    expect(readinessProblem(state, [{ destination: 'main', seconds: 0 }], 0)).toMatch(/^lag too high: destination "main" is 0\.0 s behind/);
    expect(readinessProblem(state, [{ destination: 'main', seconds: null }], 1)).toMatch(/no heartbeat has reached destination "main" yet/);
  });
});
