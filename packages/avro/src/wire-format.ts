import { DataError } from '@ferry/core';

/**
 * Confluent's wire format: byte 0 is the magic byte 0, bytes 1–4 the schema id
 * (big-endian, unsigned here), then the Avro binary body.
 */
export const MAGIC_BYTE = 0;
export const WIRE_HEADER_LENGTH = 5;
const MAX_SCHEMA_ID = 0xffffffff;

/** Writes the 5-byte header into `target` at `offset`. */
export function writeWireHeader(target: Buffer, schemaId: number, offset = 0): void {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > MAX_SCHEMA_ID) {
    throw new DataError(`schema id ${schemaId} does not fit the wire format (0 … 2^32-1)`);
  }
  target[offset] = MAGIC_BYTE;
  target.writeUInt32BE(schemaId, offset + 1);
}

/** Header + Avro body in one new buffer. */
export function encodeWireFormat(schemaId: number, avroBody: Buffer): Buffer {
  const message = Buffer.allocUnsafe(WIRE_HEADER_LENGTH + avroBody.length);
  writeWireHeader(message, schemaId);
  avroBody.copy(message, WIRE_HEADER_LENGTH);
  return message;
}

/** The schema id of a wire-format message; checks the framing. */
export function readSchemaId(message: Buffer): number {
  if (message.length < WIRE_HEADER_LENGTH) {
    throw new DataError(
      `message of ${message.length} byte${message.length === 1 ? '' : 's'} is too short for the Confluent wire format (5-byte header)`,
      { fix: 'the message is truncated or was not written by an Avro serializer' },
    );
  }
  if (message[0] !== MAGIC_BYTE) {
    throw new DataError(`message starts with byte ${message[0]}, not the Confluent magic byte 0`, {
      fix: 'the topic holds messages that are not Confluent-framed Avro (plain JSON, another serializer, or a key read as a value)',
    });
  }
  return message.readUInt32BE(1);
}

/** Splits a message into schema id and Avro body (a view, not a copy). */
export function decodeWireFormat(message: Buffer): { schemaId: number; body: Buffer } {
  const schemaId = readSchemaId(message);
  return { schemaId, body: message.subarray(WIRE_HEADER_LENGTH) };
}
