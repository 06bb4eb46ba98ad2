import { describe, expect, it } from 'vitest';
import { sequenceMode, summarizeSequences } from './sequence-check.js';

describe('sequence checks', () => {
  it('auto reports sequences before a finished cutover and requires them after it', () => {
    expect(sequenceMode('auto', false)).toBe('info');
    expect(sequenceMode('auto', true)).toBe('strict');
    expect(sequenceMode('strict', false)).toBe('strict');
    expect(sequenceMode('info', true)).toBe('info');
    expect(sequenceMode('off', true)).toBeNull();
  });

  it('fails only in strict mode, on a sequence behind or missing', () => {
    const behind = { sequence: 'a.s', destinationSequence: 'a.s', sourceNext: '10', destinationNext: '1', status: 'behind' as const };
    const level = { ...behind, destinationNext: '10', status: 'ok' as const };
    expect(summarizeSequences('info', [behind]).ok).toBe(true);
    expect(summarizeSequences('strict', [behind]).ok).toBe(false);
    expect(summarizeSequences('strict', [level]).ok).toBe(true);
  });
});
