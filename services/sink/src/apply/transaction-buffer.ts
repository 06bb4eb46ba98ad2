import type { DecodedChange } from '../event-decoder.js';

/** A change event waiting for its source transaction to be complete. */
export interface BufferedChange {
  topic: string;
  partition: number;
  offset: bigint;
  change: DecodedChange;
}

/** What a transaction's END says it holds: events per source table ("schema.table"). */
export interface TransactionEnd {
  id: string;
  perTable: readonly { table: string; count: bigint }[];
}

interface PartitionState {
  topic: string;
  partition: number;
  /** Offsets still held, with their transaction, in offset order. */
  held: { offset: bigint; id: string }[];
  /** The offset after the last record consumed (tombstones and markers included). */
  consumedTo: bigint;
}

/**
 * Change events of source transactions not applied yet (sink.mode transactional). A
 * transaction is complete when it holds as many events per table as its END counts; a
 * TRUNCATE, written to every partition but counted once, is kept once by its order.
 *
 * Capture writes source transactions in commit order, so inside a partition every event
 * of transaction k comes before those of k+1: the place a partition can restart from
 * after the applied transactions is a clean cut (see cuts()).
 */
export class TransactionBuffer {
  private readonly transactions = new Map<string, { events: Map<bigint, BufferedChange>; perTable: Map<string, number> }>();
  private readonly partitions = new Map<string, PartitionState>();
  private held = 0;

  /** Events held (each once). */
  get size(): number {
    return this.held;
  }

  add(item: BufferedChange): void {
    const { id, order } = item.change.event.transaction!;
    this.partition(item.topic, item.partition).held.push({ offset: item.offset, id });
    this.consumed(item.topic, item.partition, item.offset + 1n);
    let tx = this.transactions.get(id);
    if (!tx) this.transactions.set(id, (tx = { events: new Map(), perTable: new Map() }));
    if (tx.events.has(order)) return;
    tx.events.set(order, item);
    tx.perTable.set(item.change.sourceTable, (tx.perTable.get(item.change.sourceTable) ?? 0) + 1);
    this.held += 1;
  }

  /** The partition has been read up to (not including) `next`, with nothing there to hold. */
  consumed(topic: string, partition: number, next: bigint): void {
    const state = this.partition(topic, partition);
    if (next > state.consumedTo) state.consumedTo = next;
  }

  isComplete(end: TransactionEnd): boolean {
    const tx = this.transactions.get(end.id);
    return end.perTable.every(({ table, count }) => BigInt(tx?.perTable.get(table) ?? 0) >= count);
  }

  /** A transaction's events in source order (they stay held until remove()). */
  events(id: string): BufferedChange[] {
    const tx = this.transactions.get(id);
    if (!tx) return [];
    return [...tx.events.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e);
  }

  /** The transaction is applied (or was a duplicate): forget it. */
  remove(id: string): void {
    const tx = this.transactions.get(id);
    this.transactions.delete(id);
    for (const state of this.partitions.values()) state.held = state.held.filter((h) => h.id !== id);
    if (tx) this.held -= tx.events.size;
  }

  /**
   * Where each partition read so far restarts once transaction `applied` is applied too:
   * at its oldest event of another transaction still held, else after the last record consumed.
   */
  cuts(applied?: string): { topic: string; partition: number; next: bigint }[] {
    return [...this.partitions.values()].map((s) => ({
      topic: s.topic,
      partition: s.partition,
      next: s.held.find((h) => h.id !== applied)?.offset ?? s.consumedTo,
    }));
  }

  /** After a rebalance or a failure: every partition is read again from the destination's offsets. */
  clear(): void {
    this.transactions.clear();
    this.partitions.clear();
    this.held = 0;
  }

  private partition(topic: string, partition: number): PartitionState {
    const key = `${topic}:${partition}`;
    let state = this.partitions.get(key);
    if (!state) this.partitions.set(key, (state = { topic, partition, held: [], consumedTo: 0n }));
    return state;
  }
}
