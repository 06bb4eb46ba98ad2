/**
 * One error base for Ferry. `code` is stable (documented, safe to match on),
 * `retriable` tells the retry helper whether trying again can help, and
 * `context` carries where it happened (table, LSN, topic/partition/offset).
 * Messages say what is wrong and how to fix it; they never carry secrets.
 */
export interface ErrorContext {
  task?: string;
  phase?: string;
  table?: string;
  column?: string;
  lsn?: string;
  topic?: string;
  partition?: number;
  offset?: string;
  key?: string;
  [name: string]: unknown;
}

export interface FerryErrorOptions {
  retriable?: boolean;
  context?: ErrorContext;
  fix?: string;
  cause?: unknown;
}

export class FerryError extends Error {
  readonly code: string;
  readonly retriable: boolean;
  readonly context: ErrorContext;
  readonly fix: string | undefined;

  constructor(code: string, message: string, options: FerryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.context = options.context ?? {};
    this.fix = options.fix;
  }

  /** Message, fix and context on one readable line set, for terminals. */
  describe(): string {
    const lines = [`${this.code}: ${this.message}`];
    if (this.fix) lines.push(`fix: ${this.fix}`);
    const ctx = Object.entries(this.context).filter(([, v]) => v !== undefined);
    if (ctx.length > 0) lines.push(`at: ${ctx.map(([k, v]) => `${k}=${String(v)}`).join(' ')}`);
    return lines.join('\n');
  }
}

/** Bad task file, flags or environment. Never retriable. */
export class ConfigError extends FerryError {
  constructor(
    message: string,
    readonly problems: readonly ConfigProblem[] = [],
    options: FerryErrorOptions = {},
  ) {
    super('CONFIG_INVALID', message, { ...options, retriable: false });
  }
}

export interface ConfigProblem {
  /** Dotted path into the task file, e.g. "kafka.brokers[0]". */
  path: string;
  message: string;
}

/** A server could not be reached or dropped the connection: retry can help. */
export class ConnectionError extends FerryError {
  constructor(message: string, options: FerryErrorOptions = {}) {
    super('CONNECTION_FAILED', message, { retriable: true, ...options });
  }
}

/** Authentication or missing privilege: retrying will not help, a person must act. */
export class PermissionError extends FerryError {
  constructor(message: string, options: FerryErrorOptions = {}) {
    super('PERMISSION_DENIED', message, { ...options, retriable: false });
  }
}

/** An event that cannot be encoded, decoded or applied. */
export class DataError extends FerryError {
  constructor(message: string, options: FerryErrorOptions = {}) {
    super('DATA_INVALID', message, { retriable: false, ...options });
  }
}

/** Something Ferry itself got wrong: a broken invariant. */
export class InvariantError extends FerryError {
  constructor(message: string, options: FerryErrorOptions = {}) {
    super('INVARIANT_BROKEN', message, { ...options, retriable: false });
  }
}

/** FerryError's flag, or the same flag on a client library's error (kafkajs sets `retriable`). */
export function isRetriable(error: unknown): boolean {
  if (error instanceof FerryError) return error.retriable;
  return typeof error === 'object' && error !== null && (error as { retriable?: unknown }).retriable === true;
}

/** Turns anything thrown into an Error without losing it. */
export function toError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}
