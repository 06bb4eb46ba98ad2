import { describe, expect, it } from 'vitest';
import { partitionsBehind } from './wait-drained.js';

describe('drained partitions', () => {
  it('lists partitions whose applied offset is below the end offset; a partition never written to is drained', () => {
    const ends = [
      { topic: 'p.s.a', partition: 0, end: 10n },
      { topic: 'p.s.a', partition: 1, end: 0n },
      { topic: 'p.s.b', partition: 0, end: 7n },
      { topic: 'p.s.b', partition: 1, end: 3n },
    ];
    const applied = new Map([
      ['p.s.a:0', 10n],
      ['p.s.b:0', 6n],
    ]);
    expect(partitionsBehind(ends, applied)).toEqual([
      { topic: 'p.s.b', partition: 0, end: 7n, applied: 6n },
      { topic: 'p.s.b', partition: 1, end: 3n, applied: 0n },
    ]);
    expect(partitionsBehind(ends, new Map([...applied, ['p.s.b:0', 7n], ['p.s.b:1', 3n]]))).toEqual([]);
  });
});
