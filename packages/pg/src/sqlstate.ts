import pg from 'pg';
import {
  ConfigError,
  ConnectionError,
  DataError,
  FerryError,
  PermissionError,
  type ErrorContext,
} from '@ferry/core';
import { redactUrl } from './redact-url.js';

/**
 * Turns what pg throws (a server DatabaseError, a socket error, or pg's own
 * "Connection terminated") into a Ferry error whose `retriable` flag the retry
 * helper can trust. The original error stays as `cause`; messages name the
 * database side and the fix, never a password.
 */

export type PgRole = 'source' | 'destination';

export interface ClassifyOptions {
  /** Which database this was, for the message ("source database ..."). */
  role?: PgRole;
  /** Where it was, already without password (see redactUrl), e.g. "postgres://ferry@db:5432/shop". */
  target?: string;
  context?: ErrorContext;
}

/** Fields of pg's DatabaseError that we read; pg copies every server error field onto it. */
interface ServerError extends Error {
  code: string;
  severity?: string;
  detail?: string;
  hint?: string;
  schema?: string;
  table?: string;
  column?: string;
  constraint?: string;
}

const SOCKET_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
]);

/** pg's own messages when the socket goes away or a connect attempt times out. */
const CLIENT_CONNECTION_MESSAGE =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|not queryable|Client was closed/i;

export function classifyPgError(error: unknown, options: ClassifyOptions = {}): FerryError {
  if (error instanceof FerryError) return error;
  const where = describeWhere(options);
  if (isServerError(error)) return classifyServerError(error, where, options);

  const err = error instanceof Error ? error : new Error(String(error));
  const message = cleanMessage(err.message);
  const code = (err as NodeJS.ErrnoException).code;
  const context = { ...options.context, ...(code ? { errno: code } : {}) };
  if ((code && SOCKET_ERROR_CODES.has(code)) || CLIENT_CONNECTION_MESSAGE.test(message)) {
    return new ConnectionError(`cannot reach the ${where}: ${message}`, {
      cause: error,
      context,
      fix:
        code === 'ENOTFOUND' || code === 'EAI_AGAIN'
          ? 'check the host name in the URL and the DNS of this machine'
          : 'check that the server is running and reachable from this machine (host, port, firewall); Ferry retries connection failures for retry.connectionMinutes',
    });
  }
  if (/does not support SSL/i.test(message)) {
    return new ConfigError(`the ${where} does not accept SSL connections`, [], {
      cause: error,
      context,
      fix: 'set sslmode=disable in the URL, or enable ssl on the server',
    });
  }
  return new FerryError('PG_ERROR', `${where}: ${message}`, { cause: error, context });
}

function classifyServerError(error: ServerError, where: string, options: ClassifyOptions): FerryError {
  const sqlstate = error.code;
  const message = `${where}: ${cleanMessage(error.message)}`;
  const context = serverContext(error, options.context);
  const base = { cause: error, context };

  if (sqlstate.startsWith('08') || sqlstate === '57P01' || sqlstate === '57P02' || sqlstate === '57P03') {
    return new ConnectionError(message, {
      ...base,
      fix: 'the server closed or refused the connection (restart, failover or shutdown); Ferry retries for retry.connectionMinutes',
    });
  }
  if (sqlstate === '53300') {
    return new ConnectionError(message, {
      ...base,
      fix: 'the server has no free connection slots: raise max_connections, or lower snapshot.parallelism and pool sizes, or close idle sessions',
    });
  }
  if (sqlstate === '28P01') {
    return new PermissionError(message, {
      ...base,
      fix: `check the user name and password of the ${options.role ?? 'database'} URL`,
    });
  }
  if (sqlstate === '28000') {
    return new PermissionError(message, {
      ...base,
      fix:
        'check that the role exists and that pg_hba.conf has an entry for this user, database and client address ' +
        '(a replication connection needs its own "replication" entry), then reload the server',
    });
  }
  if (sqlstate.startsWith('28')) {
    return new PermissionError(message, { ...base, fix: 'check the authentication settings of the role and of pg_hba.conf' });
  }
  if (sqlstate === '42501') return insufficientPrivilege(error, message, base, options.role);
  if (sqlstate === '40001' || sqlstate === '40P01') {
    return new FerryError('TRANSIENT', message, {
      ...base,
      retriable: true,
      fix: 'a serialization failure or deadlock with another session; retrying the transaction resolves it',
    });
  }
  if (sqlstate === '53100') {
    return new FerryError('DISK_FULL', message, {
      ...base,
      retriable: true,
      fix: `free disk space on the ${options.role ?? 'database'} server (or grow its volume); Ferry retries once there is room`,
    });
  }
  if (sqlstate === '3D000') {
    return new ConfigError(message, [{ path: `${options.role ?? 'database'}.url`, message: cleanMessage(error.message) }], {
      ...base,
      fix: 'create the database on that server, or correct the database name at the end of the URL',
    });
  }
  // Class 22 (data exception) and 23 (integrity constraint): the data is the problem.
  if (sqlstate.startsWith('22') || sqlstate.startsWith('23')) {
    return new DataError(message, { ...base, ...(error.hint ? { fix: error.hint } : {}) });
  }
  return new FerryError('PG_ERROR', message, { ...base, ...(error.hint ? { fix: error.hint } : {}) });
}

/**
 * 42501 says which privilege is missing only in its text, e.g. "permission denied
 * for table orders" (or "for relation" before PostgreSQL 11), "must be owner of
 * table orders", "must be superuser or replication role to use replication slots".
 */
function insufficientPrivilege(
  error: ServerError,
  message: string,
  base: { cause: unknown; context: ErrorContext },
  role: PgRole | undefined,
): PermissionError {
  const text = error.message;
  const deniedFor = /permission denied for (materialized view|foreign table|table|relation|view|sequence|schema|database|function|procedure|routine|type|language|large object|tablespace) (.+)$/i.exec(text);
  if (deniedFor) {
    const kind = deniedFor[1]!.toLowerCase();
    const name = deniedFor[2]!;
    return new PermissionError(message, {
      ...base,
      context: { ...base.context, privilege: `${kind} ${name}` },
      fix: grantFix(kind, name, role),
    });
  }
  const owner = /must be owner of (.+)$/i.exec(text);
  if (owner) {
    return new PermissionError(message, {
      ...base,
      context: { ...base.context, privilege: `owner of ${owner[1]}` },
      fix: `connect as the owner of ${owner[1]} (or a member of the owning role), or a superuser`,
    });
  }
  if (/replication/i.test(text) || /replication/i.test(error.detail ?? '')) {
    return new PermissionError(message, {
      ...base,
      context: { ...base.context, privilege: 'REPLICATION' },
      fix: 'give the role the REPLICATION attribute (ALTER ROLE <user> REPLICATION) or connect as a superuser',
    });
  }
  if (/superuser/i.test(text)) {
    return new PermissionError(message, {
      ...base,
      context: { ...base.context, privilege: 'superuser' },
      fix: 'connect as a superuser, or skip the step that needs one',
    });
  }
  const deniedTo = /permission denied to (.+)$/i.exec(text);
  return new PermissionError(message, {
    ...base,
    context: { ...base.context, privilege: deniedTo ? deniedTo[1] : 'unknown' },
    fix: error.hint ?? error.detail ?? 'grant the connecting role the privilege named in the message',
  });
}

function grantFix(kind: string, name: string, role: PgRole | undefined): string {
  switch (kind) {
    case 'table':
    case 'relation':
    case 'view':
    case 'materialized view':
    case 'foreign table':
      return role === 'destination'
        ? `GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ${name} TO <user>`
        : `GRANT SELECT ON ${name} TO <user>`;
    case 'schema':
      return role === 'destination'
        ? `GRANT USAGE, CREATE ON SCHEMA ${name} TO <user>`
        : `GRANT USAGE ON SCHEMA ${name} TO <user>`;
    case 'sequence':
      return `GRANT USAGE, SELECT${role === 'destination' ? ', UPDATE' : ''} ON SEQUENCE ${name} TO <user>`;
    case 'database':
      return `GRANT CONNECT${role === 'destination' ? ', CREATE' : ''} ON DATABASE ${name} TO <user>`;
    case 'function':
    case 'procedure':
    case 'routine':
      return `GRANT EXECUTE ON ${kind.toUpperCase()} ${name} TO <user>`;
    default:
      return `grant the connecting role the needed privilege on ${kind} ${name}`;
  }
}

function isServerError(error: unknown): error is ServerError {
  if (error instanceof pg.DatabaseError) return true;
  // Another copy of pg-protocol would fail instanceof; a SQLSTATE plus severity is enough.
  if (!(error instanceof Error)) return false;
  const { code, severity } = error as Partial<ServerError>;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && typeof severity === 'string';
}

function serverContext(error: ServerError, extra: ErrorContext | undefined): ErrorContext {
  const context: ErrorContext = { sqlstate: error.code };
  if (error.schema && error.table) context.table = `${error.schema}.${error.table}`;
  if (error.column) context.column = error.column;
  if (error.constraint) context.constraint = error.constraint;
  if (error.detail) context.detail = error.detail;
  return { ...context, ...extra };
}

function describeWhere(options: ClassifyOptions): string {
  const side = options.role ? `${options.role} database` : 'PostgreSQL server';
  return options.target ? `${side} ${redactUrl(options.target)}` : side;
}

/** Server and socket messages carry no passwords, but a URL inside one (dblink, a user's text) might. */
function cleanMessage(message: string): string {
  return message.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s'"]+/gi, (url) => redactUrl(url));
}
