/**
 * A small client for the Confluent schema registry REST API, over plain fetch.
 *
 * Why not @kafkajs/confluent-schema-registry (3.6.1): measured against the project's
 * registry (Apicurio 3.0.9, ccompat v7, global rule BACKWARD):
 * - Its register() first reads GET /config/<subject> and throws "Compatibility does not
 *   match the configuration (BACKWARD != NONE)" for every subject that some other client
 *   registered first: Apicurio answers NONE for a subject without its own setting, even
 *   though the global BACKWARD rule is enforced (an int → string change on that subject
 *   was still refused with 409). Any subject created by another tool, or by an earlier
 *   client version, would be unusable.
 * - On first registration it writes a subject-level config as a side effect, and every
 *   register() costs two requests.
 * - It compiles schemas with its own avsc options and hands out compiled types only; Ferry
 *   needs the raw schema text (the pg.* attributes) and its own bigint long type.
 * The API calls used here (POST /subjects/<s>/versions, GET /schemas/ids/<id>,
 * GET /subjects/<s>/versions/latest) behaved as the Confluent API documents; Apicurio
 * keeps the schema text byte for byte (custom attributes included) and gives identical
 * text the same id in every subject.
 */
import { createHash } from 'node:crypto';
import type { Type } from 'avsc';
import {
  ConnectionError,
  DataError,
  FerryError,
  PermissionError,
  retry,
} from '@ferry/core';
import type { AvroSchema } from './avro-schema.js';
import { compileAvroType } from './compile-avro-type.js';
import { describeIncompatibility, SchemaIncompatibleError } from './schema-incompatibility.js';

/** The subject of a topic's message keys (TopicNameStrategy). */
export function keySubject(topic: string): string {
  return `${topic}-key`;
}

/** The subject of a topic's message values (TopicNameStrategy). */
export function valueSubject(topic: string): string {
  return `${topic}-value`;
}

export interface SchemaRegistryOptions {
  /** Base URL including the API path, e.g. http://127.0.0.1:18081/apis/ccompat/v7. May carry user:password. */
  url: string;
  /** Per request. Default 10 s. */
  requestTimeoutMs?: number;
  /** How long to keep retrying when the registry is unreachable or answers 5xx. Default 30 s. */
  retryMaxElapsedMs?: number;
}

export interface RegisteredVersion {
  id: number;
  version: number;
  schema: AvroSchema;
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

export class SchemaRegistryClient {
  private readonly baseUrl: string;
  /** The URL without credentials: the only form that goes into messages. */
  private readonly safeUrl: string;
  private readonly authorization: string | undefined;
  private readonly requestTimeoutMs: number;
  private readonly retryMaxElapsedMs: number;
  /** subject + schema text fingerprint → id: each schema is registered once per process. */
  private readonly registered = new Map<string, Promise<number>>();
  private readonly schemaTexts = new Map<number, Promise<string>>();
  private readonly types = new Map<number, Promise<Type>>();

  constructor(options: SchemaRegistryOptions) {
    const url = new URL(options.url);
    this.authorization =
      url.username || url.password
        ? `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`
        : undefined;
    url.username = '';
    url.password = '';
    this.baseUrl = url.toString().replace(/\/+$/, '');
    this.safeUrl = this.baseUrl;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.retryMaxElapsedMs = options.retryMaxElapsedMs ?? 30_000;
  }

  /**
   * Registers `schema` under `subject` (or finds it there) and returns its id. The
   * registry checks compatibility; a refusal is a SchemaIncompatibleError naming the
   * fields that changed.
   */
  register(subject: string, schema: AvroSchema): Promise<number> {
    const text = JSON.stringify(schema);
    const cacheKey = `${subject}\n${createHash('sha256').update(text).digest('hex')}`;
    let id = this.registered.get(cacheKey);
    if (!id) {
      id = this.registerText(subject, text);
      this.registered.set(cacheKey, id);
      // A failure must not stick: the next call asks the registry again.
      id.catch(() => this.registered.delete(cacheKey));
    }
    return id;
  }

  /** The schema with this id, as registered. */
  async getSchema(id: number): Promise<AvroSchema> {
    return JSON.parse(await this.getSchemaText(id)) as AvroSchema;
  }

  /** The compiled avsc type of this id; compiled once per process. */
  getType(id: number): Promise<Type> {
    let type = this.types.get(id);
    if (!type) {
      type = this.getSchemaText(id).then((text) => compileAvroType(text));
      this.types.set(id, type);
      type.catch(() => this.types.delete(id));
    }
    return type;
  }

  /** The subject's latest version, or null when the subject does not exist. */
  async latestVersion(subject: string): Promise<RegisteredVersion | null> {
    const answer = await this.request<{ id: number; version: number; schema: string }>(
      'GET',
      `/subjects/${encodeURIComponent(subject)}/versions/latest`,
      undefined,
      { notFoundIsNull: true },
    );
    if (answer === null) return null;
    return { id: answer.id, version: answer.version, schema: JSON.parse(answer.schema) as AvroSchema };
  }

  private async registerText(subject: string, text: string): Promise<number> {
    try {
      const answer = await this.request<{ id: number }>('POST', `/subjects/${encodeURIComponent(subject)}/versions`, {
        schema: text,
      });
      // The text is known now; decoding our own messages needs no extra request.
      if (!this.schemaTexts.has(answer.id)) this.schemaTexts.set(answer.id, Promise.resolve(text));
      return answer.id;
    } catch (error) {
      if (error instanceof RegistryHttpError && error.status === 409) {
        throw await this.incompatible(subject, error);
      }
      if (error instanceof RegistryHttpError && error.status === 422) {
        throw new DataError(`registry refused the schema for subject "${subject}" as invalid: ${error.registryMessage}`, {
          context: { subject },
          fix: 'the schema is not valid Avro; it is built by @ferry/avro, so this is a bug there',
          cause: error,
        });
      }
      throw error;
    }
  }

  private async incompatible(subject: string, error: RegistryHttpError): Promise<SchemaIncompatibleError> {
    // The registry's pointers refer to the registered version; fetch it to name fields.
    const latest = await this.latestVersion(subject).catch(() => null);
    const changes = latest ? describeIncompatibility(error.registryMessage, latest.schema) : [error.registryMessage];
    return new SchemaIncompatibleError(subject, changes, { cause: error });
  }

  private getSchemaText(id: number): Promise<string> {
    let text = this.schemaTexts.get(id);
    if (!text) {
      text = this.fetchSchemaText(id);
      this.schemaTexts.set(id, text);
      text.catch(() => this.schemaTexts.delete(id));
    }
    return text;
  }

  private async fetchSchemaText(id: number): Promise<string> {
    const answer = await this.request<{ schema: string; schemaType?: string }>('GET', `/schemas/ids/${id}`, undefined, {
      notFoundIsNull: true,
    });
    if (answer === null) {
      throw new DataError(`schema id ${id} is not in the registry at ${this.safeUrl}`, {
        context: { schemaId: id },
        fix: 'the message was written against another registry, or the registry lost its (in-memory) state',
      });
    }
    if (answer.schemaType !== undefined && answer.schemaType !== 'AVRO') {
      throw new DataError(`schema id ${id} is a ${answer.schemaType} schema, not Avro`, { context: { schemaId: id } });
    }
    return answer.schema;
  }

  private request<T>(method: string, path: string, body?: unknown): Promise<T>;
  private request<T>(method: string, path: string, body: unknown, options: { notFoundIsNull: true }): Promise<T | null>;
  private request<T>(
    method: string,
    path: string,
    body?: unknown,
    options: { notFoundIsNull?: boolean } = {},
  ): Promise<T | null> {
    return retry(() => this.requestOnce<T>(method, path, body, options.notFoundIsNull ?? false), {
      maxElapsedMs: this.retryMaxElapsedMs,
    });
  }

  private async requestOnce<T>(method: string, path: string, body: unknown, notFoundIsNull: boolean): Promise<T | null> {
    const where = `${method} ${this.safeUrl}${path}`;
    const headers: Record<string, string> = { accept: CONTENT_TYPE };
    if (body !== undefined) headers['content-type'] = CONTENT_TYPE;
    if (this.authorization) headers['authorization'] = this.authorization;
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.timeout(this.requestTimeoutMs),
      });
    } catch (error) {
      throw new ConnectionError(`schema registry unreachable: ${where}: ${describeFetchFailure(error)}`, {
        fix: 'check that the registry runs and SCHEMA_REGISTRY_URL points at its Confluent-compatible API',
        cause: error,
      });
    }
    const text = await response.text();
    if (response.ok) return JSON.parse(text) as T;
    if (response.status === 404 && notFoundIsNull) return null;
    const registryMessage = registryMessageOf(text);
    if (response.status === 401 || response.status === 403) {
      throw new PermissionError(`schema registry refused access (HTTP ${response.status}): ${where}`, {
        fix: 'check the registry credentials in the URL',
      });
    }
    if (response.status >= 500 || response.status === 429 || response.status === 408) {
      throw new ConnectionError(`schema registry failed (HTTP ${response.status}): ${where}: ${registryMessage}`);
    }
    throw new RegistryHttpError(response.status, registryMessage, where);
  }
}

/** A 4xx answer the caller may turn into something more specific. */
class RegistryHttpError extends FerryError {
  constructor(
    readonly status: number,
    readonly registryMessage: string,
    where: string,
  ) {
    super('REGISTRY_REQUEST_FAILED', `schema registry answered HTTP ${status} to ${where}: ${registryMessage}`);
  }
}

function registryMessageOf(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // Not JSON: use the text itself.
  }
  return body.slice(0, 500) || '(empty answer)';
}

function describeFetchFailure(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    if (error.name === 'TimeoutError') return 'no answer before the request timeout';
    if (cause instanceof Error) return cause.message;
    return error.message;
  }
  return String(error);
}
