import pg from 'pg';
import { ConfigError, type FerryError } from '@ferry/core';
import { paramName, redactUrl } from './redact-url.js';
import { classifyPgError, type ClassifyOptions, type PgRole } from './sqlstate.js';

/**
 * Every connection Ferry opens gets the same session, so PostgreSQL's text forms
 * are fixed and exact whatever the server's or the role's defaults say: ISO dates
 * in UTC, float text that round-trips (extra_float_digits=3), hex bytea, UTF8, and
 * standard strings (quoteLiteral and the COPY parameter inliner rely on it).
 * They travel in the startup packet's `options`, so they hold for every pooled
 * connection from its first statement, with no SET to forget.
 */
export const SESSION_SETTINGS: Readonly<Record<string, string>> = {
  // The order part too, so even ambiguous input such as 01/02/2024 reads the same everywhere.
  DateStyle: 'ISO, MDY',
  TimeZone: 'UTC',
  IntervalStyle: 'postgres',
  extra_float_digits: '3',
  bytea_output: 'hex',
  client_encoding: 'UTF8',
  standard_conforming_strings: 'on',
};

/**
 * Type parsers that return PostgreSQL's text unchanged. pg's global parsers turn
 * timestamptz into a millisecond Date, int8 and numeric into lossy numbers and
 * arrays into JS arrays; Ferry carries exact text instead, so every client and
 * every query it runs uses this object (pass it as `types`).
 */
export const rawTextTypes: pg.CustomTypesConfig = {
  getTypeParser: (() => returnUnchanged) as unknown as pg.CustomTypesConfig['getTypeParser'],
};

function returnUnchanged(value: unknown): unknown {
  return value;
}

export interface ConnectOptions {
  /** Shows in pg_stat_activity; cutover uses it to tell Ferry's sessions from the application's. */
  applicationName: string;
  /** Which side this is, for error messages. */
  role: PgRole;
  /** Server-side statement_timeout; unset means the server's default. */
  statementTimeoutMs?: number;
  /** Gives up on a connection attempt after this long (default 30 s). */
  connectTimeoutMs?: number;
  /**
   * Told about errors on an idle connection (server restart, network cut). Without
   * a listener Node would crash on them; the next query on that client fails anyway.
   */
  onError?: (error: FerryError) => void;
}

export interface PoolOptions extends ConnectOptions {
  max?: number;
  /** Closes idle connections after this long (default 30 s). */
  idleTimeoutMs?: number;
}

/** Opens one connection with Ferry's session settings; errors are Ferry errors. */
export async function openClient(url: string, options: ConnectOptions): Promise<pg.Client> {
  const where: ClassifyOptions = { role: options.role, target: redactUrl(url) };
  const client = newClient(url, options);
  client.on('error', (error) => options.onError?.(classifyPgError(error, where)));
  try {
    await client.connect();
  } catch (error) {
    throw classifyPgError(error, where);
  }
  return client;
}

/** A pool whose connections all carry Ferry's session settings and raw text types. */
export function createPool(url: string, options: PoolOptions): PgPool {
  // The pool parses the URL only at its first connection; a bad one should fail here.
  newClient(url, options);
  const pool = new pg.Pool({
    ...clientConfig(url, options),
    max: options.max ?? 10,
    idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
  });
  const where: ClassifyOptions = { role: options.role, target: redactUrl(url) };
  pool.on('error', (error) => options.onError?.(classifyPgError(error, where)));
  return new PgPool(pool, where);
}

/**
 * A thin wrapper over pg.Pool whose every failure is a Ferry error naming the
 * database side. `pool` is there for anything the wrapper does not cover.
 */
export class PgPool {
  constructor(
    readonly pool: pg.Pool,
    private readonly where: ClassifyOptions,
  ) {}

  async connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (error) {
      throw classifyPgError(error, this.where);
    }
  }

  /**
   * Runs `work` on a pooled client. A client whose work failed is closed rather
   * than returned: it may sit in an aborted transaction or on a broken socket.
   */
  async withClient<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.connect();
    try {
      const result = await work(client);
      client.release();
      return result;
    } catch (error) {
      client.release(true);
      throw classifyPgError(error, this.where);
    }
  }

  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    params: readonly unknown[] = [],
  ): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(text, params as unknown[]);
    } catch (error) {
      throw classifyPgError(error, this.where);
    }
  }

  async end(): Promise<void> {
    await this.pool.end();
  }
}

/** A client not yet connected; pg parses the URL here, and a URL it cannot read is a ConfigError. */
function newClient(url: string, options: ConnectOptions): pg.Client {
  const config = clientConfig(url, options);
  try {
    return new pg.Client(config);
  } catch (error) {
    // No `cause`: a URL parser's error may hold the input, password included.
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`the ${options.role} URL cannot be used (${redactUrl(url)}): ${reason}`, [
      { path: `${options.role}.url`, message: reason },
    ], { fix: 'write it as postgres://user:password@host:port/database, percent-encoding special characters in the password' });
  }
}

/** The `pg` client configuration behind openClient and createPool. */
export function clientConfig(url: string, options: ConnectOptions): pg.ClientConfig {
  const { connectionString, urlOptions } = takeSessionParams(url, options.role);
  const settings: Record<string, string> = { ...SESSION_SETTINGS };
  if (options.statementTimeoutMs !== undefined) settings.statement_timeout = String(Math.max(0, Math.round(options.statementTimeoutMs)));
  // Ours come last: for a setting given twice, PostgreSQL keeps the last.
  const startupOptions = [urlOptions, startupOptionsText(settings)].filter((part) => part.length > 0).join(' ');
  return {
    connectionString,
    application_name: options.applicationName,
    options: startupOptions,
    types: rawTextTypes,
    keepAlive: true,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 30_000,
  };
}

/** `-c name=value ...`; spaces and backslashes in a value are backslash-escaped, as PostgreSQL expects. */
export function startupOptionsText(settings: Readonly<Record<string, string>>): string {
  return Object.entries(settings)
    .map(([name, value]) => `-c ${name}=${value.replace(/[\\ ]/g, (ch) => `\\${ch}`)}`)
    .join(' ');
}

/**
 * pg lets parameters inside the URL override its config, so the URL's own
 * `options` and `application_name` are taken out here: the URL's options are
 * kept (before ours), its application_name gives way to Ferry's.
 */
function takeSessionParams(url: string, role: PgRole): { connectionString: string; urlOptions: string } {
  if (!/^postgres(ql)?:\/\//i.test(url)) {
    throw new ConfigError(`the ${role} URL is not a PostgreSQL URL: ${redactUrl(url)}`, [
      { path: `${role}.url`, message: 'expected postgres://user:password@host:port/database' },
    ]);
  }
  const queryAt = url.indexOf('?');
  if (queryAt < 0) return { connectionString: url, urlOptions: '' };
  const hashAt = url.indexOf('#', queryAt);
  const query = url.slice(queryAt + 1, hashAt >= 0 ? hashAt : undefined);
  const kept: string[] = [];
  let urlOptions = '';
  for (const param of query.split('&')) {
    const name = paramName(param);
    if (name === 'options') urlOptions = decodeParamValue(param);
    else if (name !== 'application_name' && param.length > 0) kept.push(param);
  }
  const base = url.slice(0, queryAt);
  return { connectionString: kept.length > 0 ? `${base}?${kept.join('&')}` : base, urlOptions };
}

function decodeParamValue(param: string): string {
  const eq = param.indexOf('=');
  if (eq < 0) return '';
  const raw = param.slice(eq + 1);
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    return raw;
  }
}
