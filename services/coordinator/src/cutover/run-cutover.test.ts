import { describe, expect, it } from 'vitest';
import { stepLine } from './run-cutover.js';

describe('stepLine', () => {
  it('prints a step that is done with its duration, and a failed one with its reason', () => {
    expect(stepLine({ index: 2, name: 'drain', failed: false, detail: 'the destination applied everything', seconds: 1.234 })).toBe('[3/7] drain: the destination applied everything (1.2 s)');
    expect(stepLine({ index: 0, name: 'check', failed: true, detail: 'lag too high', seconds: null })).toBe('[1/7] check: FAILED: lag too high');
  });
});
