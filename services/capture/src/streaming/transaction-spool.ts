import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FerryError, Lsn } from '@ferry/core';

/** The task's own directory under `base` (default: the system temp dir's ferry-spool). */
export function spoolDirectory(task: string, base: string | undefined): string {
  return join(base ?? join(tmpdir(), 'ferry-spool'), task);
}

/** One pgoutput message of a streamed transaction, as the server sent it. */
export interface SpooledMessage {
  /** The (sub)transaction that wrote it: a subtransaction's changes carry its own xid. */
  xid: number;
  lsn: Lsn;
  /** The pgoutput payload; data messages still carry their xid field. */
  payload: Buffer;
}

/** Entry header: payload length (u32), xid (u32), LSN (u64). */
const HEADER_BYTES = 16;
/** Written to disk once this much of one transaction is held in memory. */
const FLUSH_BYTES = 1 << 20;
/** Read back in pieces of this size. */
const READ_BYTES = 1 << 20;

/**
 * Streamed in-progress transactions (pgoutput protocol 2+), kept on disk until the server
 * says how each ends: one append-only file per open top-level transaction, replayed in order
 * at Stream Commit and deleted then or at Stream Abort. Memory holds at most FLUSH_BYTES per
 * open transaction.
 *
 * Nothing here survives a restart: a transaction that was open when capture stopped has not
 * been confirmed, so the slot streams it again from its first block.
 */
export class TransactionSpool {
  private readonly files = new Map<number, SpoolFile>();

  constructor(readonly directory: string) {}

  /** Empties the directory: what an earlier run spooled will be streamed again. */
  async reset(): Promise<void> {
    await this.close();
    try {
      await rm(this.directory, { recursive: true, force: true });
      await mkdir(this.directory, { recursive: true });
    } catch (error) {
      throw spoolError(error, this.directory, 'preparing the spool directory');
    }
  }

  /** Transactions streamed so far whose end has not arrived. */
  get openTransactions(): number {
    return this.files.size;
  }

  /** At Stream Start: the first block of a transaction starts a new file, later ones append. */
  async startBlock(topXid: number, firstSegment: boolean): Promise<void> {
    const existing = this.files.get(topXid);
    if (existing && !firstSegment) return;
    await existing?.remove();
    const path = join(this.directory, `${topXid}.spool`);
    const handle = await open(path, 'w+').catch((error: unknown) => {
      throw spoolError(error, this.directory, `creating ${path}`);
    });
    this.files.set(topXid, new SpoolFile(path, handle, this.directory));
  }

  async append(topXid: number, message: SpooledMessage): Promise<void> {
    await this.file(topXid).append(message);
  }

  /** At Stream Stop: nothing of the block stays in memory while other transactions go on. */
  async endBlock(topXid: number): Promise<void> {
    await this.files.get(topXid)?.flush();
  }

  /** At Stream Abort: the whole transaction, or the changes of one aborted subtransaction. */
  async abort(topXid: number, subXid: number): Promise<void> {
    if (subXid === topXid) await this.discard(topXid);
    else this.files.get(topXid)?.aborted.add(subXid);
  }

  /** At Stream Commit: every message of the transaction in the order sent, less aborted subtransactions. */
  async *committed(topXid: number): AsyncGenerator<SpooledMessage> {
    const file = this.files.get(topXid);
    if (!file) return;
    for await (const message of file.read()) {
      if (!file.aborted.has(message.xid)) yield message;
    }
  }

  /** Size on disk and in memory of every open transaction's spool. */
  get totalBytes(): number {
    let total = 0;
    for (const file of this.files.values()) total += file.bytes;
    return total;
  }

  /** Size on disk and in memory of a transaction's spool. */
  bytes(topXid: number): number {
    return this.files.get(topXid)?.bytes ?? 0;
  }

  async discard(topXid: number): Promise<void> {
    const file = this.files.get(topXid);
    this.files.delete(topXid);
    await file?.remove();
  }

  /** Closes and deletes every file. */
  async close(): Promise<void> {
    const files = [...this.files.values()];
    this.files.clear();
    for (const file of files) await file.remove();
  }

  private file(topXid: number): SpoolFile {
    const file = this.files.get(topXid);
    if (file) return file;
    throw new FerryError('INVARIANT_BROKEN', `a message of streamed transaction ${topXid} arrived outside its blocks`, { context: { xid: topXid } });
  }
}

class SpoolFile {
  readonly aborted = new Set<number>();
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private written = 0;

  constructor(
    private readonly path: string,
    private readonly handle: FileHandle,
    private readonly directory: string,
  ) {}

  get bytes(): number {
    return this.written + this.pendingBytes;
  }

  async append(message: SpooledMessage): Promise<void> {
    const header = Buffer.allocUnsafe(HEADER_BYTES);
    header.writeUInt32BE(message.payload.length, 0);
    header.writeUInt32BE(message.xid, 4);
    header.writeBigUInt64BE(message.lsn.value, 8);
    this.pending.push(header, message.payload);
    this.pendingBytes += HEADER_BYTES + message.payload.length;
    if (this.pendingBytes >= FLUSH_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const chunk = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    try {
      await this.handle.write(chunk, 0, chunk.length, this.written);
    } catch (error) {
      throw spoolError(error, this.directory, `writing ${this.path}`);
    }
    this.written += chunk.length;
  }

  async *read(): AsyncGenerator<SpooledMessage> {
    await this.flush();
    let carry = Buffer.alloc(0);
    for (let position = 0; position < this.written; ) {
      const piece = Buffer.allocUnsafe(Math.min(READ_BYTES, this.written - position));
      const { bytesRead } = await this.handle.read(piece, 0, piece.length, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const bytes = carry.length === 0 ? piece.subarray(0, bytesRead) : Buffer.concat([carry, piece.subarray(0, bytesRead)]);
      let offset = 0;
      while (offset + HEADER_BYTES <= bytes.length) {
        const length = bytes.readUInt32BE(offset);
        if (offset + HEADER_BYTES + length > bytes.length) break;
        yield {
          xid: bytes.readUInt32BE(offset + 4),
          lsn: Lsn.fromBigInt(bytes.readBigUInt64BE(offset + 8)),
          payload: bytes.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + length),
        };
        offset += HEADER_BYTES + length;
      }
      carry = bytes.subarray(offset);
    }
    if (carry.length > 0) throw new FerryError('INVARIANT_BROKEN', `the spool file ${this.path} ends inside a message`, { context: { path: this.path } });
  }

  async remove(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await rm(this.path, { force: true });
  }
}

function spoolError(error: unknown, directory: string, doing: string): FerryError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    // Nothing is lost: the slot is confirmed only past committed transactions, so it sends this one again.
    return new FerryError('DISK_FULL', `no space left for the spool of a large transaction (${doing})`, {
      retriable: true,
      context: { directory },
      fix: 'free space there, or point source.largeTransactions.spoolDirectory at a larger disk; capture retries within retry.connectionMinutes and the slot sends the transaction again',
      cause: error,
    });
  }
  return new FerryError('SPOOL_FAILED', `cannot use the spool directory for large transactions: ${(error as Error).message}`, {
    context: { directory },
    fix: 'make source.largeTransactions.spoolDirectory a writable directory',
    cause: error,
  });
}
