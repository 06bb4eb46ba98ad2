import type { Lsn } from '@ferry/core';
import {
  isUnchangedToast,
  type OldTuple,
  type PgoutputMessage,
  type TupleData,
} from '../messages.js';
import { ByteWriter } from './byte-writer.js';

/**
 * Test byte builders: the pgoutput bytes PostgreSQL would send for a message, written from
 * the protocol documentation, field by field. `xid` is written when it is not null (inside a
 * streamed block), Stream Abort's LSN and time when they are not null (streaming 'parallel').
 */
export function pgoutputBytes(message: PgoutputMessage): Buffer {
  const w = new ByteWriter();
  const xid = (value: number | null): void => {
    if (value !== null) w.uint32(value);
  };
  switch (message.tag) {
    case 'begin':
      return w.char('B').lsn(message.finalLsn).int64(message.commitTime).uint32(message.xid).toBuffer();
    case 'commit':
      return w.char('C').uint8(message.flags).lsn(message.commitLsn).lsn(message.endLsn).int64(message.commitTime).toBuffer();
    case 'origin':
      return w.char('O').lsn(message.originLsn).cstring(message.originName).toBuffer();
    case 'relation': {
      w.char('R');
      xid(message.xid);
      w.uint32(message.relationId).cstring(message.schema).cstring(message.table);
      w.char({ default: 'd', nothing: 'n', full: 'f', index: 'i' }[message.replicaIdentity]);
      w.uint16(message.columns.length);
      for (const c of message.columns) w.uint8(c.isKey ? 1 : 0).cstring(c.name).uint32(c.typeOid).int32(c.typeModifier);
      return w.toBuffer();
    }
    case 'type':
      w.char('Y');
      xid(message.xid);
      return w.uint32(message.typeOid).cstring(message.schema).cstring(message.name).toBuffer();
    case 'insert':
      w.char('I');
      xid(message.xid);
      w.uint32(message.relationId).char('N');
      writeTuple(w, message.newTuple);
      return w.toBuffer();
    case 'update':
      w.char('U');
      xid(message.xid);
      w.uint32(message.relationId);
      if (message.oldTuple) writeOldTuple(w, message.oldTuple);
      w.char('N');
      writeTuple(w, message.newTuple);
      return w.toBuffer();
    case 'delete':
      w.char('D');
      xid(message.xid);
      w.uint32(message.relationId);
      writeOldTuple(w, message.oldTuple);
      return w.toBuffer();
    case 'truncate':
      w.char('T');
      xid(message.xid);
      w.uint32(message.relationIds.length).uint8((message.cascade ? 1 : 0) | (message.restartIdentity ? 2 : 0));
      for (const id of message.relationIds) w.uint32(id);
      return w.toBuffer();
    case 'message':
      w.char('M');
      xid(message.xid);
      return w
        .uint8(message.transactional ? 1 : 0)
        .lsn(message.lsn)
        .cstring(message.prefix)
        .uint32(message.content.length)
        .bytes(message.content)
        .toBuffer();
    case 'stream-start':
      return w.char('S').uint32(message.xid).uint8(message.firstSegment ? 1 : 0).toBuffer();
    case 'stream-stop':
      return w.char('E').toBuffer();
    case 'stream-commit':
      return w
        .char('c')
        .uint32(message.xid)
        .uint8(message.flags)
        .lsn(message.commitLsn)
        .lsn(message.endLsn)
        .int64(message.commitTime)
        .toBuffer();
    case 'stream-abort':
      w.char('A').uint32(message.xid).uint32(message.subXid);
      if (message.abortLsn !== null) w.lsn(message.abortLsn);
      if (message.abortTime !== null) w.int64(message.abortTime);
      return w.toBuffer();
  }
}

function writeOldTuple(w: ByteWriter, old: OldTuple): void {
  w.char(old.identity === 'key' ? 'K' : 'O');
  writeTuple(w, old.values);
}

function writeTuple(w: ByteWriter, values: TupleData): void {
  w.uint16(values.length);
  for (const value of values) {
    if (value === null) w.char('n');
    else if (isUnchangedToast(value)) w.char('u');
    else if (typeof value === 'string') {
      const bytes = Buffer.from(value, 'utf8');
      w.char('t').uint32(bytes.length).bytes(bytes);
    } else w.char('b').uint32(value.length).bytes(value);
  }
}

/** An XLogData ('w') CopyData frame around a pgoutput payload. */
export function xlogDataFrame(frame: { walStart: Lsn; walEnd: Lsn; serverTime: bigint; payload: Uint8Array }): Buffer {
  return new ByteWriter()
    .char('w')
    .lsn(frame.walStart)
    .lsn(frame.walEnd)
    .int64(frame.serverTime)
    .bytes(frame.payload)
    .toBuffer();
}

/** A primary keepalive ('k') CopyData frame. */
export function keepaliveFrame(frame: { walEnd: Lsn; serverTime: bigint; replyRequested: boolean }): Buffer {
  return new ByteWriter().char('k').lsn(frame.walEnd).int64(frame.serverTime).uint8(frame.replyRequested ? 1 : 0).toBuffer();
}
