import { describe, expect, it } from 'vitest';
import { DataError } from '@ferry/core';
import { decodeWireFormat, encodeWireFormat, readSchemaId, writeWireHeader } from './wire-format.js';

describe('Confluent wire format', () => {
  it('frames a body with magic byte 0 and a big-endian schema id', () => {
    const message = encodeWireFormat(0x01020304, Buffer.from([9, 8, 7]));
    expect([...message]).toEqual([0, 1, 2, 3, 4, 9, 8, 7]);
    expect(decodeWireFormat(message)).toEqual({ schemaId: 0x01020304, body: Buffer.from([9, 8, 7]) });
  });

  it('handles ids up to 2^32-1 and an empty body', () => {
    const message = encodeWireFormat(0xffffffff, Buffer.alloc(0));
    expect(readSchemaId(message)).toBe(0xffffffff);
    expect(decodeWireFormat(message).body.length).toBe(0);
  });

  it('refuses a wrong magic byte', () => {
    expect(() => readSchemaId(Buffer.from([1, 0, 0, 0, 1, 2]))).toThrow(DataError);
    expect(() => readSchemaId(Buffer.from('{"a":1}'))).toThrow(/starts with byte 123, not the Confluent magic byte 0/);
  });

  it('refuses a buffer shorter than the header', () => {
    for (const length of [0, 1, 4]) {
      expect(() => decodeWireFormat(Buffer.alloc(length))).toThrow(DataError);
    }
    expect(() => readSchemaId(Buffer.from([0, 0, 1]))).toThrow(/3 bytes is too short/);
  });

  it('refuses schema ids that do not fit', () => {
    for (const id of [-1, 1.5, 2 ** 32]) expect(() => writeWireHeader(Buffer.alloc(5), id)).toThrow(DataError);
  });
});
