import type { StateTopic } from '@ferry/kafka';

/** One planned chunk: a key range (text values of the key columns) or a block range. */
export interface PlannedChunk {
  index: number;
  /** Exclusive lower bound; null: from the start. */
  lower: string[] | null;
  /** Inclusive upper bound; null: to the end. */
  upper: string[] | null;
}

export interface TableSnapshotState {
  kind: 'key' | 'blocks';
  chunks: PlannedChunk[];
  done: number[];
  rows: number;
  /** The table's end-of-snapshot marker is in Kafka. */
  complete: boolean;
  /**
   * Set when the table's snapshot was taken again at a later consistent point (a keyless
   * table after a crash): its changes committed before this LSN are already in the new copy.
   */
  streamFrom: string | null;
}

export interface SnapshotState {
  slot: string;
  consistentLsn: string;
  startedAt: string;
  tables: Record<string, TableSnapshotState>;
  complete: boolean;
}

const KEY = 'capture.snapshot';

/**
 * The snapshot's resume position, kept on the task's compacted offsets topic. A
 * chunk is marked done only after its Kafka transaction committed, so a restart
 * re-reads exactly the chunks that are not confirmed. Writes are serialized.
 */
export class SnapshotProgress {
  private chain: Promise<void> = Promise.resolve();

  private constructor(
    private readonly store: StateTopic,
    readonly state: SnapshotState,
  ) {}

  static async load(store: StateTopic): Promise<SnapshotState | undefined> {
    return (await store.get(KEY)) as SnapshotState | undefined;
  }

  static async start(store: StateTopic, slot: string, consistentLsn: string): Promise<SnapshotProgress> {
    const progress = new SnapshotProgress(store, { slot, consistentLsn, startedAt: new Date().toISOString(), tables: {}, complete: false });
    await progress.save();
    return progress;
  }

  static resume(store: StateTopic, state: SnapshotState): SnapshotProgress {
    return new SnapshotProgress(store, state);
  }

  static async clear(store: StateTopic): Promise<void> {
    await store.put(KEY, null);
  }

  table(key: string): TableSnapshotState | undefined {
    return this.state.tables[key];
  }

  async planned(key: string, kind: TableSnapshotState['kind'], chunks: PlannedChunk[]): Promise<void> {
    this.state.tables[key] = { kind, chunks, done: [], rows: 0, complete: false, streamFrom: null };
    await this.save();
  }

  /** Starts a table's snapshot over at a new consistent point (see TableSnapshotState.streamFrom). */
  async restarted(key: string, kind: TableSnapshotState['kind'], chunks: PlannedChunk[], streamFrom: string): Promise<void> {
    this.state.tables[key] = { kind, chunks, done: [], rows: 0, complete: false, streamFrom };
    await this.save();
  }

  async chunkDone(key: string, index: number, rows: number): Promise<void> {
    const table = this.state.tables[key]!;
    if (!table.done.includes(index)) {
      table.done.push(index);
      table.rows += rows;
    }
    await this.save();
  }

  async tableComplete(key: string): Promise<void> {
    this.state.tables[key]!.complete = true;
    await this.save();
  }

  async snapshotComplete(): Promise<void> {
    this.state.complete = true;
    await this.save();
  }

  private save(): Promise<void> {
    const snapshot = JSON.parse(JSON.stringify(this.state)) as SnapshotState;
    this.chain = this.chain.then(() => this.store.put(KEY, snapshot));
    return this.chain;
  }
}
