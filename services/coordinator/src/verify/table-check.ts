import { toError } from '@ferry/core';
import { queryTextRows, type TextRow } from '@ferry/pg';
import type pg from 'pg';
import { bucketRuns, diffRowHashes, differingColumns, differingRanges, keyId, rangeBatches, type KeyDifference, type RangeSum, type RowHash } from './range-diff.js';
import type { TablePlan } from './table-plan.js';
import { boundariesSql, keyRowsSql, rangeRowsSql, rangeSumsSql, wholeTableSql, type SideTable } from './table-sql.js';

export interface Sides {
  source: pg.ClientBase;
  destination: pg.ClientBase;
}

export interface CheckSettings {
  /** Rows per key range. */
  chunkRows: number;
  /** Differing rows named per table. */
  maxDifferences: number;
  /** Differing keys kept per table to re-check; more are only counted. */
  recheckLimit: number;
}

/** Where one table's comparison stands; the passes below update it. */
export interface TableCheck {
  plan: TablePlan;
  sourceRows: number;
  destinationRows: number | null;
  problem: string | null;
  /** Differing keys of the latest pass, at most `recheckLimit`, in the order found. */
  differences: KeyDifference[];
  /** Differing rows found beyond `differences` (counted, not kept). */
  overflow: number;
  /** The differing columns (source names) of named `different` rows, by keyId. */
  columns: Map<string, string[]>;
  /** Tables without a key: the whole-table count or checksum differs. */
  wholeTableDiffers: boolean;
  /** Differences of the first pass that matched on a re-check (changes in flight). */
  settled: number;
  /** Why differences could not be re-checked, if they were not. */
  recheckNote: string | null;
}

const KEY_BATCH = 1000;

export function tableDiffers(check: TableCheck): boolean {
  return check.problem !== null || check.wholeTableDiffers || check.differences.length + check.overflow > 0;
}

/**
 * Compares a table in one snapshot per side. With a key: the source's key is cut into ranges
 * of `chunkRows` rows, each side returns one count and checksum per range (one GROUP BY
 * query), and only ranges that differ are read back, key and row hash, a bounded group of
 * ranges at a time, and diffed in memory. Without a key: one count and checksum each.
 */
export async function checkTable(sides: Sides, plan: TablePlan, settings: CheckSettings): Promise<TableCheck> {
  const check: TableCheck = {
    plan,
    sourceRows: 0,
    destinationRows: null,
    problem: plan.problem,
    differences: [],
    overflow: 0,
    columns: new Map(),
    wholeTableDiffers: false,
    settled: 0,
    recheckNote: null,
  };
  const destination = plan.destination;
  try {
    await inSnapshots(sides, async () => {
      if (!destination) {
        check.sourceRows = await countRows(sides.source, plan.source);
        return;
      }
      if (plan.keyNames.length === 0) {
        await compareWhole(sides, check, destination);
        return;
      }
      const boundaryRows = await queryTextRows(sides.source, ...spread(boundariesSql(plan.source, settings.chunkRows)));
      // Key columns are NOT NULL (primary key, or a unique key over NOT NULL columns).
      const boundaries = boundaryRows.map((row) => row.map((v) => v ?? ''));
      const [sourceSums, destinationSums] = await Promise.all([
        rangeSums(sides.source, plan.source, boundaries),
        rangeSums(sides.destination, destination, boundaries),
      ]);
      check.sourceRows = total(sourceSums);
      check.destinationRows = total(destinationSums);
      const differing = differingRanges(sourceSums, destinationSums);
      const larger = (bucket: number) => Math.max(sourceSums.get(bucket)?.rows ?? 0, destinationSums.get(bucket)?.rows ?? 0);
      for (const batch of rangeBatches(differing, larger, Math.max(settings.chunkRows * 4, 20_000))) {
        const runs = bucketRuns(batch);
        const [ours, theirs] = await Promise.all([
          rowHashes(sides.source, rangeRowsSql(plan.source, boundaries, runs), plan.keyNames.length),
          rowHashes(sides.destination, rangeRowsSql(destination, boundaries, runs), plan.keyNames.length),
        ]);
        keep(check, diffRowHashes(ours, theirs), settings);
      }
      await nameColumns(sides, check, settings);
    });
  } catch (error) {
    check.problem = `cannot compare: ${toError(error).message}`;
  }
  return check;
}

/**
 * Compares again, in new snapshots, only what differed: the kept keys of a keyed table
 * (read by key on both sides), or the whole of a table without a key. A key that matches
 * now was a change in flight; what still differs is reported.
 */
export async function recheckTable(sides: Sides, check: TableCheck, settings: CheckSettings): Promise<void> {
  const { plan } = check;
  const destination = plan.destination;
  if (!destination || check.problem !== null || !tableDiffers(check)) return;
  try {
    await inSnapshots(sides, async () => {
      if (plan.keyNames.length === 0) {
        await compareWhole(sides, check, destination);
        return;
      }
      const before = check.differences;
      const still: KeyDifference[] = [];
      for (let i = 0; i < before.length; i += KEY_BATCH) {
        const keys = before.slice(i, i + KEY_BATCH).map((d) => d.key as string[]);
        const [ours, theirs] = await Promise.all([
          rowHashes(sides.source, keyRowsSql(plan.source, keys, false), plan.keyNames.length),
          rowHashes(sides.destination, keyRowsSql(destination, keys, false), plan.keyNames.length),
        ]);
        still.push(...diffRowHashes(ours, theirs));
      }
      check.settled += before.length - still.length;
      check.differences = still;
      check.columns = new Map();
      await nameColumns(sides, check, settings);
    });
  } catch (error) {
    check.recheckNote = `the re-check failed: ${toError(error).message}`;
  }
}

/** Keeps differences up to the re-check limit and counts the rest. */
function keep(check: TableCheck, found: readonly KeyDifference[], settings: CheckSettings): void {
  const room = Math.max(0, settings.recheckLimit - check.differences.length);
  check.differences.push(...found.slice(0, room));
  check.overflow += Math.max(0, found.length - room);
}

/** For the first `maxDifferences` rows that exist on both sides: which columns differ. */
async function nameColumns(sides: Sides, check: TableCheck, settings: CheckSettings): Promise<void> {
  const { plan } = check;
  const destination = plan.destination!;
  const named = check.differences.slice(0, settings.maxDifferences).filter((d) => d.kind === 'different');
  if (named.length === 0) return;
  const keys = named.map((d) => d.key as string[]);
  const width = plan.keyNames.length;
  const [ours, theirs] = await Promise.all([
    queryTextRows(sides.source, ...spread(keyRowsSql(plan.source, keys, true))),
    queryTextRows(sides.destination, ...spread(keyRowsSql(destination, keys, true))),
  ]);
  const values = (rows: TextRow[]) => new Map(rows.map((row) => [keyId(row.slice(0, width)), row.slice(width + 1)]));
  const a = values(ours);
  const b = values(theirs);
  for (const difference of named) {
    const id = keyId(difference.key);
    const left = a.get(id);
    const right = b.get(id);
    if (left && right) check.columns.set(id, differingColumns(plan.columnNames, left, right));
  }
}

async function compareWhole(sides: Sides, check: TableCheck, destination: SideTable): Promise<void> {
  const [[ours], [theirs]] = await Promise.all([
    queryTextRows(sides.source, ...spread(wholeTableSql(check.plan.source))),
    queryTextRows(sides.destination, ...spread(wholeTableSql(destination))),
  ]);
  check.sourceRows = Number(ours![0]);
  check.destinationRows = Number(theirs![0]);
  check.wholeTableDiffers = ours![0] !== theirs![0] || ours![1] !== theirs![1];
}

async function countRows(client: pg.ClientBase, table: SideTable): Promise<number> {
  const [row] = await queryTextRows(client, ...spread(wholeTableSql(table)));
  return Number(row![0]);
}

async function rangeSums(client: pg.ClientBase, table: SideTable, boundaries: readonly (readonly string[])[]): Promise<Map<number, RangeSum>> {
  const rows = await queryTextRows(client, ...spread(rangeSumsSql(table, boundaries)));
  return new Map(rows.map((row) => [Number(row[0]), { rows: Number(row[1]), checksum: row[2] ?? '0' }]));
}

async function rowHashes(client: pg.ClientBase, query: { sql: string; params: unknown[] }, keyWidth: number): Promise<RowHash[]> {
  const rows = await queryTextRows(client, ...spread(query));
  return rows.map((row) => ({ key: row.slice(0, keyWidth), hash: row[keyWidth] ?? '' }));
}

function total(sums: ReadonlyMap<number, RangeSum>): number {
  let rows = 0;
  for (const sum of sums.values()) rows += sum.rows;
  return rows;
}

function spread(query: { sql: string; params: readonly unknown[] }): [string, readonly unknown[]] {
  return [query.sql, query.params];
}

/** Runs `work` with each side inside its own read-only REPEATABLE READ snapshot. */
async function inSnapshots(sides: Sides, work: () => Promise<void>): Promise<void> {
  await Promise.all([
    sides.source.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY'),
    sides.destination.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY'),
  ]);
  try {
    await work();
  } finally {
    await Promise.allSettled([sides.source.query('ROLLBACK'), sides.destination.query('ROLLBACK')]);
  }
}
