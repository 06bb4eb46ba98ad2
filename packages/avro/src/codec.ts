import type { Resolver, Type } from 'avsc';
import { DataError } from '@ferry/core';
import type { AvroSchema } from './avro-schema.js';
import { compileAvroType } from './compile-avro-type.js';
import type { SchemaRegistryClient } from './registry.js';
import { readSchemaId, WIRE_HEADER_LENGTH, writeWireHeader } from './wire-format.js';

/** Encodes values of one registered schema. `encode` is synchronous and allocates only the message. */
export interface SchemaWriter<T = unknown> {
  readonly subject: string;
  readonly schemaId: number;
  readonly type: Type;
  encode(value: T): Buffer;
}

export interface DecodedMessage<T = unknown> {
  /** The writer's schema id from the message header (for caching per-schema helpers). */
  schemaId: number;
  value: T;
}

/** A reader schema, as JSON or already compiled (compile once and pass the type for speed). */
export type ReaderSchema = AvroSchema | Type;

const INITIAL_SCRATCH_BYTES = 64 * 1024;
/** Larger messages (big snapshot chunks) get a buffer of their own instead of growing the scratch one. */
const MAX_SCRATCH_BYTES = 8 * 1024 * 1024;

/**
 * Avro in the Confluent wire format over a schema registry.
 *
 * Writing: `writer(subject, schema)` registers the schema once and returns a SchemaWriter
 * whose encode() is synchronous. Reading: `decode(message)` reads the schema id from the
 * header, fetches and compiles that writer schema once, and decodes; with a reader schema
 * it resolves the writer's data into the reader's shape (a column the writer lacked gets
 * its default, null), as BACKWARD compatibility promises.
 */
export class AvroCodec {
  private scratch = Buffer.allocUnsafe(INITIAL_SCRATCH_BYTES);
  private readonly writers = new Map<string, WeakMap<object, Promise<SchemaWriter>>>();
  /** Writer types by id, for the synchronous fast path once an id has been seen. */
  private readonly writerTypes = new Map<number, Type>();
  private readonly compiledReaders = new WeakMap<object, Type>();
  /** reader type → writer schema id → resolver (null: same schema, no resolver needed). */
  private readonly resolvers = new WeakMap<Type, Map<number, Resolver | null>>();

  constructor(private readonly registry: SchemaRegistryClient) {}

  /**
   * The writer for `schema` under `subject`. Cached per schema object, so calling this for
   * every message with the same schema object costs a map lookup.
   */
  writer<T = unknown>(subject: string, schema: AvroSchema): Promise<SchemaWriter<T>> {
    if (typeof schema !== 'object') return this.createWriter<T>(subject, schema);
    let bySchema = this.writers.get(subject);
    if (!bySchema) this.writers.set(subject, (bySchema = new WeakMap()));
    let writer = bySchema.get(schema);
    if (!writer) {
      writer = this.createWriter(subject, schema);
      bySchema.set(schema, writer);
      writer.catch(() => bySchema.delete(schema));
    }
    return writer as Promise<SchemaWriter<T>>;
  }

  /** One-off convenience; for streams keep the SchemaWriter from `writer()`. */
  async encode(subject: string, schema: AvroSchema, value: unknown): Promise<Buffer> {
    return (await this.writer(subject, schema)).encode(value);
  }

  /** Decodes a wire-format message; with `reader`, into the reader schema's shape. */
  async decode<T = unknown>(message: Buffer, reader?: ReaderSchema): Promise<T> {
    return (await this.decodeMessage<T>(message, reader)).value;
  }

  /** Like decode(), also returning the writer's schema id. */
  async decodeMessage<T = unknown>(message: Buffer, reader?: ReaderSchema): Promise<DecodedMessage<T>> {
    const schemaId = readSchemaId(message);
    let writerType = this.writerTypes.get(schemaId);
    if (!writerType) {
      writerType = await this.registry.getType(schemaId);
      this.writerTypes.set(schemaId, writerType);
    }
    const body = message.subarray(WIRE_HEADER_LENGTH);
    try {
      if (reader === undefined) return { schemaId, value: writerType.fromBuffer(body) as T };
      const readerType = this.compileReader(reader);
      const resolver = this.resolverFor(readerType, schemaId, writerType);
      const value = (resolver ? readerType.fromBuffer(body, resolver) : readerType.fromBuffer(body)) as T;
      return { schemaId, value };
    } catch (error) {
      if (error instanceof DataError) throw error;
      throw new DataError(`cannot decode a message written with schema id ${schemaId}: ${(error as Error).message}`, {
        context: { schemaId },
        fix: 'the message is truncated or corrupt, or was not written with the schema its header names',
        cause: error,
      });
    }
  }

  private async createWriter<T>(subject: string, schema: AvroSchema): Promise<SchemaWriter<T>> {
    const type = compileAvroType(schema);
    const schemaId = await this.registry.register(subject, schema);
    this.writerTypes.set(schemaId, type);
    return { subject, schemaId, type, encode: (value: T) => this.encodeWith(subject, schemaId, type, value) };
  }

  private encodeWith(subject: string, schemaId: number, type: Type, value: unknown): Buffer {
    try {
      writeWireHeader(this.scratch, schemaId);
      const end = type.encode(value, this.scratch, WIRE_HEADER_LENGTH);
      if (end >= 0) return Buffer.from(this.scratch.subarray(0, end));
      // Too small: avsc returned minus the number of missing bytes.
      const size = this.scratch.length - end;
      if (size <= MAX_SCRATCH_BYTES) {
        this.scratch = Buffer.allocUnsafe(Math.min(MAX_SCRATCH_BYTES, Math.max(size, this.scratch.length * 2)));
        return this.encodeWith(subject, schemaId, type, value);
      }
      const message = Buffer.allocUnsafe(size);
      writeWireHeader(message, schemaId);
      type.encode(value, message, WIRE_HEADER_LENGTH);
      return message;
    } catch (error) {
      if (error instanceof DataError) throw error;
      throw new DataError(`cannot encode a value for subject "${subject}": ${invalidPaths(type, value)}`, {
        context: { subject, schemaId },
        fix: 'the value does not match the schema; build rows with RowConverter and events with the envelope types',
        cause: error,
      });
    }
  }

  private compileReader(reader: ReaderSchema): Type {
    if (isAvscType(reader)) return reader;
    if (typeof reader !== 'object') return compileAvroType(reader);
    let type = this.compiledReaders.get(reader);
    if (!type) this.compiledReaders.set(reader, (type = compileAvroType(reader)));
    return type;
  }

  private resolverFor(readerType: Type, schemaId: number, writerType: Type): Resolver | null {
    let byWriter = this.resolvers.get(readerType);
    if (!byWriter) this.resolvers.set(readerType, (byWriter = new Map()));
    let resolver = byWriter.get(schemaId);
    if (resolver === undefined) {
      try {
        resolver = readerType.equals(writerType) ? null : readerType.createResolver(writerType);
      } catch (error) {
        throw new DataError(
          `reader schema ${readerType.name ?? ''} cannot read data written with schema id ${schemaId}: ${(error as Error).message}`,
          {
            context: { schemaId },
            fix: 'use a reader schema compatible with every version of the subject (new fields need a default)',
            cause: error,
          },
        );
      }
      byWriter.set(schemaId, resolver);
    }
    return resolver;
  }
}

function isAvscType(value: unknown): value is Type {
  return typeof value === 'object' && value !== null && typeof (value as Type).createResolver === 'function';
}

/** Where a value breaks the schema ("after.qty, source.lsn"), without printing values. */
function invalidPaths(type: Type, value: unknown): string {
  const paths: string[] = [];
  try {
    type.isValid(value, { errorHook: (path: string[]) => paths.push(path.join('.') || '(top level)') });
  } catch {
    // isValid itself can trip over very wrong values; the message below still helps.
  }
  return paths.length > 0 ? `invalid at ${paths.join(', ')}` : 'the value does not match the schema';
}
