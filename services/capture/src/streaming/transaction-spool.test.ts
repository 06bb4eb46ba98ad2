import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FerryError, Lsn } from '@ferry/core';
import { afterEach, describe, expect, it } from 'vitest';
import { TransactionSpool, type SpooledMessage } from './transaction-spool.js';

const spools: TransactionSpool[] = [];

async function newSpool(): Promise<TransactionSpool> {
  const spool = new TransactionSpool(join(mkdtempSync(join(tmpdir(), 'spool-test-')), 'task'));
  await spool.reset();
  spools.push(spool);
  return spool;
}

function message(xid: number, n: number, size = 20): SpooledMessage {
  const payload = Buffer.alloc(size, n % 251);
  payload.writeUInt32BE(n, 0);
  return { xid, lsn: Lsn.fromBigInt(BigInt(1000 + n)), payload };
}

async function read(spool: TransactionSpool, xid: number): Promise<{ xid: number; n: number; lsn: string; size: number }[]> {
  const out = [];
  for await (const m of spool.committed(xid)) out.push({ xid: m.xid, n: m.payload.readUInt32BE(0), lsn: m.lsn.toString(), size: m.payload.length });
  return out;
}

afterEach(async () => {
  for (const spool of spools.splice(0)) await spool.close();
});

describe('TransactionSpool', () => {
  it('gives back every message in order, across flushes and read pieces', async () => {
    const spool = await newSpool();
    await spool.startBlock(7, true);
    // 3 000 messages of 1 000 bytes: several 1 MiB flushes, and entries cut by the read pieces.
    for (let n = 0; n < 3_000; n++) await spool.append(7, message(7, n, 1_000 + (n % 7)));
    await spool.endBlock(7);
    const back = await read(spool, 7);
    expect(back).toHaveLength(3_000);
    expect(back.map((m) => m.n)).toEqual([...Array(3_000).keys()]);
    expect(back[2_999]).toEqual({ xid: 7, n: 2_999, lsn: Lsn.fromBigInt(3999n).toString(), size: 1_000 + (2_999 % 7) });
    expect(spool.bytes(7)).toBe(back.reduce((sum, m) => sum + 16 + m.size, 0));
  });

  it('keeps transactions apart and drops aborted subtransactions and transactions', async () => {
    const spool = await newSpool();
    await spool.startBlock(10, true);
    await spool.append(10, message(10, 1));
    await spool.append(10, message(11, 2));
    await spool.endBlock(10);
    await spool.startBlock(20, true);
    await spool.append(20, message(20, 3));
    await spool.endBlock(20);
    await spool.startBlock(10, false);
    await spool.append(10, message(12, 4));
    await spool.append(10, message(10, 5));
    await spool.endBlock(10);

    await spool.abort(10, 11);
    await spool.abort(20, 20);
    expect(spool.openTransactions).toBe(1);
    expect((await read(spool, 10)).map((m) => [m.xid, m.n])).toEqual([
      [10, 1],
      [12, 4],
      [10, 5],
    ]);
    expect(await read(spool, 20)).toEqual([]);
    await spool.discard(10);
    expect(readdirSync(spool.directory)).toEqual([]);
  });

  it('starts a transaction over when the server streams it again from its first block', async () => {
    const spool = await newSpool();
    await spool.startBlock(5, true);
    await spool.append(5, message(5, 1));
    await spool.endBlock(5);
    await spool.startBlock(5, true);
    await spool.append(5, message(5, 2));
    expect((await read(spool, 5)).map((m) => m.n)).toEqual([2]);
  });

  it('refuses a message outside any block, and reset() clears files of an earlier run', async () => {
    const spool = await newSpool();
    await expect(spool.append(99, message(99, 1))).rejects.toThrow('a message of streamed transaction 99 arrived outside its blocks');
    writeFileSync(join(spool.directory, '42.spool'), 'left by a crashed run');
    await spool.reset();
    expect(readdirSync(spool.directory)).toEqual([]);
  });

  it('names the directory and the fix when it cannot be used', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'spool-test-')), 'not-a-directory');
    writeFileSync(file, '');
    const spool = new TransactionSpool(join(file, 'task'));
    const error = await spool.reset().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FerryError);
    expect((error as FerryError).code).toBe('SPOOL_FAILED');
    expect((error as FerryError).context.directory).toBe(join(file, 'task'));
    expect((error as FerryError).fix).toContain('source.largeTransactions.spoolDirectory');
  });
});
