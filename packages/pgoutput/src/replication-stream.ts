import type { Duplex, DuplexOptions } from 'node:stream';
import { finished } from 'node:stream/promises';
import { ConnectionError, InvariantError, Lsn, type FerryError } from '@ferry/core';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { decodeAt, PgoutputDecoder } from './decoder.js';
import type { PgoutputMessage } from './messages.js';
import { epochMsToPgMicros } from './pg-epoch.js';
import { replicationError } from './replication-errors.js';
import { decodeReplicationFrame, encodeStandbyStatus } from './replication-frame.js';

// @types/pg-copy-streams lacks `both` (CopyBoth, used by START_REPLICATION).
type CopyBothStream = Duplex & pg.Submittable;
const copyBoth = (copyStreams as unknown as {
  both(text: string, options: DuplexOptions & { alignOnCopyDataFrame: boolean }): CopyBothStream;
}).both;

/** One decoded pgoutput message and where it sits in the WAL. */
export interface ReplicationEvent {
  /** The message's WAL position (XLogData walStart); for a Commit it equals `endLsn`. */
  lsn: Lsn;
  message: PgoutputMessage;
  /** The message's bytes as sent (e.g. to keep a streamed transaction's messages until it commits). */
  payload: Buffer;
  /** Server clock when sent, microseconds since 2000-01-01. */
  serverTime: bigint;
}

export interface ReplicationStreamSettings {
  /** How often to send a status update; keep it well below the server's wal_sender_timeout. */
  statusIntervalMs?: number;
  /** Frames held in memory before we stop reading the socket (backpressure). */
  bufferedFrames?: number;
  /** How long close() waits for the server to end the COPY before giving up. */
  closeTimeoutMs?: number;
  /**
   * Asked at every keepalive: true when everything received so far is durable downstream
   * (no transaction open, nothing waiting to be committed). The keepalive's position is then
   * confirmed, so the slot moves over WAL that carries nothing for us, and the server can
   * shut down: a walsender waits at shutdown until its client has confirmed all it sent.
   */
  isIdle?: () => boolean;
}

export interface ReplicationStreamStats {
  framesReceived: number;
  keepalives: number;
  repliesRequested: number;
  statusUpdatesSent: number;
}

/**
 * The CopyBoth stream of one START_REPLICATION. Iterate it for decoded messages; reading is
 * pulled by the consumer, so a slow consumer stops the socket and memory stays bounded.
 *
 * Acknowledgement is explicit only: the slot's confirmed_flush_lsn follows what `confirm()`
 * was given, never what was merely received. Status updates go out on a timer and whenever
 * a keepalive asks, so the server never drops us for silence while the consumer is busy.
 *
 * Breaking out of a `for await` does not end the stream (iterate again to go on); call
 * `close()` to end it cleanly (CopyDone), which releases the slot.
 */
export class ReplicationStream implements AsyncIterable<ReplicationEvent> {
  private readonly copy: CopyBothStream;
  private readonly decoder: PgoutputDecoder;
  private readonly timer: NodeJS.Timeout;
  private readonly closeTimeoutMs: number;
  private readonly isIdle: (() => boolean) | undefined;
  private received = Lsn.ZERO;
  private confirmed: Lsn | null = null;
  private failure: FerryError | null = null;
  private ended = false;
  /** Set first thing in close(), before any await. */
  private stopping = false;
  private closing: Promise<void> | null = null;
  private reading = false;
  private wake: (() => void) | null = null;
  private readonly counters: ReplicationStreamStats = {
    framesReceived: 0,
    keepalives: 0,
    repliesRequested: 0,
    statusUpdatesSent: 0,
  };

  /** Use ReplicationConnection.startReplication(). */
  constructor(
    client: pg.Client,
    command: string,
    private readonly slotName: string,
    settings: ReplicationStreamSettings & { parallelStreaming: boolean },
    private readonly onFinished: (usable: boolean) => void,
  ) {
    this.decoder = new PgoutputDecoder({ parallelStreaming: settings.parallelStreaming });
    this.closeTimeoutMs = settings.closeTimeoutMs ?? 10_000;
    this.isIdle = settings.isIdle;
    this.copy = copyBoth(command, {
      alignOnCopyDataFrame: true,
      // One chunk per CopyData frame, and the buffer limit counts frames.
      readableObjectMode: true,
      readableHighWaterMark: settings.bufferedFrames ?? 256,
    });
    this.copy.on('readable', this.onReadable);
    this.copy.on('end', this.onEnd);
    this.copy.on('error', this.onError);
    this.copy.on('close', () => this.wake?.());
    client.query(this.copy);
    this.timer = setInterval(() => this.sendStatus(false), settings.statusIntervalMs ?? 10_000);
    this.timer.unref();
  }

  /** Highest position received (a message's walStart or a keepalive's walEnd). */
  get receivedLsn(): Lsn {
    return this.received;
  }

  /** Highest position given to confirm(), or null before the first. */
  get confirmedLsn(): Lsn | null {
    return this.confirmed;
  }

  get stats(): Readonly<ReplicationStreamStats> {
    return { ...this.counters };
  }

  /** Frames read from the socket but not yet consumed. */
  get bufferedFrames(): number {
    return this.copy.readableLength;
  }

  /**
   * Records that everything up to `lsn` is durable downstream. Confirm a Commit's `endLsn`
   * (or `receivedLsn` when everything received is durable). Confirming backwards is ignored;
   * confirming beyond what was received is a bug and throws. Sent with the next status update.
   */
  confirm(lsn: Lsn): void {
    if (lsn.isAfter(this.received)) {
      throw new InvariantError(`cannot confirm ${lsn.toString()}: only received up to ${this.received.toString()}`, {
        context: { lsn: lsn.toString(), slot: this.slotName },
      });
    }
    if (this.confirmed === null || lsn.isAfter(this.confirmed)) this.confirmed = lsn;
  }

  /** Sends a status update now (the timer and keepalives also do). */
  sendStatus(replyRequested = false): void {
    if (this.failure || this.ended || this.copy.writableEnded || this.copy.destroyed) return;
    // Until something is confirmed we report flush 0/0, which the server ignores.
    const flushed = this.confirmed ?? Lsn.ZERO;
    this.copy.write(
      encodeStandbyStatus({
        written: this.received,
        flushed,
        applied: flushed,
        clock: epochMsToPgMicros(Date.now()),
        replyRequested,
      }),
    );
    this.counters.statusUpdatesSent++;
  }

  [Symbol.asyncIterator](): AsyncIterator<ReplicationEvent> {
    return this.events();
  }

  private async *events(): AsyncGenerator<ReplicationEvent> {
    if (this.reading) throw new InvariantError('a replication stream can only be read by one loop at a time');
    this.reading = true;
    try {
      for (;;) {
        const frame = await this.nextFrame();
        if (frame === null) return;
        this.counters.framesReceived++;
        const decoded = decodeReplicationFrame(frame);
        if (decoded.tag === 'keepalive') {
          this.counters.keepalives++;
          this.noteReceived(decoded.walEnd);
          // Frames arrive in WAL order and each was consumed before this one was read, so an
          // idle consumer has made durable everything before the keepalive's position.
          if (this.isIdle?.()) this.confirm(decoded.walEnd);
          if (decoded.replyRequested) {
            this.counters.repliesRequested++;
            this.sendStatus(false);
          }
          continue;
        }
        this.noteReceived(decoded.walStart);
        const message = decodeAt(this.decoder, decoded.payload, this.slotName, decoded.walStart);
        yield { lsn: decoded.walStart, message, payload: decoded.payload, serverTime: decoded.serverTime };
      }
    } finally {
      this.reading = false;
    }
  }

  /**
   * Ends streaming: sends the last status (so the slot keeps what was confirmed), then
   * CopyDone, and waits until the server has left COPY mode. The connection can then run
   * other commands. Rejects if the server does not answer in time (the connection is then
   * unusable: close it).
   */
  close(): Promise<void> {
    this.stopping = true;
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    clearInterval(this.timer);
    this.wake?.();
    if (this.failure) {
      this.onFinished(false);
      return;
    }
    if (!this.copy.writableEnded) {
      this.sendStatus(false);
      this.copy.end();
    }
    this.onReadable();
    let timeout: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        finished(this.copy),
        new Promise<never>((_, reject) => {
          timeout = setTimeout(
            () => reject(new ConnectionError(`the server did not end replication on slot "${this.slotName}" within ${this.closeTimeoutMs} ms`)),
            this.closeTimeoutMs,
          );
        }),
      ]);
      this.onFinished(true);
    } catch (thrown) {
      this.onFinished(false);
      throw replicationError(thrown, 'closing replication', { slot: this.slotName });
    } finally {
      clearTimeout(timeout);
    }
  }

  private async nextFrame(): Promise<Buffer | null> {
    for (;;) {
      if (this.failure) throw this.failure;
      if (this.stopping) return null;
      const frame = this.copy.read() as Buffer | null;
      if (frame !== null) return frame;
      if (this.ended) {
        throw new ConnectionError(`the server ended replication on slot "${this.slotName}" (shutting down?)`, {
          context: { slot: this.slotName, lsn: this.received.toString() },
          fix: 'reconnect and start again from the confirmed position',
        });
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = null;
    }
  }

  private noteReceived(lsn: Lsn): void {
    if (lsn.isAfter(this.received)) this.received = lsn;
  }

  private readonly onReadable = (): void => {
    // After close() we asked the server to stop: drop what it still sends before its CopyDone.
    if (this.stopping) while (this.copy.read() !== null);
    this.wake?.();
  };

  private readonly onEnd = (): void => {
    this.ended = true;
    clearInterval(this.timer);
    // The server left COPY on its own (e.g. shutdown); answer with our CopyDone as the protocol asks.
    if (!this.copy.writableEnded) this.copy.end();
    this.wake?.();
  };

  private readonly onError = (error: Error): void => {
    this.failure ??= replicationError(error, 'replication', { slot: this.slotName });
    clearInterval(this.timer);
    if (!this.stopping) this.onFinished(false);
    this.wake?.();
  };
}
