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
  /** Offsets still held, with their transaction, in offset order, from `head` on. */
  held: { offset: bigint; id: string }[];
  head: number;
  /** The offset after the last record consumed (tombstones and markers included). */
  consumedTo: bigint;
}

interface HeldTransaction {
  /** By order inside the transaction: each event once. */
  events: Map<bigint, BufferedChange>;
  perTable: Map<string, number>;
  /** Offsets held per partition (a TRUNCATE counts in every partition it was written to). */
  heldIn: Map<PartitionState, number>;
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
  private readonly transactions = new Map<string, HeldTransaction>();
  private readonly partitions = new Map<string, PartitionState>();
  private held = 0;

  /** Events held (each once). */
  get size(): number {
    return this.held;
  }

  add(item: BufferedChange): void {
    const { id, order } = item.change.event.transaction!;
    const state = this.partition(item.topic, item.partition);
    state.held.push({ offset: item.offset, id });
    this.consumed(item.topic, item.partition, item.offset + 1n);
    let tx = this.transactions.get(id);
    if (!tx) this.transactions.set(id, (tx = { events: new Map(), perTable: new Map(), heldIn: new Map() }));
    tx.heldIn.set(state, (tx.heldIn.get(state) ?? 0) + 1);
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

  /**
   * The transaction is applied (or was a duplicate): forget it. Transactions end in commit
   * order, so its offsets are the first ones held in each partition it has events in.
   */
  remove(id: string): void {
    const tx = this.transactions.get(id);
    if (!tx) return;
    this.transactions.delete(id);
    this.held -= tx.events.size;
    for (const [state, count] of tx.heldIn) {
      let removed = 0;
      while (state.head < state.held.length && state.held[state.head]!.id === id) {
        state.head += 1;
        removed += 1;
      }
      // Not at the front (never expected): drop them wherever they are.
      if (removed < count) state.held = state.held.filter((h, i) => i < state.head || h.id !== id);
      if (state.head > 1_024 && state.head * 2 > state.held.length) {
        state.held = state.held.slice(state.head);
        state.head = 0;
      }
    }
  }

  /**
   * Where each partition read so far restarts once transaction `applied` is applied too:
   * at its oldest event of another transaction still held, else after the last record consumed.
   */
  cuts(applied?: string): { topic: string; partition: number; next: bigint }[] {
    return [...this.partitions.values()].map((s) => ({ topic: s.topic, partition: s.partition, next: this.firstHeldOutside(s, applied) ?? s.consumedTo }));
  }

  /** After a rebalance or a failure: every partition is read again from the destination's offsets. */
  clear(): void {
    this.transactions.clear();
    this.partitions.clear();
    this.held = 0;
  }

  private firstHeldOutside(state: PartitionState, id: string | undefined): bigint | undefined {
    for (let i = state.head; i < state.held.length; i++) if (state.held[i]!.id !== id) return state.held[i]!.offset;
    return undefined;
  }

  private partition(topic: string, partition: number): PartitionState {
    const key = `${topic}:${partition}`;
    let state = this.partitions.get(key);
    if (!state) this.partitions.set(key, (state = { topic, partition, held: [], head: 0, consumedTo: 0n }));
    return state;
  }
}
