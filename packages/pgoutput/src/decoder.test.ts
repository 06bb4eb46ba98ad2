import { DataError, Lsn } from '@ferry/core';
import { describe, expect, it } from 'vitest';
import { PgoutputDecoder } from './decoder.js';
import { UNCHANGED_TOAST, type PgoutputMessage } from './messages.js';
import { ByteWriter } from './testing/byte-writer.js';
import { pgoutputBytes } from './testing/pgoutput-builders.js';

const lsn = Lsn.parse;

/** One example of every message kind; xid set ones are only valid inside a stream block. */
const outside: PgoutputMessage[] = [
  { tag: 'begin', finalLsn: lsn('0/16B3748'), commitTime: 767_000_000_123_456n, xid: 4_000_000_000 },
  { tag: 'commit', flags: 0, commitLsn: lsn('0/16B3748'), endLsn: lsn('0/16B3778'), commitTime: -1n },
  { tag: 'origin', originLsn: lsn('1/0'), originName: 'ferry_sink' },
  {
    tag: 'relation',
    xid: null,
    relationId: 16_384,
    schema: 'Sales "EU"',
    table: 'ordërs',
    replicaIdentity: 'full',
    columns: [
      { name: 'id', typeOid: 23, typeModifier: -1, isKey: true },
      { name: 'note', typeOid: 1043, typeModifier: 14, isKey: false },
    ],
  },
  { tag: 'type', xid: null, typeOid: 16_390, schema: 'public', name: 'mood' },
  {
    tag: 'insert',
    xid: null,
    relationId: 16_384,
    newTuple: ['1', null, UNCHANGED_TOAST, '', '\uFEFFbom kept 🐘', Buffer.from([0, 255])],
  },
  { tag: 'update', xid: null, relationId: 1, oldTuple: null, newTuple: ['2', 'x'] },
  { tag: 'update', xid: null, relationId: 1, oldTuple: { identity: 'key', values: ['1', null] }, newTuple: ['2', UNCHANGED_TOAST] },
  { tag: 'update', xid: null, relationId: 1, oldTuple: { identity: 'full', values: ['1', 'old'] }, newTuple: ['1', 'new'] },
  { tag: 'delete', xid: null, relationId: 1, oldTuple: { identity: 'key', values: ['1', null] } },
  { tag: 'delete', xid: null, relationId: 1, oldTuple: { identity: 'full', values: ['1', 'gone'] } },
  { tag: 'truncate', xid: null, cascade: true, restartIdentity: false, relationIds: [1, 2, 3] },
  { tag: 'truncate', xid: null, cascade: false, restartIdentity: true, relationIds: [7] },
  { tag: 'message', xid: null, transactional: false, lsn: lsn('0/5'), prefix: 'ferry', content: Buffer.from('{"a":1}') },
  { tag: 'stream-commit', xid: 77, flags: 0, commitLsn: lsn('0/100'), endLsn: lsn('0/130'), commitTime: 5n },
  { tag: 'stream-abort', xid: 77, subXid: 78, abortLsn: null, abortTime: null },
];

/** Messages that appear inside a streamed block of transaction 77, carrying its xid. */
const inside: PgoutputMessage[] = [
  { tag: 'relation', xid: 77, relationId: 9, schema: 'public', table: 't', replicaIdentity: 'default', columns: [] },
  { tag: 'type', xid: 77, typeOid: 16_390, schema: 'public', name: 'mood' },
  { tag: 'insert', xid: 77, relationId: 9, newTuple: ['1'] },
  { tag: 'update', xid: 77, relationId: 9, oldTuple: { identity: 'key', values: ['1'] }, newTuple: ['2'] },
  { tag: 'delete', xid: 77, relationId: 9, oldTuple: { identity: 'full', values: ['2'] } },
  { tag: 'truncate', xid: 77, cascade: true, restartIdentity: true, relationIds: [9] },
  { tag: 'message', xid: 77, transactional: true, lsn: lsn('0/6'), prefix: 'p', content: Buffer.alloc(0) },
];

function inStreamBlock(decoder = new PgoutputDecoder()): PgoutputDecoder {
  decoder.decode(pgoutputBytes({ tag: 'stream-start', xid: 77, firstSegment: true }));
  return decoder;
}

function thrown(fn: () => unknown): DataError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DataError) return error;
    throw error;
  }
  throw new Error('expected a DataError');
}

describe('PgoutputDecoder', () => {
  it.each(outside.map((m) => [m.tag, m] as const))('decodes %s', (_tag, message) => {
    expect(new PgoutputDecoder().decode(pgoutputBytes(message))).toEqual(message);
  });

  it.each(inside.map((m) => [m.tag, m] as const))('decodes %s with the xid inside a stream block', (_tag, message) => {
    expect(inStreamBlock().decode(pgoutputBytes(message))).toEqual(message);
  });

  it('tracks stream blocks: start opens, stop closes, xids come and go', () => {
    const decoder = new PgoutputDecoder();
    expect(decoder.decode(pgoutputBytes({ tag: 'stream-start', xid: 77, firstSegment: true }))).toEqual({
      tag: 'stream-start',
      xid: 77,
      firstSegment: true,
    });
    expect(decoder.inStreamBlockOf).toBe(77);
    expect(decoder.decode(pgoutputBytes({ tag: 'stream-stop' }))).toEqual({ tag: 'stream-stop' });
    expect(decoder.inStreamBlockOf).toBeNull();
    expect(decoder.decode(pgoutputBytes({ tag: 'stream-start', xid: 77, firstSegment: false }))).toMatchObject({
      firstSegment: false,
    });
  });

  it('reads the abort LSN and time of Stream Abort only with parallel streaming (protocol 4)', () => {
    const message: PgoutputMessage = { tag: 'stream-abort', xid: 5, subXid: 6, abortLsn: lsn('0/99'), abortTime: 42n };
    expect(new PgoutputDecoder({ parallelStreaming: true }).decode(pgoutputBytes(message))).toEqual(message);
    expect(() => new PgoutputDecoder().decode(pgoutputBytes(message))).toThrow(/16 unexpected bytes at offset 9/);
  });

  it('matches hand-written bytes from the protocol documentation', () => {
    const begin = Buffer.from('42' + '00000000016B3748' + '0000000000000001' + '0000002A', 'hex');
    expect(new PgoutputDecoder().decode(begin)).toEqual({ tag: 'begin', finalLsn: lsn('0/16B3748'), commitTime: 1n, xid: 42 });
    // 'I', relation 16384, 'N', 3 columns: null, unchanged TOAST, text "42"
    const insert = Buffer.from('49' + '00004000' + '4E' + '0003' + '6E' + '75' + '74' + '00000002' + '3432', 'hex');
    expect(new PgoutputDecoder().decode(insert)).toEqual({
      tag: 'insert',
      xid: null,
      relationId: 16_384,
      newTuple: [null, UNCHANGED_TOAST, '42'],
    });
  });

  it('keeps values as text: no numbers, no dates', () => {
    const values = ['NaN', '-0', '2024-02-29 23:59:59.123456+00', '\\xdeadbeef', '-infinity'];
    const decoded = new PgoutputDecoder().decode(pgoutputBytes({ tag: 'insert', xid: null, relationId: 1, newTuple: values }));
    expect(decoded).toMatchObject({ newTuple: values });
  });
});

describe('PgoutputDecoder on malformed input', () => {
  it.each([...outside, { tag: 'stream-start', xid: 1, firstSegment: true } as const].map((m) => [m.tag, m] as const))(
    'names the tag and offset when %s is truncated anywhere',
    (_tag, message) => {
      const bytes = pgoutputBytes(message);
      for (let length = 1; length < bytes.length; length++) {
        const error = thrown(() => new PgoutputDecoder().decode(bytes.subarray(0, length)));
        expect(error.code).toBe('DATA_INVALID');
        expect(error.context.messageTag).toBe(String.fromCharCode(bytes[0]!));
        expect(error.message).toMatch(/^malformed pgoutput .+ message \('.'\): /);
        expect(error.message).toMatch(/offset \d+/);
      }
    },
  );

  it('reports exactly where a truncated Insert stops', () => {
    const bytes = pgoutputBytes({ tag: 'insert', xid: null, relationId: 1, newTuple: ['hello'] });
    const error = thrown(() => new PgoutputDecoder().decode(bytes.subarray(0, bytes.length - 2)));
    expect(error.message).toBe(
      "malformed pgoutput Insert message ('I'): truncated: needed 5 bytes at offset 13, only 3 left",
    );
    expect(error.context).toMatchObject({ messageTag: 'I', byteOffset: 13 });
  });

  it('rejects trailing bytes, unknown tags, unknown tuple kinds and bad UTF-8', () => {
    const begin = pgoutputBytes({ tag: 'begin', finalLsn: lsn('0/1'), commitTime: 0n, xid: 1 });
    expect(() => new PgoutputDecoder().decode(Buffer.concat([begin, Buffer.from([0])]))).toThrow(
      "malformed pgoutput Begin message ('B'): 1 unexpected bytes at offset 21 after the last field",
    );
    expect(() => new PgoutputDecoder().decode(Buffer.from('b', 'latin1'))).toThrow(
      "unknown pgoutput message tag 'b' (0x62)",
    );
    expect(() => new PgoutputDecoder().decode(Buffer.alloc(0))).toThrow(DataError);
    const badKind = new ByteWriter().char('I').uint32(1).char('N').uint16(1).char('x').toBuffer();
    expect(() => new PgoutputDecoder().decode(badKind)).toThrow("unknown tuple column kind 'x' for column 1");
    const badUtf8 = new ByteWriter().char('I').uint32(1).char('N').uint16(1).char('t').uint32(1).uint8(0xff).toBuffer();
    expect(() => new PgoutputDecoder().decode(badUtf8)).toThrow('invalid UTF-8 in the text at offset 13');
    const noTerminator = new ByteWriter().char('O').lsn(lsn('0/1')).char('name').toBuffer();
    expect(() => new PgoutputDecoder().decode(noTerminator)).toThrow('has no terminating zero byte');
  });

  it('rejects stream blocks that do not nest', () => {
    expect(() => new PgoutputDecoder().decode(pgoutputBytes({ tag: 'stream-stop' }))).toThrow(
      'Stream Stop without an open stream block',
    );
    expect(() => inStreamBlock().decode(pgoutputBytes({ tag: 'stream-start', xid: 2, firstSegment: true }))).toThrow(
      'while the block of transaction 77 is still open',
    );
  });

  it('misreads nothing silently when the xid is missing inside a stream block', () => {
    const withoutXid = pgoutputBytes({ tag: 'insert', xid: null, relationId: 9, newTuple: ['1'] });
    expect(() => inStreamBlock().decode(withoutXid)).toThrow(DataError);
  });
});
