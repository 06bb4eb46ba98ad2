import { DataError, type Lsn } from '@ferry/core';
import { ByteReader } from './byte-reader.js';
import {
  UNCHANGED_TOAST,
  type ColumnValue,
  type OldTuple,
  type PgoutputMessage,
  type RelationColumn,
  type ReplicaIdentity,
  type TupleData,
} from './messages.js';

export interface PgoutputDecoderOptions {
  /**
   * Set when START_REPLICATION asked for streaming 'parallel' (protocol 4): Stream Abort
   * then carries the abort LSN and time.
   */
  parallelStreaming?: boolean;
  /**
   * Every payload was received inside a stream block and is decoded later, out of its block
   * (a spooled streamed transaction): data messages carry the xid.
   */
  insideStreamBlock?: boolean;
}

const MESSAGE_NAMES: Record<string, string> = {
  B: 'Begin',
  C: 'Commit',
  O: 'Origin',
  R: 'Relation',
  Y: 'Type',
  I: 'Insert',
  U: 'Update',
  D: 'Delete',
  T: 'Truncate',
  M: 'Message',
  S: 'Stream Start',
  E: 'Stream Stop',
  c: 'Stream Commit',
  A: 'Stream Abort',
};

const REPLICA_IDENTITIES: Record<string, ReplicaIdentity> = {
  d: 'default',
  n: 'nothing',
  f: 'full',
  i: 'index',
};

const TRUNCATE_CASCADE = 1;
const TRUNCATE_RESTART_IDENTITY = 2;

/**
 * Turns pgoutput payloads (the bytes inside XLogData) into typed messages. Pure: bytes in,
 * messages out, no I/O. One decoder per replication stream, because it remembers whether
 * it is inside a streamed transaction block: there, data messages carry an extra xid.
 */
export class PgoutputDecoder {
  private streamBlockXid: number | null = null;

  constructor(private readonly options: PgoutputDecoderOptions = {}) {}

  /** The xid of the streamed transaction whose block is open, or null. */
  get inStreamBlockOf(): number | null {
    return this.streamBlockXid;
  }

  decode(payload: Uint8Array): PgoutputMessage {
    if (payload.length === 0) {
      throw new DataError('malformed pgoutput message: empty payload', {
        context: { byteOffset: 0 },
      });
    }
    const bytes = Buffer.isBuffer(payload)
      ? payload
      : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    const tag = String.fromCharCode(bytes[0]!);
    const name = MESSAGE_NAMES[tag];
    if (name === undefined) {
      throw new DataError(
        `unknown pgoutput message tag '${tag}' (0x${bytes[0]!.toString(16).padStart(2, '0')})`,
        {
          context: { messageTag: tag, byteOffset: 0 },
          fix: 'two-phase messages (two_phase option) and protocol versions above 4 are not supported',
        },
      );
    }
    const reader = new ByteReader(bytes, `pgoutput ${name} message ('${tag}')`, tag);
    reader.uint8();
    const message = this.decodeBody(tag, reader);
    reader.expectEnd();
    return message;
  }

  private decodeBody(tag: string, r: ByteReader): PgoutputMessage {
    switch (tag) {
      case 'B':
        return { tag: 'begin', finalLsn: r.lsn(), commitTime: r.int64(), xid: r.uint32() };
      case 'C':
        return {
          tag: 'commit',
          flags: r.uint8(),
          commitLsn: r.lsn(),
          endLsn: r.lsn(),
          commitTime: r.int64(),
        };
      case 'O':
        return { tag: 'origin', originLsn: r.lsn(), originName: r.cstring() };
      case 'R':
        return this.relation(r);
      case 'Y':
        return { tag: 'type', xid: this.xid(r), typeOid: r.uint32(), schema: r.cstring(), name: r.cstring() };
      case 'I': {
        const xid = this.xid(r);
        const relationId = r.uint32();
        expectSubmessage(r, 'N');
        return { tag: 'insert', xid, relationId, newTuple: tuple(r) };
      }
      case 'U': {
        const xid = this.xid(r);
        const relationId = r.uint32();
        const kind = r.char();
        let oldTuple: OldTuple | null = null;
        if (kind === 'K' || kind === 'O') {
          oldTuple = { identity: kind === 'K' ? 'key' : 'full', values: tuple(r) };
          expectSubmessage(r, 'N');
        } else if (kind !== 'N') {
          throw r.error(`expected 'K', 'O' or 'N' before the tuple, got '${kind}'`);
        }
        return { tag: 'update', xid, relationId, oldTuple, newTuple: tuple(r) };
      }
      case 'D': {
        const xid = this.xid(r);
        const relationId = r.uint32();
        const kind = r.char();
        if (kind !== 'K' && kind !== 'O') throw r.error(`expected 'K' or 'O' before the tuple, got '${kind}'`);
        return { tag: 'delete', xid, relationId, oldTuple: { identity: kind === 'K' ? 'key' : 'full', values: tuple(r) } };
      }
      case 'T': {
        const xid = this.xid(r);
        const count = r.uint32();
        const flags = r.uint8();
        const relationIds: number[] = [];
        for (let i = 0; i < count; i++) relationIds.push(r.uint32());
        return {
          tag: 'truncate',
          xid,
          cascade: (flags & TRUNCATE_CASCADE) !== 0,
          restartIdentity: (flags & TRUNCATE_RESTART_IDENTITY) !== 0,
          relationIds,
        };
      }
      case 'M': {
        const xid = this.xid(r);
        const transactional = (r.uint8() & 1) === 1;
        const lsn = r.lsn();
        const prefix = r.cstring();
        const content = r.bytesCopy(r.uint32());
        return { tag: 'message', xid, transactional, lsn, prefix, content };
      }
      case 'S': {
        if (this.streamBlockXid !== null) {
          throw r.error(`Stream Start while the block of transaction ${this.streamBlockXid} is still open`);
        }
        const xid = r.uint32();
        const firstSegment = r.uint8() === 1;
        this.streamBlockXid = xid;
        return { tag: 'stream-start', xid, firstSegment };
      }
      case 'E':
        if (this.streamBlockXid === null) throw r.error('Stream Stop without an open stream block');
        this.streamBlockXid = null;
        return { tag: 'stream-stop' };
      case 'c':
        return {
          tag: 'stream-commit',
          xid: r.uint32(),
          flags: r.uint8(),
          commitLsn: r.lsn(),
          endLsn: r.lsn(),
          commitTime: r.int64(),
        };
      case 'A': {
        const xid = r.uint32();
        const subXid = r.uint32();
        if (!this.options.parallelStreaming) return { tag: 'stream-abort', xid, subXid, abortLsn: null, abortTime: null };
        return { tag: 'stream-abort', xid, subXid, abortLsn: r.lsn(), abortTime: r.int64() };
      }
      default:
        throw r.error(`no decoder for tag '${tag}'`);
    }
  }

  /** Data messages carry the xid only inside a streamed block (protocol 2+). */
  private xid(r: ByteReader): number | null {
    return this.streamBlockXid === null && !this.options.insideStreamBlock ? null : r.uint32();
  }

  private relation(r: ByteReader): PgoutputMessage {
    const xid = this.xid(r);
    const relationId = r.uint32();
    const schema = r.cstring();
    const table = r.cstring();
    const identityChar = r.char();
    const replicaIdentity = REPLICA_IDENTITIES[identityChar];
    if (replicaIdentity === undefined) throw r.error(`unknown replica identity '${identityChar}'`);
    const count = r.uint16();
    const columns: RelationColumn[] = [];
    for (let i = 0; i < count; i++) {
      const flags = r.uint8();
      columns.push({ isKey: (flags & 1) === 1, name: r.cstring(), typeOid: r.uint32(), typeModifier: r.int32() });
    }
    return { tag: 'relation', xid, relationId, schema, table, replicaIdentity, columns };
  }
}

function expectSubmessage(r: ByteReader, expected: string): void {
  const kind = r.char();
  if (kind !== expected) throw r.error(`expected '${expected}' before the tuple, got '${kind}'`);
}

/** TupleData: Int16 column count, then per column 'n' null, 'u' unchanged TOAST, 't' text, 'b' binary. */
function tuple(r: ByteReader): TupleData {
  const count = r.uint16();
  const values: ColumnValue[] = new Array<ColumnValue>(count);
  for (let i = 0; i < count; i++) {
    const kind = r.char();
    switch (kind) {
      case 'n':
        values[i] = null;
        break;
      case 'u':
        values[i] = UNCHANGED_TOAST;
        break;
      case 't':
        values[i] = r.text(r.uint32());
        break;
      case 'b':
        values[i] = r.bytesCopy(r.uint32());
        break;
      default:
        throw r.error(`unknown tuple column kind '${kind}' for column ${i + 1}`);
    }
  }
  return values;
}

/** Decodes one payload; a malformed one fails naming the slot and the message's WAL position. */
export function decodeAt(decoder: PgoutputDecoder, payload: Uint8Array, slot: string, lsn: Lsn): PgoutputMessage {
  try {
    return decoder.decode(payload);
  } catch (error) {
    if (!(error instanceof DataError)) throw error;
    throw new DataError(error.message, { context: { ...error.context, slot, lsn: lsn.toString() }, fix: error.fix, cause: error });
  }
}
