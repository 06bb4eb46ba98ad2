import { describe, expect, it } from 'vitest';
import { bucketRuns, diffRowHashes, differingColumns, differingRanges, keyId, rangeBatches } from './range-diff.js';

describe('differingRanges', () => {
  it('returns, ascending, the ranges whose count or checksum differs, or that exist on one side only', () => {
    const source = new Map([
      [0, { rows: 10, checksum: '100' }],
      [1, { rows: 10, checksum: '200' }],
      [2, { rows: 10, checksum: '300' }],
      [4, { rows: 1, checksum: '5' }],
    ]);
    const destination = new Map([
      [0, { rows: 10, checksum: '100' }],
      [1, { rows: 10, checksum: '201' }],
      [2, { rows: 9, checksum: '300' }],
      [3, { rows: 1, checksum: '7' }],
    ]);
    expect(differingRanges(source, destination)).toEqual([1, 2, 3, 4]);
  });

  it('is empty for equal sides', () => {
    const sums = new Map([[0, { rows: 3, checksum: '9' }]]);
    expect(differingRanges(sums, new Map(sums))).toEqual([]);
  });
});

describe('bucketRuns', () => {
  it('joins consecutive ranges into one run', () => {
    expect(bucketRuns([1, 2, 3, 7, 9, 10])).toEqual([
      [1, 3],
      [7, 7],
      [9, 10],
    ]);
    expect(bucketRuns([])).toEqual([]);
  });
});

describe('rangeBatches', () => {
  it('groups ranges up to maxRows rows; an oversized range goes alone', () => {
    const rows = new Map([
      [0, 40],
      [1, 40],
      [2, 40],
      [3, 500],
      [4, 10],
    ]);
    expect(rangeBatches([0, 1, 2, 3, 4], (b) => rows.get(b)!, 100)).toEqual([[0, 1], [2], [3], [4]]);
  });
});

describe('diffRowHashes', () => {
  it('names missing, different and extra rows, source order first', () => {
    const source = [
      { key: ['1'], hash: 'a' },
      { key: ['2'], hash: 'b' },
      { key: ['3'], hash: 'c' },
    ];
    const destination = [
      { key: ['4'], hash: 'd' },
      { key: ['3'], hash: 'c' },
      { key: ['2'], hash: 'B' },
    ];
    expect(diffRowHashes(source, destination)).toEqual([
      { key: ['1'], kind: 'missing' },
      { key: ['2'], kind: 'different' },
      { key: ['4'], kind: 'extra' },
    ]);
  });

  it('tells composite keys apart even when their joined text is alike', () => {
    const source = [{ key: ['a,b', 'c'], hash: 'x' }];
    const destination = [{ key: ['a', 'b,c'], hash: 'x' }];
    expect(diffRowHashes(source, destination).map((d) => d.kind)).toEqual(['missing', 'extra']);
    expect(keyId(['a,b', 'c'])).not.toBe(keyId(['a', 'b,c']));
  });
});

describe('differingColumns', () => {
  it('names the columns whose text differs, NULL included', () => {
    expect(differingColumns(['id', 'name', 'note', 'price'], ['1', 'a', null, '2.50'], ['1', 'b', '', '2.50'])).toEqual(['name', 'note']);
  });
});
