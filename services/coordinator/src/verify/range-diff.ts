/**
 * The pure parts of comparing a table: which key ranges differ, how to read them back in
 * bounded pieces, and which rows differ and how.
 */

/** A key range's row count and checksum on one side. */
export interface RangeSum {
  rows: number;
  checksum: string;
}

/** A row's key (its key columns' text) and the hash of its compared columns. */
export interface RowHash {
  key: readonly (string | null)[];
  hash: string;
}

export type DifferenceKind = 'missing' | 'extra' | 'different';

export interface KeyDifference {
  key: readonly (string | null)[];
  /** missing: on the source only; extra: on the destination only; different: on both, not alike. */
  kind: DifferenceKind;
}

/** Ranges (bucket numbers, ascending) whose count or checksum differs; a range absent on one side has no rows there. */
export function differingRanges(source: ReadonlyMap<number, RangeSum>, destination: ReadonlyMap<number, RangeSum>): number[] {
  const buckets = new Set([...source.keys(), ...destination.keys()]);
  const differing: number[] = [];
  for (const bucket of buckets) {
    const a = source.get(bucket);
    const b = destination.get(bucket);
    if (a?.rows !== b?.rows || a?.checksum !== b?.checksum) differing.push(bucket);
  }
  return differing.sort((x, y) => x - y);
}

/** Ascending buckets → runs of consecutive buckets, e.g. [1, 2, 3, 7] → [[1, 3], [7, 7]]: one key condition per run. */
export function bucketRuns(buckets: readonly number[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const bucket of buckets) {
    const last = runs[runs.length - 1];
    if (last && bucket === last[1] + 1) last[1] = bucket;
    else runs.push([bucket, bucket]);
  }
  return runs;
}

/**
 * Groups ranges so each group holds at most `maxRows` rows on its larger side (a range larger
 * than that is a group of its own): the rows of one group are held in memory at once.
 */
export function rangeBatches(buckets: readonly number[], rows: (bucket: number) => number, maxRows: number): number[][] {
  const batches: number[][] = [];
  let current: number[] = [];
  let size = 0;
  for (const bucket of buckets) {
    const n = rows(bucket);
    if (current.length > 0 && size + n > maxRows) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push(bucket);
    size += n;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** The identity of a key across both sides: its columns' text forms. */
export function keyId(key: readonly (string | null)[]): string {
  return JSON.stringify(key);
}

/** Rows that differ between the two sides: source order first (missing, different), then extra rows in destination order. */
export function diffRowHashes(source: Iterable<RowHash>, destination: Iterable<RowHash>): KeyDifference[] {
  const theirs = new Map<string, RowHash>();
  for (const row of destination) theirs.set(keyId(row.key), row);
  const differences: KeyDifference[] = [];
  for (const row of source) {
    const id = keyId(row.key);
    const other = theirs.get(id);
    if (!other) differences.push({ key: row.key, kind: 'missing' });
    else if (other.hash !== row.hash) differences.push({ key: row.key, kind: 'different' });
    theirs.delete(id);
  }
  for (const row of theirs.values()) differences.push({ key: row.key, kind: 'extra' });
  return differences;
}

/** Names (source names) of the columns whose comparable text differs between the two rows. */
export function differingColumns(names: readonly string[], source: readonly (string | null)[], destination: readonly (string | null)[]): string[] {
  return names.filter((_, i) => source[i] !== destination[i]);
}
