import { DataError, Lsn } from '@ferry/core';
import { describe, expect, it } from 'vitest';
import { decodeReplicationFrame, encodeStandbyStatus } from './replication-frame.js';
import { keepaliveFrame, xlogDataFrame } from './testing/pgoutput-builders.js';

describe('replication frames', () => {
  it('decodes XLogData with its payload', () => {
    const payload = Buffer.from('E', 'latin1');
    const frame = xlogDataFrame({ walStart: Lsn.parse('1/2'), walEnd: Lsn.parse('3/4'), serverTime: 99n, payload });
    expect(decodeReplicationFrame(frame)).toEqual({
      tag: 'xlog-data',
      walStart: Lsn.parse('1/2'),
      walEnd: Lsn.parse('3/4'),
      serverTime: 99n,
      payload,
    });
  });

  it('decodes keepalives with and without a reply request', () => {
    for (const replyRequested of [true, false]) {
      const frame = keepaliveFrame({ walEnd: Lsn.parse('0/FF'), serverTime: -5n, replyRequested });
      expect(decodeReplicationFrame(frame)).toEqual({ tag: 'keepalive', walEnd: Lsn.parse('0/FF'), serverTime: -5n, replyRequested });
    }
  });

  it('rejects truncated and unknown frames with the tag and offset', () => {
    const keepalive = keepaliveFrame({ walEnd: Lsn.parse('0/FF'), serverTime: 0n, replyRequested: false });
    expect(() => decodeReplicationFrame(keepalive.subarray(0, 12))).toThrow(
      "malformed primary keepalive frame ('k'): truncated: needed 8 bytes at offset 9, only 3 left",
    );
    const xlog = xlogDataFrame({ walStart: Lsn.ZERO, walEnd: Lsn.ZERO, serverTime: 0n, payload: Buffer.alloc(0) });
    expect(() => decodeReplicationFrame(xlog.subarray(0, 20))).toThrow("malformed XLogData frame ('w'): truncated");
    expect(() => decodeReplicationFrame(Buffer.from('z'))).toThrow("unknown replication frame tag 'z' (0x7a)");
    expect(() => decodeReplicationFrame(Buffer.alloc(0))).toThrow(DataError);
  });

  it('encodes the standby status update byte for byte', () => {
    const bytes = encodeStandbyStatus({
      written: Lsn.parse('0/30'),
      flushed: Lsn.parse('0/20'),
      applied: Lsn.parse('0/20'),
      clock: 1n,
      replyRequested: true,
    });
    expect(bytes.toString('hex')).toBe(
      '72' + '0000000000000030' + '0000000000000020' + '0000000000000020' + '0000000000000001' + '01',
    );
  });
});
