import { DataError, type Lsn } from '@ferry/core';
import { ByteReader } from './byte-reader.js';

/**
 * The streaming replication envelope: each CopyData message from the walsender is either
 * XLogData ('w', carrying one pgoutput message) or a primary keepalive ('k').
 */
export type ReplicationFrame = XLogDataFrame | KeepaliveFrame;

export interface XLogDataFrame {
  tag: 'xlog-data';
  /** WAL position of this message; for a Commit it is the commit's end LSN. */
  walStart: Lsn;
  /** The server's current end of WAL (informational). */
  walEnd: Lsn;
  /** Server clock when sent, microseconds since 2000-01-01. */
  serverTime: bigint;
  /** The pgoutput message (not copied). */
  payload: Buffer;
}

export interface KeepaliveFrame {
  tag: 'keepalive';
  walEnd: Lsn;
  serverTime: bigint;
  /** The server wants a status update now, or it will count us as gone after wal_sender_timeout. */
  replyRequested: boolean;
}

export function decodeReplicationFrame(frame: Buffer): ReplicationFrame {
  const tag = frame.length > 0 ? String.fromCharCode(frame[0]!) : '';
  if (tag === 'w') {
    const r = new ByteReader(frame, "XLogData frame ('w')", tag);
    r.uint8();
    return { tag: 'xlog-data', walStart: r.lsn(), walEnd: r.lsn(), serverTime: r.int64(), payload: r.rest() };
  }
  if (tag === 'k') {
    const r = new ByteReader(frame, "primary keepalive frame ('k')", tag);
    r.uint8();
    const keepalive: KeepaliveFrame = {
      tag: 'keepalive',
      walEnd: r.lsn(),
      serverTime: r.int64(),
      replyRequested: r.uint8() === 1,
    };
    r.expectEnd();
    return keepalive;
  }
  throw new DataError(
    frame.length === 0
      ? 'empty CopyData frame from the walsender'
      : `unknown replication frame tag '${tag}' (0x${frame[0]!.toString(16).padStart(2, '0')})`,
    { context: { messageTag: tag, byteOffset: 0 } },
  );
}

/** Standby status update ('r'): what we report back to the walsender. */
export interface StandbyStatus {
  /** Latest position received. */
  written: Lsn;
  /** Position whose effects are durable downstream: the slot's confirmed_flush_lsn follows it. */
  flushed: Lsn;
  applied: Lsn;
  /** Our clock, microseconds since 2000-01-01. */
  clock: bigint;
  /** Ask the server to answer with a keepalive at once. */
  replyRequested: boolean;
}

export function encodeStandbyStatus(status: StandbyStatus): Buffer {
  const bytes = Buffer.alloc(34);
  bytes.write('r', 0, 'latin1');
  bytes.writeBigUInt64BE(status.written.value, 1);
  bytes.writeBigUInt64BE(status.flushed.value, 9);
  bytes.writeBigUInt64BE(status.applied.value, 17);
  bytes.writeBigInt64BE(status.clock, 25);
  bytes.writeUInt8(status.replyRequested ? 1 : 0, 33);
  return bytes;
}
